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
 *   changed  <at>!<uuid>                                 -> sessionId: a journal of changed sessions
 *            <at>!all                                     every session (after a reindex)
 * Times are zero-padded ms; free-form parts are escaped (keyPart). Every change to a record is
 * one batch that deletes the keys the old record had and puts the new ones, so secondary keys
 * never outlive or precede their record. The same batch adds a journal row for the record's
 * session, so whatever keeps a digest of sessions (compliance/clip-digest.ts) cannot miss a change
 * even across a crash; each row has its own key, so removing the rows a reader has handled never
 * removes one written meanwhile (keys: wall-clock time of the write, whatever clock the store uses).
 */
import { randomUUID } from 'node:crypto';
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
/** Journal key suffix for "every session" (other rows end in a UUID). */
const ALL_SESSIONS = `${SEP}all`;

export class ClipIndex {
  readonly clips: Sub<ClipRecord>;
  readonly #changed: Sub<string>;
  readonly #idx: Record<IndexName, Sub<string>>;
  readonly #now: () => number;

  constructor(db: Db, opts: { now?: () => number } = {}) {
    const store = jsonSub<unknown>(db, 'store');
    this.clips = jsonSub<ClipRecord>(store, 'clips');
    this.#changed = jsonSub<string>(store, 'changed');
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
    for (const id of new Set([next.sessionId, prev?.sessionId ?? next.sessionId])) {
      ops.push({
        type: 'put',
        sublevel: this.#changed,
        key: `${pad(Date.now())}${SEP}${randomUUID()}`,
        value: id,
      });
    }
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

  /** The oldest journal rows of changed sessions (at most `limit`); `all`: a reindex asked for every one. */
  async changedSessions(limit: number): Promise<{ keys: string[]; sessionIds: string[]; all: boolean }> {
    const rows = await this.#changed.iterator({ limit }).all();
    return {
      keys: rows.map(([k]) => k),
      sessionIds: rows.filter(([k]) => !k.endsWith(ALL_SESSIONS)).map(([, v]) => v),
      all: rows.some(([k]) => k.endsWith(ALL_SESSIONS)),
    };
  }

  /** The newest journal row's key (a full rebuild handles every row up to it). */
  async newestChange(): Promise<string | undefined> {
    return (await this.#changed.keys({ reverse: true, limit: 1 }).all())[0];
  }

  /** Removes journal rows a reader has handled: by their exact keys, or every one up to a key. */
  async dropChanged(keys: readonly string[] | { upTo: string }): Promise<void> {
    if ('upTo' in keys) await this.#changed.clear({ lte: keys.upTo });
    else await this.#changed.batch(keys.map((key) => ({ type: 'del' as const, key })));
  }

  /** Every session's records, one session at a time, oldest clip first (digest rebuilds). */
  async *eachSession(): AsyncGenerator<ClipRecord[]> {
    const it = this.#idx.session.iterator();
    let current: string | undefined;
    let ids: string[] = [];
    const flush = async () => (await this.clips.getMany(ids)).filter((r): r is ClipRecord => !!r);
    try {
      for (;;) {
        const rows = await it.nextv(SCAN_CHUNK * 4);
        if (rows.length === 0) break;
        for (const [k, id] of rows) {
          const session = k.slice(0, k.indexOf(SEP));
          if (session !== current && ids.length) {
            yield await flush();
            ids = [];
          }
          current = session;
          ids.push(id);
        }
      }
      if (ids.length) yield await flush();
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
    await this.#changed.clear();
    await this.#changed.put(`${pad(Date.now())}${ALL_SESSIONS}`, '');
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
