/**
 * Alerts: raised by rules (fleet health, interruptions R19, uploads R22...), persisted, shown and
 * acknowledged on the dashboard. At most one active alert per (rule, subject); raising it again is a
 * no-op, clearing it ends it. `notify` names the roles that must be told at once (R19: principal).
 */
import { type Db, timeSortableId } from '../db.js';
import { GatewayError } from '../errors.js';
import type { Alert, AlertSeverity, EventBus, Service } from '../events.js';
import { GroupCommit } from '../group-commit.js';
import type { Logger } from '../log.js';
import type { AuditInput } from '../store/schema.js';

export interface StoredAlert extends Alert {
  active: boolean;
  clearedAt?: string;
  ack?: { by: string; at: string };
}

export interface RaiseInput {
  rule: string;
  subject: string;
  severity: AlertSeverity;
  message: string;
  notify?: readonly string[];
  details?: Record<string, unknown>;
}

export interface AlertQuery {
  active?: boolean;
  rule?: string;
  subject?: string;
  limit?: number;
}

export interface AlertServiceOptions {
  db: Db;
  bus: EventBus;
  log: Logger;
  now?: () => number;
  /**
   * An acknowledgement (a person's act, R19) and the clearing of an acknowledged alert are journaled
   * as `alert` entries holding the record, so `gateway reindex` brings them back (docs/STATE.md).
   */
  audit?: (e: AuditInput) => Promise<unknown>;
}

const keyOf = (rule: string, subject: string) => `${rule}\u0000${subject}`;

/** Routine alerts per synced batch: bounds how long a critical alert waits behind a storm of them. */
export const ROUTINE_BATCH = 256;

/** Critical alerts (R19 interruptions, storage and battery stops: the principal is told at once) go first. */
export const isUrgent = (a: Pick<Alert, 'severity'>): boolean => a.severity === 'critical';

export class AlertService implements Service {
  readonly name = 'alerts';
  readonly #db;
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #audit: AlertServiceOptions['audit'];
  /** Active alerts by (rule, subject), loaded at start. */
  readonly #active = new Map<string, StoredAlert>();
  /** Every alert write of one loop turn in one synced batch, batches in call order. */
  readonly #commit: GroupCommit;

  constructor(opts: AlertServiceOptions) {
    this.#db = opts.db.sublevel<string, StoredAlert>('alerts', { valueEncoding: 'json' });
    this.#commit = new GroupCommit((ops, sync) => opts.db.batch(ops, sync), {
      routineOpsPerBatch: ROUTINE_BATCH,
    });
    this.#bus = opts.bus;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#audit = opts.audit;
  }

  async start(): Promise<void> {
    this.#active.clear();
    for await (const a of this.#db.values()) {
      if (a.active) this.#active.set(keyOf(a.rule, a.subject), a);
    }
  }

  async stop(): Promise<void> {
    await this.#commit.drained();
  }

  /**
   * Every alert write of one loop turn goes in one synced batch, and batches go one after another
   * (so two writes of one alert land in call order). When a fleet rule trips for thousands of
   * recorders at once, one fsync per alert queued R19 alerts behind them for seconds
   * (bench/README.md, telemetry); critical ones now also go ahead of routine ones (group-commit.ts).
   */
  #write(alert: StoredAlert): Promise<void> {
    // An alert's severity never changes, so its writes keep to one lane and to call order.
    return this.#commit.add([{ type: 'put', sublevel: this.#db, key: alert.id, value: alert }], {
      urgent: isUrgent(alert),
    });
  }

  /** The active alert for (rule, subject), if any. Synchronous: rules call it on hot paths. */
  activeFor(rule: string, subject: string): StoredAlert | undefined {
    return this.#active.get(keyOf(rule, subject));
  }

  /** Raises an alert unless the same (rule, subject) is already active; returns the active one. */
  async raise(input: RaiseInput): Promise<StoredAlert> {
    const key = keyOf(input.rule, input.subject);
    const existing = this.#active.get(key);
    if (existing) return existing;
    const ms = this.#now();
    const alert: StoredAlert = {
      // Time-sortable: the newest sorts last in LevelDB.
      id: timeSortableId(ms),
      at: new Date(ms).toISOString(),
      severity: input.severity,
      rule: input.rule,
      subject: input.subject,
      message: input.message,
      notify: [...(input.notify ?? [])],
      ...(input.details ? { details: input.details } : {}),
      active: true,
    };
    // Set before the write so a concurrent raise of the same alert sees it.
    this.#active.set(key, alert);
    await this.#write(alert);
    this.#log.warn(
      { alert: alert.id, rule: alert.rule, subject: alert.subject, notify: alert.notify },
      alert.message,
    );
    const { active: _, ...event } = alert;
    this.#bus.emit('alert.raised', event);
    return alert;
  }

  /** Clears the active (rule, subject) alert; false if none was active. */
  async clear(rule: string, subject: string): Promise<boolean> {
    const key = keyOf(rule, subject);
    const a = this.#active.get(key);
    if (!a) return false;
    this.#active.delete(key);
    const cleared: StoredAlert = { ...a, active: false, clearedAt: new Date(this.#now()).toISOString() };
    if (a.ack) await this.#journal(cleared, 'clear');
    await this.#write(cleared);
    this.#bus.emit('alert.cleared', { id: a.id, rule, subject });
    return true;
  }

  async acknowledge(id: string, by: string): Promise<StoredAlert> {
    const a = await this.#db.get(id);
    if (!a) throw new GatewayError('NOT_FOUND', `no alert ${id}`);
    if (a.ack) return a;
    const acked: StoredAlert = { ...a, ack: { by, at: new Date(this.#now()).toISOString() } };
    await this.#journal(acked, 'ack');
    await this.#write(acked);
    const key = keyOf(a.rule, a.subject);
    if (this.#active.get(key)?.id === id) this.#active.set(key, acked);
    return acked;
  }

  /**
   * `gateway reindex`: an alert the log holds (acknowledged, maybe cleared since) and the index
   * lacks. An active one is active again, unless its (rule, subject) has another active alert now.
   */
  async restore(alert: StoredAlert): Promise<boolean> {
    if ((await this.#db.get(alert.id)) !== undefined) return false;
    const key = keyOf(alert.rule, alert.subject);
    const active = alert.active && !this.#active.has(key);
    const row: StoredAlert = active
      ? alert
      : { ...alert, active: false, clearedAt: alert.clearedAt ?? new Date(this.#now()).toISOString() };
    if (active) this.#active.set(key, row);
    await this.#write(row);
    return true;
  }

  async #journal(alert: StoredAlert, action: 'ack' | 'clear'): Promise<void> {
    await this.#audit?.({
      type: 'alert',
      actor: action === 'ack' ? (alert.ack?.by ?? 'gateway') : 'gateway',
      subject: `alert:${alert.id}`,
      details: { action, record: alert as unknown as Record<string, unknown> },
    });
  }

  async get(id: string): Promise<StoredAlert | undefined> {
    return this.#db.get(id);
  }

  /** Newest first. */
  async list(q: AlertQuery = {}): Promise<StoredAlert[]> {
    const limit = q.limit ?? 200;
    if (q.active) {
      return [...this.#active.values()]
        .filter((a) => (!q.rule || a.rule === q.rule) && (!q.subject || a.subject === q.subject))
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, limit);
    }
    const out: StoredAlert[] = [];
    for await (const a of this.#db.values({ reverse: true })) {
      if (q.active === false && a.active) continue;
      if (q.rule && a.rule !== q.rule) continue;
      if (q.subject && a.subject !== q.subject) continue;
      out.push(a);
      if (out.length >= limit) break;
    }
    return out;
  }
}
