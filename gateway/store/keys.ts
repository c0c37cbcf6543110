/** LevelDB key building for the store's sublevels. */
import type { AbstractBatchOperation, AbstractSublevel } from 'abstract-level';
import type { Db } from '../db.js';

export type Sub<V> = AbstractSublevel<Db, string | Buffer | Uint8Array, string, V>;
/** One operation of an atomic batch on the shared DB; `sublevel` says where it lands. */
export type BatchOp = AbstractBatchOperation<Db, string, unknown>;

/** Separator between key parts; every part is escaped so it cannot contain one. */
export const SEP = '!';
/** The character right after SEP: `prefix + SEP` .. `prefix + AFTER_SEP` spans every key under prefix. */
export const AFTER_SEP = '"';

/** Escape `%` and `!` so free-form ids (officer ids, case numbers) cannot forge a key boundary. */
export function keyPart(s: string): string {
  return s.replace(/[%!]/g, (c) => (c === '%' ? '%25' : '%21'));
}

/** Fixed width so lexical order is numeric order (EpochMs < 10^16, seqs too). */
export function pad(n: number): string {
  return Math.trunc(n).toString().padStart(16, '0');
}

/** A JSON-valued sublevel of the DB or of another sublevel. */
export function jsonSub<V>(parent: Db | Sub<V> | Sub<unknown>, name: string): Sub<V> {
  // Nested sublevels do not inherit valueEncoding: pass it every time (DEPENDENCIES.md).
  return (parent as unknown as Db).sublevel<string, V>(name, { valueEncoding: 'json' }) as unknown as Sub<V>;
}

/** Range options for keys starting with `prefix!`, optionally narrowed by a padded-time window. */
export function prefixRange(prefix: string, from?: number, to?: number): { gte: string; lt: string } {
  return {
    gte: from === undefined ? `${prefix}${SEP}` : `${prefix}${SEP}${pad(from)}`,
    lt: to === undefined ? `${prefix}${AFTER_SEP}` : `${prefix}${SEP}${pad(to)}`,
  };
}

/** The values of a key range, read in chunks of `chunk` (long scans: one iterator, bounded memory). */
export async function* valuesInChunks<V>(
  sub: Sub<V>,
  range: { gte: string; lt: string },
  chunk = 512,
): AsyncGenerator<V> {
  const it = sub.values(range);
  try {
    for (;;) {
      const values = await it.nextv(chunk);
      if (values.length === 0) return;
      yield* values;
    }
  } finally {
    await it.close();
  }
}
