/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1) for the recorders' field link (PROTOCOL.md §2).
 *
 * Recorder traffic is processed inside the broker's hooks, not through a subscribing client:
 * `authenticate` checks the recorder's issued credential, `authorizePublish` applies the ACL,
 * validates the payload against the protocol schema and hands the typed message to the gateway.
 * Recorder->gateway topics can have no subscribers (the ACL lets a recorder subscribe only to its
 * own command topic), so consumed packets skip aedes' routing (mqemitter + persistence): that is
 * what puts the gateway at or above a plain broker's throughput (bench/telemetry.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type ConnectPacket, type PublishPacket } from 'aedes';
import { decodePayload } from '../../protocol/mqtt/decode.js';
import type { CommandResponse, RecorderEvent, Status, Telemetry } from '../../protocol/mqtt/messages.js';
import { type TopicKind, topics } from '../../protocol/mqtt/topics.js';
import type { GatewayConfig } from '../config.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import { aclFor, mayPublish, maySubscribe, type RecorderAcl } from './acl.js';
import { ConnectionGuard, type GuardStats } from './connection-guard.js';
import { Throttle } from './throttle.js';

/** Where validated recorder traffic goes. Called synchronously from the broker hooks: keep it fast. */
export interface RecorderTraffic {
  telemetry(serial: string, t: Telemetry, receivedAt: number): void;
  event(serial: string, e: RecorderEvent, receivedAt: number): void;
  status(serial: string, s: Status, receivedAt: number): void;
  commandResponse(serial: string, r: CommandResponse, receivedAt: number): void;
  connection(serial: string, connected: boolean, at: number): void;
}

export type CredentialCheck = (serial: string, credential: Buffer | undefined) => 'ok' | 'unknown' | 'bad';

export interface BrokerOptions {
  config: GatewayConfig['mqtt'];
  log: Logger;
  bus: EventBus;
  verify: CredentialCheck;
  traffic: RecorderTraffic;
}

export interface Rejections {
  /** Payloads that failed validation. */
  payloads: number;
  /** Publishes/subscribes refused by the ACL. */
  acl: number;
  last?: { topic: string; code: string; reason: string; at: string };
}

export interface BrokerStats {
  connected: number;
  /** Messages validated and handed to the gateway. */
  processed: number;
  rejectedPayloads: number;
  aclDenied: number;
  refusedConnects: number;
  /** Connections refused or cut off by the connection guard (rate, packet size). */
  guard: GuardStats;
}

// MQTT 3.1.1 CONNACK return codes (§3.2.2.3).
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

type Callback = (err?: Error | null) => void;

export class MqttBroker implements Service {
  readonly name = 'mqtt-broker';
  readonly #opts: BrokerOptions;
  readonly #log: Logger;
  #aedes?: Aedes;
  #tcp?: Server;
  #tls?: Server;
  readonly #acl = new WeakMap<Client, RecorderAcl>();
  /** The live connection per serial (a reconnect replaces it). */
  readonly #clients = new Map<string, Client>();
  /** Wills seen at CONNECT, checked in authenticate where a return code can be sent. */
  readonly #wills = new WeakMap<Client, ConnectPacket['will']>();
  readonly #consumed = new WeakSet<object>();
  readonly #rejections = new Map<string, Rejections>();
  readonly #throttle = new Throttle();
  readonly #guard: ConnectionGuard;
  #processed = 0;
  #rejectedPayloads = 0;
  #aclDenied = 0;
  #refusedConnects = 0;

  constructor(opts: BrokerOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    this.#guard = new ConnectionGuard({
      maxPacketBytes: opts.config.maxPacketBytes,
      ...opts.config.connectRate,
      log: opts.log,
    });
  }

  get port(): number {
    return portOf(this.#tcp);
  }

  get tlsPort(): number {
    return portOf(this.#tls);
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker({
      connectTimeout: this.#opts.config.connectTimeoutS * 1000,
      preConnect: (client, packet, done) => {
        this.#wills.set(client, packet.will);
        done(null, true);
      },
      authenticate: (client, username, password, done) =>
        this.#authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.#authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => {
        const acl = this.#acl.get(client);
        if (acl && maySubscribe(acl, sub.topic)) return done(null, sub);
        this.#denied(acl?.serial ?? null, sub.topic, 'subscribe');
        done(null, null); // SUBACK 0x80 for this filter; the connection stays.
      },
    });
    this.#aedes = aedes;
    this.#skipRoutingOfConsumed(aedes);
    aedes.on('clientReady', (client) => {
      const acl = this.#acl.get(client);
      if (!acl) return;
      this.#clients.set(acl.serial, client);
      this.#safely(() => this.#opts.traffic.connection(acl.serial, true, Date.now()));
    });
    aedes.on('clientDisconnect', (client) => {
      const acl = this.#acl.get(client);
      if (!acl || this.#clients.get(acl.serial) !== client) return;
      this.#clients.delete(acl.serial);
      this.#safely(() => this.#opts.traffic.connection(acl.serial, false, Date.now()));
    });
    aedes.on('clientError', (client, err) => {
      this.#log.debug({ client: client?.id, err: err.message }, 'mqtt client error');
    });
    aedes.on('connectionError', (client, err) => {
      this.#log.debug({ client: client?.id, err: err.message }, 'mqtt connection error');
    });

    const { config } = this.#opts;
    const handle = this.#guard.wrap(aedes.handle);
    this.#tcp = await listenOn(createTcpServer(handle), config.host, config.port);
    if (config.tls) {
      const [cert, key] = await Promise.all([readFile(config.tls.certFile), readFile(config.tls.keyFile)]);
      const tls = createTlsServer({ cert, key }, this.#guard.wrap(aedes.handle, { rate: false }));
      this.#guard.limitRate(tls);
      this.#tls = await listenOn(tls, config.host, config.tls.port);
    }
    this.#log.info(
      { port: this.port, tlsPort: this.#tls ? this.tlsPort : undefined },
      'mqtt broker listening',
    );
  }

  async stop(): Promise<void> {
    const aedes = this.#aedes;
    this.#aedes = undefined;
    if (aedes) await new Promise<void>((res) => aedes.close(() => res()));
    await Promise.all([closeServer(this.#tcp), closeServer(this.#tls)]);
    this.#tcp = undefined;
    this.#tls = undefined;
    this.#clients.clear();
  }

  isConnected(serial: string): boolean {
    return this.#clients.has(serial);
  }

  connectedSerials(): string[] {
    return [...this.#clients.keys()];
  }

  /** Drops a recorder's connection (credential rotated, recorder retired). */
  disconnect(serial: string): void {
    this.#clients.get(serial)?.close();
  }

  /** Publishes a gateway -> recorder command (QoS 1) on the recorder's command topic. */
  publishCommand(serial: string, payload: Buffer): Promise<void> {
    const aedes = this.#aedes;
    if (!aedes) return Promise.reject(new Error('broker not started'));
    const packet: PublishPacket = {
      cmd: 'publish',
      topic: topics.cmd(serial),
      payload,
      qos: 1,
      retain: false,
      dup: false,
    };
    return new Promise((res, rej) => aedes.publish(packet, (err) => (err ? rej(err) : res())));
  }

  rejections(serial: string): Rejections | undefined {
    return this.#rejections.get(serial);
  }

  stats(): BrokerStats {
    return {
      connected: this.#clients.size,
      processed: this.#processed,
      rejectedPayloads: this.#rejectedPayloads,
      aclDenied: this.#aclDenied,
      refusedConnects: this.#refusedConnects,
      guard: { ...this.#guard.stats },
    };
  }

  #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const refusal = this.#checkConnect(client, username, password);
    if (!refusal) {
      this.#acl.set(client, aclFor(username as string));
      done(null, true);
      return;
    }
    const [returnCode, why] = refusal;
    this.#refusedConnects++;
    const suppressed = this.#throttle.allow(`connect:${username ?? '(anonymous)'}`);
    if (suppressed !== null) {
      this.#log.warn(
        { username: username ?? null, clientId: client.id, returnCode, suppressed },
        `mqtt connect refused: ${why}`,
      );
    }
    const err = new Error(why) as AuthenticateError;
    (err as { returnCode: number }).returnCode = returnCode;
    done(err, false);
  }

  /** Null when the connect is acceptable, else [CONNACK return code, why]. */
  #checkConnect(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): [number, string] | null {
    if (!username) return [NOT_AUTHORIZED, 'anonymous'];
    const verdict = this.#opts.verify(username, password);
    if (verdict === 'unknown') return [NOT_AUTHORIZED, 'unknown recorder'];
    if (verdict === 'bad') return [BAD_USERNAME_OR_PASSWORD, 'wrong credential'];
    // The client id must be the serial: otherwise one recorder could take over (and so
    // disconnect) another's session under MQTT-3.1.4-2.
    if (client.id !== username) return [IDENTIFIER_REJECTED, 'client id must be the serial'];
    const will = this.#wills.get(client);
    if (will && will.topic !== topics.status(username)) {
      return [NOT_AUTHORIZED, `last will must be on ${topics.status(username)}`];
    }
    return null;
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, done: Callback): void {
    const acl = client ? this.#acl.get(client) : undefined;
    const kind = acl ? mayPublish(acl, packet.topic) : null;
    if (!acl || !kind) {
      this.#denied(acl?.serial ?? null, packet.topic, 'publish');
      done(new Error('not authorized')); // aedes drops the connection (MQTT-3.3.5-2)
      return;
    }
    // A bad payload is rejected (not processed) but still acknowledged: refusing it would make the
    // recorder resend the same bad message forever.
    this.#consumed.add(packet);
    try {
      this.#consume(acl.serial, kind, packet.topic, packet.payload as Buffer);
    } catch (err) {
      // A failing handler is a gateway bug: log it, never let it take the connection down.
      this.#log.error({ err, recorder: acl.serial, topic: packet.topic }, 'recorder traffic handler failed');
    }
    done(null);
  }

  /** True when the payload was valid and handed on. */
  #consume(serial: string, kind: TopicKind, topic: string, payload: Buffer): boolean {
    const receivedAt = Date.now();
    const traffic = this.#opts.traffic;
    switch (kind) {
      case 'telemetry': {
        const d = decodePayload('telemetry', payload);
        if (!d.ok) return this.#reject(serial, topic, d.code, d.reason);
        this.#processed++;
        traffic.telemetry(serial, d.value, receivedAt);
        return true;
      }
      case 'event': {
        const d = decodePayload('event', payload);
        if (!d.ok) return this.#reject(serial, topic, d.code, d.reason);
        this.#processed++;
        traffic.event(serial, d.value, receivedAt);
        return true;
      }
      case 'status': {
        const d = decodePayload('status', payload);
        if (!d.ok) return this.#reject(serial, topic, d.code, d.reason);
        this.#processed++;
        traffic.status(serial, d.value, receivedAt);
        return true;
      }
      case 'cmd/res': {
        const d = decodePayload('cmd/res', payload);
        if (!d.ok) return this.#reject(serial, topic, d.code, d.reason);
        this.#processed++;
        traffic.commandResponse(serial, d.value, receivedAt);
        return true;
      }
      default:
        return this.#reject(serial, topic, 'ACL_DENIED', `recorders do not publish on ${kind}`);
    }
  }

  #reject(serial: string, topic: string, code: string, reason: string): false {
    this.#rejectedPayloads++;
    const r = this.#rejectionsOf(serial);
    r.payloads++;
    r.last = { topic, code, reason, at: new Date().toISOString() };
    const suppressed = this.#throttle.allow(`payload:${serial}`);
    if (suppressed !== null) {
      this.#log.warn({ recorder: serial, topic, code, reason, suppressed }, 'payload rejected');
      this.#opts.bus.emit('recorder.rejected', { serial, topic, code, reason });
    }
    return false;
  }

  #denied(serial: string | null, topic: string, what: 'publish' | 'subscribe'): void {
    this.#aclDenied++;
    if (serial) this.#rejectionsOf(serial).acl++;
    const suppressed = this.#throttle.allow(`acl:${serial}`);
    if (suppressed !== null) {
      this.#log.warn({ recorder: serial, topic, what, suppressed }, `mqtt ${what} refused by ACL`);
      this.#opts.bus.emit('recorder.rejected', {
        serial,
        topic,
        code: 'ACL_DENIED',
        reason: `${what} not allowed`,
      });
    }
  }

  #rejectionsOf(serial: string): Rejections {
    let r = this.#rejections.get(serial);
    if (!r) {
      r = { payloads: 0, acl: 0 };
      this.#rejections.set(serial, r);
    }
    return r;
  }

  /** A failing handler is a gateway bug: log it, never let it take the broker down. */
  #safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, 'recorder traffic handler failed');
    }
  }

  /**
   * Packets this gateway consumed in authorizePublish are done: aedes would otherwise match them
   * against subscriptions (there can be none) and, for QoS 1, look up offline sessions. Everything
   * else (our commands, anything not consumed) goes the normal way.
   */
  #skipRoutingOfConsumed(aedes: Aedes): void {
    const route = aedes.publish.bind(aedes) as (p: PublishPacket, c: unknown, cb: Callback) => void;
    const consumed = this.#consumed;
    (aedes as unknown as { publish: (p: PublishPacket, c: unknown, cb?: Callback) => void }).publish = (
      packet,
      client,
      cb,
    ) => {
      if (client && typeof client === 'object' && consumed.has(packet)) {
        consumed.delete(packet);
        return (cb ?? noop)(null);
      }
      if (typeof client === 'function') return route(packet, null, client as Callback);
      route(packet, client, cb ?? noop);
    };
  }
}

function noop(): void {}

function portOf(server: Server | undefined): number {
  const a = server?.address();
  if (!a || typeof a === 'string') throw new Error('not listening');
  return a.port;
}

function listenOn(server: Server, host: string, port: number): Promise<Server> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => {
      server.off('error', rej);
      res(server);
    });
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((res) => server.close(() => res()));
}
