/**
 * Bounds on what an MQTT peer can make the broker hold before it has proved anything:
 *
 * - Connection rate per remote address (token bucket): a reconnect storm or a scanner cannot open
 *   connections faster than `perSecond` after an initial `burst`.
 * - Maximum packet size: the fixed header's remaining length (MQTT 3.1.1 §2.2.3) is checked the
 *   moment it is parsed, so a CONNECT or PUBLISH declaring 250 MB is cut off before its body is
 *   buffered (mqtt-packet would otherwise collect the whole declared length in memory). MQTT 3.1.1
 *   has no way to tell the peer the limit; the connection is closed, as for a malformed packet
 *   (§4.8).
 *
 * The third bound, clients that never finish CONNECT, is aedes' own `connectTimeout`.
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from '../log.js';
import { Throttle } from './throttle.js';

/** Addresses remembered at once; a full bucket is forgotten first (it would allow the same). */
const MAX_ADDRESSES = 50_000;

export interface ConnectionGuardOptions {
  maxPacketBytes: number;
  burst: number;
  perSecond: number;
  log: Logger;
  now?: () => number;
}

export interface GuardStats {
  /** Connections refused by the per-address rate. */
  rateLimited: number;
  /** Connections closed for declaring a packet over the maximum size. */
  oversize: number;
}

/** What the guard needs of aedes' per-connection parser (mqtt-packet's Parser). */
interface PacketParser {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

export class ConnectionGuard {
  readonly #o: ConnectionGuardOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #throttle = new Throttle();
  readonly stats: GuardStats = { rateLimited: 0, oversize: 0 };
  #hookMissing = false;

  constructor(o: ConnectionGuardOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /**
   * Wraps aedes' connection handler. `rate: false` when the server's raw sockets were already
   * admitted by `limitRate` (TLS: before the handshake, which costs more than the refusal).
   */
  wrap(handle: (conn: Socket) => unknown, o: { rate: boolean } = { rate: true }): (conn: Socket) => void {
    return (conn) => {
      const address = conn.remoteAddress ?? 'unknown';
      if (o.rate && !this.#admitted(conn)) return;
      const client = handle(conn) as { _parser?: PacketParser } | undefined;
      this.#limitPacketSize(client?._parser, address);
    };
  }

  /** Applies the per-address rate to a server's sockets as they are accepted. */
  limitRate(server: Server): void {
    server.on('connection', (conn: Socket) => void this.#admitted(conn));
  }

  #admitted(conn: Socket): boolean {
    const address = conn.remoteAddress ?? 'unknown';
    if (this.admit(address)) return true;
    this.stats.rateLimited++;
    this.#warn('rate', { address }, 'mqtt connection refused: too many from this address');
    conn.destroy();
    return false;
  }

  /** Takes a token from the address's bucket; false when it is empty. */
  admit(address: string): boolean {
    const t = this.#now();
    const { burst, perSecond } = this.#o;
    let b = this.#buckets.get(address);
    if (!b) {
      b = { tokens: burst, at: t };
      if (this.#buckets.size >= MAX_ADDRESSES) this.#forgetFull(t);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      this.#buckets.delete(address); // re-inserted last: least recently seen first
    }
    this.#buckets.set(address, b);
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  #limitPacketSize(parser: PacketParser | undefined, address: string): void {
    if (typeof parser?._parseLength !== 'function' || typeof parser._emitError !== 'function') {
      if (!this.#hookMissing)
        this.#o.log.error('mqtt packet size limit not installed: aedes internals changed');
      this.#hookMissing = true;
      return;
    }
    const parseLength = parser._parseLength;
    const max = this.#o.maxPacketBytes;
    const guard = this;
    parser._parseLength = function (this: PacketParser) {
      if (!parseLength.call(this)) return false;
      if (this.packet.length <= max) return true;
      guard.stats.oversize++;
      guard.#warn(
        'oversize',
        { address, cmd: this.packet.cmd, declared: this.packet.length, max },
        'mqtt packet over the maximum size: connection closed',
      );
      this._emitError(new Error(`packet of ${this.packet.length} bytes over the ${max}-byte maximum`));
      return false;
    };
  }

  #forgetFull(t: number): void {
    const { burst, perSecond } = this.#o;
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((t - b.at) / 1000) * perSecond >= burst) this.#buckets.delete(k);
    }
    // Still full of active addresses: forget the least recently seen.
    if (this.#buckets.size >= MAX_ADDRESSES)
      this.#buckets.delete(this.#buckets.keys().next().value as string);
  }

  #warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const suppressed = this.#throttle.allow(key);
    if (suppressed !== null) this.#o.log.warn({ ...fields, suppressed }, msg);
  }
}
