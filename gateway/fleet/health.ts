/**
 * Fleet health (R21 health dashboard, R19 forecasts): last telemetry, online/offline (retained
 * status, last will, connection, staleness), battery and storage history downsampled for charts,
 * time-left forecasts, clock offset, firmware and faults, with rules raising and clearing alerts.
 *
 * The telemetry path runs inside the broker hook for every message, so it only touches memory:
 * LevelDB gets health snapshots and completed history buckets in one batch per flush interval.
 * Times from telemetry (`at`) are the device's clock; forecasts and history use them, so they stay
 * right for buffered data and simulated clocks. Presence and staleness use the gateway's clock.
 */
import type { RecorderEvent, Telemetry } from '../../protocol/mqtt/messages.js';
import type { AlertService } from '../alerts/service.js';
import type { GatewayConfig } from '../config.js';
import { type Db, timeKey } from '../db.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import { ClockOffsetWindow } from './clock-offset.js';
import { draw, type Forecast, SampleRing, timeLeftS } from './forecast.js';
import {
  compareVersions,
  evaluate,
  FLEET_RULES,
  type FleetRule,
  RULE_BIT,
  RULE_SEVERITY,
  ruleMessage,
} from './rules.js';

export interface FaultInfo {
  message: string;
  /** Device time raised. */
  at: number;
}

/** What the API shows for one recorder (and what is persisted). */
export interface RecorderHealth {
  serial: string;
  online: boolean;
  connected: boolean;
  /** Gateway clock, ISO. */
  onlineChangedAt: string | null;
  lastSeen: string | null;
  /** Device clock of the last message. */
  lastDeviceAt: number | null;
  telemetry: Telemetry | null;
  firmware: string | null;
  firmwareOutdated: boolean;
  /** Device clock minus gateway clock (ms); positive = device ahead. */
  clockOffsetMs: number | null;
  clockOffsetSource: 'telemetry' | 'time-sync' | null;
  faults: Record<string, FaultInfo>;
  /** Device time the current shift started (left the dock); null when docked. */
  shiftStart: number | null;
  forecast: Forecast;
  /** Rule conditions holding now. */
  conditions: FleetRule[];
}

export interface HistoryPoint {
  /** Device time of the sample that represents this bucket. */
  t: number;
  batteryPct: number;
  charging: boolean;
  freeBytes: number;
  totalBytes: number;
  state: Telemetry['state'];
}

export type PresenceListener = (
  serial: string,
  online: boolean,
  info: { lastDeviceAt: number | null; deviceNow: number; state: Telemetry['state'] | null },
) => void;

export interface FleetHealthOptions {
  db: Db;
  bus: EventBus;
  log: Logger;
  alerts: AlertService;
  config: GatewayConfig['fleet'];
  mqtt: GatewayConfig['mqtt'];
  now?: () => number;
}

const RING = 60;
const FLUSH_CHUNK = 500;
const NOTIFY = ['equipment-manager'] as const;
const FAULT_RULE = 'recorder-fault';
const emptyForecast = (): Forecast => ({
  batteryS: null,
  batteryDrawPctPerH: null,
  storageS: null,
  storageFillBytesPerS: null,
  shiftLeftS: null,
});

class Live {
  online = false;
  connected = false;
  onlineChangedAt: number | null = null;
  lastSeen: number | null = null;
  lastDeviceAt: number | null = null;
  /** Last telemetry, updated in place (see copyTelemetry). */
  telemetry: Telemetry | null = null;
  firmware: string | null = null;
  firmwareOutdated = false;
  clockOffsetMs: number | null = null;
  clockOffsetSource: RecorderHealth['clockOffsetSource'] = null;
  faults: Record<string, FaultInfo> = {};
  shiftStart: number | null = null;
  forecast: Forecast = emptyForecast();
  mask = 0;
  readonly battery = new SampleRing(RING);
  readonly storage = new SampleRing(RING);
  readonly offsets: ClockOffsetWindow;
  bucket = -1;
  /** The sample representing the current history bucket (its last one). */
  bucketPoint: HistoryPoint | null = null;
  lastLiveEmit = 0;

  constructor(
    readonly serial: string,
    offsetWindowMs: number,
  ) {
    this.offsets = new ClockOffsetWindow(offsetWindowMs);
  }
}

export class FleetHealth implements Service {
  readonly name = 'fleet-health';
  readonly #db: Db;
  readonly #healthDb;
  readonly #historyDb;
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #alerts: AlertService;
  readonly #cfg: GatewayConfig['fleet'];
  readonly #staleMs: number;
  readonly #offsetWindowMs: number;
  readonly #now: () => number;
  readonly #live = new Map<string, Live>();
  readonly #dirty = new Set<string>();
  #pendingHistory: [string, HistoryPoint][] = [];
  readonly #presence = new Set<PresenceListener>();
  #flushTimer?: NodeJS.Timeout;
  #sweepTimer?: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();
  #lastPrune = 0;

  constructor(opts: FleetHealthOptions) {
    this.#db = opts.db;
    this.#healthDb = opts.db.sublevel<string, RecorderHealth>('health', { valueEncoding: 'json' });
    this.#historyDb = opts.db.sublevel<string, HistoryPoint>('history', { valueEncoding: 'json' });
    this.#bus = opts.bus;
    this.#log = opts.log;
    this.#alerts = opts.alerts;
    this.#cfg = opts.config;
    this.#staleMs = opts.mqtt.staleAfterS * 1000;
    this.#offsetWindowMs = opts.config.clockOffsetWindowS * 1000;
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    for await (const h of this.#healthDb.values()) {
      const l = new Live(h.serial, this.#offsetWindowMs);
      Object.assign(l, {
        // Nobody is connected to a broker that has just started.
        online: false,
        connected: false,
        onlineChangedAt: h.onlineChangedAt ? Date.parse(h.onlineChangedAt) : null,
        lastSeen: h.lastSeen ? Date.parse(h.lastSeen) : null,
        lastDeviceAt: h.lastDeviceAt,
        telemetry: h.telemetry,
        firmware: h.firmware,
        firmwareOutdated: h.firmwareOutdated,
        clockOffsetMs: h.clockOffsetMs,
        clockOffsetSource: h.clockOffsetSource,
        faults: h.faults,
        shiftStart: h.shiftStart,
        forecast: h.forecast,
      });
      for (const r of FLEET_RULES) if (this.#alerts.activeFor(r, h.serial)) l.mask |= RULE_BIT[r];
      this.#live.set(h.serial, l);
    }
    this.#flushTimer = setInterval(() => void this.flush(), this.#cfg.flushIntervalS * 1000);
    this.#flushTimer.unref();
    const sweepMs = Math.max(50, Math.min(5000, this.#staleMs / 3));
    this.#sweepTimer = setInterval(() => this.#sweep(), sweepMs);
    this.#sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#flushTimer);
    clearInterval(this.#sweepTimer);
    await this.flush();
  }

  onPresence(fn: PresenceListener): () => void {
    this.#presence.add(fn);
    return () => this.#presence.delete(fn);
  }

  /**
   * Hot path: every telemetry message. Memory only, and nothing from the message is retained: its
   * values are copied into the recorder's own objects, so 5000 messages a second stay short-lived
   * garbage instead of being promoted to the old generation (major GC pauses delay R19 alerts).
   */
  telemetry(serial: string, t: Telemetry, receivedAt: number): void {
    const h = this.#get(serial);
    const prevState = h.telemetry?.state ?? null;
    const prevCharging = h.telemetry?.battery.charging ?? null;
    const prevAt = h.telemetry?.at ?? null;
    h.telemetry = copyTelemetry(t, h.telemetry);
    h.lastSeen = receivedAt;
    h.lastDeviceAt = t.at;
    if (!h.online) this.#setOnline(h, true, receivedAt, 'telemetry');
    if (h.clockOffsetSource !== 'time-sync') {
      const est = h.offsets.add(t.at, receivedAt);
      if (h.offsets.settled) {
        h.clockOffsetMs = Math.round(est);
        h.clockOffsetSource = 'telemetry';
      }
    }
    if (t.firmware !== h.firmware) {
      h.firmware = h.telemetry.firmware;
      h.firmwareOutdated = compareVersions(t.firmware, this.#cfg.firmwareMin) < 0;
    }
    this.#track(h, prevState, prevCharging, prevAt, t);
    this.#history(h, t);
    this.#rules(h);
    this.#dirty.add(serial);
    const live = this.#cfg.liveTelemetryMinS * 1000;
    if (receivedAt - h.lastLiveEmit >= live) {
      h.lastLiveEmit = receivedAt;
      this.#bus.emit('recorder.telemetry', {
        serial,
        telemetry: t,
        receivedAt: new Date(receivedAt).toISOString(),
      });
    }
  }

  /** Retained status or last will. */
  status(serial: string, online: boolean, at: number): void {
    const h = this.#get(serial);
    if (online) h.lastSeen = at;
    this.#setOnline(h, online, at, online ? 'status' : 'last will');
  }

  connection(serial: string, connected: boolean, at: number): void {
    const h = this.#get(serial);
    h.connected = connected;
    if (connected) h.lastSeen = at;
    this.#setOnline(h, connected, at, connected ? 'connected' : 'disconnected');
  }

  /** Faults (device events, already de-duplicated). */
  event(serial: string, e: RecorderEvent): void {
    if (e.type !== 'fault-raised' && e.type !== 'fault-cleared') return;
    const h = this.#get(serial);
    const subject = `${serial}/${e.code}`;
    if (e.type === 'fault-raised') {
      h.faults[e.code] = { message: e.message, at: e.at };
      this.#alerts
        .raise({
          rule: FAULT_RULE,
          subject,
          severity: 'warning',
          message: `Recorder ${serial}: fault ${e.code}: ${e.message}`,
          notify: NOTIFY,
          details: { serial, code: e.code, at: e.at },
        })
        .catch((err) => this.#log.error({ err, serial }, 'fault alert failed'));
    } else {
      delete h.faults[e.code];
      this.#alerts.clear(FAULT_RULE, subject).catch((err) => this.#log.error({ err }, 'clear failed'));
    }
    this.#dirty.add(serial);
    this.#bus.emit('recorder.health', { serial });
  }

  /** A measured offset (time-sync response) replaces the telemetry estimate. */
  setClockOffset(serial: string, offsetMs: number): void {
    const h = this.#get(serial);
    h.clockOffsetMs = Math.round(offsetMs);
    h.clockOffsetSource = 'time-sync';
    this.#rules(h);
    this.#dirty.add(serial);
  }

  get(serial: string): RecorderHealth | undefined {
    const h = this.#live.get(serial);
    return h && snapshot(h);
  }

  list(): RecorderHealth[] {
    return [...this.#live.values()].map((h) => snapshot(h));
  }

  /** Downsampled history (one point per bucket), oldest first, device time range [from, to]. */
  async history(serial: string, range: { from?: number; to?: number } = {}): Promise<HistoryPoint[]> {
    const from = range.from ?? 0;
    const to = range.to ?? Number.MAX_SAFE_INTEGER;
    const out: HistoryPoint[] = [];
    for await (const p of this.#historyDb.values({
      gte: `${serial}!${timeKey(from)}`,
      lte: `${serial}!${timeKey(to)}`,
    })) {
      out.push(p);
    }
    for (const [s, p] of this.#pendingHistory) if (s === serial && p.t >= from && p.t <= to) out.push(p);
    const p = this.#live.get(serial)?.bucketPoint;
    if (p && p.t >= from && p.t <= to) out.push({ ...p });
    return out.sort((a, b) => a.t - b.t);
  }

  /** Writes dirty health and completed history buckets in one batch. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing
      .then(() => this.#flushNow())
      .catch((err) => {
        this.#log.error({ err }, 'health flush failed');
      });
    return this.#flushing;
  }

  /**
   * In batches of FLUSH_CHUNK recorders with a yield between them, so a flush of a large fleet
   * never holds the event loop (and so the broker) for long.
   */
  async #flushNow(): Promise<void> {
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    const history = this.#pendingHistory;
    this.#pendingHistory = [];
    for (let i = 0; i < Math.max(dirty.length, history.length); i += FLUSH_CHUNK) {
      const batch = this.#db.batch();
      for (const serial of dirty.slice(i, i + FLUSH_CHUNK)) {
        const h = this.#live.get(serial);
        // put() encodes at once, so the live objects need no copy.
        if (h) batch.put(serial, snapshot(h, false), { sublevel: this.#healthDb });
      }
      for (const [serial, p] of history.slice(i, i + FLUSH_CHUNK)) {
        batch.put(`${serial}!${timeKey(p.t)}`, p, { sublevel: this.#historyDb });
      }
      await batch.write();
      await new Promise((r) => setImmediate(r));
    }
    const now = this.#now();
    if (now - this.#lastPrune > 3600_000) {
      this.#lastPrune = now;
      await this.#prune();
    }
  }

  /** Drops history older than historyKeepH (by each recorder's own latest time). */
  async #prune(): Promise<void> {
    const keepMs = this.#cfg.historyKeepH * 3600_000;
    for (const h of this.#live.values()) {
      if (h.lastDeviceAt === null) continue;
      await this.#historyDb.clear({
        gt: `${h.serial}!`,
        lt: `${h.serial}!${timeKey(h.lastDeviceAt - keepMs)}`,
      });
    }
  }

  #get(serial: string): Live {
    let h = this.#live.get(serial);
    if (!h) {
      h = new Live(serial, this.#offsetWindowMs);
      this.#live.set(serial, h);
    }
    return h;
  }

  #setOnline(h: Live, online: boolean, at: number, why: string): void {
    if (h.online === online) return;
    h.online = online;
    h.onlineChangedAt = at;
    this.#dirty.add(h.serial);
    this.#log.info({ recorder: h.serial, online, why }, online ? 'recorder online' : 'recorder offline');
    this.#bus.emit('recorder.online', { serial: h.serial, online, at: new Date(at).toISOString() });
    this.#rules(h);
    const info = {
      lastDeviceAt: h.lastDeviceAt,
      deviceNow: at + (h.clockOffsetMs ?? 0),
      state: h.telemetry?.state ?? null,
    };
    for (const fn of this.#presence) {
      try {
        fn(h.serial, online, info);
      } catch (err) {
        this.#log.error({ err }, 'presence listener failed');
      }
    }
  }

  /** Offline by silence: connected or not, nothing heard for staleAfterS. */
  #sweep(): void {
    const now = this.#now();
    for (const h of this.#live.values()) {
      if (h.online && h.lastSeen !== null && now - h.lastSeen > this.#staleMs) {
        this.#setOnline(h, false, now, 'stale');
      }
    }
  }

  /** Shift and draw tracking for the forecasts. */
  #track(
    h: Live,
    prevState: Telemetry['state'] | null,
    prevCharging: boolean | null,
    prevAt: number | null,
    t: Telemetry,
  ): void {
    const docked = t.state === 'docked';
    const wasDocked = prevState === 'docked';
    if (docked) h.shiftStart = null;
    else if (h.shiftStart === null || wasDocked) h.shiftStart = t.at;
    // A new draw regime: history from before charging/docking says nothing about now.
    if (
      prevState === null ||
      docked !== wasDocked ||
      t.battery.charging !== prevCharging ||
      (prevAt !== null && t.at < prevAt)
    ) {
      h.battery.clear();
      h.storage.clear();
    }
    const windowMs = this.#cfg.forecastWindowS * 1000;
    const last = h.battery.lastT();
    const f = h.forecast;
    if (last === null || t.at - last >= windowMs / RING) {
      h.battery.push(t.at, t.battery.pct);
      h.storage.push(t.at, t.storage.freeBytes);
      h.battery.trim(t.at - windowMs);
      h.storage.trim(t.at - windowMs);
      const b = draw(h.battery);
      const s = draw(h.storage);
      f.batteryDrawPctPerH = b === null ? null : -b * 3600_000;
      f.batteryS = docked || t.battery.charging ? null : timeLeftS(t.battery.pct, b);
      f.storageFillBytesPerS = s === null ? null : -s * 1000;
      f.storageS = timeLeftS(t.storage.freeBytes, s);
    }
    const shiftMs = this.#cfg.shiftHours * 3600_000;
    f.shiftLeftS = h.shiftStart === null ? null : Math.max(0, h.shiftStart + shiftMs - t.at) / 1000;
  }

  #history(h: Live, t: Telemetry): void {
    const b = Math.floor(t.at / (this.#cfg.historyBucketS * 1000));
    if (b !== h.bucket) {
      if (h.bucketPoint) this.#pendingHistory.push([h.serial, h.bucketPoint]);
      h.bucketPoint = null;
      h.bucket = b;
    }
    if (!h.bucketPoint) h.bucketPoint = point(t);
    const p = h.bucketPoint;
    p.t = t.at;
    p.batteryPct = t.battery.pct;
    p.charging = t.battery.charging;
    p.freeBytes = t.storage.freeBytes;
    p.totalBytes = t.storage.totalBytes;
    p.state = h.telemetry!.state;
  }

  #rules(h: Live): void {
    const input = {
      telemetry: h.telemetry,
      online: h.online,
      clockOffsetMs: h.clockOffsetMs,
      firmwareOutdated: h.firmwareOutdated,
      forecast: h.forecast,
      active: h.mask,
    };
    const mask = evaluate(input, this.#cfg);
    if (mask === h.mask) return;
    const changed = mask ^ h.mask;
    h.mask = mask;
    this.#dirty.add(h.serial);
    for (const rule of FLEET_RULES) {
      const bit = RULE_BIT[rule];
      if (!(changed & bit)) continue;
      const p =
        mask & bit
          ? this.#alerts.raise({
              rule,
              subject: h.serial,
              severity: RULE_SEVERITY[rule],
              message: ruleMessage(rule, h.serial, input, this.#cfg),
              notify: NOTIFY,
              details: {
                serial: h.serial,
                forecast: { ...h.forecast },
                telemetry: h.telemetry && structuredClone(h.telemetry),
              },
            })
          : this.#alerts.clear(rule, h.serial);
      p.catch((err) => this.#log.error({ err, rule, serial: h.serial }, 'alert update failed'));
    }
    this.#bus.emit('recorder.health', { serial: h.serial });
  }
}

function snapshot(h: Live, copy = true): RecorderHealth {
  return {
    serial: h.serial,
    online: h.online,
    connected: h.connected,
    onlineChangedAt: h.onlineChangedAt === null ? null : new Date(h.onlineChangedAt).toISOString(),
    lastSeen: h.lastSeen === null ? null : new Date(h.lastSeen).toISOString(),
    lastDeviceAt: h.lastDeviceAt,
    telemetry: copy && h.telemetry ? structuredClone(h.telemetry) : h.telemetry,
    firmware: h.firmware,
    firmwareOutdated: h.firmwareOutdated,
    clockOffsetMs: h.clockOffsetMs,
    clockOffsetSource: h.clockOffsetSource,
    faults: copy ? { ...h.faults } : h.faults,
    shiftStart: h.shiftStart,
    forecast: copy ? { ...h.forecast } : h.forecast,
    conditions: FLEET_RULES.filter((r) => h.mask & RULE_BIT[r]),
  };
}

/**
 * Copies a telemetry message into the recorder's own object (created on first use), keeping the
 * old string instances when the text did not change.
 */
export function copyTelemetry(t: Telemetry, into: Telemetry | null): Telemetry {
  if (!into) return structuredClone(t);
  into.at = t.at;
  if (into.state !== t.state) into.state = t.state;
  into.battery.pct = t.battery.pct;
  into.battery.voltageMv = t.battery.voltageMv;
  into.battery.charging = t.battery.charging;
  into.battery.tempC = t.battery.tempC;
  into.storage.totalBytes = t.storage.totalBytes;
  into.storage.freeBytes = t.storage.freeBytes;
  if (!t.position) delete into.position;
  else if (!into.position) into.position = { ...t.position };
  else {
    into.position.lat = t.position.lat;
    into.position.lon = t.position.lon;
    into.position.accM = t.position.accM;
  }
  if (t.signalDbm === undefined) delete into.signalDbm;
  else into.signalDbm = t.signalDbm;
  if (into.firmware !== t.firmware) into.firmware = t.firmware;
  if (t.sessionId === undefined) delete into.sessionId;
  else if (into.sessionId !== t.sessionId) into.sessionId = t.sessionId;
  return into;
}

function point(t: Telemetry): HistoryPoint {
  return {
    t: t.at,
    batteryPct: t.battery.pct,
    charging: t.battery.charging,
    freeBytes: t.storage.freeBytes,
    totalBytes: t.storage.totalBytes,
    state: t.state,
  };
}
