/**
 * Prometheus metrics of one gateway (prom-client, text exposition format 0.0.4). Gauges are read
 * from the services when scraped (no second copy of their state); counters follow the event bus
 * and the HTTP layer. Label values come from a fixed set (route patterns, severities, sources):
 * nothing a client sends becomes a label.
 */
import { statfs } from 'node:fs/promises';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AlertSeverity, EventBus } from '../events.js';
import type { UplinkState } from '../uplink/bridge.js';

/** What the metrics read when scraped; each may be absent in a partial app (offline commands). */
export interface MetricSources {
  dataDir: string;
  bus: EventBus;
  recordersOnline: () => number;
  recordersKnown: () => number;
  activeAlerts: () => Promise<{ severity: AlertSeverity }[]>;
  /** Finished time of the last verification sweep (ISO), if any. */
  lastSweepAt: () => string | null;
  lastSweepOk: () => boolean | null;
  lastCheckpointAt: () => Promise<string | null>;
  notifyPending: () => number;
  ingestActive: () => number;
  liveClients: () => number;
  /** Items waiting for the central archive and the oldest one's age. */
  archiveQueue?: () => Promise<{ depth: number; oldestAgeMs: number }>;
  /** The upstream link to the province (PROTOCOL.md §7), when configured. */
  uplink?: () => Promise<UplinkState>;
  now?: () => number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #http: Counter<'method' | 'route' | 'status'>;
  readonly #httpSeconds: Histogram<'method' | 'route'>;
  #src?: MetricSources;
  readonly #clipBytes = new Map<string, number>();

  constructor() {
    const registers = [this.registry];
    this.#http = new Counter({
      name: 'gateway_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.#httpSeconds = new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (streams: to the first byte)',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10],
      registers,
    });
  }

  /** Called once the services exist: registers the gauges that read them, and the bus counters. */
  bind(src: MetricSources): void {
    this.#src = src;
    const registers = [this.registry];
    const now = src.now ?? Date.now;
    const ingest = new Counter({
      name: 'gateway_ingest_bytes_total',
      help: 'Bytes of originals received, by source (recorder over the dock, hearing-room camera)',
      labelNames: ['source'],
      registers,
    });
    ingest.inc({ source: 'recorder' }, 0);
    ingest.inc({ source: 'camera' }, 0);
    src.bus.on('ingest.progress', (p) => {
      const before = this.#clipBytes.get(p.clipId) ?? 0;
      if (p.bytesDone > before) ingest.inc({ source: 'recorder' }, p.bytesDone - before);
      this.#clipBytes.set(p.clipId, p.bytesDone);
      if (p.bytesDone >= p.bytes) this.#clipBytes.delete(p.clipId);
    });
    src.bus.on('clip.stored', (c) => this.#clipBytes.delete(c.clipId));
    src.bus.on('hearing.segment', (s) => ingest.inc({ source: 'camera' }, s.bytes));
    new Gauge({
      name: 'gateway_recorders_online',
      help: 'Recorders connected to the broker now',
      registers,
      collect() {
        this.set(src.recordersOnline());
      },
    });
    new Gauge({
      name: 'gateway_recorders_known',
      help: 'Recorders the gateway has heard from (with a health state)',
      registers,
      collect() {
        this.set(src.recordersKnown());
      },
    });
    new Gauge({
      name: 'gateway_alerts_open',
      help: 'Active alerts by severity',
      labelNames: ['severity'],
      registers,
      async collect() {
        const counts: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
        for (const a of await src.activeAlerts()) counts[a.severity]++;
        for (const [severity, n] of Object.entries(counts)) this.set({ severity }, n);
      },
    });
    const age = (iso: string | null) => (iso ? Math.max(0, (now() - Date.parse(iso)) / 1000) : Number.NaN);
    new Gauge({
      name: 'gateway_integrity_sweep_age_seconds',
      help: 'Seconds since the last full verification of the originals finished (NaN: never)',
      registers,
      collect() {
        this.set(age(src.lastSweepAt()));
      },
    });
    new Gauge({
      name: 'gateway_integrity_sweep_ok',
      help: '1 if the last verification found nothing wrong, 0 if it found failures (NaN: never ran)',
      registers,
      collect() {
        const ok = src.lastSweepOk();
        this.set(ok === null ? Number.NaN : ok ? 1 : 0);
      },
    });
    const archiveQueue = src.archiveQueue;
    if (archiveQueue) {
      new Gauge({
        name: 'gateway_archive_queue_depth',
        help: 'Items (originals, holds, checkpoints) waiting for the central archive',
        registers,
        async collect() {
          this.set((await archiveQueue()).depth);
        },
      });
      new Gauge({
        name: 'gateway_archive_queue_age_seconds',
        help: 'Seconds the oldest item has waited for the central archive (0: queue empty)',
        registers,
        async collect() {
          this.set((await archiveQueue()).oldestAgeMs / 1000);
        },
      });
    }
    if (src.uplink) this.#uplinkGauges(src.uplink, age);
    new Gauge({
      name: 'gateway_checkpoint_age_seconds',
      help: 'Seconds since the last signed checkpoint of the audit log (NaN: none yet)',
      registers,
      async collect() {
        this.set(age(await src.lastCheckpointAt()));
      },
    });
    new Gauge({
      name: 'gateway_disk_free_bytes',
      help: 'Bytes the gateway may still write on the data directory filesystem',
      registers,
      async collect() {
        const s = await statfs(src.dataDir).catch(() => undefined);
        this.set(s ? s.bavail * s.bsize : Number.NaN);
      },
    });
    new Gauge({
      name: 'gateway_queue_depth',
      help: 'Work waiting, by queue: notification outbox, clip uploads in progress, live-stream clients',
      labelNames: ['queue'],
      registers,
      collect() {
        this.set({ queue: 'notify-outbox' }, src.notifyPending());
        this.set({ queue: 'ingest-active' }, src.ingestActive());
        this.set({ queue: 'live-clients' }, src.liveClients());
      },
    });
  }

  /** The upstream link (PROTOCOL.md §7.2): up or down, the outbox, the last checkpoint acknowledged. */
  #uplinkGauges(state: () => Promise<UplinkState>, age: (iso: string | null) => number): void {
    const registers = [this.registry];
    new Gauge({
      name: 'gateway_uplink_up',
      help: "1 while connected to the province's central broker, 0 while the link is down",
      registers,
      async collect() {
        this.set((await state()).connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gateway_uplink_outbox_depth',
      help: 'Messages in the upstream outbox not yet acknowledged by the central broker',
      registers,
      async collect() {
        this.set((await state()).depth);
      },
    });
    new Gauge({
      name: 'gateway_uplink_outbox_age_seconds',
      help: 'Seconds the oldest message in the upstream outbox has waited (0: empty)',
      registers,
      async collect() {
        this.set((await state()).oldestAgeMs / 1000);
      },
    });
    new Gauge({
      name: 'gateway_uplink_checkpoint_sent_age_seconds',
      help: 'Seconds since the central broker acknowledged the last signed checkpoint (NaN: none since start)',
      registers,
      async collect() {
        this.set(age((await state()).lastCheckpoint?.at ?? null));
      },
    });
    new Gauge({
      name: 'gateway_uplink_checkpoint_sent_tree_size',
      help: 'Tree size of the last signed checkpoint the central broker acknowledged (NaN: none since start)',
      registers,
      async collect() {
        this.set((await state()).lastCheckpoint?.treeSize ?? Number.NaN);
      },
    });
  }

  get bound(): boolean {
    return this.#src !== undefined;
  }

  /** The HTTP layer reports each answered request here. `route` is the matched pattern. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const m = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(method) ? method : 'OTHER';
    this.#http.inc({ method: m, route, status: String(status) });
    this.#httpSeconds.observe({ method: m, route }, seconds);
  }
}
