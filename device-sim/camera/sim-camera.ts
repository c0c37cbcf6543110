import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { AudioSource } from './audio-source.js';
import type { BadSoapKind } from './bad-soap.js';
import { DiscoveryResponder } from './discovery.js';
import { CAMERA_TYPES, type TargetDescription } from './discovery-messages.js';
import { CameraSimError } from './errors.js';
import { H264Source, type H264SourceOptions } from './h264-source.js';
import { type AuthSchemes, HttpAuth } from './http-auth.js';
import { silentLogger } from './log.js';
import type { CameraIdentity, OnvifContext } from './onvif-context.js';
import { OnvifHttpServer, SERVICE_PATHS } from './onvif-http.js';
import { RtspServer } from './rtsp-server.js';
import { type CameraState, initialState, PROFILE_TOKEN } from './state.js';

export const SimCameraOptions = z.object({
  /** A 127.0.0.x address on Linux loopback, one per camera. */
  address: z.ipv4().default('127.0.0.2'),
  /** Where RTSP listens and what GetStreamUri names, when not `address` (an encoder or NVR). */
  rtspAddress: z.ipv4().optional(),
  /** 0 picks a free port (read it back from `httpPort`/`xaddr` after start). */
  httpPort: z.number().int().min(0).max(65535).default(0),
  rtspPort: z.number().int().min(0).max(65535).default(0),
  user: z.string().min(1).max(64).default('admin'),
  password: z.string().max(128).default('admin'),
  name: z.string().min(1).max(64).default('Hearing Room'),
  location: z.string().min(1).max(64).default('office'),
  /** Model; also the `hardware` discovery scope. */
  model: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,32}$/)
    .default('SIM-CAM-1'),
  manufacturer: z.string().max(64).default('Simulated Optics'),
  /** Endpoint UUID; random when absent. */
  uuid: z.uuid().optional(),
  /** Camera clock minus host clock (GetSystemDateAndTime, WS-Security Created checks, RTCP). */
  clockOffsetMs: z.number().int().default(0),
  /** Accepted |wsu:Created - camera clock|. */
  maxTokenSkewMs: z.number().int().min(0).default(300_000),
  /** RTSP and snapshot authentication. */
  rtspAuth: z.enum(['digest', 'basic', 'digest+basic']).default('digest'),
  /** Digest nonce lifetime (RTSP and snapshot); later requests get a `stale=true` challenge. */
  nonceTtlMs: z.number().int().min(1000).default(300_000),
  discovery: z.boolean().default(true),
  /** A microphone track on the RTSP stream (G.711, as most IP cameras send, or AAC), or none. */
  audio: z.enum(['none', 'pcma', 'pcmu', 'aac']).default('none'),
  /** RTP lower transports the camera serves (Profile S: UDP; most cameras also interleave on TCP). */
  rtpTransports: z
    .array(z.enum(['tcp', 'udp']))
    .min(1)
    .default(['tcp', 'udp']),
  /** Audio packets flow from PLAY on, before the first video keyframe (false: after it). */
  audioFirst: z.boolean().default(true),
  /** Interfaces (by an address on them) for WS-Discovery multicast. */
  discoveryInterfaces: z.array(z.ipv4()).min(1).default(['127.0.0.1']),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
});
export type SimCameraOptionsInput = z.input<typeof SimCameraOptions>;

export interface SimCameraDeps {
  /** A shared encoder; when absent the camera runs (and stops) its own. */
  source?: H264Source;
  sourceOptions?: H264SourceOptions;
  /** A shared microphone (its codec wins over `audio`); when absent the camera runs its own. */
  audioSource?: AudioSource;
  /** Host clock the camera clock is offset from (default: the real clock). */
  clock?: Pick<Clock, 'now'>;
  logger?: Logger;
}

export type FaultName = 'stall' | 'hang' | 'down' | 'bad-soap' | 'deny-rtsp';

interface SimCameraEvents {
  fault: [fault: FaultName | 'drop' | 'resume'];
}

/**
 * One simulated ONVIF camera on its own loopback address: WS-Discovery, SOAP (device, media,
 * imaging), RTSP with H.264 (and G.711 or AAC) over TCP or UDP, JPEG snapshot, and injectable faults.
 */
export class SimCamera extends EventEmitter<SimCameraEvents> {
  readonly options: z.output<typeof SimCameraOptions>;
  readonly identity: CameraIdentity;
  readonly state: CameraState;
  readonly source: H264Source;
  readonly audio: AudioSource | undefined;
  readonly faults: CameraFaults;
  private readonly ownsSource: boolean;
  private readonly ownsAudio: boolean;
  private readonly log: Logger;
  private readonly hostNow: () => number;
  private readonly snapshotAuth: HttpAuth;
  private readonly rtspAuthn: HttpAuth;
  private http: OnvifHttpServer | undefined;
  private rtsp: RtspServer | undefined;
  /** One responder for the camera's life, so AppSequence InstanceId grows across reboots. */
  private readonly discovery: DiscoveryResponder | undefined;
  private ports = { http: 0, rtsp: 0 };
  private running = false;
  private metadataVersion = 1;

  constructor(options: SimCameraOptionsInput = {}, deps: SimCameraDeps = {}) {
    super();
    const parsed = SimCameraOptions.safeParse(options);
    if (!parsed.success) {
      throw new CameraSimError('BAD_OPTIONS', `SimCamera options: ${z.prettifyError(parsed.error)}`);
    }
    const o = parsed.data;
    this.options = o;
    this.log = (deps.logger ?? silentLogger).child({ camera: o.address });
    this.ownsSource = deps.source === undefined;
    this.source = deps.source ?? new H264Source({ label: o.name, logger: this.log, ...deps.sourceOptions });
    this.ownsAudio = deps.audioSource === undefined;
    this.audio = o.audio === 'none' ? undefined : (deps.audioSource ?? new AudioSource(o.audio));
    const clock = deps.clock;
    this.hostNow = clock ? () => clock.now() : Date.now;
    const uuid = o.uuid ?? randomUUID();
    const mac = createHash('sha1').update(uuid).digest();
    mac[0] = (mac[0]! & 0xfe) | 0x02; // locally administered, unicast
    this.identity = {
      endpoint: `urn:uuid:${uuid}`,
      name: o.name,
      location: o.location,
      manufacturer: o.manufacturer,
      model: o.model,
      firmwareVersion: '1.0.0-sim',
      serialNumber: `SIM${uuid.replace(/-/g, '').slice(0, 12).toUpperCase()}`,
      hardwareId: o.model,
      address: o.address,
      mac: [...mac.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
    };
    this.state = initialState({
      hostname: `simcam-${o.address.split('.').join('-')}`,
      clockOffsetMs: o.clockOffsetMs,
      resolution: { width: this.source.width, height: this.source.height },
      fps: this.source.fps,
    });
    const authOpts = {
      realm: `SimCam ${o.address}`,
      user: o.user,
      password: o.password,
      nonceTtlMs: o.nonceTtlMs,
    };
    this.snapshotAuth = new HttpAuth({ ...authOpts, schemes: 'digest+basic' });
    this.rtspAuthn = new HttpAuth({ ...authOpts, schemes: o.rtspAuth as AuthSchemes });
    this.faults = new CameraFaults(this);
    this.discovery = o.discovery
      ? new DiscoveryResponder({
          address: o.address,
          interfaces: o.discoveryInterfaces,
          describe: () => this.describeTarget(),
          logger: this.log,
        })
      : undefined;
  }

  /** The camera's clock, ms since the epoch. */
  now(): number {
    return this.hostNow() + this.state.clock.offsetMs;
  }

  get address(): string {
    return this.options.address;
  }

  get httpPort(): number {
    return this.ports.http;
  }

  get rtspPort(): number {
    return this.ports.rtsp;
  }

  /** Device service URL (what discovery announces and ONVIF clients are given). */
  get xaddr(): string {
    return `http://${this.address}:${this.ports.http}${SERVICE_PATHS.device}`;
  }

  /** Stream URL without credentials (as GetStreamUri returns it). */
  get rtspUrl(): string {
    return `rtsp://${this.rtspHost}:${this.ports.rtsp}/onvif/${PROFILE_TOKEN}`;
  }

  private get rtspHost(): string {
    return this.options.rtspAddress ?? this.address;
  }

  /** Stream URL with credentials, for ffmpeg. */
  get rtspUrlWithCredentials(): string {
    const u = encodeURIComponent(this.options.user);
    const p = encodeURIComponent(this.options.password);
    return `rtsp://${u}:${p}@${this.rtspHost}:${this.ports.rtsp}/onvif/${PROFILE_TOKEN}`;
  }

  get snapshotUrl(): string {
    return `http://${this.address}:${this.ports.http}${SERVICE_PATHS.snapshot}`;
  }

  get endpoint(): string {
    return this.identity.endpoint;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** RTSP sessions currently playing, and RTP counters. */
  get streamStats() {
    return { playing: this.rtsp?.playingSessions ?? 0, ...(this.rtsp?.stats ?? {}) };
  }

  /** The newest JPEG from the encoder (about one a second); waits up to 3 s for the first. */
  snapshot(waitMs = 3000): Promise<Buffer | undefined> {
    const have = this.source.latestJpeg;
    if (have) return Promise.resolve(have);
    return new Promise((resolve) => {
      const done = (img: Buffer | undefined) => {
        clearTimeout(timer);
        this.source.off('jpeg', done);
        resolve(img);
      };
      const timer = setTimeout(() => done(undefined), waitMs);
      this.source.on('jpeg', done);
    });
  }

  /** Discovery scopes (ONVIF Core §7.3.2.2). */
  scopes(): string[] {
    const seg = (s: string) => encodeURIComponent(s.replace(/\s+/g, '_'));
    return [
      'onvif://www.onvif.org/type/video_encoder',
      'onvif://www.onvif.org/Profile/Streaming',
      `onvif://www.onvif.org/hardware/${seg(this.identity.model)}`,
      `onvif://www.onvif.org/name/${seg(this.identity.name)}`,
      `onvif://www.onvif.org/location/${seg(this.identity.location)}`,
    ];
  }

  async start(): Promise<void> {
    if (this.running) return;
    const startedSource = this.ownsSource || !this.source.isRunning;
    if (startedSource) await this.source.start();
    if (this.ownsAudio || !this.audio?.isRunning) this.audio?.start();
    try {
      await this.bringUp(this.options.httpPort, this.options.rtspPort);
    } catch (err) {
      await this.takeDown(false);
      if (this.ownsSource) await this.source.stop();
      throw err;
    }
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running && !this.http) return;
    this.running = false;
    await this.takeDown(true);
    if (this.ownsAudio) await this.audio?.stop();
    if (this.ownsSource) await this.source.stop();
  }

  /** @internal network side up, on the given ports (0 = any); used by start and reboot. */
  async bringUp(httpPort: number, rtspPort: number): Promise<void> {
    const o = this.options;
    const rtsp = new RtspServer({
      host: this.rtspHost,
      port: rtspPort,
      path: `/onvif/${PROFILE_TOKEN}`,
      auth: this.rtspAuthn,
      source: this.source,
      audio: this.audio,
      audioFirst: o.audioFirst,
      transports: o.rtpTransports,
      cameraNow: () => this.now(),
      sessionTimeoutS: () => this.state.encoder.sessionTimeoutS,
      name: o.name,
      logger: this.log,
    });
    this.ports.rtsp = await rtsp.start();
    this.rtsp = rtsp;
    const http = new OnvifHttpServer({
      host: o.address,
      port: httpPort,
      ctx: this.context(),
      user: o.user,
      password: o.password,
      maxTokenSkewMs: o.maxTokenSkewMs,
      maxBodyBytes: o.maxBodyBytes,
      snapshotAuth: this.snapshotAuth,
      snapshot: () => this.snapshot(),
      logger: this.log,
    });
    try {
      this.ports.http = await http.start();
    } catch (err) {
      await rtsp.stop();
      throw err;
    }
    this.http = http;
    if (this.discovery) {
      this.discovery.muted = false;
      await this.discovery.start();
    }
  }

  /** @internal network side down; `bye` sends WS-Discovery Bye first. */
  async takeDown(bye: boolean): Promise<void> {
    await this.discovery?.stop(bye);
    await Promise.all([this.http?.stop(), this.rtsp?.stop()]);
    this.http = undefined;
    this.rtsp = undefined;
  }

  /** @internal applied by CameraFaults */
  setFlags(f: {
    stalled?: boolean;
    hung?: boolean;
    badSoap?: BadSoapKind | null;
    denyRtsp?: 401 | 403 | null;
  }): void {
    if (f.denyRtsp !== undefined && this.rtsp) this.rtsp.denyAuth = f.denyRtsp;
    if (f.badSoap !== undefined && this.http) this.http.badSoap = f.badSoap ?? undefined;
    if (f.stalled !== undefined && this.rtsp) this.rtsp.stalled = f.stalled;
    if (f.hung !== undefined) {
      if (this.rtsp) this.rtsp.hung = f.hung;
      if (this.http) this.http.hung = f.hung;
      if (this.discovery) this.discovery.muted = f.hung;
    }
  }

  /** @internal */
  dropConnections(): void {
    this.rtsp?.dropConnections();
  }

  private describeTarget(): TargetDescription {
    return {
      endpoint: this.identity.endpoint,
      types: CAMERA_TYPES,
      scopes: this.scopes(),
      xaddrs: [this.xaddr],
      metadataVersion: this.metadataVersion,
    };
  }

  private context(): OnvifContext {
    // Getters: ports are known only once the servers listen.
    const self = this;
    const base = () => `http://${self.address}:${self.ports.http}`;
    return {
      identity: this.identity,
      get state() {
        return self.state;
      },
      now: () => this.now(),
      xaddrs: {
        get device() {
          return `${base()}${SERVICE_PATHS.device}`;
        },
        get media() {
          return `${base()}${SERVICE_PATHS.media}`;
        },
        get imaging() {
          return `${base()}${SERVICE_PATHS.imaging}`;
        },
      },
      get streamUri() {
        return self.rtspUrl;
      },
      get snapshotUri() {
        return self.snapshotUrl;
      },
      get scopes() {
        return self.scopes();
      },
      source: { width: this.source.width, height: this.source.height, fps: this.source.fps },
    };
  }
}

/**
 * Faults a scenario or test can inject. `resume()` clears stall and hang; `reboot` is awaited
 * until the camera is back (Hello sent).
 */
export class CameraFaults {
  private stalled = false;
  private hung = false;
  private down = false;
  private badSoapKind: BadSoapKind | undefined;
  private denied: 401 | 403 | null = null;

  constructor(private readonly cam: SimCamera) {}

  get active(): FaultName[] {
    const out: FaultName[] = [];
    if (this.stalled) out.push('stall');
    if (this.hung) out.push('hang');
    if (this.down) out.push('down');
    if (this.badSoapKind) out.push('bad-soap');
    if (this.denied) out.push('deny-rtsp');
    return out;
  }

  /** RTP stops; RTSP connections stay open and keep answering. */
  stall(): void {
    this.stalled = true;
    this.cam.setFlags({ stalled: true });
    this.cam.emit('fault', 'stall');
  }

  /** Every RTSP connection is closed at once; new connections are accepted. */
  drop(): void {
    this.cam.dropConnections();
    this.cam.emit('fault', 'drop');
  }

  /** SOAP, RTSP and discovery stop answering and RTP stops; sockets stay open. */
  hang(): void {
    this.hung = true;
    this.cam.setFlags({ hung: true });
    this.cam.emit('fault', 'hang');
  }

  /**
   * Successful SOAP answers become broken: `malformed` XML, `wrong-namespace` (ONVIF prefixes
   * bound to other URIs), `huge` (8 MiB), `entity-expansion` (a billion-laughs DTD).
   */
  badSoap(kind: BadSoapKind): void {
    this.badSoapKind = kind;
    this.cam.setFlags({ badSoap: kind });
    this.cam.emit('fault', 'bad-soap');
  }

  /**
   * RTSP refuses every credential (401 with a fresh challenge, or 403) while ONVIF still accepts
   * them: an RTSP password changed on the camera, or an RTSP user the gateway does not have.
   */
  denyRtsp(status: 401 | 403 = 401): void {
    this.denied = status;
    this.cam.setFlags({ denyRtsp: status });
    this.cam.emit('fault', 'deny-rtsp');
  }

  /** Clears stall, hang, badSoap and denyRtsp. */
  resume(): void {
    this.stalled = false;
    this.hung = false;
    this.badSoapKind = undefined;
    this.denied = null;
    this.cam.setFlags({ stalled: false, hung: false, badSoap: null, denyRtsp: null });
    this.cam.emit('fault', 'resume');
  }

  /**
   * Bye, everything closed for `downMs`, then up again on the same ports with a Hello.
   * Stall, hang, badSoap and denyRtsp are cleared by the reboot.
   */
  async reboot(downMs: number): Promise<void> {
    if (!this.cam.isRunning || this.down) throw new CameraSimError('NOT_RUNNING', 'camera is not running');
    const http = this.cam.httpPort;
    const rtsp = this.cam.rtspPort;
    this.down = true;
    this.stalled = false;
    this.hung = false;
    this.badSoapKind = undefined;
    this.denied = null;
    this.cam.emit('fault', 'down');
    await this.cam.takeDown(true);
    await new Promise((r) => setTimeout(r, downMs));
    if (!this.cam.isRunning) {
      this.down = false; // stopped while down: stay down
      return;
    }
    await this.cam.bringUp(http, rtsp);
    this.down = false;
    this.cam.emit('fault', 'resume');
  }
}
