/**
 * The recorder's MQTT field link (PROTOCOL.md §2): MQTT 3.1.1 (aedes 1.x refuses v5), username =
 * serial, password = the credential the gateway issued. Last will = Status offline, retained.
 * Telemetry QoS 0 at the configured interval; events QoS 1 from the outbox, in seq order, each
 * removed only on its PUBACK; commands answered on cmd/res echoing the tid.
 *
 * One mqtt.js client per connection, with its own reconnect loop: after a loss, nothing of the old
 * client's queue is replayed, only the outbox (the single record of what is unacknowledged).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { encodePayload } from '../../protocol/mqtt/decode.js';
import type { Status } from '../../protocol/mqtt/messages.js';
import { PROTOCOL_VERSION } from '../../protocol/mqtt/messages.js';
import { topics } from '../../protocol/mqtt/topics.js';
import type { TimerHandle } from '../clock.js';
import { handleCommandPayload } from './commands.js';
import type { Recorder } from './recorder.js';

export type PasswordProvider = string | ((serial: string) => string | Promise<string>);

/** Firmware bugs on purpose, each breaking one rule of PROTOCOL.md §2 (for the conformance kit's tests). */
export interface MqttFaults {
  /** §2.5: the last will is not retained. */
  willNotRetained?: boolean;
  /** §2.4: event seq advances by two (gaps). */
  seqGaps?: boolean;
  /** §2.6: a command that fails validation gets no answer even with a readable tid. */
  silentOnBadCommands?: boolean;
  /** §2.4: events made while offline are dropped at reconnect instead of replayed. */
  forgetsOfflineEvents?: boolean;
  /** §2.3: telemetry at QoS 1. */
  telemetryQos1?: boolean;
}

export interface MqttLinkOptions {
  recorder: Recorder;
  brokerUrl: string;
  password: PasswordProvider;
  /** QoS 1 events in flight at once (default 16). */
  window?: number;
  /** Real-time reconnect backoff, ms. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
  keepaliveS?: number;
  /** On power-off, how long (real ms) to try to hand over queued events before disconnecting. */
  shutdownDrainMs?: number;
  logger?: Logger;
  faults?: MqttFaults;
}

export interface LinkStats {
  connects: number;
  connectFailures: number;
  telemetrySent: number;
  eventsSent: number;
  eventsAcked: number;
  commands: number;
  badCommands: number;
}

export class MqttLink {
  readonly rec: Recorder;
  private readonly opts: MqttLinkOptions;
  private readonly log: Logger;
  private client: MqttClient | null = null;
  private connected = false;
  private gen = 0;
  private wanted = false;
  private cutUntilTimer: TimerHandle | undefined;
  private cut = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | null = null;
  private backoff: number;
  private telemetryTimer: TimerHandle | undefined;
  private readonly window: number;
  private readonly faults: MqttFaults;
  /** Device time the connection was last lost (for the forgetsOfflineEvents fault). */
  private lostAt: number | undefined;
  readonly stats: LinkStats = {
    connects: 0,
    connectFailures: 0,
    telemetrySent: 0,
    eventsSent: 0,
    eventsAcked: 0,
    commands: 0,
    badCommands: 0,
  };
  private readonly onReady = () => this.pump();
  private readonly onPower = (on: boolean) => {
    if (on) this.bringUp();
    else void this.shutdown();
  };

  constructor(opts: MqttLinkOptions) {
    this.opts = opts;
    this.rec = opts.recorder;
    this.log = opts.logger ? opts.logger.child({ serial: this.rec.serial }) : this.rec.log;
    this.window = opts.window ?? 16;
    this.faults = opts.faults ?? {};
    this.backoff = opts.reconnectMinMs ?? 500;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Follows the recorder's power: connected while it is on. */
  start(): void {
    this.rec.outbox.on('ready', this.onReady);
    this.rec.on('power', this.onPower);
    this.scheduleTelemetry();
    if (this.rec.powered) this.bringUp();
  }

  /** Goes offline in order: retained Status offline, then DISCONNECT (no last will). */
  async stop(): Promise<void> {
    this.rec.outbox.off('ready', this.onReady);
    this.rec.off('power', this.onPower);
    this.rec.hw.clock.clearTimer(this.telemetryTimer);
    this.rec.hw.clock.clearTimer(this.cutUntilTimer);
    this.telemetryTimer = undefined;
    await this.disconnect(true);
  }

  /** Network loss for `ms` of simulated time: the connection drops as if the radio went (last will fires). */
  cutFor(ms: number): void {
    this.log.info({ ms }, 'network lost');
    this.cut = true;
    this.drop();
    this.rec.hw.clock.clearTimer(this.cutUntilTimer);
    this.cutUntilTimer = this.rec.hw.clock.setTimer(() => {
      this.cut = false;
      this.log.info('network back');
      if (this.wanted) this.connect();
    }, ms);
  }

  /** Resolves when the outbox is empty (all events acknowledged). */
  drained(): Promise<void> {
    return this.rec.outbox.drained();
  }

  private bringUp(): void {
    this.wanted = true;
    this.connect();
  }

  private async shutdown(): Promise<void> {
    // Orderly power-down: hand over what is queued (e.g. recording-stopped battery) if the link allows.
    if (this.connected) {
      const limit = this.opts.shutdownDrainMs ?? 2000;
      await Promise.race([this.drained(), new Promise((r) => setTimeout(r, limit).unref())]);
    }
    if (this.rec.powered) return; // powered on again meanwhile
    await this.disconnect(true);
  }

  private disconnect(graceful: boolean): Promise<void> {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const c = this.client;
    if (!c) return this.closing ?? Promise.resolve();
    const wasConnected = this.connected;
    this.client = null;
    this.connected = false;
    this.gen++;
    const done = (async () => {
      if (graceful && wasConnected) {
        const offline: Status = { v: PROTOCOL_VERSION, online: false, at: this.rec.deviceNow() };
        await withTimeout(
          c.publishAsync(topics.status(this.rec.serial), encodePayload(offline), { qos: 1, retain: true }),
          2000,
        ).catch(() => undefined);
      }
      this.rec.outbox.requeueInFlight();
      await withTimeout(c.endAsync(!graceful), 2000).catch(() => c.end(true));
    })();
    // A connect asked for meanwhile waits, so the offline status cannot land after a new online.
    this.closing = done.finally(() => {
      this.closing = null;
    });
    return this.closing;
  }

  /** Drops the connection without DISCONNECT, so the broker publishes the last will. */
  private drop(): void {
    const c = this.client;
    this.client = null;
    this.connected = false;
    this.gen++;
    this.rec.outbox.requeueInFlight();
    this.lostAt ??= this.rec.deviceNow();
    if (c) c.end(true);
  }

  private connect(): void {
    if (this.client || this.cut || !this.wanted) return;
    if (this.closing) {
      void this.closing.then(() => this.connect());
      return;
    }
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const serial = this.rec.serial;
    const gen = ++this.gen;
    void this.password().then(
      (password) => {
        if (gen !== this.gen || this.client || this.cut || !this.wanted) return;
        const will: Status = { v: PROTOCOL_VERSION, online: false, at: this.rec.deviceNow() };
        const c = mqtt.connect(this.opts.brokerUrl, {
          protocolVersion: 4,
          clientId: serial,
          username: serial,
          password,
          clean: true,
          reconnectPeriod: 0,
          connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
          keepalive: this.opts.keepaliveS ?? 30,
          queueQoSZero: false,
          will: {
            topic: topics.status(serial),
            payload: encodePayload(will),
            qos: 1,
            retain: !this.faults.willNotRetained,
          },
        });
        this.client = c;
        c.on('connect', () => this.onConnect(c, gen));
        c.on('message', (t, p) => this.onMessage(c, t, p));
        c.on('error', (err) => {
          this.stats.connectFailures++;
          this.log.warn({ err: err.message, code: (err as { code?: unknown }).code }, 'mqtt error');
        });
        c.on('close', () => this.onClose(c));
      },
      (err) => {
        this.log.error({ err }, 'no credentials');
        this.scheduleReconnect();
      },
    );
  }

  private async password(): Promise<string> {
    const p = this.opts.password;
    return typeof p === 'string' ? p : await p(this.rec.serial);
  }

  private onConnect(c: MqttClient, gen: number): void {
    if (c !== this.client || gen !== this.gen) return;
    this.connected = true;
    this.stats.connects++;
    this.backoff = this.opts.reconnectMinMs ?? 500;
    this.log.info('connected');
    const serial = this.rec.serial;
    const online: Status = { v: PROTOCOL_VERSION, online: true, at: this.rec.deviceNow() };
    c.publish(topics.status(serial), encodePayload(online), { qos: 1, retain: true });
    if (this.faults.forgetsOfflineEvents && this.lostAt !== undefined) {
      const lostAt = this.lostAt;
      for (const ev of this.rec.outbox.take(Number.POSITIVE_INFINITY))
        if (ev.at >= lostAt) this.rec.outbox.ack(ev.id);
      this.rec.outbox.requeueInFlight();
    }
    this.lostAt = undefined;
    c.subscribe(topics.cmd(serial), { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) {
        this.log.warn({ err: err?.message }, 'command topic subscription refused');
      }
    });
    this.pump();
  }

  private onClose(c: MqttClient): void {
    if (c !== this.client) return;
    const was = this.connected;
    this.client = null;
    this.connected = false;
    this.rec.outbox.requeueInFlight();
    if (was) this.lostAt ??= this.rec.deviceNow();
    if (was) this.log.info('connection closed');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.wanted || this.cut || this.reconnectTimer) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.opts.reconnectMaxMs ?? 30_000, this.backoff * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  /** Sends ready events, oldest first, keeping at most `window` unacknowledged. */
  private pump(): void {
    const c = this.client;
    if (!c || !this.connected) return;
    const room = this.window - this.rec.outbox.inFlightCount;
    if (room <= 0) return;
    const gen = this.gen;
    const topic = topics.event(this.rec.serial);
    for (const ev of this.rec.outbox.take(room)) {
      this.stats.eventsSent++;
      const sent = this.faults.seqGaps ? { ...ev, seq: ev.seq * 2 } : ev;
      c.publish(topic, encodePayload(sent), { qos: 1 }, (err) => {
        if (!err) {
          // A PUBACK means the broker has it, whichever connection carried it.
          this.stats.eventsAcked++;
          this.rec.outbox.ack(ev.id);
          this.pump();
        } else if (gen === this.gen) {
          this.log.debug({ id: ev.id, err: err.message }, 'event not acknowledged; will resend');
        }
      });
    }
  }

  private onMessage(c: MqttClient, topic: string, payload: Buffer): void {
    if (topic !== topics.cmd(this.rec.serial)) return;
    this.stats.commands++;
    const interval = this.rec.telemetryIntervalS;
    const { response, error } = handleCommandPayload(this.rec, payload);
    if (this.rec.telemetryIntervalS !== interval) {
      // A new interval applies from now, not after the old one runs out.
      this.rec.hw.clock.clearTimer(this.telemetryTimer);
      this.scheduleTelemetry();
    }
    if (error) {
      this.stats.badCommands++;
      this.log.warn({ reason: error }, 'bad command');
    }
    if (response && !(error && this.faults.silentOnBadCommands))
      c.publish(topics.cmdResponse(this.rec.serial), encodePayload(response), { qos: 1 });
  }

  private scheduleTelemetry(): void {
    this.telemetryTimer = this.rec.hw.clock.setTimer(() => {
      this.sendTelemetry();
      this.scheduleTelemetry();
    }, this.rec.telemetryIntervalS * 1000);
  }

  private sendTelemetry(): void {
    const c = this.client;
    if (!c || !this.connected || !this.rec.powered) return;
    try {
      c.publish(topics.telemetry(this.rec.serial), encodePayload(this.rec.telemetry()), {
        qos: this.faults.telemetryQos1 ? 1 : 0,
      });
      this.stats.telemetrySent++;
    } catch (err) {
      this.log.error({ err }, 'telemetry failed');
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
