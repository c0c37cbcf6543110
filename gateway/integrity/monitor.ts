/**
 * Continuous verification of the originals (R25): a full sweep of the store on a schedule (every
 * blob re-hashed, the index, sidecars and the audit chain checked, gateway/store/verify.ts), read
 * at a capped rate so ingest and recording keep their speed. Every failure, from a sweep, from an
 * on-demand verify or from serving a clip (the store's checked reads), becomes:
 * - a critical alert to the principal and legal affairs, one per subject, kept until someone
 *   resolves it with a note (never cleared by the gateway itself);
 * - an `integrity-failure` audit entry (the store writes it itself when it moves an altered
 *   original to quarantine, with the index change in the same batch).
 * The last sweep's time and result are kept across restarts and shown by the API.
 */
import { chmod } from 'node:fs/promises';
import type { AlertService, StoredAlert } from '../alerts/service.js';
import type { GatewayConfig } from '../config.js';
import { INTEGRITY_RULE as AUDIT_LOG_RULE } from '../custody/service.js';
import type { Db } from '../db.js';
import { GatewayError } from '../errors.js';
import type { EventBus, IntegrityFailure, Service } from '../events.js';
import { RULE_INTEGRITY as EXPORT_RULE } from '../exports/service.js';
import type { Logger } from '../log.js';
import { type ClipStore, RateLimit, type VerifyReport } from '../store/index.js';

export const RULE_INTEGRITY = 'integrity-failure';
/**
 * Every alert that says the evidence is not what was recorded: originals (here), the log against
 * its signed checkpoints (custody), an export image (exports). Listed and resolved together.
 */
export const INTEGRITY_RULES: readonly string[] = [RULE_INTEGRITY, AUDIT_LOG_RULE, EXPORT_RULE];
/** setTimeout holds at most 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export interface SweepResult {
  /** `schedule` (the throttled sweep) or `manual` (an on-demand verify, full speed). */
  trigger: 'schedule' | 'manual';
  actor: string;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  durationMs: number;
  hashMbPerS: number;
  summary: VerifyReport['summary'];
  /** Failures raised from this run. */
  failures: number;
}

export interface SweepState {
  everyH: number;
  mbPerS: number;
  /** When the next scheduled sweep starts (null: not scheduled). */
  nextAt: string | null;
  running: { trigger: SweepResult['trigger']; startedAt: string } | null;
  last: SweepResult | null;
  /** The last sweep that could not finish, and why. */
  lastError: { at: string; message: string } | null;
}

export interface IntegrityMonitorOptions {
  store: Pick<ClipStore, 'verify' | 'isolateAltered' | 'audit'>;
  alerts: Pick<AlertService, 'raise' | 'clear' | 'activeFor' | 'list' | 'get'>;
  db: Db;
  bus: EventBus;
  log: Logger;
  config: GatewayConfig['integrity'];
  now?: () => number;
}

interface Persisted {
  last: SweepResult | null;
  lastError: SweepState['lastError'];
}

export class IntegrityMonitor implements Service {
  readonly name = 'integrity';
  readonly #o: IntegrityMonitorOptions;
  readonly #db;
  readonly #now: () => number;
  #state: Persisted = { last: null, lastError: null };
  #startedAt = 0;
  #nextAt: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #running: { trigger: SweepResult['trigger']; startedAt: string; done: Promise<unknown> } | null = null;
  #abort: AbortController | undefined;
  #failing: Promise<void> = Promise.resolve();
  #off: (() => void) | undefined;

  constructor(opts: IntegrityMonitorOptions) {
    this.#o = opts;
    this.#db = opts.db.sublevel<string, Persisted>('integrity', { valueEncoding: 'json' });
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.#state = (await this.#db.get('sweep')) ?? { last: null, lastError: null };
    this.#startedAt = this.#now();
    this.#off = this.#o.bus.on('integrity.failed', (f) => void this.#queue(f));
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#off?.();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextAt = null;
    this.#abort?.abort();
    await this.#running?.done.catch(() => undefined);
    await this.#failing;
  }

  state(): SweepState {
    return {
      everyH: this.#o.config.sweepEveryH,
      mbPerS: this.#o.config.sweepMbPerS,
      nextAt: this.#nextAt === null ? null : new Date(this.#nextAt).toISOString(),
      running: this.#running && { trigger: this.#running.trigger, startedAt: this.#running.startedAt },
      last: this.#state.last,
      lastError: this.#state.lastError,
    };
  }

  /** Open integrity failures (of every integrity rule), newest first. */
  async failures(): Promise<StoredAlert[]> {
    const all = await Promise.all(
      INTEGRITY_RULES.map((rule) => this.#o.alerts.list({ active: true, rule, limit: 1000 })),
    );
    return all.flat().sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  /**
   * Full verification now (`POST /api/audit/verify`), at full speed; its failures are raised like
   * a sweep's.
   */
  verifyNow(actor: string): Promise<VerifyReport> {
    return this.#sweep('manual', actor);
  }

  /** The scheduled sweep, throttled (also callable by tests and the CLI). */
  sweep(): Promise<VerifyReport> {
    return this.#sweep('schedule', 'gateway');
  }

  /** Closes an integrity failure with what was done about it (audited). */
  async resolve(id: string, by: string, note: string): Promise<StoredAlert> {
    const a = await this.#o.alerts.get(id);
    if (!a || !INTEGRITY_RULES.includes(a.rule))
      throw new GatewayError('NOT_FOUND', `no integrity failure ${id}`);
    if (!a.active) throw new GatewayError('CONFLICT', `integrity failure ${id} is resolved already`);
    await this.#o.store.audit.append({
      type: 'integrity-failure',
      actor: by,
      subject: a.subject,
      details: { event: 'resolved', alertId: id, rule: a.rule, note, raisedAt: a.at },
    });
    await this.#o.alerts.clear(a.rule, a.subject);
    return (await this.#o.alerts.get(id))!;
  }

  // ---- sweeps ------------------------------------------------------------------------------------

  async #sweep(trigger: SweepResult['trigger'], actor: string): Promise<VerifyReport> {
    const startedAt = new Date(this.#now()).toISOString();
    const abort = trigger === 'schedule' ? new AbortController() : undefined;
    if (abort) this.#abort = abort;
    const run = (async () => {
      const report = await this.#o.store.verify({
        actor,
        record: true,
        ...(abort ? { limit: new RateLimit(this.#o.config.sweepMbPerS * 1e6), signal: abort.signal } : {}),
      });
      const failures = await this.#report(report, trigger === 'schedule' ? 'sweep' : 'verify', actor);
      this.#state = {
        last: {
          trigger,
          actor,
          startedAt,
          finishedAt: new Date(this.#now()).toISOString(),
          ok: report.ok,
          durationMs: report.durationMs,
          hashMbPerS: report.hashMbPerS,
          summary: report.summary,
          failures,
        },
        lastError: this.#state.lastError,
      };
      await this.#db.put('sweep', this.#state);
      this.#o.log.info({ trigger, ok: report.ok, ...report.summary }, 'integrity sweep finished');
      return report;
    })();
    this.#running = { trigger, startedAt, done: run };
    try {
      return await run;
    } catch (err) {
      if (!abort?.signal.aborted) {
        this.#state = {
          ...this.#state,
          lastError: { at: new Date(this.#now()).toISOString(), message: (err as Error).message },
        };
        await this.#db.put('sweep', this.#state).catch(() => undefined);
      }
      throw err;
    } finally {
      if (this.#running?.done === run) this.#running = null;
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const { sweepEveryH, firstSweepAfterS } = this.#o.config;
    if (sweepEveryH <= 0) {
      this.#nextAt = null;
      return;
    }
    const last = this.#state.last?.trigger === 'schedule' ? Date.parse(this.#state.last.finishedAt) : null;
    const afterStart = this.#startedAt + firstSweepAfterS * 1000;
    this.#nextAt = Math.max(afterStart, last === null ? 0 : last + sweepEveryH * 3_600_000);
    this.#arm();
  }

  #arm(): void {
    if (this.#nextAt === null) return;
    const wait = this.#nextAt - this.#now();
    this.#timer = setTimeout(
      () => {
        if (this.#nextAt !== null && this.#now() < this.#nextAt) {
          this.#arm();
          return;
        }
        this.#nextAt = null;
        void this.sweep()
          .catch((err: unknown) => {
            if (!this.#abort?.signal.aborted) this.#o.log.error({ err }, 'integrity sweep failed');
          })
          .finally(() => {
            if (!this.#abort?.signal.aborted) this.#schedule();
          });
      },
      Math.min(Math.max(0, wait), MAX_TIMER_MS),
    );
    this.#timer.unref();
  }

  // ---- failures ----------------------------------------------------------------------------------

  /** Raises what a verify report found; returns how many failures it named. */
  async #report(r: VerifyReport, detectedBy: string, actor: string): Promise<number> {
    let n = 0;
    const moved = new Set<string>();
    for (const a of r.blobs.altered) {
      n++;
      moved.add(a.path);
      if (a.area === 'blobs') {
        // Moved to quarantine and audited by the store; its `integrity.failed` event raises the alert.
        await this.#o.store.isolateAltered(a.expected, { detectedBy, actor });
      } else {
        await this.#fail({
          kind: 'altered-held',
          subject: `blob:${a.expected}`,
          message: `a quarantined copy of clip ${a.clipId} no longer matches its hash (R25)`,
          detectedBy,
          details: { clipId: a.clipId, expectedSha256: a.expected, actualSha256: a.actual },
          audited: false,
        });
      }
    }
    for (const m of r.blobs.missing) {
      n++;
      await this.#fail({
        kind: 'missing',
        subject: `clip:${m.clipId}`,
        message: `the stored original of clip ${m.clipId} is missing (R25)`,
        detectedBy,
        details: { clipId: m.clipId, area: m.area, expectedSha256: m.expected, path: this.#rel(r, m.path) },
        audited: false,
      });
    }
    for (const w of r.blobs.writable) {
      // An altered original was writable too; it is in quarantine now, under its own failure.
      if (moved.has(w.path)) continue;
      n++;
      const path = this.#rel(r, w.path);
      await this.#fail({
        kind: 'writable',
        subject: `file:${path}`,
        message: `an original or its manifest was made writable (mode ${w.mode}): ${path} (R25)`,
        detectedBy,
        details: { path, mode: w.mode },
        audited: false,
      });
      // Write-protected again; the alert and the audit entry keep the mode it was found with.
      await chmod(w.path, 0o400).catch(() => undefined);
    }
    if (!r.audit.ok) {
      n++;
      const s = r.summary;
      await this.#fail({
        kind: 'audit-chain',
        subject: 'audit:log',
        message: `the audit log does not verify: ${s.auditBrokenLinks} broken links, ${s.auditMissing} missing, ${s.auditModified} modified, ${s.auditMalformed} malformed (R3, R25)`,
        detectedBy,
        details: {
          brokenLinks: s.auditBrokenLinks,
          missing: s.auditMissing,
          modified: s.auditModified,
          malformed: s.auditMalformed,
        },
        audited: false,
      });
    }
    const s = r.summary;
    if (s.orphans + s.sidecarProblems > 0) {
      n++;
      await this.#fail({
        kind: 'store',
        subject: 'store:consistency',
        message: `the store holds ${s.orphans} files the index does not know and ${s.sidecarProblems} manifest problems (run gateway verify)`,
        detectedBy,
        details: { orphans: s.orphans, sidecarProblems: s.sidecarProblems },
        audited: false,
      });
    }
    await this.#failing;
    return n;
  }

  #rel(r: VerifyReport, path: string): string {
    return path.startsWith(`${r.root}/`) ? path.slice(r.root.length + 1) : path;
  }

  /** Failures are raised one at a time (an alert raised twice stays one alert with one entry). */
  #queue(f: IntegrityFailure): Promise<void> {
    this.#failing = this.#failing
      .then(() => this.#raise(f))
      .catch((err: unknown) =>
        this.#o.log.error({ err, subject: f.subject }, 'raising integrity failure failed'),
      );
    return this.#failing;
  }

  #fail(f: IntegrityFailure): Promise<void> {
    return this.#queue(f);
  }

  async #raise(f: IntegrityFailure): Promise<void> {
    if (this.#o.alerts.activeFor(RULE_INTEGRITY, f.subject)) return;
    if (!f.audited) {
      await this.#o.store.audit.append({
        type: 'integrity-failure',
        actor: 'gateway',
        subject: f.subject,
        details: { kind: f.kind, detectedBy: f.detectedBy, ...f.details },
      });
    }
    await this.#o.alerts.raise({
      rule: RULE_INTEGRITY,
      subject: f.subject,
      severity: f.kind === 'store' ? 'warning' : 'critical',
      message: f.message,
      notify: this.#o.config.notifyRoles,
      details: { kind: f.kind, detectedBy: f.detectedBy, ...f.details },
    });
  }
}
