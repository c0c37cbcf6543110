/**
 * Secondary keys of the recorder sessions, so a month's report (R7, R26) and an officer's "my
 * recordings" read their own sessions instead of every session since the gateway was installed:
 *   day      <UTC day of start>!<serial>!<sessionId>
 *   officer  <officerId>!<UTC day of start>!<serial>!<sessionId>
 * Keys are candidates: a record whose start or officer changed keeps its old key too, and readers
 * check the record itself. Written in the same batch as the record; built once from the records
 * when missing (a data dir from before the index, or sessions written directly by the demo seed).
 */
import type { AbstractBatchOperation, AbstractSublevel } from 'abstract-level';
import type { Db } from '../db.js';
import { keyPart, valuesInChunks } from '../store/keys.js';
import type { SessionRecord } from './sessions.js';

type Sub<V> = AbstractSublevel<Db, string | Buffer | Uint8Array, string, V>;

const VERSION = 1;

const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);
export const sessionStart = (s: SessionRecord): number | null => s.startedAt ?? s.firstSegmentStart;
const officerOf = (s: SessionRecord) => s.officer?.id ?? s.officerId;

export class SessionIndex {
  readonly #byDay: Sub<string>;
  readonly #byOfficer: Sub<string>;
  readonly #meta: Sub<number>;

  constructor(db: Db) {
    this.#byDay = db.sublevel<string, string>('recorder-sessions-by-day', { valueEncoding: 'utf8' });
    this.#byOfficer = db.sublevel<string, string>('recorder-sessions-by-officer', { valueEncoding: 'utf8' });
    this.#meta = db.sublevel<string, number>('recorder-sessions-index', { valueEncoding: 'json' });
  }

  /** The puts that index `s` (its record key as value). */
  opsFor(s: SessionRecord, recordKey: string): AbstractBatchOperation<Db, string, string>[] {
    const start = sessionStart(s);
    if (start === null) return [];
    const tail = `${utcDay(start)}!${keyPart(s.serial)}!${keyPart(s.sessionId)}`;
    const ops: AbstractBatchOperation<Db, string, string>[] = [
      { type: 'put', sublevel: this.#byDay as never, key: tail, value: recordKey },
    ];
    const o = officerOf(s);
    if (o)
      ops.push({
        type: 'put',
        sublevel: this.#byOfficer as never,
        key: `${keyPart(o)}!${tail}`,
        value: recordKey,
      });
    return ops;
  }

  async built(): Promise<boolean> {
    return (await this.#meta.get('version')) === VERSION;
  }

  async markBuilt(db: Db): Promise<void> {
    await db.batch([{ type: 'put', sublevel: this.#meta as never, key: 'version', value: VERSION }] as never);
  }

  /** Record keys of the sessions that may have started in [from, to). */
  keysInRange(from: number, to: number): AsyncGenerator<string> {
    return valuesInChunks(this.#byDay, { gte: `${utcDay(from)}!`, lt: `${utcDay(to - 1)}"` });
  }

  /** Record keys of an officer's sessions that may have started at or after `from`. */
  keysOfOfficer(officerId: string, from: number): AsyncGenerator<string> {
    const o = keyPart(officerId);
    return valuesInChunks(this.#byOfficer, { gte: `${o}!${utcDay(from)}!`, lt: `${o}"` });
  }
}
