/**
 * Recorder sessions and their compliance flags, from the recorder's events:
 *   R16  a session that ends without a `notice-given` marker is flagged `no-notice`;
 *   R18  where the recording list (R14) asks for continuous recording (or the activity is not
 *        given), a gap between consecutive segments above gapToleranceS is flagged `gap` and, when
 *        no interruption record already covers it, becomes an interruption of cause `gap`;
 *   R19  recording stopped for any cause but `normal` opens an interruption record; recording
 *        started again resumes it; a `resume-statement` marker is noted on it; a recorder that
 *        drops off the link while recording is a `contact-lost` interruption until it is back.
 * Events are handled one at a time per recorder (the ingest queue) and placed at device times.
 */
import { z } from 'zod';
import { Activity, EpochMs, Officer } from '../../protocol/common.js';
import type { RecorderEvent, Telemetry } from '../../protocol/mqtt/messages.js';
import type { GatewayConfig } from '../config.js';
import { type Db, SYNCED } from '../db.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import { QueryBool } from '../query-params.js';
import type { AuditInput } from '../store/schema.js';
import type { InterruptionCause } from './record.js';
import type { InterruptionService } from './service.js';
import { SessionIndex, sessionStart } from './session-index.js';

export const SessionFlagKind = z.enum(['no-notice', 'gap', 'interrupted']);
export type SessionFlagKind = z.infer<typeof SessionFlagKind>;

export const SessionFlag = z.object({
  flag: SessionFlagKind,
  requirement: z.enum(['R16', 'R18', 'R19']),
  /** Device time. */
  at: EpochMs,
  details: z.record(z.string(), z.unknown()).optional(),
});
export type SessionFlag = z.infer<typeof SessionFlag>;

export const SessionRecord = z.object({
  serial: z.string(),
  sessionId: z.string(),
  activity: Activity.nullable(),
  caseNo: z.string().nullable(),
  officerId: z.string().nullable(),
  officer: Officer.nullable(),
  /** From the recording list (R14); `unlisted` = activity not in the list. */
  requirement: z.enum(['continuous', 'as-needed', 'unlisted', 'unknown']),
  startedAt: EpochMs.nullable(),
  endedAt: EpochMs.nullable(),
  recording: z.boolean(),
  noticeGiven: z.boolean(),
  noticeAt: EpochMs.nullable(),
  statements: z.number().int(),
  segments: z.number().int(),
  bytes: z.number().int(),
  firstSegmentStart: EpochMs.nullable(),
  lastSegmentEnd: EpochMs.nullable(),
  flags: z.array(SessionFlag),
  interruptions: z.array(z.object({ id: z.string(), cause: z.string(), start: EpochMs })),
  updatedAt: z.string(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

/** Filter for SessionTracker.list. */
export const SessionFilter = z.object({
  serial: z.string().optional(),
  flagged: z.boolean().optional(),
  flag: SessionFlagKind.optional(),
  /** Only sessions in progress (true) or only ended ones (false). */
  open: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
export type SessionFilter = z.infer<typeof SessionFilter>;

/** The same filter from an HTTP query string. */
export const SessionQuery = SessionFilter.extend({
  flagged: QueryBool,
  open: QueryBool,
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export interface SessionTrackerOptions {
  db: Db;
  bus: EventBus;
  log: Logger;
  interruptions: InterruptionService;
  config: GatewayConfig['interruptions'];
  recordingList: GatewayConfig['recordingList'];
  now?: () => number;
  /**
   * A session's start, its notice (R16), a stop for a cause and every flag (R18, R19), its end and
   * anything after its end are journaled as `recorder-session` entries holding the record, so
   * `gateway reindex` rebuilds it; the end holds the final counts. Plain segments, statements and
   * recording (re)starts are not: they would add entries per clip beside the ingest entry's.
   */
  audit?: (e: AuditInput) => Promise<unknown>;
}

export class SessionTracker implements Service {
  readonly name = 'sessions';
  readonly #db;
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #int: InterruptionService;
  readonly #cfg: GatewayConfig['interruptions'];
  readonly #list: GatewayConfig['recordingList'];
  readonly #now: () => number;
  /** The session in progress per recorder. */
  readonly #current = new Map<string, SessionRecord>();
  readonly #awaitingBack = new Set<string>();
  readonly #rawDb: Db;
  readonly #index: SessionIndex;
  readonly #audit: SessionTrackerOptions['audit'];

  constructor(opts: SessionTrackerOptions) {
    this.#db = opts.db.sublevel<string, SessionRecord>('recorder-sessions', { valueEncoding: 'json' });
    this.#rawDb = opts.db;
    this.#index = new SessionIndex(opts.db);
    this.#bus = opts.bus;
    this.#log = opts.log;
    this.#int = opts.interruptions;
    this.#cfg = opts.config;
    this.#list = opts.recordingList;
    this.#now = opts.now ?? Date.now;
    this.#audit = opts.audit;
  }

  async start(): Promise<void> {
    this.#current.clear();
    // The same scan builds the by-day and by-officer keys when they are missing.
    const build = !(await this.#index.built());
    let ops: ReturnType<SessionIndex['opsFor']> = [];
    for await (const [k, s] of this.#db.iterator()) {
      if (s.endedAt === null) this.#current.set(s.serial, s);
      if (!build) continue;
      ops.push(...this.#index.opsFor(s, k));
      if (ops.length >= 2000) {
        await this.#rawDb.batch(ops as never);
        ops = [];
      }
    }
    if (build) {
      await this.#rawDb.batch(ops as never);
      await this.#index.markBuilt(this.#rawDb);
    }
  }

  /** Sessions that started in [from, to) (device time), and those still open whenever they started. */
  async startedIn(from: number, to: number): Promise<SessionRecord[]> {
    const out = new Map<string, SessionRecord>();
    for (const s of this.#current.values()) out.set(key(s.serial, s.sessionId), s);
    const keys: string[] = [];
    for await (const k of this.#index.keysInRange(from, to)) keys.push(k);
    for (const s of await this.#db.getMany([...new Set(keys)])) {
      const start = s ? sessionStart(s) : null;
      if (!s || start === null || start < from || start >= to) continue;
      const k = key(s.serial, s.sessionId);
      if (!out.has(k)) out.set(k, s);
    }
    return [...out.values()];
  }

  /** An officer's sessions that started at or after `from`, newest first. */
  async ofOfficer(officerId: string, from: number): Promise<SessionRecord[]> {
    const keys: string[] = [];
    for await (const k of this.#index.keysOfOfficer(officerId, from)) keys.push(k);
    const out: SessionRecord[] = [];
    for (const stored of await this.#db.getMany([...new Set(keys)])) {
      if (!stored) continue;
      const cur = this.#current.get(stored.serial);
      const s = cur?.sessionId === stored.sessionId ? cur : stored;
      const start = sessionStart(s);
      if ((s.officer?.id ?? s.officerId) === officerId && start !== null && start >= from) out.push(s);
    }
    return out.sort((a, b) => (sessionStart(b) ?? 0) - (sessionStart(a) ?? 0));
  }

  async stop(): Promise<void> {}

  current(serial: string): SessionRecord | undefined {
    return this.#current.get(serial);
  }

  async get(serial: string, sessionId: string): Promise<SessionRecord | undefined> {
    const c = this.#current.get(serial);
    if (c?.sessionId === sessionId) return c;
    return this.#db.get(key(serial, sessionId));
  }

  async list(q: SessionFilter = {}): Promise<SessionRecord[]> {
    const limit = q.limit ?? 200;
    const out: SessionRecord[] = [];
    const range = q.serial ? { gt: `${q.serial}!`, lt: `${q.serial}!\xff` } : {};
    for await (const stored of this.#db.values(range)) {
      const s =
        this.#current.get(stored.serial)?.sessionId === stored.sessionId
          ? this.#current.get(stored.serial)!
          : stored;
      if (q.flagged !== undefined && s.flags.length > 0 !== q.flagged) continue;
      if (q.flag && !s.flags.some((f) => f.flag === q.flag)) continue;
      if (q.open !== undefined && (s.endedAt === null) !== q.open) continue;
      out.push(s);
    }
    // Newest first by start (device time), then bounded.
    return out.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0)).slice(0, limit);
  }

  /** One de-duplicated event, in order for this recorder. */
  async event(serial: string, e: RecorderEvent): Promise<void> {
    switch (e.type) {
      case 'session-started': {
        const prev = this.#current.get(serial);
        if (prev && prev.sessionId !== e.sessionId) await this.#end(prev, e.at, 'next session started');
        const s = await this.#ensure(serial, e.sessionId, e.at);
        s.activity = e.activity ?? s.activity;
        s.caseNo = e.caseNo ?? s.caseNo;
        s.officerId = e.officerId ?? s.officerId;
        s.startedAt = Math.min(s.startedAt ?? e.at, e.at);
        s.requirement = this.#requirement(s.activity);
        return this.#save(s);
      }
      case 'recording-started': {
        const s = await this.#ensure(serial, e.sessionId, e.at);
        await this.#int.endOngoing('recorder', serial, { at: e.at, resumed: true });
        s.recording = true;
        return this.#save(s, s.endedAt !== null);
      }
      case 'recording-stopped': {
        const s = await this.#ensure(serial, e.sessionId, e.at);
        s.recording = false;
        if (e.cause !== 'normal') {
          await this.#interrupt(s, e.cause, e.at, { canContinue: e.canContinue, eventId: e.id });
        }
        return this.#save(s, e.cause !== 'normal' || s.endedAt !== null);
      }
      case 'segment-closed': {
        const s = await this.#ensure(serial, e.sessionId, e.start);
        const flags = s.flags.length;
        await this.#checkGap(s, e.start, e.clipId);
        s.segments++;
        s.bytes += e.bytes;
        s.firstSegmentStart = Math.min(s.firstSegmentStart ?? e.start, e.start);
        s.lastSegmentEnd = Math.max(s.lastSegmentEnd ?? e.end, e.end);
        return this.#save(s, s.flags.length !== flags || s.endedAt !== null);
      }
      case 'marker': {
        const s = await this.#ensure(serial, e.sessionId, e.at);
        if (e.marker === 'notice-given') {
          s.noticeGiven = true;
          s.noticeAt = s.noticeAt === null ? e.at : Math.min(s.noticeAt, e.at);
        } else if (e.marker === 'statement') {
          s.statements++;
        } else {
          await this.#int.noteResumeStatement('recorder', serial, e.at, e.sessionId);
        }
        return this.#save(s, e.marker === 'notice-given' || s.endedAt !== null);
      }
      case 'session-ended': {
        const s = await this.#ensure(serial, e.sessionId, e.at);
        return this.#end(s, e.at, 'session ended');
      }
      default:
        return;
    }
  }

  /**
   * The recorder dropped off the link or came back (gateway presence, in the same queue). A
   * contact-lost interruption ends at the device's time of its first live message after it is
   * back (`back`), not at our clock's guess of it.
   */
  async presence(
    serial: string,
    online: boolean,
    info: { lastDeviceAt: number | null; deviceNow: number; state: Telemetry['state'] | null },
  ): Promise<void> {
    if (online) {
      if (this.#int.ongoing('recorder', serial).some((r) => r.cause === 'contact-lost')) {
        this.#awaitingBack.add(serial);
      }
      return;
    }
    this.#awaitingBack.delete(serial);
    const s = this.#current.get(serial);
    if (!s?.recording) return;
    await this.#interrupt(s, 'contact-lost', info.lastDeviceAt ?? info.deviceNow, { canContinue: true });
    await this.#save(s);
  }

  /** True while a recorder is back online but its contact-lost interruption awaits a device time. */
  awaitingBack(serial: string): boolean {
    return this.#awaitingBack.size > 0 && this.#awaitingBack.has(serial);
  }

  /** First live device time after reconnecting (telemetry or retained status). */
  async back(serial: string, deviceAt: number): Promise<void> {
    if (!this.#awaitingBack.delete(serial)) return;
    for (const r of this.#int.ongoing('recorder', serial)) {
      if (r.cause === 'contact-lost') await this.#int.end(r.id, { at: deviceAt, resumed: true });
    }
  }

  async #interrupt(
    s: SessionRecord,
    cause: InterruptionCause,
    at: number,
    o: { canContinue: boolean; end?: number; eventId?: string; details?: Record<string, unknown> },
  ): Promise<void> {
    const rec = await this.#int.open({
      source: 'recorder',
      device: s.serial,
      sessionId: s.sessionId,
      cause,
      start: at,
      end: o.end ?? null,
      canContinue: o.canContinue,
      details: { ...o.details, ...(o.eventId ? { eventId: o.eventId } : {}) },
    });
    if (!s.interruptions.some((i) => i.id === rec.id)) {
      s.interruptions.push({ id: rec.id, cause, start: rec.start });
    }
    if (cause !== 'gap') this.#flag(s, 'interrupted', 'R19', at, { interruptionId: rec.id, cause });
  }

  async #checkGap(s: SessionRecord, segStart: number, clipId: string): Promise<void> {
    const prevEnd = s.lastSegmentEnd;
    const tolMs = this.#cfg.gapToleranceS * 1000;
    if (prevEnd === null || segStart - prevEnd <= tolMs) return;
    if (s.requirement === 'as-needed' || s.requirement === 'unlisted') return;
    const covering = s.interruptions.find(
      (i) => i.cause !== 'gap' && i.start >= prevEnd - tolMs && i.start <= segStart,
    );
    const gapS = (segStart - prevEnd) / 1000;
    if (!covering) {
      await this.#interrupt(s, 'gap', prevEnd, {
        canContinue: true,
        end: segStart,
        details: { gapS, nextClipId: clipId },
      });
    }
    this.#flag(s, 'gap', 'R18', prevEnd, {
      gapS,
      from: prevEnd,
      to: segStart,
      interruptionId: covering?.id ?? s.interruptions.at(-1)?.id ?? null,
    });
  }

  async #end(s: SessionRecord, at: number, why: string): Promise<void> {
    s.endedAt = Math.max(at, s.startedAt ?? at);
    s.recording = false;
    if (!s.noticeGiven) this.#flag(s, 'no-notice', 'R16', s.startedAt ?? at, { why });
    await this.#int.endOngoing('recorder', s.serial, { at, resumed: false, sessionId: s.sessionId });
    if (this.#current.get(s.serial) === s) this.#current.delete(s.serial);
    await this.#save(s);
  }

  #flag(
    s: SessionRecord,
    flag: SessionFlagKind,
    requirement: SessionFlag['requirement'],
    at: number,
    details: Record<string, unknown>,
  ): void {
    s.flags.push({ flag, requirement, at, details });
    this.#log.info({ recorder: s.serial, session: s.sessionId, flag, requirement }, 'session flagged');
    this.#bus.emit('session.flagged', { serial: s.serial, sessionId: s.sessionId, flag });
  }

  async #ensure(serial: string, sessionId: string, at: number): Promise<SessionRecord> {
    const cur = this.#current.get(serial);
    if (cur?.sessionId === sessionId) return cur;
    const stored = await this.#db.get(key(serial, sessionId));
    if (stored) {
      // A late event for a session already over, or a restart: keep working on the stored one.
      if (stored.endedAt === null) this.#current.set(serial, stored);
      return stored;
    }
    const s: SessionRecord = {
      serial,
      sessionId,
      activity: null,
      caseNo: null,
      officerId: null,
      officer: await this.#int.officerFor('recorder', serial, at),
      requirement: 'unknown',
      startedAt: at,
      endedAt: null,
      recording: false,
      noticeGiven: false,
      noticeAt: null,
      statements: 0,
      segments: 0,
      bytes: 0,
      firstSegmentStart: null,
      lastSegmentEnd: null,
      flags: [],
      interruptions: [],
      updatedAt: new Date(this.#now()).toISOString(),
    };
    if (cur && cur.endedAt === null) {
      // A new session id without its session-started (lost before it was sent): the old one is over.
      await this.#end(cur, at, 'next session started');
    }
    this.#current.set(serial, s);
    return s;
  }

  #requirement(activity: SessionRecord['activity']): SessionRecord['requirement'] {
    if (!activity) return 'unknown';
    return this.#list[activity] ?? 'unlisted';
  }

  /**
   * `gateway reindex`: sessions as their `recorder-session` entries hold them, in log order and in
   * batches (a year of a large fleet is millions: never all in memory). A session is written when
   * the index lacks it or holds an older state of it (`updatedAt`), so the last entry wins and a
   * live session's newer row stays. Returns how many were new and how many newer.
   */
  async restore(recs: SessionRecord[]): Promise<{ restored: number; updated: number }> {
    const byKey = new Map<string, SessionRecord>();
    for (const r of recs) {
      const s = SessionRecord.parse(r);
      byKey.set(key(s.serial, s.sessionId), s);
    }
    const keys = [...byKey.keys()];
    const stored = await this.#db.getMany(keys);
    const out = { restored: 0, updated: 0 };
    const ops: unknown[] = [];
    for (const [i, k] of keys.entries()) {
      const s = byKey.get(k) as SessionRecord;
      const have = stored[i];
      if (have && have.updatedAt >= s.updatedAt) continue;
      ops.push({ type: 'put', sublevel: this.#db, key: k, value: s }, ...this.#index.opsFor(s, k));
      if (have) out.updated++;
      else out.restored++;
      const cur = this.#current.get(s.serial);
      if (s.endedAt === null && (!cur || (sessionStart(cur) ?? 0) <= (sessionStart(s) ?? 0))) {
        this.#current.set(s.serial, s);
      } else if (s.endedAt !== null && cur?.sessionId === s.sessionId) {
        this.#current.delete(s.serial);
      }
    }
    if (ops.length > 0) await this.#rawDb.batch(ops as never, SYNCED);
    return out;
  }

  async #save(s: SessionRecord, journal = true): Promise<void> {
    s.updatedAt = new Date(this.#now()).toISOString();
    if (journal) {
      await this.#audit?.({
        type: 'recorder-session',
        actor: 'gateway',
        subject: `session:${s.sessionId}`,
        details: { serial: s.serial, record: s as unknown as Record<string, unknown> },
      });
    }
    const k = key(s.serial, s.sessionId);
    await this.#rawDb.batch(
      [{ type: 'put', sublevel: this.#db as never, key: k, value: s }, ...this.#index.opsFor(s, k)] as never,
      SYNCED,
    );
  }
}

const key = (serial: string, sessionId: string) => `${serial}!${sessionId}`;
