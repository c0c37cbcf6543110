/**
 * Central's link to the province broker (PROTOCOL.md §7.3): one persistent MQTT session (clean =
 * false, QoS 1) subscribed to every office's namespace, so what offices publish while central is
 * down waits in the broker. Messages are taken in arrival order and each is acknowledged (PUBACK)
 * only once the ledger's synced batch holding it is written, so a crash re-delivers instead of
 * losing, and the ledger drops the repeat by `seq`. A payload naming another office than its topic
 * is refused: the broker's ACL binds the topic to the publisher's credential, the payload proves
 * nothing.
 *
 * mqtt.js reads the next packet only after the last one's PUBACK went out, which would make every
 * message wait for its own fsync (574 msg/s at 100 offices, bench/README.md). So the PUBACK is held
 * here instead: mqtt.js is told at once that it went (and reads on), the packet itself leaves when
 * the message's batch is durable. Acknowledgements stay in arrival order (MQTT 3.1.1 §4.6): batches
 * complete in call order.
 */
import { readFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { ALL_OFFICES, parseUpstreamTopic } from '../../protocol/upstream/topics.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import { scrub } from '../scrub.js';
import { decodeUpstream, OfficeStatus, UpstreamMessage } from '../uplink/messages.js';
import type { CentralConfig } from './config.js';
import type { Ledger } from './ledger.js';

/** mqtt.js's packet writer (not public API; pinned by package-lock, held by test/uplink). */
interface RawClient {
  _sendPacket(packet: { cmd: string }, cb?: (err?: Error) => void, ...rest: unknown[]): void;
}

export class CentralSubscriber implements Service {
  readonly name = 'central-subscriber';
  #client: MqttClient | undefined;
  rejected = 0;
  #subscribed = false;
  #lastReject: string | null = null;
  /** Connection generation: a held PUBACK goes out only on the connection its PUBLISH came on. */
  #gen = 0;
  /** Batch failures in a row (the reconnect backoff). */
  #failures = 0;
  #recovering: Promise<void> | undefined;
  /** Settles when every message taken so far on this connection is durable. */
  #durable: Promise<void> = Promise.resolve();

  constructor(
    readonly config: CentralConfig['broker'],
    readonly ledger: Ledger,
    readonly log: Logger,
  ) {}

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** Connected and subscribed (or the broker kept the session's subscription). */
  get subscribed(): boolean {
    return this.connected && this.#subscribed;
  }

  get lastReject(): string | null {
    return this.#lastReject;
  }

  async start(): Promise<void> {
    const c = this.config;
    const password = c.passwordFile
      ? (await readFile(c.passwordFile, 'utf8')).replace(/\r?\n$/, '')
      : undefined;
    const ca = c.caFile ? await readFile(c.caFile) : undefined;
    const client = mqtt.connect(c.url, {
      protocolVersion: 4,
      clientId: c.clientId,
      username: c.username,
      ...(password !== undefined ? { password } : {}),
      ...(ca ? { ca } : {}),
      clean: false,
      reconnectPeriod: c.reconnectS * 1000,
      connectTimeout: 30_000,
    });
    this.#client = client;
    const raw = client as unknown as RawClient;
    const send = raw._sendPacket.bind(client);
    raw._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd !== 'puback') return send(packet, cb, ...rest);
      const gen = this.#gen;
      void this.#durable.then(
        () => {
          if (gen === this.#gen && client.connected) send(packet);
        },
        () => {},
      );
      cb?.();
    };
    client.handleMessage = (packet, done) => {
      const gen = this.#gen;
      // What arrives while a failed batch is recovered is not taken: the broker sends it again.
      const stored = this.#recovering
        ? Promise.reject(new Error('central is recovering from a failed write'))
        : this.#handle(packet.topic, packet.payload as Buffer).then(
            () => {
              this.#failures = 0;
            },
            (err: unknown) => {
              if (gen === this.#gen) void this.#recover(client, err);
              throw err;
            },
          );
      // In arrival order: a message handled at once (a status) waits for those before it.
      this.#durable = Promise.all([this.#durable, stored]).then(() => undefined);
      // A failure is handled above (#recover); the held PUBACKs just never go out.
      this.#durable.catch(() => {});
      done();
    };
    client.on('connect', (ack) => {
      this.#durable = Promise.resolve();
      this.log.info({ sessionPresent: ack.sessionPresent }, 'central connected to the province broker');
      if (ack.sessionPresent) this.#subscribed = true;
      else
        client.subscribe(ALL_OFFICES, { qos: 1 }, (err) => {
          if (err) this.log.error({ err: scrub(err.message) }, 'subscribe refused');
          else this.#subscribed = true;
        });
    });
    client.on('close', () => {
      // PUBACKs held for the old connection are not sent on a new one (the broker re-delivers).
      this.#gen++;
      this.#subscribed = false;
    });
    client.on('error', (err) =>
      this.log.warn({ err: scrub(err.message, { secrets: [password] }) }, 'broker'),
    );
  }

  /**
   * A batch failed: its messages are not acknowledged (PUBACKs were held until durable), so the
   * broker re-delivers them on the next session. The ledger's seqs go back to what is durable
   * first, then central reconnects after a backoff that doubles per failure in a row (up to 60 s).
   */
  async #recover(client: MqttClient, err: unknown): Promise<void> {
    this.#gen++;
    this.#failures++;
    const delayMs = Math.min(60_000, this.config.reconnectS * 1000 * 2 ** (this.#failures - 1));
    this.log.error(
      { err: scrub((err as Error)?.message ?? String(err), { max: 300 }), retryInMs: delayMs },
      'upstream messages not stored; reconnecting for the broker to deliver them again',
    );
    const done = (async () => {
      await client.endAsync(true).catch(() => {});
      await this.ledger.rollback();
      await new Promise((r) => setTimeout(r, delayMs).unref());
    })();
    this.#recovering = done;
    try {
      await done;
    } catch (e) {
      this.log.error({ err: e }, 'central recovery failed');
    } finally {
      this.#recovering = undefined;
    }
    if (this.#client === client) client.reconnect();
  }

  async stop(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    await c?.endAsync(true).catch(() => {});
  }

  /** Resolves once subscribed (tests, the demo). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.subscribed) {
      if (Date.now() > until) throw new Error('central: no connection to the province broker');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async #handle(topic: string, payload: Buffer): Promise<void> {
    const t = parseUpstreamTopic(topic);
    if (!t) return this.#reject(topic, 'not an upstream topic');
    if (t.kind === 'status') {
      const s = decodeUpstream(OfficeStatus, payload);
      if (!s.ok) return this.#reject(topic, s.reason);
      this.ledger.status(t.office, s.value);
      return;
    }
    const r = decodeUpstream(UpstreamMessage, payload);
    if (!r.ok) return this.#reject(topic, r.reason);
    if (r.value.office !== t.office || r.value.kind !== t.kind) {
      return this.#reject(topic, `payload says ${r.value.office}/${r.value.kind}`);
    }
    await this.ledger.take(r.value);
  }

  #reject(topic: string, reason: string): void {
    this.rejected++;
    this.#lastReject = scrub(`${topic}: ${reason}`, { max: 300 });
    this.log.warn({ reject: this.#lastReject }, 'upstream message refused');
  }
}
