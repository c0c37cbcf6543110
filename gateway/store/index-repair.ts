/**
 * A damaged index (a lost `.ldb` table file, a lost or torn MANIFEST): LevelDB's own repair
 * (RepairDB — it rebuilds the MANIFEST from the table and log files that remain), used by
 * `gateway repair` before the index is opened. What the lost files held is rebuilt afterwards by
 * the caller from what the index is derived from: clip rows from the blobs and their sidecars, the
 * audit rows from the log file. Never run on an index a gateway holds.
 */
import { stat } from 'node:fs/promises';
import { Level } from 'level';
import { GatewayError } from '../errors.js';
import { isErrno } from './errors.js';

/** `level` is classic-level on Node, whose static repair its types do not declare. */
interface Repairable {
  repair(location: string): Promise<void>;
}

export interface IndexRepair {
  /** True when the index would not open and LevelDB's repair ran. */
  repaired: boolean;
  /** Why it would not open (LevelDB's one-line reason). */
  reason?: string;
}

export async function repairIndexIfDamaged(path: string): Promise<IndexRepair> {
  try {
    await stat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { repaired: false };
    throw err;
  }
  const db = new Level<string, unknown>(path, { createIfMissing: false });
  try {
    await db.open();
    await db.close();
    return { repaired: false };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new GatewayError('UNAVAILABLE', `the index ${path} is in use: stop the gateway first`);
    }
    const reason = String(cause?.message ?? (err as Error).message).slice(0, 300);
    await (Level as unknown as Repairable).repair(path);
    return { repaired: true, reason };
  }
}

/** The index would not open for damage, not for a lock: `gateway repair` is the way back. */
export function isDamage(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return code === 'LEVEL_CORRUPTION' || code === 'LEVEL_IO_ERROR';
}
