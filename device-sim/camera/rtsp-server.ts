import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { profileLevelId } from './annexb.js';
import type { AudioPacket, AudioSource } from './audio-source.js';
import type { H264Source, TimedAccessUnit } from './h264-source.js';
import type { HttpAuth } from './http-auth.js';
import { listen } from './listen.js';
import { silentLogger } from './log.js';
import { H264_CLOCK_RATE, H264_PAYLOAD_TYPE, interleave, interleavedRtp, rtcpSenderReport } from './rtp.js';
import {
  chooseTransport,
  type RtpLowerTransport,
  type TrackTransport,
  transportReply,
  UdpRtpPorts,
} from './rtp-transport.js';
import { RtspReader, type RtspRequest, rtspResponse } from './rtsp-message.js';

/**
 * RTSP 1.0 server (RFC 2326) for one camera: one H.264 track and optionally one audio track (G.711
 * or AAC), RTP interleaved on the RTSP TCP connection (§10.12) or unicast UDP, per track as the
 * client asks (rtp-transport.ts); a transport the camera does not offer gets 461. Auth on
 * everything but OPTIONS.
 */

export interface RtspServerOptions {
  host: string;
  port: number;
  /** Path of the stream, e.g. `/onvif/profile_1`; the track is `<path>/trackID=0`. */
  path: string;
  auth: HttpAuth;
  source: H264Source;
  /** Lower transports offered (default both; ONVIF Profile S requires UDP). */
  transports?: readonly RtpLowerTransport[];
  /** A microphone: a second track (`trackID=1`). */
  audio?: AudioSource;
  /**
   * Audio packets from PLAY on, before the first video keyframe (what most cameras do, and what
   * breaks a recorder that reads one packet to learn the streams); false: audio only once video
   * has started.
   */
  audioFirst?: boolean;
  /** Camera clock (ms since epoch) for RTCP sender reports. */
  cameraNow: () => number;
  sessionTimeoutS: () => number;
  name: string;
  logger?: Logger;
}

const METHODS = [
  'OPTIONS',
  'DESCRIBE',
  'SETUP',
  'PLAY',
  'PAUSE',
  'TEARDOWN',
  'GET_PARAMETER',
  'SET_PARAMETER',
];
const SR_INTERVAL_MS = 5000;
/** Bytes queued on a socket beyond which frames are skipped until the next keyframe. */
const MAX_QUEUED_BYTES = 2 * 1024 * 1024;
const TRACK = 'trackID=0';
const AUDIO_TRACK = 'trackID=1';

interface AudioTrack {
  readonly ssrc: number;
  readonly tsBase: number;
  seq: number;
  out: TrackTransport;
  packets: number;
  octets: number;
  lastSrAt: number;
}

/** Returned by `reply`, so the type checker sees that every request path answers. */
type Replied = 'replied';

interface Session {
  readonly id: string;
  readonly conn: Connection;
  readonly ssrc: number;
  readonly tsBase: number;
  seq: number;
  out: TrackTransport;
  playing: boolean;
  playAt: number;
  needKeyframe: boolean;
  packets: number;
  octets: number;
  lastSrAt: number;
  audio?: AudioTrack;
}

interface Connection {
  readonly socket: Socket;
  readonly reader: RtspReader;
  readonly sessions: Map<string, Session>;
  lastHeardAt: number;
}

export class RtspServer {
  private server: Server | undefined;
  private readonly conns = new Set<Connection>();
  private readonly sessions = new Map<string, Session>();
  private readonly log: Logger;
  private readonly onAu = (au: TimedAccessUnit) => this.fanOut(au);
  private readonly onAudio = (p: AudioPacket) => this.fanOutAudio(p);
  private timeoutTimer: NodeJS.Timeout | undefined;
  private stalledFlag = false;
  private actualPort = 0;
  private readonly udp: UdpRtpPorts;
  /** While true, requests are read and never answered and no media flows (the `hang` fault). */
  hung = false;
  /** While set, every authenticated request is refused with this status (the `denyRtsp` fault). */
  denyAuth: 401 | 403 | null = null;
  readonly stats = { rtpPackets: 0, rtpBytes: 0, framesSkipped: 0, connections: 0, teardowns: 0 };

  constructor(private readonly opts: RtspServerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.udp = new UdpRtpPorts(opts.host);
  }

  private get transports(): readonly RtpLowerTransport[] {
    return this.opts.transports ?? ['tcp', 'udp'];
  }

  /** While true, sessions stay open and answer requests but no RTP or RTCP is sent (the `stall` fault). */
  get stalled(): boolean {
    return this.stalledFlag;
  }

  set stalled(v: boolean) {
    if (this.stalledFlag && !v) for (const s of this.sessions.values()) s.needKeyframe = true;
    this.stalledFlag = v;
  }

  get playingSessions(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.playing) n++;
    return n;
  }

  get port(): number {
    return this.actualPort;
  }

  async start(): Promise<number> {
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    this.actualPort = await listen(server, this.opts.port, this.opts.host);
    if (this.transports.includes('udp')) await this.udp.start();
    this.opts.source.on('au', this.onAu);
    this.opts.audio?.on('packet', this.onAudio);
    this.timeoutTimer = setInterval(() => this.expireIdle(), 5000);
    this.timeoutTimer.unref();
    return this.actualPort;
  }

  async stop(): Promise<void> {
    this.opts.source.off('au', this.onAu);
    this.opts.audio?.off('packet', this.onAudio);
    clearInterval(this.timeoutTimer);
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    this.udp.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Closes every client connection at once (the `drop` fault); the listener stays up. */
  dropConnections(): void {
    for (const c of this.conns) c.socket.destroy();
  }

  private baseUrl(): string {
    return `rtsp://${this.opts.host}:${this.actualPort}${this.opts.path}`;
  }

  private onConnection(socket: Socket): void {
    socket.setNoDelay(true);
    const conn: Connection = {
      socket,
      reader: new RtspReader(),
      sessions: new Map(),
      lastHeardAt: performance.now(),
    };
    this.conns.add(conn);
    this.stats.connections++;
    socket.on('data', (chunk) => {
      conn.lastHeardAt = performance.now();
      for (const item of conn.reader.push(chunk)) {
        if (item.kind === 'interleaved') continue; // RTCP receiver reports: liveness only
        if (item.kind === 'error') {
          this.log.info({ reason: item.reason }, 'rtsp: malformed input, closing');
          socket.end(rtspResponse(400, { Server: 'SimCam' }));
          return;
        }
        if (this.hung) continue;
        this.onRequest(conn, item.request);
      }
    });
    socket.on('error', (err) => this.log.debug({ err }, 'rtsp: socket error'));
    socket.on('close', () => {
      this.conns.delete(conn);
      for (const id of conn.sessions.keys()) this.sessions.delete(id);
    });
  }

  private expireIdle(): void {
    const now = performance.now();
    for (const c of this.conns) {
      if (c.sessions.size > 0 && now - c.lastHeardAt > this.opts.sessionTimeoutS() * 1000 * 2) {
        this.log.info('rtsp: session timed out');
        c.socket.destroy();
      }
    }
  }

  private reply(
    conn: Connection,
    req: RtspRequest,
    status: number,
    headers: Record<string, string | number | readonly string[] | undefined> = {},
    body?: string,
  ): Replied {
    if (conn.socket.destroyed) return 'replied';
    conn.socket.write(
      rtspResponse(
        status,
        { CSeq: req.headers.cseq, Server: 'SimCam/1.0', Date: new Date().toUTCString(), ...headers },
        body,
      ),
    );
    return 'replied';
  }

  private onRequest(conn: Connection, req: RtspRequest): Replied {
    if (req.headers.cseq === undefined) return this.reply(conn, req, 400);
    if (req.version !== 'RTSP/1.0') return this.reply(conn, req, 505);
    if (req.method === 'OPTIONS') return this.reply(conn, req, 200, { Public: METHODS.join(', ') });
    if (!METHODS.includes(req.method)) return this.reply(conn, req, 501);
    const checked = this.opts.auth.check(req.method, req.headers.authorization);
    const auth = this.denyAuth !== null && checked === 'ok' ? 'denied' : checked;
    if (auth === 'denied' && this.denyAuth === 403) return this.reply(conn, req, 403);
    if (auth !== 'ok') {
      if (auth === 'denied') this.log.info({ method: req.method }, 'rtsp: wrong credentials');
      return this.reply(conn, req, 401, { 'WWW-Authenticate': this.opts.auth.challenges(auth === 'stale') });
    }
    const path = this.pathOf(req.url);
    switch (req.method) {
      case 'DESCRIBE':
        return this.describe(conn, req, path);
      case 'SETUP':
        return this.setup(conn, req, path);
      default:
        return this.inSession(conn, req);
    }
  }

  private pathOf(url: string): string | undefined {
    try {
      return new URL(url).pathname.replace(/\/+$/, '');
    } catch {
      return undefined;
    }
  }

  private describe(conn: Connection, req: RtspRequest, path: string | undefined): Replied {
    if (path !== this.opts.path) return this.reply(conn, req, 404);
    const accept = req.headers.accept;
    if (accept && !/application\/sdp|\*\/\*/.test(accept)) return this.reply(conn, req, 406);
    const { sps, pps } = this.opts.source;
    if (!sps || !pps) return this.reply(conn, req, 503, { 'Retry-After': 1 });
    const a = this.opts.audio;
    const sdp = [
      'v=0',
      `o=- ${randomInt(1, 2 ** 31)} 1 IN IP4 ${this.opts.host}`,
      `s=${this.opts.name.replace(/[\r\n]/g, ' ')}`,
      `c=IN IP4 0.0.0.0`,
      't=0 0',
      'a=range:npt=0-',
      'a=control:*',
      `m=video 0 RTP/AVP ${H264_PAYLOAD_TYPE}`,
      `a=rtpmap:${H264_PAYLOAD_TYPE} H264/${H264_CLOCK_RATE}`,
      `a=fmtp:${H264_PAYLOAD_TYPE} packetization-mode=1;profile-level-id=${profileLevelId(sps)};` +
        `sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`,
      `a=framerate:${this.opts.source.fps}`,
      `a=control:${TRACK}`,
      ...(a ? [`m=audio 0 RTP/AVP ${a.payloadType}`, ...a.sdpAttributes(), `a=control:${AUDIO_TRACK}`] : []),
      '',
    ].join('\r\n');
    return this.reply(
      conn,
      req,
      200,
      { 'Content-Base': `${this.baseUrl()}/`, 'Content-Type': 'application/sdp' },
      sdp,
    );
  }

  private setup(conn: Connection, req: RtspRequest, path: string | undefined): Replied {
    const isAudio = this.opts.audio !== undefined && path === `${this.opts.path}/${AUDIO_TRACK}`;
    if (path !== `${this.opts.path}/${TRACK}` && !isAudio) return this.reply(conn, req, 404);
    // Transport: comma-separated alternatives in preference order (RFC 2326 §12.39).
    const chosen = chooseTransport(
      req.headers.transport ?? '',
      this.transports,
      conn.socket.remoteAddress ?? '127.0.0.1',
    );
    if (!chosen) {
      this.log.info({ transport: req.headers.transport }, 'rtsp: unsupported transport refused');
      return this.reply(conn, req, 461);
    }
    const sid = req.headers.session?.split(';')[0]?.trim();
    let s = sid ? conn.sessions.get(sid) : undefined;
    if (sid && !s) return this.reply(conn, req, 454);
    if (!s) {
      s = {
        id: randomBytes(8).toString('hex').toUpperCase(),
        conn,
        ssrc: randomBytes(4).readUInt32BE(0),
        tsBase: randomBytes(4).readUInt32BE(0),
        seq: randomInt(0, 0x8000),
        out: chosen,
        playing: false,
        playAt: 0,
        needKeyframe: true,
        packets: 0,
        octets: 0,
        lastSrAt: Number.NEGATIVE_INFINITY,
      };
      conn.sessions.set(s.id, s);
      this.sessions.set(s.id, s);
    }
    let ssrc = s.ssrc;
    if (isAudio) {
      s.audio ??= {
        ssrc: randomBytes(4).readUInt32BE(0),
        tsBase: randomBytes(4).readUInt32BE(0),
        seq: randomInt(0, 0x8000),
        out: chosen,
        packets: 0,
        octets: 0,
        lastSrAt: Number.NEGATIVE_INFINITY,
      };
      s.audio.out = chosen;
      ssrc = s.audio.ssrc;
    } else {
      s.out = chosen;
    }
    const ssrcHex = ssrc.toString(16).toUpperCase().padStart(8, '0');
    return this.reply(conn, req, 200, {
      Transport: transportReply(chosen, ssrcHex, this.udp.ports),
      Session: `${s.id};timeout=${this.opts.sessionTimeoutS()}`,
    });
  }

  private inSession(conn: Connection, req: RtspRequest): Replied {
    const sid = req.headers.session?.split(';')[0]?.trim();
    const s = sid ? conn.sessions.get(sid) : undefined;
    if (req.method === 'GET_PARAMETER' && !sid) return this.reply(conn, req, 200);
    if (!s) return this.reply(conn, req, 454);
    const session = `${s.id};timeout=${this.opts.sessionTimeoutS()}`;
    switch (req.method) {
      case 'PLAY': {
        if (!s.playing) {
          s.playing = true;
          s.playAt = performance.now();
          s.needKeyframe = true;
        }
        const now = performance.now();
        const info = [`url=${this.baseUrl()}/${TRACK};seq=${s.seq};rtptime=${this.rtpTime(s, now)}`];
        if (s.audio)
          info.push(
            `url=${this.baseUrl()}/${AUDIO_TRACK};seq=${s.audio.seq};rtptime=${this.audioTime(s, s.audio, now)}`,
          );
        return this.reply(conn, req, 200, {
          Session: session,
          Range: 'npt=0.000-',
          'RTP-Info': info.join(','),
        });
      }
      case 'PAUSE':
        s.playing = false;
        return this.reply(conn, req, 200, { Session: session });
      case 'TEARDOWN':
        this.stats.teardowns++;
        conn.sessions.delete(s.id);
        this.sessions.delete(s.id);
        return this.reply(conn, req, 200);
      case 'GET_PARAMETER':
        return this.reply(conn, req, 200, { Session: session });
      case 'SET_PARAMETER':
        return this.reply(conn, req, req.body.length === 0 ? 200 : 451, { Session: session });
      default:
        return this.reply(conn, req, 455);
    }
  }

  private rtpTime(s: Session, atMs: number): number {
    return (s.tsBase + Math.round((atMs - s.playAt) * (H264_CLOCK_RATE / 1000))) >>> 0;
  }

  private audioTime(s: Session, a: AudioTrack, atMs: number): number {
    return (a.tsBase + Math.round((atMs - s.playAt) * (this.opts.audio!.clockRate / 1000))) >>> 0;
  }

  private fanOutAudio(p: AudioPacket): void {
    if (this.stalledFlag || this.hung) return;
    const pt = this.opts.audio!.payloadType;
    for (const s of this.sessions.values()) {
      const a = s.audio;
      if (!a || !s.playing || p.timeMs < s.playAt) continue;
      if (!this.opts.audioFirst && s.needKeyframe) continue;
      const sock = s.conn.socket;
      if (sock.destroyed || sock.writableLength > MAX_QUEUED_BYTES) continue;
      const timestamp = this.audioTime(s, a, p.timeMs);
      if (p.timeMs - a.lastSrAt >= SR_INTERVAL_MS) {
        a.lastSrAt = p.timeMs;
        this.send(
          s.conn,
          a.out,
          interleave(
            a.out.rtcp,
            rtcpSenderReport({
              ssrc: a.ssrc,
              wallClockMs: this.opts.cameraNow() - (performance.now() - p.timeMs),
              rtpTimestamp: timestamp,
              packets: a.packets,
              octets: a.octets,
              cname: `simcam@${this.opts.host}`,
            }),
          ),
          true,
        );
      }
      const { data, nextSeq } = interleavedRtp(
        [{ parts: [p.payload], length: p.payload.length, marker: p.marker }],
        {
          channel: a.out.rtp,
          seq: a.seq,
          timestamp,
          ssrc: a.ssrc,
          payloadType: pt,
        },
      );
      a.seq = nextSeq;
      a.packets++;
      a.octets += p.payload.length;
      this.send(s.conn, a.out, data);
    }
  }

  private fanOut(au: TimedAccessUnit): void {
    if (this.stalledFlag || this.hung) return;
    for (const s of this.sessions.values()) {
      if (!s.playing || au.timeMs < s.playAt) continue;
      if (s.needKeyframe && !au.keyframe) continue;
      const sock = s.conn.socket;
      if (sock.destroyed) continue;
      if (sock.writableLength > MAX_QUEUED_BYTES) {
        // A slow reader: skip to the next keyframe rather than queue without bound.
        s.needKeyframe = true;
        this.stats.framesSkipped++;
        continue;
      }
      s.needKeyframe = false;
      if (au.timeMs - s.lastSrAt >= SR_INTERVAL_MS) {
        s.lastSrAt = au.timeMs;
        const now = performance.now();
        this.send(
          s.conn,
          s.out,
          interleave(
            s.out.rtcp,
            rtcpSenderReport({
              ssrc: s.ssrc,
              wallClockMs: this.opts.cameraNow(),
              rtpTimestamp: this.rtpTime(s, now),
              packets: s.packets,
              octets: s.octets,
              cname: `simcam@${this.opts.host}`,
            }),
          ),
          true,
        );
      }
      const { data, nextSeq, payloadBytes } = interleavedRtp(au.payloads, {
        channel: s.out.rtp,
        seq: s.seq,
        timestamp: this.rtpTime(s, au.timeMs),
        ssrc: s.ssrc,
      });
      s.seq = nextSeq;
      s.packets += au.payloads.length;
      s.octets += payloadBytes;
      this.stats.rtpPackets += au.payloads.length;
      this.stats.rtpBytes += data.length;
      this.send(s.conn, s.out, data);
    }
  }

  /** `$`-framed RTP or RTCP: written to the connection as is, or each packet a datagram. */
  private send(conn: Connection, out: TrackTransport, framed: Buffer, rtcp = false): void {
    if (out.kind === 'tcp') conn.socket.write(framed);
    else this.udp.sendFramed(framed, out, rtcp);
  }
}
