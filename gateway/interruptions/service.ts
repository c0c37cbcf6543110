/**
 * InterruptionService (R19): the one place interruption records are made, for recorders and
 * hearing-room cameras. Generic by design: callers say what stopped (source + device), when, why,
 * and whether it can continue; this service persists the record, tells the principal at once when
 * it cannot continue or is not resumed in time, and runs the explain/review workflow in record.ts.
 */
import type { Officer } from '../../protocol/common.js';
import type { AlertService } from '../alerts/service.js';
import type { GatewayConfig } from '../config.js';
import { type Db, SYNCED, timeSortableId } from '../db.js';
import { GatewayError } from '../errors.js';
import type { EventBus, Service } from '../events.js';
import type { AuditSink } from '../integrity/admin-audit.js';
import type { Logger } from '../log.js';
import {
  ExplanationText,
  type InterruptionFilter,
  InterruptionRecord,
  type InterruptionSource,
  OpenInterruption,
  type OpenInterruptionInput,
} from './record.js';

/** Who carried the device at `at` (pairing, from the dock work). Null/undefined when unknown. */
export type OfficerLookup = (q: {
  source: InterruptionSource;
  device: string;
  at: number;
}) => Officer | null | undefined | Promise<Officer | null | undefined>;

/** Who held the device (recorder: its officer; camera: who started the hearing), by username. */
export type HolderLookup = (q: {
  source: InterruptionSource;
  device: string;
  sessionId: string | null;
  at: number;
}) => string | null | undefined | Promise<string | null | undefined>;

export const RULE_CANNOT_CONTINUE = 'interruption-cannot-continue';
export const RULE_UNRESUMED = 'interruption-unresumed';

export interface InterruptionServiceOptions {
  db: Db;
  bus: EventBus;
  log: Logger;
  alerts: AlertService;
  config: GatewayConfig['interruptions'];
  officerOf?: OfficerLookup;
  now?: () => number;
  /**
   * Each state of a record is also an `interruption` audit entry, so that `gateway reindex`
   * rebuilds the records from the log (docs/STATE.md).
   */
  audit?: AuditSink;
}

export class InterruptionService implements Service {
  readonly name = 'interruptions';
  readonly #db;
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #alerts: AlertService;
  readonly #config: GatewayConfig['interruptions'];
  readonly #now: () => number;
  readonly #audit: AuditSink | undefined;
  #officerOf: OfficerLookup | undefined;
  #holderOf: HolderLookup | undefined;
  /** Records not yet closed, by id (small: closed ones live only in LevelDB). */
  readonly #live = new Map<string, InterruptionRecord>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #writes = new Map<string, Promise<void>>();
  readonly #inflight = new Set<Promise<unknown>>();
  /** Devices with an ongoing interruption -> how many. */
  readonly #ongoingRecorders = new Map<string, number>();
  readonly #ongoingCameras = new Map<string, number>();
  #started = false;
  #stopped = false;

  constructor(opts: InterruptionServiceOptions) {
    this.#db = opts.db.sublevel<string, InterruptionRecord>('interruptions', { valueEncoding: 'json' });
    this.#bus = opts.bus;
    this.#log = opts.log;
    this.#alerts = opts.alerts;
    this.#config = opts.config;
    this.#officerOf = opts.officerOf;
    this.#now = opts.now ?? Date.now;
    this.#audit = opts.audit;
  }

  /** Puts a record rebuilt from the audit log, unless the index has one (it is newer). */
  async restore(rec: InterruptionRecord): Promise<boolean> {
    if ((await this.#db.get(rec.id)) !== undefined) return false;
    await this.#db.put(rec.id, InterruptionRecord.parse(rec), SYNCED);
    return true;
  }

  /** Plugs in the pairing lookup (dock work) after construction. */
  setOfficerLookup(fn: OfficerLookup | undefined): void {
    this.#officerOf = fn;
  }

  /** Plugs in who ran a device that has no officer (a hearing room's camera: who started the hearing). */
  setHolderLookup(fn: HolderLookup | undefined): void {
    this.#holderOf = fn;
  }

  /** Username of who held the device: the officer, else the holder lookup; null when nobody is on record. */
  async holderFor(
    rec: Pick<InterruptionRecord, 'source' | 'device' | 'sessionId' | 'start' | 'officer'>,
  ): Promise<string | null> {
    if (rec.officer) return rec.officer.id;
    try {
      return (
        (await this.#holderOf?.({
          source: rec.source,
          device: rec.device,
          sessionId: rec.sessionId,
          at: rec.start,
        })) ?? null
      );
    } catch (err) {
      this.#log.error({ err, source: rec.source, device: rec.device }, 'holder lookup failed');
      return null;
    }
  }

  /** Who carried the device at `at`, per the plugged-in lookup; null when unknown. */
  async officerFor(source: InterruptionSource, device: string, at: number): Promise<Officer | null> {
    try {
      return (await this.#officerOf?.({ source, device, at })) ?? null;
    } catch (err) {
      this.#log.error({ err, source, device }, 'officer lookup failed');
      return null;
    }
  }

  /** True when the device has an ongoing interruption. Synchronous and cheap (hot path). */
  hasOngoing(source: InterruptionSource, device: string): boolean {
    return (source === 'recorder' ? this.#ongoingRecorders : this.#ongoingCameras).has(device);
  }

  async start(): Promise<void> {
    this.#live.clear();
    this.#ongoingRecorders.clear();
    this.#ongoingCameras.clear();
    for await (const r of this.#db.values()) {
      if (r.status !== 'closed') this.#live.set(r.id, r);
      if (r.end === null) this.#count(r, +1);
    }
    this.#started = true;
    this.#stopped = false;
    // Ongoing ones from before a restart: re-arm their resume timers from their original times.
    for (const r of this.#live.values()) if (r.end === null && r.canContinue) this.#armTimer(r);
  }

  async stop(): Promise<void> {
    this.#started = false;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    // Writes started before stop finish (one may chain another: a record, then its alert's id).
    while (this.#writes.size + this.#inflight.size > 0) {
      await Promise.allSettled([...this.#writes.values(), ...this.#inflight]);
    }
    this.#stopped = true;
  }

  /**
   * Opens a record. Idempotent for an ongoing interruption of the same device, session and cause
   * (returns that one). Alerts the principal at once when `canContinue` is false (R19).
   */
  open(input: OpenInterruptionInput): Promise<InterruptionRecord> {
    return this.#track(this.#open(input));
  }

  async #open(input: OpenInterruptionInput): Promise<InterruptionRecord> {
    const o = OpenInterruption.parse(input);
    const sessionId = o.sessionId ?? null;
    for (const r of this.#live.values()) {
      if (
        r.end === null &&
        r.device === o.device &&
        r.source === o.source &&
        r.sessionId === sessionId &&
        r.cause === o.cause
      )
        return r;
    }
    const officer = o.officer !== undefined ? o.officer : await this.officerFor(o.source, o.device, o.start);
    const nowIso = new Date(this.#now()).toISOString();
    const end = o.end ?? null;
    const details = o.resumeTimeoutS ? { ...o.details, resumeTimeoutS: o.resumeTimeoutS } : o.details;
    const rec: InterruptionRecord = {
      id: timeSortableId(o.start),
      source: o.source,
      device: o.device,
      roomId: o.roomId ?? null,
      officer,
      sessionId,
      cause: o.cause,
      canContinue: o.canContinue,
      start: o.start,
      end,
      resumed: false,
      resumeStatement: false,
      resumeStatementAt: null,
      status: 'open',
      explanation: null,
      history: [],
      review: null,
      closure: null,
      heldBy: null,
      alerts: [],
      openedAt: nowIso,
      updatedAt: nowIso,
      ...(details ? { details } : {}),
    };
    rec.heldBy = await this.holderFor(rec);
    this.#live.set(rec.id, rec);
    if (end === null) this.#count(rec, +1);
    const persisted = this.#persist(rec);
    // R19 "at once": the principal's alert is raised while the record is being written.
    const alerted = end === null && !rec.canContinue ? this.#alert(rec, RULE_CANNOT_CONTINUE) : undefined;
    await persisted;
    this.#log.warn(
      { interruption: rec.id, source: rec.source, device: rec.device, cause: rec.cause, session: sessionId },
      'recording interrupted',
    );
    this.#bus.emit('interruption.opened', {
      id: rec.id,
      source: rec.source,
      device: rec.device,
      cause: rec.cause,
      sessionId,
    });
    if (alerted) await alerted;
    else if (end === null) this.#armTimer(rec);
    return rec;
  }

  /** Recording resumed at `at` (device time). */
  resume(id: string, at: number): Promise<InterruptionRecord> {
    return this.end(id, { at, resumed: true });
  }

  /** Ends an ongoing interruption: resumed, or the session ended without resuming. */
  async end(id: string, e: { at: number; resumed: boolean }): Promise<InterruptionRecord> {
    const rec = this.#need(id);
    if (rec.end !== null) return rec;
    rec.end = Math.max(e.at, rec.start);
    rec.resumed = e.resumed;
    // A recorder checked out after it went quiet (late pairing record): ask again who held it.
    if (!rec.officer) rec.officer = await this.officerFor(rec.source, rec.device, rec.start);
    if (!rec.heldBy) rec.heldBy = await this.holderFor(rec);
    this.#count(rec, -1);
    if (rec.explanation) rec.status = 'explained';
    this.#touch(rec);
    this.#clearTimer(id);
    await this.#persist(rec);
    if (e.resumed) {
      await this.#alerts.clear(RULE_UNRESUMED, id);
      await this.#alerts.clear(RULE_CANNOT_CONTINUE, id);
    }
    this.#bus.emit('interruption.updated', { id, status: rec.status });
    return rec;
  }

  /** Ends every ongoing interruption of a device (and session, when given); returns them. */
  async endOngoing(
    source: InterruptionSource,
    device: string,
    e: { at: number; resumed: boolean; sessionId?: string },
  ): Promise<InterruptionRecord[]> {
    const hits = this.ongoing(source, device).filter(
      (r) => e.sessionId === undefined || r.sessionId === null || r.sessionId === e.sessionId,
    );
    const out: InterruptionRecord[] = [];
    for (const r of hits) out.push(await this.end(r.id, e));
    return out;
  }

  /** Ongoing (not ended) interruptions of a device. Synchronous. */
  ongoing(source: InterruptionSource, device: string): InterruptionRecord[] {
    const out: InterruptionRecord[] = [];
    for (const r of this.#live.values()) {
      if (r.end === null && r.source === source && r.device === device) out.push(r);
    }
    return out;
  }

  /**
   * A resume-statement marker (R19) at `at`: marks the latest interruption of the device (in the
   * session, when given) that has no statement yet and started before `at`. Null when none fits.
   */
  async noteResumeStatement(
    source: InterruptionSource,
    device: string,
    at: number,
    sessionId?: string,
  ): Promise<InterruptionRecord | null> {
    let best: InterruptionRecord | undefined;
    for (const r of this.#live.values()) {
      if (r.source !== source || r.device !== device || r.resumeStatement || r.start > at) continue;
      if (sessionId !== undefined && r.sessionId !== null && r.sessionId !== sessionId) continue;
      if (r.cause === 'gap') continue;
      if (!best || r.start > best.start) best = r;
    }
    if (!best) return null;
    best.resumeStatement = true;
    best.resumeStatementAt = at;
    this.#touch(best);
    await this.#persist(best);
    this.#bus.emit('interruption.updated', { id: best.id, status: best.status });
    return best;
  }

  /**
   * Devices whose clock runs apart from ours (virtual clocks, buffered replays) also time out by
   * their own clock: called with a device's current time, alerts for its overdue ongoing ones.
   */
  async observeDeviceTime(source: InterruptionSource, device: string, deviceNow: number): Promise<void> {
    for (const r of this.ongoing(source, device)) {
      if (r.canContinue && deviceNow - r.start >= this.#timeoutMs(r) && r.alerts.length === 0) {
        await this.#alert(r, RULE_UNRESUMED);
      }
    }
  }

  /** Attaches a written explanation (R19 "explain in writing afterwards"). */
  async explain(id: string, e: { text: string; author: string }): Promise<InterruptionRecord> {
    const rec = this.#need(id);
    if (rec.status === 'closed') throw new GatewayError('CONFLICT', `interruption ${id} is closed`);
    if (rec.status === 'reviewed') {
      throw new GatewayError(
        'CONFLICT',
        `interruption ${id} was reviewed: its explanation is with the principal`,
      );
    }
    const text = ExplanationText.safeParse(e.text);
    if (!text.success) throw new GatewayError('BAD_REQUEST', 'explanation text must be 1-4000 characters');
    if (rec.explanation) rec.history.push(rec.explanation);
    rec.explanation = { text: text.data, author: e.author, at: new Date(this.#now()).toISOString() };
    if (rec.end !== null) rec.status = 'explained';
    this.#touch(rec);
    await this.#persist(rec);
    this.#bus.emit('interruption.updated', { id, status: rec.status });
    return rec;
  }

  /**
   * Legal affairs' review of the current explanation: accepted (-> reviewed, on to the principal)
   * or returned (-> open; the text stays in history and a new one is asked for).
   */
  async review(id: string, r: { by: string; accept: boolean; note?: string }): Promise<InterruptionRecord> {
    const rec = this.#need(id);
    if (rec.status !== 'explained') {
      throw new GatewayError(
        'CONFLICT',
        `interruption ${id} is ${rec.status}: only an explained one is reviewed`,
      );
    }
    if (rec.explanation?.author === r.by) {
      throw new GatewayError(
        'SELF_APPROVAL',
        `you wrote the explanation of interruption ${id}: someone else reviews it`,
        {
          step: 'review',
        },
      );
    }
    const at = new Date(this.#now()).toISOString();
    rec.review = {
      by: r.by,
      at,
      ...(r.note ? { note: r.note } : {}),
      verdict: r.accept ? 'accepted' : 'returned',
    };
    if (r.accept) rec.status = 'reviewed';
    else {
      if (rec.explanation) rec.history.push(rec.explanation);
      rec.explanation = null;
      rec.status = 'open';
    }
    this.#touch(rec);
    await this.#persist(rec);
    this.#bus.emit('interruption.updated', { id, status: rec.status });
    return rec;
  }

  /** The principal closes a reviewed one: neither its explanation's author nor its reviewer. */
  async close(id: string, r: { by: string; note?: string }): Promise<InterruptionRecord> {
    const rec = this.#need(id);
    if (rec.status !== 'reviewed') {
      throw new GatewayError(
        'CONFLICT',
        rec.status === 'closed'
          ? `interruption ${id} is already closed`
          : `interruption ${id} cannot be closed before it has ended, been explained and been reviewed`,
      );
    }
    if (rec.explanation?.author === r.by || rec.review?.by === r.by) {
      throw new GatewayError(
        'SELF_APPROVAL',
        rec.explanation?.author === r.by
          ? `you wrote the explanation of interruption ${id}: someone else closes it`
          : `you reviewed interruption ${id}: someone else closes it`,
        { step: 'close' },
      );
    }
    rec.status = 'closed';
    rec.closure = { by: r.by, at: new Date(this.#now()).toISOString(), ...(r.note ? { note: r.note } : {}) };
    this.#touch(rec);
    await this.#persist(rec);
    this.#live.delete(id);
    this.#bus.emit('interruption.updated', { id, status: rec.status });
    return rec;
  }

  async get(id: string): Promise<InterruptionRecord | undefined> {
    return this.#live.get(id) ?? (await this.#db.get(id));
  }

  /** Newest first. */
  async list(q: InterruptionFilter = {}): Promise<InterruptionRecord[]> {
    const limit = q.limit ?? 200;
    const keep = (r: InterruptionRecord) =>
      (!q.status || r.status === q.status) &&
      (!q.source || r.source === q.source) &&
      (!q.device || r.device === q.device) &&
      (!q.sessionId || r.sessionId === q.sessionId) &&
      (!q.cause || r.cause === q.cause) &&
      (q.ongoing === undefined || (r.end === null) === q.ongoing);
    const out: InterruptionRecord[] = [];
    if (q.status && q.status !== 'closed') {
      for (const r of this.#live.values()) if (keep(r)) out.push(r);
      return out.sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, limit);
    }
    for await (const r of this.#db.values({ reverse: true })) {
      const cur = this.#live.get(r.id) ?? r;
      if (!keep(cur)) continue;
      out.push(cur);
      if (out.length >= limit) break;
    }
    return out;
  }

  #count(r: InterruptionRecord, d: 1 | -1): void {
    const m = r.source === 'recorder' ? this.#ongoingRecorders : this.#ongoingCameras;
    const n = (m.get(r.device) ?? 0) + d;
    if (n > 0) m.set(r.device, n);
    else m.delete(r.device);
  }

  #need(id: string): InterruptionRecord {
    const rec = this.#live.get(id);
    if (rec) return rec;
    throw new GatewayError('NOT_FOUND', `no open interruption ${id}`);
  }

  #timeoutMs(r: InterruptionRecord): number {
    const s = (r.details?.resumeTimeoutS as number | undefined) ?? this.#config.resumeTimeoutS;
    return s * 1000;
  }

  #armTimer(r: InterruptionRecord): void {
    if (!this.#started || r.alerts.length > 0) return;
    const openedMs = Date.parse(r.openedAt);
    const due = Math.max(0, openedMs + this.#timeoutMs(r) - this.#now());
    const t = setTimeout(() => {
      this.#timers.delete(r.id);
      const cur = this.#live.get(r.id);
      if (cur && cur.end === null && cur.alerts.length === 0) {
        this.#track(this.#alert(cur, RULE_UNRESUMED)).catch((err) =>
          this.#log.error({ err, interruption: r.id }, 'unresumed alert failed'),
        );
      }
    }, due);
    t.unref();
    this.#timers.set(r.id, t);
  }

  #clearTimer(id: string): void {
    const t = this.#timers.get(id);
    if (t) clearTimeout(t);
    this.#timers.delete(id);
  }

  async #alert(rec: InterruptionRecord, rule: string): Promise<void> {
    this.#clearTimer(rec.id);
    const who = rec.officer ? ` (officer ${rec.officer.name} ${rec.officer.certNo})` : '';
    const what = rule === RULE_CANNOT_CONTINUE ? 'cannot continue' : 'has not resumed';
    const alert = await this.#alerts.raise({
      rule,
      subject: rec.id,
      severity: 'critical',
      message: `Recording on ${rec.source} ${rec.device}${who} ${what} (cause: ${rec.cause}) — R19`,
      notify: this.#config.notifyRoles,
      details: {
        interruptionId: rec.id,
        source: rec.source,
        device: rec.device,
        sessionId: rec.sessionId,
        cause: rec.cause,
        start: rec.start,
      },
    });
    if (!rec.alerts.includes(alert.id)) rec.alerts.push(alert.id);
    this.#touch(rec);
    await this.#persist(rec);
  }

  /** Work that stop() waits for: an open (its record, then its alert) or a timer's alert. */
  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p);
    const done = () => this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  #touch(rec: InterruptionRecord): void {
    rec.updatedAt = new Date(this.#now()).toISOString();
  }

  /** Writes of one record are chained so an older snapshot can never overwrite a newer one. */
  #persist(rec: InterruptionRecord): Promise<void> {
    if (this.#stopped) {
      // Only reachable when a caller outlived the shutdown order (recorder traffic stops first):
      // refused plainly rather than written to a closed audit log.
      this.#log.warn({ interruption: rec.id, cause: rec.cause }, 'interruption write after stop refused');
      return Promise.reject(new GatewayError('UNAVAILABLE', 'interruptions service stopped'));
    }
    const snapshot = structuredClone(rec);
    const prev = this.#writes.get(rec.id) ?? Promise.resolve();
    const next = prev
      .catch(() => {})
      .then(async () => {
        // The log first, like every audited row; a log that cannot take it must not lose the record.
        await this.#audit?.({
          type: 'interruption',
          actor: 'gateway',
          subject: `interruption:${rec.id}`,
          details: { record: snapshot },
        }).catch((err: unknown) =>
          this.#log.error({ err, interruption: rec.id }, 'interruption not journaled'),
        );
        await this.#db.put(rec.id, snapshot, SYNCED);
      });
    this.#writes.set(rec.id, next);
    const done = () => {
      if (this.#writes.get(rec.id) === next) this.#writes.delete(rec.id);
    };
    next.then(done, done);
    return next;
  }
}
