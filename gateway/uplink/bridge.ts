/**
 * The upstream bridge (PROTOCOL.md §7): an MQTT client of the province's central broker, over TLS
 * with this office's credential, publishing under the office's namespace. Everything goes through
 * the durable outbox first (store-and-forward): while the link is down messages wait there; once it
 * is up they leave in `seq` order, at most `inflight` unacknowledged, each deleted on its PUBACK.
 * A reconnect re-sends from the oldest unacknowledged one, so the far side may see a message twice
 * and drops it by `seq`. It is also a checkpoint witness (FORMATS.md §4): each checkpoint is queued
 * with a consistency proof from the previous one it queued.
 */
import { readFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { upstreamTopic } from '../../protocol/upstream/topics.js';
import type { Checkpoint } from '../custody/checkpoint.js';
import { toHex } from '../custody/merkle.js';
import type { Witness, WitnessContext } from '../custody/witnesses.js';
import { type Db, SYNCED } from '../db.js';
import type { ArchivedClip, EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import { scrub } from '../scrub.js';
import type { BatchOp } from '../store/keys.js';
import type { UplinkConfig } from './config.js';
import type { HealthBody, OfficeStatus, UpstreamMessage, UpstreamPayload } from './messages.js';
import { Outbox, type OutboxStats } from './outbox.js';
import { alertCleared, alertRaised, eventBody, FORWARDED_EVENTS } from './sources.js';

export interface UplinkBridgeOptions {
  config: UplinkConfig;
  db: Db;
  bus: EventBus;
  log: Logger;
  /** The office's fleet, interruptions, backlog and statistics now. */
  snapshot: () => Promise<HealthBody>;
  now?: () => number;
}

export interface UplinkState extends OutboxStats {
  enabled: boolean;
  connected: boolean;
  office: string;
  sent: number;
  lastError: string | null;
  /** The last checkpoint the central broker acknowledged (since start): when, and its tree size. */
  lastCheckpoint: { at: string; treeSize: number } | null;
}

export class UplinkBridge implements Service {
  readonly name = 'uplink';
  readonly outbox: Outbox;
  readonly witness: Witness;
  readonly #o: UplinkBridgeOptions;
  readonly #now: () => number;
  readonly #off: (() => void)[] = [];
  #client: MqttClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Highest seq handed to the client on this connection. */
  #cursor = 0;
  #inflight = new Set<number>();
  /** Connection generation: acks from an older connection do not touch this one's window. */
  #gen = 0;
  #pumping = false;
  #wake: (() => void) | undefined;
  #stopped = false;
  #sent = 0;
  #lastError: string | null = null;
  #lastCheckpoint: UplinkState['lastCheckpoint'] = null;
  #secret: string | undefined;

  constructor(opts: UplinkBridgeOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.outbox = new Outbox(opts.db, opts.config.office, opts.config.maxQueued);
    this.witness = {
      name: `uplink:${opts.config.office}`,
      deliver: (cp, ctx) => this.#checkpoint(cp, ctx),
    };
  }

  get enabled(): boolean {
    return this.#o.config.url !== undefined;
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  async start(): Promise<void> {
    if (!this.enabled) return;
    this.#stopped = false;
    await this.outbox.open();
    const { bus } = this.#o;
    this.#off.push(
      bus.on('alert.raised', (a) => this.#queue({ kind: 'alert', body: alertRaised(a) })),
      bus.on('alert.cleared', (a) => this.#queue({ kind: 'alert', body: alertCleared(a) })),
      ...FORWARDED_EVENTS.map((name) =>
        bus.on(name, (p) => this.#queue({ kind: 'event', body: eventBody(name, p) })),
      ),
    );
    this.#timer = setInterval(() => void this.queueHealth(), this.#o.config.healthEveryS * 1000);
    this.#timer.unref();
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const off of this.#off.splice(0)) off();
    clearInterval(this.#timer);
    this.#wake?.();
    const c = this.#client;
    this.#client = undefined;
    if (c) await c.endAsync(true).catch(() => {});
  }

  /**
   * Reports an original archived (PROTOCOL.md §7.2) with the archive's own writes `ops` in one
   * synced batch, so neither is durable without the other. Without an upstream, just `ops`.
   */
  async reportArchived(e: ArchivedClip, ops: BatchOp[]): Promise<void> {
    if (!this.enabled) {
      await this.#o.db.batch(ops, SYNCED);
      return;
    }
    await this.outbox.open();
    await this.outbox.add({ kind: 'event', body: eventBody('clip.archived', e) }, this.#now(), ops);
    this.#kick();
  }

  /** Queue a fleet snapshot now (also every `healthEveryS`). */
  async queueHealth(): Promise<void> {
    try {
      await this.#queue({ kind: 'health', body: await this.#o.snapshot() });
    } catch (err) {
      this.#o.log.warn({ err: scrub((err as Error).message) }, 'uplink health snapshot failed');
    }
  }

  async state(): Promise<UplinkState> {
    const enabled = this.enabled;
    const stats = enabled ? await this.outbox.stats(this.#now()) : { depth: 0, oldestAgeMs: 0, dropped: 0 };
    return {
      enabled,
      connected: this.connected,
      office: this.#o.config.office,
      sent: this.#sent,
      lastError: this.#lastError,
      lastCheckpoint: this.#lastCheckpoint,
      ...stats,
    };
  }

  async #queue(p: UpstreamPayload): Promise<UpstreamMessage | undefined> {
    const m = await this.outbox.add(p, this.#now());
    this.#kick();
    return m;
  }

  async #checkpoint(cp: Checkpoint, ctx: WitnessContext): Promise<void> {
    if (!this.enabled) return;
    await this.outbox.open();
    const from = this.outbox.checkpointTreeSize;
    // A log shorter than what was sent has no proof: sent without one, central calls it a fork.
    const provable = from !== null && from <= cp.treeSize;
    const consistency = provable ? ctx.tree.consistencyProof(from, cp.treeSize).map(toHex) : [];
    await this.#queue({
      kind: 'checkpoint',
      body: { checkpoint: cp, key: ctx.key, fromTreeSize: provable ? from : null, consistency },
    });
  }

  async #connect(): Promise<void> {
    const c = this.#o.config;
    const url = c.url as string;
    this.#secret = c.passwordFile
      ? (await readFile(c.passwordFile, 'utf8')).replace(/\r?\n$/, '')
      : undefined;
    const ca = c.caFile ? await readFile(c.caFile) : undefined;
    const status = (online: boolean): string =>
      JSON.stringify({ v: 1, online, at: new Date(this.#now()).toISOString() } satisfies OfficeStatus);
    const statusTopic = upstreamTopic(c.office, 'status');
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: `office-${c.office}`,
      username: c.office,
      ...(this.#secret !== undefined ? { password: this.#secret } : {}),
      ...(ca ? { ca } : {}),
      clean: true,
      keepalive: c.keepaliveS,
      connectTimeout: c.connectTimeoutS * 1000,
      reconnectPeriod: c.reconnectS * 1000,
      will: { topic: statusTopic, payload: Buffer.from(status(false)), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('connect', () => {
      this.#gen++;
      this.#cursor = 0;
      this.#inflight.clear();
      this.#lastError = null;
      this.#o.log.info({ office: c.office }, 'uplink connected');
      client.publish(statusTopic, status(true), { qos: 1, retain: true });
      this.#kick();
    });
    client.on('close', () => this.#wake?.());
    client.on('error', (err) => {
      const msg = scrub(err.message, { secrets: [this.#secret], max: 300 });
      if (msg !== this.#lastError) this.#o.log.warn({ err: msg }, 'uplink error');
      this.#lastError = msg;
    });
  }

  #kick(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      const window = this.#o.config.inflight;
      while (!this.#stopped && this.connected) {
        const room = window - this.#inflight.size;
        const batch = room > 0 ? await this.outbox.after(this.#cursor, room) : [];
        if (batch.length === 0) {
          await new Promise<void>((r) => {
            this.#wake = r;
          });
          continue;
        }
        for (const m of batch) this.#send(m);
      }
    } catch (err) {
      this.#o.log.error({ err }, 'uplink pump failed');
    } finally {
      this.#pumping = false;
    }
  }

  #send(m: UpstreamMessage): void {
    const client = this.#client;
    if (!client) return;
    const gen = this.#gen;
    this.#cursor = m.seq;
    this.#inflight.add(m.seq);
    client.publish(upstreamTopic(m.office, m.kind), JSON.stringify(m), { qos: 1 }, (err) => {
      if (gen === this.#gen) this.#inflight.delete(m.seq);
      if (err) {
        this.#kick();
        return;
      }
      this.#sent++;
      if (m.kind === 'checkpoint')
        this.#lastCheckpoint = {
          at: new Date(this.#now()).toISOString(),
          treeSize: m.body.checkpoint.treeSize,
        };
      this.outbox.done(m.seq).then(
        () => this.#kick(),
        (e: unknown) => this.#o.log.error({ err: e }, 'uplink outbox delete failed'),
      );
    });
  }
}
