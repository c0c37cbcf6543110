/**
 * Sends critical alerts out (R19: the principal is told at once, not only whoever has the
 * dashboard open). Each (alert, channel) pair is a durable outbox item in LevelDB: written when the
 * alert is raised, retried with exponential backoff, and marked delivered only after the far end
 * accepted it and the delivery is in the audit log. At start every active alert that qualifies and
 * has no item yet gets one, so a crash between raising an alert and writing its item still
 * delivers; a crash after a send but before its mark sends it again (at least once). Every
 * delivery, every failed try and every give-up is a `notification` audit entry.
 */
import type { AlertService } from '../alerts/service.js';
import type { Db } from '../db.js';
import type { Alert, AlertSeverity, EventBus, Service } from '../events.js';
import type { AuditSink } from '../integrity/admin-audit.js';
import type { Logger } from '../log.js';
import { channelLabel, DeliveryError, send } from './channels.js';
import type { NotificationsConfig, NotifyChannel } from './config.js';

export interface OutboxItem {
  alert: Alert;
  channelId: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** Next try, ms since the epoch (pending only). */
  nextAt: number;
  /** When it was delivered or given up, ms since the epoch. */
  doneAt?: number;
  lastError?: { code: string; message: string };
}

export interface NotificationServiceOptions {
  config: NotificationsConfig;
  db: Db;
  bus: EventBus;
  alerts: AlertService;
  audit: AuditSink;
  log: Logger;
  now?: () => number;
  /** The sender (tests of pure scheduling may replace it; integration tests use the real one). */
  send?: typeof send;
}

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
/** Finished items are kept this long (then pruned at start) so a restart does not resend them. */
const KEEP_DONE_MS = 30 * 24 * 3600_000;
const keyOf = (alertId: string, channelId: string) => `${alertId}\u0000${channelId}`;

export class NotificationService implements Service {
  readonly name = 'notifications';
  readonly #o: NotificationServiceOptions;
  readonly #db;
  readonly #now: () => number;
  readonly #items = new Map<string, OutboxItem>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  #off?: () => void;
  #stopped = true;

  constructor(opts: NotificationServiceOptions) {
    this.#o = opts;
    this.#db = opts.db.sublevel<string, OutboxItem>('notify-outbox', { valueEncoding: 'json' });
    this.#now = opts.now ?? Date.now;
  }

  /** Items not yet delivered nor given up (the outbox depth). */
  get pending(): number {
    let n = 0;
    for (const i of this.#items.values()) if (i.state === 'pending') n++;
    return n;
  }

  /** A copy of the outbox, oldest alert first. */
  items(): OutboxItem[] {
    return [...this.#items.values()].map((i) => ({ ...i }));
  }

  channelsFor(alert: Pick<Alert, 'rule' | 'severity' | 'notify'>): NotifyChannel[] {
    const cfg = this.#o.config;
    const wanted = RANK[alert.severity] >= RANK[cfg.minSeverity] || cfg.rules.includes(alert.rule);
    if (!wanted) return [];
    return cfg.channels.filter((c) => c.roles.some((r) => alert.notify.includes(r)));
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#items.clear();
    const now = this.#now();
    for await (const [key, item] of this.#db.iterator()) {
      if (item.state !== 'pending' && now - (item.doneAt ?? 0) > KEEP_DONE_MS) {
        await this.#db.del(key);
        continue;
      }
      this.#items.set(key, item);
    }
    this.#off = this.#o.bus.on('alert.raised', (a) => {
      this.#enqueue(a).catch((err: unknown) =>
        this.#o.log.error({ err, alert: a.id }, 'outbox write failed'),
      );
    });
    // Alerts raised before this service ran, or whose items a crash kept from being written.
    for (const a of await this.#o.alerts.list({ active: true, limit: 100_000 })) {
      const { active: _a, clearedAt: _c, ack: _k, ...alert } = a;
      await this.#enqueue(alert);
    }
    // A restart is often the repair (the receiver is back, the config fixed): pending items are tried now.
    for (const [key, item] of this.#items) if (item.state === 'pending') this.#schedule(key, now);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#off?.();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #enqueue(alert: Alert): Promise<void> {
    for (const c of this.channelsFor(alert)) {
      const key = keyOf(alert.id, c.id);
      if (this.#items.has(key)) continue;
      const item: OutboxItem = { alert, channelId: c.id, state: 'pending', attempts: 0, nextAt: this.#now() };
      // Set before the write: a second enqueue of the same alert (event and start-up scan) is a no-op.
      this.#items.set(key, item);
      await this.#db.put(key, item);
      if (!this.#stopped) this.#schedule(key, item.nextAt);
    }
  }

  #schedule(key: string, at: number): void {
    clearTimeout(this.#timers.get(key));
    const t = setTimeout(
      () => {
        this.#timers.delete(key);
        const p = this.#attempt(key)
          .catch((err: unknown) => this.#o.log.error({ err }, 'notification attempt failed'))
          .finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      },
      Math.max(0, at - this.#now()),
    );
    this.#timers.set(key, t);
  }

  async #attempt(key: string): Promise<void> {
    const item = this.#items.get(key);
    if (item?.state !== 'pending' || this.#stopped) return;
    const channel = this.#o.config.channels.find((c) => c.id === item.channelId);
    const cfg = this.#o.config;
    const base = {
      type: 'notification' as const,
      actor: 'gateway',
      subject: `alert:${item.alert.id}`,
    };
    const attempt = item.attempts + 1;
    const about = { rule: item.alert.rule, severity: item.alert.severity, attempt };
    if (!channel) {
      // The channel left the config since: nothing to try.
      await this.#finish(key, { ...item, attempts: attempt, state: 'failed', doneAt: this.#now() });
      await this.#audit({
        ...base,
        details: {
          ...about,
          channel: item.channelId,
          outcome: 'gave-up',
          error: { code: 'channel-removed' },
        },
      });
      return;
    }
    const label = channelLabel(channel);
    try {
      const r = await (this.#o.send ?? send)(channel, item.alert, cfg, this.#now);
      await this.#audit({
        ...base,
        details: { ...about, channel: label, kind: channel.kind, outcome: 'delivered', to: r.to },
      });
      await this.#finish(key, { ...item, attempts: attempt, state: 'delivered', doneAt: this.#now() });
      this.#o.log.info({ alert: item.alert.id, channel: label, attempt }, 'notification delivered');
    } catch (e) {
      const error =
        e instanceof DeliveryError
          ? { code: e.code, message: e.message }
          : { code: 'internal', message: String((e as Error)?.message ?? e).slice(0, 200) };
      const last = attempt >= cfg.retry.maxAttempts;
      const delayMs = Math.min(cfg.retry.maxS, cfg.retry.baseS * 2 ** (attempt - 1)) * 1000;
      const next: OutboxItem = last
        ? { ...item, attempts: attempt, state: 'failed', doneAt: this.#now(), lastError: error }
        : { ...item, attempts: attempt, nextAt: this.#now() + delayMs, lastError: error };
      await this.#audit({
        ...base,
        details: {
          ...about,
          channel: label,
          kind: channel.kind,
          outcome: last ? 'gave-up' : 'failed',
          error,
          ...(last ? {} : { nextAttemptAt: new Date(next.nextAt).toISOString() }),
        },
      });
      await this.#finish(key, next);
      this.#o.log.warn({ alert: item.alert.id, channel: label, attempt, error }, 'notification failed');
      if (!last && !this.#stopped) this.#schedule(key, next.nextAt);
    }
  }

  async #finish(key: string, item: OutboxItem): Promise<void> {
    this.#items.set(key, item);
    await this.#db.put(key, item);
  }

  async #audit(entry: Parameters<AuditSink>[0]): Promise<void> {
    await this.#o
      .audit(entry)
      .catch((err: unknown) => this.#o.log.error({ err }, 'notification audit failed'));
  }
}
