/**
 * The clip index in LevelDB (sublevel `store`). One record per clip plus secondary keys whose
 * value is the clip id:
 *   clips    <clipId>                                   -> ClipRecord
 *   time     <start>!<clipId>
 *   source   <kind>!<sourceId>!<start>!<clipId>          recorder serial or camera id
 *   officer  <officerId>!<start>!<clipId>
 *   session  <sessionId>!<start>!<clipId>
 *   case     <caseNo>!<start>!<clipId>
 *   state    <state>!<deadline>!<clipId>                 earliest deadline first
 *   pending  <deadline>!<clipId>                         on-recorder/uploading only: overdue scan (R22)
 * Times are zero-padded ms; free-form parts are escaped (keyPart). Every change to a record is
 * one batch that deletes the keys the old record had and puts the new ones, so secondary keys
 * never outlive or precede their record.
 */
import type { Db } from '../db.js';
import { type BatchOp, jsonSub, keyPart, pad, prefixRange, SEP, type Sub } from './keys.js';
import { clipState, isPending } from './records.js';
import type { ClipRecord, ClipState, SourceKind } from './schema.js';

export interface TimeRange {
  /** Inclusive, on the clip's recording start (ms). */
  from?: number;
  /** Exclusive. */
  to?: number;
  limit?: number;
}

export interface ClipQuery extends TimeRange {
  recorder?: string;
  camera?: string;
  officerId?: string;
  caseNo?: string;
  sessionId?: string;
  state?: ClipState;
  /** Needed to tell `overdue` apart (defaults to the store clock). */
  now?: number;
}

const INDEX_NAMES = ['time', 'source', 'officer', 'session', 'case', 'state', 'pending'] as const;
type IndexName = (typeof INDEX_NAMES)[number];
const SCAN_CHUNK = 256;

export class ClipIndex {
  readonly clips: Sub<ClipRecord>;
  readonly #idx: Record<IndexName, Sub<string>>;
  readonly #now: () => number;

  constructor(db: Db, opts: { now?: () => number } = {}) {
    const store = jsonSub<unknown>(db, 'store');
    this.clips = jsonSub<ClipRecord>(store, 'clips');
    this.#idx = Object.fromEntries(INDEX_NAMES.map((n) => [n, jsonSub<string>(store, n)])) as Record<
      IndexName,
      Sub<string>
    >;
    this.#now = opts.now ?? Date.now;
  }

  /** Secondary keys a record has, per index. */
  keysFor(r: ClipRecord): [IndexName, string][] {
    const t = pad(r.start);
    const id = keyPart(r.clipId);
    const keys: [IndexName, string][] = [
      ['time', `${t}${SEP}${id}`],
      ['source', `${r.source.kind}${SEP}${keyPart(r.source.id)}${SEP}${t}${SEP}${id}`],
      ['session', `${keyPart(r.sessionId)}${SEP}${t}${SEP}${id}`],
      ['state', `${r.state}${SEP}${pad(r.deadline)}${SEP}${id}`],
    ];
    if (r.officer) keys.push(['officer', `${keyPart(r.officer.id)}${SEP}${t}${SEP}${id}`]);
    if (r.caseNo !== undefined) keys.push(['case', `${keyPart(r.caseNo)}${SEP}${t}${SEP}${id}`]);
    if (isPending(r)) keys.push(['pending', `${pad(r.deadline)}${SEP}${id}`]);
    return keys;
  }

  /** The ops that turn `prev` (or nothing) into `next`: stale keys deleted, current keys put. */
  opsFor(prev: ClipRecord | undefined, next: ClipRecord): BatchOp[] {
    const nextKeys = this.keysFor(next);
    const wanted = new Set(nextKeys.map(([n, k]) => `${n}\u0000${k}`));
    const ops: BatchOp[] = [];
    if (prev) {
      for (const [n, k] of this.keysFor(prev)) {
        if (!wanted.has(`${n}\u0000${k}`)) ops.push({ type: 'del', sublevel: this.#idx[n], key: k });
      }
    }
    ops.push({ type: 'put', sublevel: this.clips, key: next.clipId, value: next });
    for (const [n, k] of nextKeys)
      ops.push({ type: 'put', sublevel: this.#idx[n], key: k, value: next.clipId });
    return ops;
  }

  async get(clipId: string): Promise<ClipRecord | undefined> {
    return this.clips.get(clipId);
  }

  /** Clips in a stored state, earliest deadline first. With `now`, on-recorder/uploading exclude overdue. */
  async listByState(state: ClipState, opts: { now?: number; limit?: number } = {}): Promise<ClipRecord[]> {
    if (state === 'overdue') return this.overdue(opts.now ?? this.#now(), opts);
    const range = prefixRange(state);
    if ((state === 'on-recorder' || state === 'uploading') && opts.now !== undefined) {
      range.gte = `${state}${SEP}${pad(opts.now)}`;
    }
    return this.#scan('state', range, undefined, opts.limit);
  }

  /** Pending clips whose deadline (end + 24 h) is before `now`, earliest deadline first (R22). */
  async overdue(now: number, opts: { limit?: number } = {}): Promise<ClipRecord[]> {
    return this.#scan('pending', { gte: '', lt: pad(now) }, undefined, opts.limit);
  }

  async listByOfficer(officerId: string, range: TimeRange = {}): Promise<ClipRecord[]> {
    return this.#scan(
      'officer',
      prefixRange(keyPart(officerId), range.from, range.to),
      undefined,
      range.limit,
    );
  }

  async listBySource(kind: SourceKind, id: string, range: TimeRange = {}): Promise<ClipRecord[]> {
    const prefix = `${kind}${SEP}${keyPart(id)}`;
    return this.#scan('source', prefixRange(prefix, range.from, range.to), undefined, range.limit);
  }

  async listByRecorder(serial: string, range: TimeRange = {}): Promise<ClipRecord[]> {
    return this.listBySource('recorder', serial, range);
  }

  async listBySession(sessionId: string, range: TimeRange = {}): Promise<ClipRecord[]> {
    return this.#scan(
      'session',
      prefixRange(keyPart(sessionId), range.from, range.to),
      undefined,
      range.limit,
    );
  }

  async listByCase(caseNo: string, range: TimeRange = {}): Promise<ClipRecord[]> {
    return this.#scan('case', prefixRange(keyPart(caseNo), range.from, range.to), undefined, range.limit);
  }

  /** Clips whose recording started in [from, to), oldest first. */
  async listByTime(range: TimeRange = {}): Promise<ClipRecord[]> {
    return this.#scan('time', timeRange(range), undefined, range.limit);
  }

  /**
   * Search by any of recorder, camera, officer, case no, session, state and a start-time range.
   * Walks the most selective index given and filters on the rest.
   */
  async search(q: ClipQuery): Promise<ClipRecord[]> {
    const now = q.now ?? this.#now();
    const inRange = (r: ClipRecord) =>
      (q.from === undefined || r.start >= q.from) && (q.to === undefined || r.start < q.to);
    const matches = (r: ClipRecord) =>
      inRange(r) &&
      (q.recorder === undefined || (r.source.kind === 'recorder' && r.source.id === q.recorder)) &&
      (q.camera === undefined || (r.source.kind === 'camera' && r.source.id === q.camera)) &&
      (q.officerId === undefined || r.officer?.id === q.officerId) &&
      (q.caseNo === undefined || r.caseNo === q.caseNo) &&
      (q.sessionId === undefined || r.sessionId === q.sessionId) &&
      (q.state === undefined || clipState(r, now) === q.state);
    if (q.recorder !== undefined || q.camera !== undefined) {
      const kind = q.recorder !== undefined ? 'recorder' : 'camera';
      const id = (q.recorder ?? q.camera)!;
      const range = prefixRange(`${kind}${SEP}${keyPart(id)}`, q.from, q.to);
      return this.#scan('source', range, matches, q.limit);
    }
    if (q.officerId !== undefined) {
      return this.#scan('officer', prefixRange(keyPart(q.officerId), q.from, q.to), matches, q.limit);
    }
    if (q.caseNo !== undefined) {
      return this.#scan('case', prefixRange(keyPart(q.caseNo), q.from, q.to), matches, q.limit);
    }
    if (q.sessionId !== undefined) {
      return this.#scan('session', prefixRange(keyPart(q.sessionId), q.from, q.to), matches, q.limit);
    }
    return this.#scan('time', timeRange(q), matches, q.limit);
  }

  /** Clips whose recording started in [from, to), oldest first, streamed in chunks (reports). */
  async *eachByTime(range: TimeRange = {}): AsyncGenerator<ClipRecord> {
    const it = this.#idx.time.values(timeRange(range));
    try {
      for (;;) {
        const ids = await it.nextv(SCAN_CHUNK * 4);
        if (ids.length === 0) break;
        for (const r of await this.clips.getMany(ids)) if (r) yield r;
      }
    } finally {
      await it.close();
    }
  }

  /** Every record, in clip id order. */
  async *all(): AsyncGenerator<ClipRecord> {
    for await (const r of this.clips.values()) yield r;
  }

  /** Secondary keys under each index (tests and verify use it to prove no duplicates). */
  async countKeys(): Promise<Record<IndexName | 'clips', number>> {
    const out = { clips: (await this.clips.keys().all()).length } as Record<IndexName | 'clips', number>;
    for (const n of INDEX_NAMES) out[n] = (await this.#idx[n].keys().all()).length;
    return out;
  }

  /** Drop every index row (reindex only). */
  async clearAll(): Promise<void> {
    await this.clips.clear();
    for (const n of INDEX_NAMES) await this.#idx[n].clear();
  }

  async #scan(
    index: IndexName,
    range: { gte: string; lt: string },
    filter: ((r: ClipRecord) => boolean) | undefined,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<ClipRecord[]> {
    const out: ClipRecord[] = [];
    const it = this.#idx[index].values(range);
    try {
      while (out.length < limit) {
        const ids = await it.nextv(SCAN_CHUNK);
        if (ids.length === 0) break;
        const records = await this.clips.getMany(ids);
        for (const r of records) {
          if (r && (!filter || filter(r))) {
            out.push(r);
            if (out.length >= limit) break;
          }
        }
      }
    } finally {
      await it.close();
    }
    return out;
  }
}

function timeRange(r: TimeRange): { gte: string; lt: string } {
  return { gte: r.from === undefined ? '' : pad(r.from), lt: r.to === undefined ? '\uffff' : pad(r.to) };
}
