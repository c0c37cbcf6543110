/**
 * The clip digest: per session and office day, what its clips recorded (spans), how long their
 * uploads took, and the few clips a rule looks at one by one (pending, stored late, quarantined).
 * The monthly report (R7, R26) reads these compact rows instead of a million clip records.
 *
 *   days      <day>!<sessionId>   -> DigestPart    day: office day (UTC+8) of the clips' start
 *   sessions  <sessionId>         -> day[]         the parts a session has
 *   meta      version             -> number
 *
 * Kept from the clip index's journal of changed sessions (written in the same batch as each
 * record change, clip-index.ts): drained on the store's events, on a slow timer and before every
 * report, so a report always sees every change made before it was asked for. Rebuilt whole when
 * the journal says so (`gateway reindex`) or when the digest is missing or of another version.
 */
import type { Db } from '../db.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import type { ClipIndex } from '../store/clip-index.js';
import { AFTER_SEP, type BatchOp, jsonSub, keyPart, SEP, type Sub, valuesInChunks } from '../store/keys.js';
import type { ClipRecord } from '../store/schema.js';
import type { ClipFact, ComplianceFacts } from './facts.js';
import { addSpan, type SpanFact } from './spans.js';
import { dayKey } from './stats.js';

/** The clips of one session that started on one office day, compacted. */
export interface DigestPart {
  sessionId: string;
  day: string;
  /** Recorded stretches of these clips, oldest first. */
  spans: SpanFact[];
  /** Stored-at minus end of recording (ms) of the verified clips stored in time. */
  delaysMs: number[];
  /** The clips not simply stored in time, one by one. */
  clips: ClipFact[];
}

export interface ClipDigestOptions {
  db: Db;
  index: ClipIndex;
  bus?: EventBus;
  log?: Logger;
  /** Store events are gathered this long before a drain. */
  settleMs?: number;
  /** A drain this often even without events (clip states change without one). */
  everyMs?: number;
}

const VERSION = 1;
const JOURNAL_CHUNK = 2000;
const BATCH_OPS = 2000;

/** A stored record as the rules see it. */
export function clipFact(c: ClipRecord): ClipFact {
  return {
    clipId: c.clipId,
    sessionId: c.sessionId,
    device: c.source.id,
    officer: c.officer ?? null,
    start: c.start,
    end: c.end,
    state: c.state,
    deadline: c.deadline,
    ingestedAt: c.ingestedAt ? Date.parse(c.ingestedAt) : null,
  };
}

/** One session's clips as digest parts, by day. Pure. */
export function digestClips(clips: readonly ClipFact[]): Map<string, DigestPart> {
  const parts = new Map<string, DigestPart>();
  for (const c of [...clips].sort((a, b) => a.start - b.start || a.end - b.end)) {
    const day = dayKey(c.start);
    let p = parts.get(day);
    if (!p) {
      p = { sessionId: c.sessionId, day, spans: [], delaysMs: [], clips: [] };
      parts.set(day, p);
    }
    addSpan(p.spans, { from: c.start, to: c.end, first: c.clipId, last: c.clipId });
    if (c.state !== 'verified' || (c.ingestedAt !== null && c.ingestedAt > c.deadline)) p.clips.push(c);
    else if (c.ingestedAt !== null) p.delaysMs.push(c.ingestedAt - c.end);
  }
  return parts;
}

/**
 * Adds digest parts of the office days from `lo` to the period's end to the facts: spans to
 * `recorded`, the clips listed singly to `clips`, upload delays of the period's own days (periods
 * are whole office days; the days before only add coverage of sessions reaching into the period).
 */
export function addParts(f: ComplianceFacts, part: DigestPart, lo: number): void {
  if (part.day < dayKey(lo) || part.day > dayKey(f.to - 1)) return;
  const { spans, uploadDelaysMs } = f.recorded;
  let list = spans.get(part.sessionId);
  if (!list) {
    list = [];
    spans.set(part.sessionId, list);
  }
  for (const x of part.spans) addSpan(list, x);
  if (part.day >= dayKey(f.from)) for (const ms of part.delaysMs) uploadDelaysMs.push(ms);
  for (const c of part.clips) if (c.start >= lo && c.start < f.to) f.clips.push(c);
}

export class ClipDigest implements Service {
  readonly name = 'clip-digest';
  readonly #o: ClipDigestOptions;
  readonly #days: Sub<DigestPart>;
  readonly #sessions: Sub<string[]>;
  readonly #meta: Sub<number>;
  #chain: Promise<unknown> = Promise.resolve();
  #settle: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #off: (() => void)[] = [];

  constructor(o: ClipDigestOptions) {
    this.#o = o;
    const root = jsonSub<unknown>(o.db, 'clip-digest');
    this.#days = jsonSub<DigestPart>(root, 'days');
    this.#sessions = jsonSub<string[]>(root, 'sessions');
    this.#meta = jsonSub<number>(root, 'meta');
  }

  async start(): Promise<void> {
    const bus = this.#o.bus;
    if (bus) {
      const soon = () => this.#soon();
      this.#off.push(
        bus.on('clip.stored', soon),
        bus.on('recorder.segment', soon),
        bus.on('hearing.segment', soon),
        bus.on('integrity.failed', soon),
      );
    }
    this.#timer = setInterval(() => this.#soon(), this.#o.everyMs ?? 60_000);
    this.#timer.unref();
    // In the background: a missing digest is built without holding up the start.
    this.#soon();
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    clearInterval(this.#timer);
    clearTimeout(this.#settle);
    await this.#chain.catch(() => {});
  }

  /** Brings the digest up to every record change written before this call. */
  refresh(): Promise<void> {
    const run = this.#chain.then(() => this.#drain());
    this.#chain = run.catch((err: unknown) => this.#o.log?.error({ err }, 'clip digest refresh failed'));
    return run;
  }

  /** The parts of the days [fromDay, toDay] (office days), day by day. */
  parts(fromDay: string, toDay: string): AsyncGenerator<DigestPart> {
    return valuesInChunks(this.#days, { gte: `${fromDay}${SEP}`, lt: `${toDay}${AFTER_SEP}` });
  }

  #soon(): void {
    if (this.#settle) return;
    this.#settle = setTimeout(() => {
      this.#settle = undefined;
      void this.refresh().catch(() => {});
    }, this.#o.settleMs ?? 2000);
    this.#settle.unref();
  }

  async #drain(): Promise<void> {
    const index = this.#o.index;
    if ((await this.#meta.get('version')) !== VERSION) await this.#rebuild();
    for (;;) {
      const j = await index.changedSessions(JOURNAL_CHUNK);
      if (j.keys.length === 0) return;
      if (j.all) {
        await this.#rebuild();
        continue;
      }
      const ops: BatchOp[] = [];
      for (const id of new Set(j.sessionIds))
        ops.push(...(await this.#opsFor(id, await index.listBySession(id))));
      await this.#o.db.batch(ops as never);
      await index.dropChanged(j.keys);
    }
  }

  /** The ops that replace a session's parts with those of its records (none: the session is gone). */
  async #opsFor(sessionId: string, records: readonly ClipRecord[]): Promise<BatchOp[]> {
    const sk = keyPart(sessionId);
    const parts = digestClips(records.map(clipFact));
    const ops: BatchOp[] = [];
    for (const day of (await this.#sessions.get(sk)) ?? []) {
      if (!parts.has(day)) ops.push({ type: 'del', sublevel: this.#days, key: `${day}${SEP}${sk}` });
    }
    for (const [day, p] of parts)
      ops.push({ type: 'put', sublevel: this.#days, key: `${day}${SEP}${sk}`, value: p });
    if (parts.size) ops.push({ type: 'put', sublevel: this.#sessions, key: sk, value: [...parts.keys()] });
    else ops.push({ type: 'del', sublevel: this.#sessions, key: sk });
    return ops;
  }

  /** Every session digested again from the clip index; the journal up to its start is handled by it. */
  async #rebuild(): Promise<void> {
    const t0 = performance.now();
    const index = this.#o.index;
    const upTo = await index.newestChange();
    await this.#days.clear();
    await this.#sessions.clear();
    let ops: BatchOp[] = [];
    let sessions = 0;
    for await (const records of index.eachSession()) {
      const parts = digestClips(records.map(clipFact));
      const sk = keyPart(records[0]!.sessionId);
      for (const [day, p] of parts)
        ops.push({ type: 'put', sublevel: this.#days, key: `${day}${SEP}${sk}`, value: p });
      ops.push({ type: 'put', sublevel: this.#sessions, key: sk, value: [...parts.keys()] });
      sessions++;
      if (ops.length >= BATCH_OPS) {
        await this.#o.db.batch(ops as never);
        ops = [];
      }
    }
    ops.push({ type: 'put', sublevel: this.#meta, key: 'version', value: VERSION });
    await this.#o.db.batch(ops as never);
    if (upTo !== undefined) await index.dropChanged({ upTo });
    this.#o.log?.info({ sessions, ms: Math.round(performance.now() - t0) }, 'clip digest rebuilt');
  }
}
