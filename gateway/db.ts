import { randomBytes } from 'node:crypto';
import { Level } from 'level';

/** One LevelDB per gateway; each service takes its own sublevels (batches across them stay atomic). */
export type Db = Level<string, unknown>;

export async function openDb(path: string): Promise<Db> {
  const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
  await db.open();
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
