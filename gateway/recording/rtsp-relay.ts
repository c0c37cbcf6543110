/**
 * Loopback RTSP relay: ffmpeg never holds a camera password. ffmpeg 5.1 takes RTSP credentials
 * only in its input URL, and a process's argv is readable by every local user (`ps`,
 * /proc/<pid>/cmdline). So the gateway does the RTSP authentication itself: each ffmpeg run is
 * given a ticket URL `rtsp://127.0.0.1:<port>/<one-time token>` without credentials, and this relay
 * - accepts exactly one connection for a ticket (the first request names the token; the token is
 *   then spent, later connections with it get 404), and only while the ticket is open; a ticket
 *   bound to its ffmpeg's pid is given only to a connection that process holds (socket-owner.ts),
 *   so the token, readable on ffmpeg's argv, is no use to another local user;
 * - connects to the ticket's camera (fixed by the ticket, never by the request: no open proxy);
 * - forwards ffmpeg's requests with their URLs rewritten to the camera's, its own CSeq numbers
 *   (a request resent with credentials is a new request, RFC 2326 §12.17) and an Authorization
 *   answering the camera's challenge (rtsp-auth.ts: Digest, or Basic when that is all it offers);
 * - returns the camera's responses with CSeq, Content-Base, Content-Location and RTP-Info mapped
 *   back, and WWW-Authenticate removed;
 * - passes interleaved RTP/RTCP (RFC 2326 §10.12) through as plain bytes in both directions
 *   (rtsp-wire.ts slices frames out of each chunk without copying them). Towards ffmpeg the frames
 *   are gathered for up to FLUSH_MS and leave in one writev: a camera's TCP stream arrives a
 *   packet or a frame per read, and a loopback write per read was the gateway's largest CPU cost
 *   while recording (the price of keeping the password out of argv). RTSP answers flush at once
 *   (with any frames gathered before them), so the handshake is not slowed.
 * A 401 after a fresh challenge, or a 403, is the ticket's failure `auth` (the recording names the
 * cause instead of reading ffmpeg's words), and each connection reports once whether the camera
 * accepted the credentials (the registry's camera state). A 461 to a SETUP is the failure
 * `transport`: the recording then asks for the other lower transport.
 * RTP over UDP is not relayed: it goes from the camera to ffmpeg's own ports (the camera sends it
 * to the address of the relay's connection, this host).
 * The tracks a camera's SDP lists (sdp.ts) are kept from every DESCRIBE answer that passes, so the
 * recording can choose its audio handling from the stream (`describe`) without asking again.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import { scrub } from '../scrub.js';
import { RtspClientAuth } from './rtsp-auth.js';
import { describeStream } from './rtsp-describe.js';
import {
  encodeMessage,
  header,
  headerAll,
  type RtspMessage,
  RtspWire,
  type WireItem,
  withHeader,
} from './rtsp-wire.js';
import { type SdpTrack, sdpTracks } from './sdp.js';
import { processOwnsPeer } from './socket-owner.js';
import type { StreamAccess, StreamEndpoint, StreamFailure, StreamTicket } from './stream-access.js';

export interface RtspRelayOptions {
  log: Logger;
  /** Once per connection: did the camera accept our credentials (false on 401/403). */
  onAuth?(cameraId: string, accepted: boolean): void;
  /** A ticket nobody connected to within this long is void (default 30 s). */
  ticketTtlMs?: number;
  /** Connecting to the camera (default 5 s); the first request must arrive as fast. */
  connectTimeoutMs?: number;
}

const LOOPBACK = '127.0.0.1';
const CLIENT_MAX_MESSAGE = 16 * 1024;
const CAMERA_MAX_MESSAGE = 256 * 1024;
/** How long interleaved frames towards ffmpeg may wait to leave together (well under any stall check). */
const FLUSH_MS = 100;
/** A stream's tracks, once seen, are trusted this long (a camera's codec changes with its config). */
const TRACKS_TTL_MS = 10 * 60_000;

interface Ticket {
  token: string;
  endpoint: StreamEndpoint;
  /** `rtsp://127.0.0.1:<port>/<token>`: what ffmpeg's URLs begin with. */
  localBase: string;
  /** The camera URL those map to (its trailing slash, if any, is carried by the ticket URL). */
  upPrefix: string;
  state: 'open' | 'claimed' | 'closed';
  /** The process the ticket is for, once started (bind). */
  owner: (() => number | undefined) | null;
  failure: StreamFailure | null;
  /** When the camera last sent anything on this ticket's connection (Date.now()). */
  heardAt: number | null;
  conn: RelayConnection | null;
  timer: NodeJS.Timeout;
}

export class RtspRelay implements Service, StreamAccess {
  readonly name = 'rtsp-relay';
  readonly #o: RtspRelayOptions;
  readonly #log: Logger;
  readonly #tickets = new Map<string, Ticket>();
  readonly #conns = new Set<RelayConnection>();
  /** Tracks by camera and stream URL, from the last DESCRIBE answer. */
  readonly #tracks = new Map<string, { tracks: SdpTrack[]; at: number }>();
  #server: Server | undefined;
  #port = 0;
  /** Counters for tests and the bench. */
  readonly stats = {
    tickets: 0,
    connections: 0,
    refused: 0,
    bytesToFfmpeg: 0,
    frameReads: 0,
    frameWrites: 0,
  };

  constructor(opts: RtspRelayOptions) {
    this.#o = opts;
    this.#log = opts.log;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const server = createServer((sock) => this.#accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, LOOPBACK, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const addr = server.address();
    this.#port = typeof addr === 'object' && addr ? addr.port : 0;
    this.#log.debug({ port: this.#port }, 'rtsp relay listening');
  }

  async stop(): Promise<void> {
    for (const t of [...this.#tickets.values()]) this.#close(t);
    for (const c of [...this.#conns]) c.destroy();
    const s = this.#server;
    this.#server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  open(endpoint: StreamEndpoint): StreamTicket {
    if (!this.#server) throw new GatewayError('INTERNAL', 'rtsp relay not started');
    let u: URL;
    try {
      u = new URL(endpoint.url);
    } catch {
      throw new GatewayError('BAD_REQUEST', 'stream URL is not a URL');
    }
    if ((u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') || u.username || u.password)
      throw new GatewayError('BAD_REQUEST', 'the relay takes rtsp(s) URLs without credentials');
    const token = randomBytes(18).toString('base64url');
    const localBase = `rtsp://${LOOPBACK}:${this.#port}/${token}`;
    const slash = endpoint.url.endsWith('/');
    const t: Ticket = {
      token,
      endpoint,
      localBase,
      upPrefix: slash ? endpoint.url.slice(0, -1) : endpoint.url,
      state: 'open',
      owner: null,
      failure: null,
      heardAt: null,
      conn: null,
      timer: setTimeout(() => {
        if (t.state === 'open') this.#close(t);
      }, this.#o.ticketTtlMs ?? 30_000),
    };
    t.timer.unref();
    this.#tickets.set(token, t);
    this.stats.tickets++;
    return {
      url: localBase + (slash ? '/' : ''),
      failure: () => t.failure,
      heardAgoMs: () => (t.heardAt === null ? null : Date.now() - t.heardAt),
      bind: (pid) => {
        t.owner = pid;
      },
      close: () => this.#close(t),
    };
  }

  async describe(endpoint: StreamEndpoint): Promise<SdpTrack[] | null> {
    const key = `${endpoint.cameraId} ${endpoint.url}`;
    const seen = this.#tracks.get(key);
    if (seen && Date.now() - seen.at < TRACKS_TTL_MS) return seen.tracks;
    const r = await describeStream(endpoint, this.#o.connectTimeoutMs ?? 5000);
    if (!r.ok) {
      if (r.reason === 'auth') this.#o.onAuth?.(endpoint.cameraId, false);
      this.#log.debug({ camera: endpoint.cameraId, status: r.status, reason: r.reason }, 'describe failed');
      return null;
    }
    if (r.authorized) this.#o.onAuth?.(endpoint.cameraId, true);
    this.#tracks.set(key, { tracks: r.tracks, at: Date.now() });
    return r.tracks;
  }

  #close(t: Ticket): void {
    if (t.state === 'closed') return;
    t.state = 'closed';
    clearTimeout(t.timer);
    this.#tickets.delete(t.token);
    t.conn?.destroy();
  }

  /**
   * The ticket a first request names, spent by this call; null when none is open, or when the
   * connection is not its process's (the ticket then stays open for that process).
   */
  async #claim(uri: string, sock: Socket): Promise<Ticket | null> {
    const m = /^rtsps?:\/\/[^/]+\/([A-Za-z0-9_-]{24})(?:[/?]|$)/.exec(uri);
    const t = m ? this.#tickets.get(m[1]!) : undefined;
    if (t?.state !== 'open') return null;
    if (t.owner) {
      const pid = t.owner();
      const ours =
        pid !== undefined &&
        (await processOwnsPeer(
          pid,
          { ip: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 },
          { ip: sock.localAddress ?? '', port: sock.localPort ?? 0 },
        ));
      if (!ours) {
        this.#log.warn(
          { camera: t.endpoint.cameraId, pid },
          "a connection not held by the ticket's ffmpeg asked for its stream: refused",
        );
        return null;
      }
      if (t.state !== 'open') return null;
    }
    t.state = 'claimed';
    this.#tickets.delete(t.token);
    clearTimeout(t.timer);
    return t;
  }

  #accept(sock: Socket): void {
    this.stats.connections++;
    const conn = new RelayConnection(sock, {
      claim: (uri) => this.#claim(uri, sock),
      timeoutMs: this.#o.connectTimeoutMs ?? 5000,
      log: this.#log,
      onAuth: (id, ok) => this.#o.onAuth?.(id, ok),
      onRefused: () => this.stats.refused++,
      onBytes: (n) => {
        this.stats.bytesToFfmpeg += n;
      },
      onFrames: (what) => {
        if (what === 'read') this.stats.frameReads++;
        else this.stats.frameWrites++;
      },
      onTracks: (ep, tracks) => {
        this.#tracks.set(`${ep.cameraId} ${ep.url}`, { tracks, at: Date.now() });
      },
    });
    this.#conns.add(conn);
    sock.once('close', () => this.#conns.delete(conn));
  }
}

interface ConnectionHooks {
  claim(uri: string): Promise<Ticket | null>;
  timeoutMs: number;
  log: Logger;
  onAuth(cameraId: string, accepted: boolean): void;
  onRefused(): void;
  onBytes(n: number): void;
  /** Frames read from the camera and passed on (`read`); a gathered run of them written (`write`). */
  onFrames(what: 'read' | 'write'): void;
  onTracks(endpoint: StreamEndpoint, tracks: SdpTrack[]): void;
}

interface InFlight {
  request: RtspMessage;
  clientCseq: string | undefined;
  upCseq: string;
  retried: boolean;
  authorized: boolean;
}

class RelayConnection {
  readonly #client: Socket;
  readonly #h: ConnectionHooks;
  readonly #fromClient = new RtspWire(CLIENT_MAX_MESSAGE);
  readonly #fromCamera = new RtspWire(CAMERA_MAX_MESSAGE);
  #ticket: Ticket | null = null;
  /** Items read while the first request's ticket is being checked. */
  #claiming: WireItem[] | null = null;
  #up: Socket | null = null;
  #upReady = false;
  /** Bytes for the camera before its connection is up (none in practice: ffmpeg waits for replies). */
  #early: Buffer[] = [];
  #queue: RtspMessage[] = [];
  #inflight: InFlight | null = null;
  #upCseq = 0;
  #auth: RtspClientAuth | null = null;
  #authReported = false;
  #timer: NodeJS.Timeout;
  /** Set while frames towards ffmpeg are corked, until they leave together. */
  #flushTimer: NodeJS.Timeout | null = null;
  #dead = false;
  /** The camera's RTSP session, once SETUP made one, until a TEARDOWN was sent for it. */
  #session: string | null = null;

  constructor(client: Socket, hooks: ConnectionHooks) {
    this.#client = client;
    this.#h = hooks;
    client.setNoDelay(true);
    this.#timer = setTimeout(() => this.destroy(), hooks.timeoutMs);
    client.on('data', (chunk: Buffer) => {
      try {
        this.#fromClient.push(chunk, (item) => this.#onClient(item));
      } catch (err) {
        this.#h.log.debug({ err: scrub(err) }, 'rtsp relay: bad request stream');
        this.destroy();
      }
    });
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  destroy(): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#timer);
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#client.destroy();
    this.#teardown();
    if (this.#ticket?.conn === this) this.#ticket.conn = null;
  }

  /**
   * ffmpeg gone without a TEARDOWN (killed, stalled): end the camera's session for it. Many
   * cameras (GStreamer's server too) keep a session alive after its connection closes, until the
   * session timeout, and over UDP keep sending to ports that a later ffmpeg may be given.
   */
  #teardown(): void {
    const up = this.#up;
    if (!up) return;
    const t = this.#ticket;
    if (!this.#session || !t || !this.#upReady || up.destroyed) {
      up.destroy();
      return;
    }
    const url = t.upPrefix;
    const headers: [string, string][] = [
      ['CSeq', String(++this.#upCseq)],
      ['Session', this.#session],
    ];
    const authorization = this.#auth?.authorization('TEARDOWN', url);
    if (authorization) headers.push(['Authorization', authorization]);
    up.end(encodeMessage({ startLine: `TEARDOWN ${url} RTSP/1.0`, headers, body: Buffer.alloc(0) }));
    setTimeout(() => up.destroy(), 1000).unref();
  }

  #fail(f: StreamFailure): void {
    if (this.#ticket && !this.#ticket.failure) this.#ticket.failure = f;
  }

  #onClient(item: WireItem): void {
    if (this.#dead) return;
    if (this.#claiming) {
      this.#claiming.push(item.kind === 'raw' ? { kind: 'raw', data: Buffer.from(item.data) } : item);
      return;
    }
    if (!this.#ticket) {
      if (item.kind !== 'message') {
        this.destroy();
        return;
      }
      const uri = item.message.startLine.split(' ')[1] ?? '';
      this.#claiming = [];
      this.#h.claim(uri).then(
        (t) => this.#claimed(t, item),
        () => this.destroy(),
      );
      return;
    }
    this.#forward(item);
  }

  #claimed(t: Ticket | null, first: WireItem & { kind: 'message' }): void {
    const held = this.#claiming ?? [];
    this.#claiming = null;
    if (this.#dead) return;
    if (!t || t.state === 'closed') {
      this.#h.onRefused();
      const cseq = header(first.message.headers, 'CSeq');
      this.#client.end(
        encodeMessage({
          startLine: 'RTSP/1.0 404 Not Found',
          headers: cseq ? [['CSeq', cseq]] : [],
          body: Buffer.alloc(0),
        }),
      );
      this.#dead = true;
      clearTimeout(this.#timer);
      return;
    }
    this.#ticket = t;
    t.conn = this;
    const ep = t.endpoint;
    if (ep.username !== undefined) this.#auth = new RtspClientAuth(ep.username, ep.password ?? '');
    this.#connectCamera(new URL(ep.url));
    this.#forward(first);
    for (const item of held) this.#forward(item);
  }

  #forward(item: WireItem): void {
    if (this.#dead) return;
    if (item.kind === 'raw') {
      if (this.#upReady) this.#toCamera(item.data);
      else this.#early.push(Buffer.from(item.data));
      return;
    }
    const m = item.message;
    if (m.startLine.startsWith('RTSP/')) {
      // ffmpeg answering a request of the camera's: passed on as it is.
      this.#toCameraOrHold(encodeMessage(m));
      return;
    }
    this.#queue.push(m);
    this.#pump();
  }

  #connectCamera(u: URL): void {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const tls = u.protocol === 'rtsps:';
    const port = Number(u.port || (tls ? 322 : 554));
    // rtsps: the camera's certificate is not checked, as ffmpeg does not by default (tls_verify=0);
    // cameras carry self-signed certificates.
    const up = tls
      ? tlsConnect({
          host,
          port,
          rejectUnauthorized: false,
          ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
        })
      : netConnect({ host, port });
    this.#up = up;
    up.setNoDelay(true);
    up.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(this.#timer);
      this.#upReady = true;
      for (const b of this.#early.splice(0)) this.#toCamera(b);
      this.#pump();
    });
    up.on('data', (chunk: Buffer) => {
      try {
        this.#fromCamera.push(chunk, (item) => this.#onCamera(item));
      } catch (err) {
        this.#h.log.info({ err: scrub(err) }, 'rtsp relay: camera sent a malformed stream');
        this.destroy();
      }
    });
    up.on('error', (err) => {
      if (!this.#upReady) this.#fail({ kind: 'unreachable', message: scrub(err.message, { max: 200 }) });
      this.destroy();
    });
    up.on('close', () => this.destroy());
    // Flow control both ways: a slow side pauses the other.
    up.on('drain', () => this.#client.resume());
    this.#client.on('drain', () => up.resume());
  }

  #toCamera(b: Buffer): void {
    if (this.#up && !this.#up.write(b)) this.#client.pause();
  }

  #toCameraOrHold(b: Buffer): void {
    if (this.#upReady) this.#toCamera(b);
    else this.#early.push(b);
  }

  /** Answers and requests leave at once (and take any gathered frames before them along). */
  #toClient(b: Buffer): void {
    this.#h.onBytes(b.length);
    if (!this.#client.write(b)) this.#up?.pause();
    this.#flush();
  }

  /** An interleaved frame run: gathered with the next ones for up to FLUSH_MS. */
  #frameToClient(b: Buffer): void {
    this.#h.onBytes(b.length);
    this.#h.onFrames('read');
    if (!this.#flushTimer) {
      this.#client.cork();
      this.#flushTimer = setTimeout(() => this.#flush(), FLUSH_MS);
    }
    if (!this.#client.write(b)) this.#up?.pause();
  }

  #flush(): void {
    if (!this.#flushTimer) return;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    this.#client.uncork();
    this.#h.onFrames('write');
  }

  #pump(): void {
    if (this.#dead || !this.#upReady || this.#inflight) return;
    const next = this.#queue.shift();
    if (next) this.#send(next, header(next.headers, 'CSeq'), false);
  }

  #send(request: RtspMessage, clientCseq: string | undefined, retried: boolean): void {
    const t = this.#ticket!;
    const [method = '', uri = '', version = 'RTSP/1.0'] = request.startLine.split(' ');
    const upUri = uri.startsWith(t.localBase) ? t.upPrefix + uri.slice(t.localBase.length) : uri;
    const upCseq = String(++this.#upCseq);
    let headers = withHeader(request.headers, 'CSeq', upCseq);
    const authorization = this.#auth?.authorization(method, upUri);
    headers = withHeader(headers, 'Authorization', authorization);
    this.#inflight = { request, clientCseq, upCseq, retried, authorized: authorization !== undefined };
    if (method === 'TEARDOWN') this.#session = null;
    this.#toCamera(
      encodeMessage({ startLine: `${method} ${upUri} ${version}`, headers, body: request.body }),
    );
  }

  #onCamera(item: WireItem): void {
    if (this.#dead) return;
    if (this.#ticket) this.#ticket.heardAt = Date.now();
    if (item.kind === 'raw') {
      this.#frameToClient(item.data);
      return;
    }
    const m = item.message;
    const t = this.#ticket!;
    if (!m.startLine.startsWith('RTSP/')) {
      // A request of the camera's (ANNOUNCE, GET_PARAMETER, ...): ffmpeg answers or ignores it.
      this.#toClient(encodeMessage(m));
      return;
    }
    const status = Number(m.startLine.split(' ')[1]);
    const f = this.#inflight;
    if (!f || header(m.headers, 'CSeq') !== f.upCseq) {
      // An answer to nothing we asked: not for ffmpeg.
      this.#h.log.debug({ status }, 'rtsp relay: unexpected response dropped');
      return;
    }
    this.#inflight = null;
    if (
      status === 401 &&
      this.#auth &&
      !f.retried &&
      this.#auth.challenge(headerAll(m.headers, 'WWW-Authenticate'))
    ) {
      this.#send(f.request, f.clientCseq, true);
      return;
    }
    const method = f.request.startLine.split(' ')[0];
    if (status === 401 || status === 403) {
      this.#fail({ kind: 'auth', status });
      this.#report(t, false);
    } else if (status < 300 && f.authorized) {
      this.#report(t, true);
    }
    if (status === 461 && method === 'SETUP') this.#fail({ kind: 'transport', status });
    if (status === 200 && method === 'SETUP')
      this.#session = header(m.headers, 'Session')?.split(';')[0]?.trim() || null;
    if (status === 200 && method === 'DESCRIBE')
      this.#h.onTracks(t.endpoint, sdpTracks(m.body.toString('utf8')));
    const map = (v: string) => v.split(t.upPrefix).join(t.localBase);
    let headers = withHeader(m.headers, 'WWW-Authenticate');
    headers = withHeader(headers, 'CSeq', f.clientCseq);
    headers = headers.map(([k, v]) =>
      /^(content-base|content-location|rtp-info)$/i.test(k) ? [k, map(v)] : [k, v],
    );
    this.#toClient(encodeMessage({ startLine: m.startLine, headers, body: m.body }));
    this.#pump();
  }

  #report(t: Ticket, accepted: boolean): void {
    if (this.#authReported) return;
    this.#authReported = true;
    this.#h.onAuth(t.endpoint.cameraId, accepted);
  }
}
