import { randomBytes } from 'node:crypto';
import { Level } from 'level';
import { GatewayError } from './errors.js';
import { isDamage } from './store/index-repair.js';

/** LevelDB's LOCK file is held: classic-level's open error carries LEVEL_LOCKED as its cause. */
function lockedBy(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return (err as { code?: unknown })?.code === 'LEVEL_LOCKED' || cause?.code === 'LEVEL_LOCKED';
}

/** One LevelDB per gateway; each service takes its own sublevels (batches across them stay atomic). */
export type Db = Level<string, unknown>;

/**
 * Write options for a row an acknowledgement depends on (a login's session, a registration, a
 * pairing, an interruption, an alert's acknowledgement): LevelDB fsyncs its write-ahead log before
 * the write resolves, so what the gateway answered "done" to survives a power cut (docs/STATE.md
 * names every such write). Unsynced writes may be lost with the last seconds before a crash.
 */
export const SYNCED: SyncOptions = { sync: true };
/** classic-level's `sync`; abstract-level's option types (sublevels') do not declare it. */
type SyncOptions = { sync: true; keyEncoding?: undefined };

export async function openDb(path: string): Promise<Db> {
  const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (err) {
    if (lockedBy(err)) {
      throw new GatewayError(
        'UNAVAILABLE',
        `the index ${path} is in use by another process (a gateway running on this data dir?)`,
      );
    }
    if (isDamage(err)) {
      const why = String((err as { cause?: { message?: string } }).cause?.message ?? '').slice(0, 300);
      throw new GatewayError(
        'STORE_CORRUPT',
        `the index ${path} is damaged (${why}): stop the gateway and run gateway repair`,
      );
    }
    throw err;
  }
  return db;
}

/** Milliseconds as a fixed-width base-36 key part, so lexical order is time order (below 0 counts as 0). */
export function timeKey(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(36).padStart(9, '0');
}

/** A unique id that sorts by `ms` in LevelDB: `<timeKey>-<random hex>`. */
export function timeSortableId(ms: number, randomByteCount = 4): string {
  return `${timeKey(ms)}-${randomBytes(randomByteCount).toString('hex')}`;
}
