/**
 * Hearing-room cameras known to the gateway (R21 for fixed equipment): added by hand (address,
 * user, password) or from discovery, or from config; assigned to rooms; polled for health
 * (reachability, clock offset) and for a fresh snapshot for the dashboard. Persisted in the
 * `cameras` sublevel; live connections are in memory. Passwords are stored sealed (AES-256-GCM,
 * secret-box.ts, key file in the data dir); a record still holding one in clear (written before
 * sealing existed) is sealed when it is read at start.
 */
import { z } from 'zod';
import type { GatewayConfig } from '../config.js';
import { type Db, SYNCED } from '../db.js';
import { GatewayError } from '../errors.js';
import type { EventBus, Service } from '../events.js';
import { type AuditSink, withoutUserinfo } from '../integrity/admin-audit.js';
import type { Logger } from '../log.js';
import type { StreamSource } from '../recording/channel.js';
import { StreamTransport } from '../recording/ffmpeg-args.js';
import { scrub } from '../scrub.js';
import {
  type CameraConnection,
  type CameraControl,
  CameraInfo,
  CameraPassword,
  CameraUser,
  type DiscoveredCamera,
  HttpUrl,
  StreamUriOverride,
} from './control.js';
import { SecretBox } from './secret-box.js';

export const CameraId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'camera id: 1-32 of [A-Za-z0-9_-]');

export const CameraHealth = z.object({
  reachable: z.boolean(),
  checkedAt: z.number().nullable(),
  clockOffsetMs: z.number().nullable(),
  rttMs: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type CameraHealth = z.infer<typeof CameraHealth>;

export const CameraRecord = z.object({
  id: CameraId,
  name: z.string().max(128),
  xaddr: HttpUrl,
  user: CameraUser,
  /** Needed to reconnect and to open the stream; never returned by the API. */
  password: CameraPassword,
  urn: z.string().nullable(),
  roomId: z.string().nullable(),
  /** Recorded instead of the stream the camera names (config or API), when set. */
  streamUri: StreamUriOverride.nullable().default(null),
  origin: z.enum(['manual', 'discovered', 'config']),
  info: CameraInfo.nullable(),
  /**
   * The RTP transport the stream was last read over once the other was refused (RTSP 461): runs
   * start with it, instead of being refused again at every hearing and every pre-roll restart.
   */
  rtpTransport: StreamTransport.nullable().default(null),
  health: CameraHealth,
  addedAt: z.number(),
  addedBy: z.string(),
  /**
   * Rebuilt from the audit log, which never holds a camera's password: an equipment manager gives
   * it again (`setPassword`); until then the gateway does not try the camera.
   */
  passwordLost: z.literal(true).optional(),
});
export type CameraRecord = z.infer<typeof CameraRecord>;

/**
 * What the dashboard shows for a camera: `auth-failed` (认证失败, red) when the camera refuses the
 * gateway's credentials, for ONVIF or for its RTSP stream; `offline` when it cannot be reached.
 */
export type CameraState = 'online' | 'offline' | 'auth-failed';

/** What the API shows (no password). */
export type CameraView = Omit<CameraRecord, 'password'> & {
  snapshotAt: number | null;
  state: CameraState;
  /** When the camera last refused our RTSP credentials (null: accepted, or not tried yet). */
  streamAuthRefusedAt: number | null;
};

export const AddCameraInput = z.object({
  id: CameraId.optional(),
  name: z.string().max(128).optional(),
  xaddr: HttpUrl,
  user: CameraUser,
  password: CameraPassword,
  roomId: z.string().max(64).nullable().optional(),
  /** Record this stream instead of the one the camera names (an unreachable host behind NAT). */
  streamUri: StreamUriOverride.optional(),
  /** WS-Discovery endpoint, when added from a discovery result. */
  urn: z.string().max(256).optional(),
});
export type AddCameraInput = z.infer<typeof AddCameraInput>;

export interface CameraRegistryOptions {
  db: Db;
  bus: EventBus;
  log: Logger;
  config: GatewayConfig['cameras'];
  control: CameraControl;
  /** The key that seals camera passwords at rest (created 0600 on first start). */
  keyFile: string;
  now?: () => number;
  /** Cameras added, removed or moved between rooms are audited (`camera-admin`, R21). */
  audit?: AuditSink;
}

interface Snapshot {
  jpeg: Buffer;
  at: number;
}

const UNKNOWN_HEALTH: CameraHealth = {
  reachable: false,
  checkedAt: null,
  clockOffsetMs: null,
  rttMs: null,
  error: null,
};

export class CameraRegistry implements Service {
  readonly name = 'cameras';
  readonly #db;
  readonly #keyFile: string;
  #box: SecretBox | undefined;
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #config: GatewayConfig['cameras'];
  readonly #control: CameraControl;
  readonly #now: () => number;
  readonly #audit: AuditSink | undefined;
  readonly #cams = new Map<string, CameraRecord>();
  readonly #conns = new Map<string, CameraConnection>();
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #snapshotting = new Map<string, Promise<Snapshot>>();
  readonly #busy = new Map<string, Promise<unknown>>();
  /** Cameras whose RTSP stream refused our credentials, and since when (in memory). */
  readonly #streamAuthRefused = new Map<string, number>();
  #discovered: DiscoveredCamera[] = [];
  #poll: NodeJS.Timeout | undefined;
  #polling: Promise<void> | null = null;
  #started = false;
  /** Asked before a camera is removed (the hearing service says whether it is recording). */
  inUse: (cameraId: string) => boolean = () => false;

  constructor(opts: CameraRegistryOptions) {
    this.#db = opts.db.sublevel<string, CameraRecord>('cameras', { valueEncoding: 'json' });
    this.#keyFile = opts.keyFile;
    this.#bus = opts.bus;
    this.#log = opts.log;
    this.#config = opts.config;
    this.#control = opts.control;
    this.#now = opts.now ?? Date.now;
    this.#audit = opts.audit;
  }

  async start(): Promise<void> {
    const key = await SecretBox.load(this.#keyFile);
    this.#box = key.box;
    if (key.created) this.#log.info({ keyFile: this.#keyFile }, 'camera password key created');
    if (key.narrowed)
      this.#log.warn({ keyFile: this.#keyFile }, 'camera password key was readable by others: now 0600');
    const clear: CameraRecord[] = [];
    for await (const raw of this.#db.values()) {
      const pw = (raw as { password?: unknown }).password;
      const id = String((raw as { id?: unknown }).id);
      let password = pw;
      if (typeof pw === 'string' && SecretBox.isSealed(pw)) {
        try {
          password = key.box.open(pw, secretContext(id));
        } catch (err) {
          this.#log.error(
            { camera: id, err: (err as Error).message },
            'camera record skipped: password does not open',
          );
          continue;
        }
      }
      const r = CameraRecord.safeParse({ ...(raw as object), password });
      if (!r.success) {
        this.#log.error({ issues: r.error.issues.slice(0, 3) }, 'unreadable camera record skipped');
        continue;
      }
      this.#cams.set(r.data.id, r.data);
      if (password === pw) clear.push(r.data);
    }
    for (const rec of clear) {
      await this.#db.put(rec.id, this.#sealed(rec), SYNCED);
      this.#log.info({ camera: rec.id }, 'camera password sealed at rest');
    }
    for (const c of this.#config.cameras) {
      const prev = this.#cams.get(c.id);
      const rec: CameraRecord = {
        id: c.id,
        name: prev?.name ?? c.id,
        xaddr: c.xaddr,
        user: c.user,
        password: c.password,
        urn: prev?.urn ?? null,
        roomId: c.roomId ?? prev?.roomId ?? null,
        streamUri: c.streamUri ?? null,
        origin: 'config',
        info: prev?.xaddr === c.xaddr ? (prev?.info ?? null) : null,
        rtpTransport: prev?.xaddr === c.xaddr ? (prev?.rtpTransport ?? null) : null,
        health: prev?.health ?? UNKNOWN_HEALTH,
        addedAt: prev?.addedAt ?? this.#now(),
        addedBy: 'config',
      };
      await this.#save(rec);
    }
    this.#started = true;
    this.#poll = setInterval(() => {
      this.#polling ??= this.pollAll().finally(() => {
        this.#polling = null;
      });
    }, this.#config.healthPollS * 1000);
    this.#poll.unref();
    // First look at every camera in the background: a camera that is down must not stop the gateway.
    this.#polling = this.pollAll().finally(() => {
      this.#polling = null;
    });
  }

  async stop(): Promise<void> {
    this.#started = false;
    clearInterval(this.#poll);
    await this.#polling;
    await Promise.allSettled(this.#busy.values());
  }

  rooms(): { id: string; name: string; cameras: string[] }[] {
    return this.#config.rooms.map((r) => ({
      id: r.id,
      name: r.name,
      cameras: [...this.#cams.values()].filter((c) => c.roomId === r.id).map((c) => c.id),
    }));
  }

  hasRoom(roomId: string): boolean {
    return this.#config.rooms.some((r) => r.id === roomId);
  }

  list(): CameraView[] {
    return [...this.#cams.values()].sort((a, b) => a.id.localeCompare(b.id)).map((c) => this.#view(c));
  }

  view(id: string): CameraView {
    return this.#view(this.#need(id));
  }

  get(id: string): CameraRecord | undefined {
    return this.#cams.get(id);
  }

  camerasInRoom(roomId: string): CameraRecord[] {
    return [...this.#cams.values()].filter((c) => c.roomId === roomId);
  }

  /** The stream to record, from the last successful connection. */
  streamFor(id: string): StreamSource {
    const c = this.#need(id);
    if (!c.info) {
      throw new GatewayError(
        'CAMERA_UNREACHABLE',
        `camera ${id} has not been reached yet: no stream address`,
        {
          cameraId: id,
        },
      );
    }
    return {
      url: c.streamUri ?? c.info.streamUri,
      transport: c.rtpTransport ?? c.info.transport,
      username: c.user,
      password: c.password,
      // The profile's word on audio is not trusted (many cameras say "no audio encoder" and send
      // G.711): the recorder reads the stream's own tracks (stream-choice.ts); this is only what it
      // does when the camera will not describe its stream: transcode, copying only what the
      // profile calls AAC (a wrong claim is caught by the recorder).
      audio: c.info.audio === 'copy' ? 'copy' : 'aac',
      fps: c.info.profiles.find((p) => p.token === c.info?.profileToken)?.fps ?? null,
    };
  }

  /** The camera's stream was read over `transport` after the other was refused: kept for next time. */
  async rememberTransport(id: string, transport: StreamTransport): Promise<void> {
    const c = this.#cams.get(id);
    if (!c || c.rtpTransport === transport) return;
    this.#log.info({ camera: id, transport }, 'camera RTP transport remembered');
    await this.#save({ ...c, rtpTransport: transport });
  }

  /** WS-Discovery; each result says which registered camera it is, if any. */
  async discover(
    timeoutMs = this.#config.discoveryTimeoutMs,
  ): Promise<(DiscoveredCamera & { cameraId: string | null })[]> {
    const found = await this.#control.discover(timeoutMs);
    this.#discovered = found;
    return found.map((d) => ({ ...d, cameraId: this.#match(d)?.id ?? null }));
  }

  lastDiscovered(): (DiscoveredCamera & { cameraId: string | null })[] {
    return this.#discovered.map((d) => ({ ...d, cameraId: this.#match(d)?.id ?? null }));
  }

  /** Connects first (wrong password -> CAMERA_AUTH, nothing stored), then registers. */
  async add(input: AddCameraInput, by: string): Promise<CameraView> {
    const a = AddCameraInput.parse(input);
    if (a.roomId && !this.hasRoom(a.roomId)) throw new GatewayError('NOT_FOUND', `no room ${a.roomId}`);
    const dup = [...this.#cams.values()].find((c) => c.xaddr === a.xaddr || (a.urn && c.urn === a.urn));
    if (dup)
      throw new GatewayError('CONFLICT', `camera already registered as ${dup.id}`, { cameraId: dup.id });
    if (a.id && this.#cams.has(a.id)) throw new GatewayError('CONFLICT', `camera id ${a.id} is taken`);
    const conn = await this.#control
      .connect({ xaddr: a.xaddr, user: a.user, password: a.password })
      .catch((err) => rethrowScrubbed(err, a.password));
    const discovered = this.#discovered.find((d) => d.xaddr === a.xaddr || d.urn === a.urn);
    const id = a.id ?? this.#freeId(conn.info.device.serialNumber || new URL(a.xaddr).hostname);
    const rec: CameraRecord = {
      id,
      name:
        a.name ??
        (discovered?.name || `${conn.info.device.manufacturer} ${conn.info.device.model}`.trim() || id),
      xaddr: a.xaddr,
      user: a.user,
      password: a.password,
      urn: a.urn ?? discovered?.urn ?? null,
      roomId: a.roomId ?? null,
      streamUri: a.streamUri ?? null,
      origin: discovered ? 'discovered' : 'manual',
      info: conn.info,
      rtpTransport: null,
      health: {
        reachable: true,
        checkedAt: this.#now(),
        clockOffsetMs: conn.info.clockOffsetMs,
        rttMs: null,
        error: null,
      },
      addedAt: this.#now(),
      addedBy: by,
    };
    // All but the password and what the camera itself says: `gateway reindex` rebuilds from this.
    await this.#audited(by, id, 'add', {
      name: rec.name,
      xaddr: withoutUserinfo(rec.xaddr),
      roomId: rec.roomId,
      origin: rec.origin,
      user: rec.user,
      urn: rec.urn,
      streamUri: rec.streamUri,
      addedAt: rec.addedAt,
    });
    this.#conns.set(id, conn);
    this.#streamAuthRefused.delete(id);
    await this.#save(rec);
    this.#log.info({ camera: id, xaddr: a.xaddr, by }, 'camera added');
    void this.#refreshSnapshot(id).catch(() => {});
    return this.#view(rec);
  }

  /**
   * A new password for a registered camera (one rebuilt without it, or changed on the camera):
   * tried first (wrong -> CAMERA_AUTH, nothing stored); audited without it.
   */
  async setPassword(id: string, password: string, by: string): Promise<CameraView> {
    const pw = CameraPassword.parse(password);
    const c = this.#need(id);
    if (this.inUse(id)) throw new GatewayError('CONFLICT', `camera ${id} is recording a hearing`);
    const conn = await this.#control
      .connect({ xaddr: c.xaddr, user: c.user, password: pw })
      .catch((err) => rethrowScrubbed(err, pw));
    await this.#audited(by, id, 'password', { wasLost: c.passwordLost === true });
    const { passwordLost: _, ...rest } = this.#need(id);
    const rec: CameraRecord = {
      ...rest,
      password: pw,
      info: conn.info,
      health: {
        ...UNKNOWN_HEALTH,
        reachable: true,
        checkedAt: this.#now(),
        clockOffsetMs: conn.info.clockOffsetMs,
      },
    };
    this.#conns.set(id, conn);
    this.#streamAuthRefused.delete(id);
    await this.#save(rec);
    void this.#refreshSnapshot(id).catch(() => {});
    return this.#view(rec);
  }

  /**
   * `gateway reindex`: a camera the log holds and the index lacks, without its password
   * (`passwordLost`). Not started (offline), the row is put unsealed with an empty password and
   * sealed at the next start, as any clear row is.
   */
  async restore(rec: CameraRecord): Promise<boolean> {
    if (this.#cams.has(rec.id) || (await this.#db.get(rec.id)) !== undefined) return false;
    const r = CameraRecord.parse({ ...rec, password: '', passwordLost: true });
    if (this.#box) await this.#save(r);
    else await this.#db.put(r.id, r, SYNCED);
    return true;
  }

  async assignRoom(id: string, roomId: string | null, by = 'gateway'): Promise<CameraView> {
    const c = this.#need(id);
    if (roomId !== null && !this.hasRoom(roomId)) throw new GatewayError('NOT_FOUND', `no room ${roomId}`);
    if (this.inUse(id)) throw new GatewayError('CONFLICT', `camera ${id} is recording a hearing`);
    await this.#audited(by, id, 'assign-room', { roomId, previousRoomId: c.roomId });
    const rec = { ...c, roomId };
    await this.#save(rec);
    return this.#view(rec);
  }

  async remove(id: string, by = 'gateway'): Promise<void> {
    const c = this.#need(id);
    if (this.inUse(id)) throw new GatewayError('CONFLICT', `camera ${id} is recording a hearing`);
    if (c.origin === 'config') throw new GatewayError('CONFLICT', `camera ${id} comes from the config file`);
    await this.#audited(by, id, 'remove', {
      name: c.name,
      xaddr: withoutUserinfo(c.xaddr),
      roomId: c.roomId,
    });
    this.#cams.delete(id);
    this.#conns.delete(id);
    this.#snapshots.delete(id);
    await this.#db.del(id, SYNCED);
    this.#bus.emit('camera.changed', { cameraId: id });
  }

  /**
   * The stream access layer's finding (recording/rtsp-relay.ts): the camera accepted or refused
   * our RTSP credentials. A refusal shows the camera as `auth-failed` until a stream is accepted.
   */
  noteStreamAuth(id: string, accepted: boolean): void {
    if (!this.#cams.has(id)) return;
    const was = this.#streamAuthRefused.has(id);
    if (accepted) this.#streamAuthRefused.delete(id);
    else if (!was) this.#streamAuthRefused.set(id, this.#now());
    if (was === accepted) {
      if (!accepted) this.#log.warn({ camera: id }, 'camera refused the RTSP credentials');
      this.#bus.emit('camera.changed', { cameraId: id });
    }
  }

  async #audited(by: string, id: string, action: string, details: Record<string, unknown>): Promise<void> {
    await this.#audit?.({
      type: 'camera-admin',
      actor: by,
      subject: `camera:${id}`,
      details: { action, ...details },
    });
  }

  /** Latest snapshot; `fresh` asks the camera now (else the cached one, if any). */
  /**
   * The camera's picture, at most `maxAgeMs` old (the live view asks about once a second, R18:
   * staff see that it is really recording). Viewers asking at the same time share one fetch.
   */
  async snapshot(id: string, maxAgeMs = Number.POSITIVE_INFINITY): Promise<Snapshot> {
    const c = this.#need(id);
    const cached = this.#snapshots.get(id);
    if (cached && this.#now() - cached.at <= maxAgeMs) return cached;
    let pending = this.#snapshotting.get(id);
    if (!pending) {
      pending = this.#refreshSnapshot(id).finally(() => this.#snapshotting.delete(id));
      this.#snapshotting.set(id, pending);
    }
    return pending.catch((err) => rethrowScrubbed(err, c.password));
  }

  /** Sets the camera clock to the gateway's. */
  async syncClock(id: string): Promise<CameraView> {
    const password = this.#need(id).password;
    const conn = await this.#connection(id).catch((err) => rethrowScrubbed(err, password));
    const clock = await conn.setSystemDateAndTime().catch((err) => rethrowScrubbed(err, password));
    const c = this.#need(id);
    await this.#save({
      ...c,
      health: {
        ...c.health,
        reachable: true,
        checkedAt: this.#now(),
        clockOffsetMs: clock.offsetMs,
        rttMs: clock.rttMs,
      },
    });
    return this.view(id);
  }

  /** One health round over every camera (also run by the timer). */
  async pollAll(): Promise<void> {
    await Promise.allSettled([...this.#cams.keys()].map((id) => this.pollOne(id)));
  }

  async pollOne(id: string): Promise<CameraHealth> {
    return this.#exclusive(id, async () => {
      const before = this.#cams.get(id);
      if (!before) return UNKNOWN_HEALTH;
      let health: CameraHealth;
      try {
        const conn = await this.#connection(id);
        const clock = await conn.readClock();
        health = {
          reachable: true,
          checkedAt: this.#now(),
          clockOffsetMs: clock.offsetMs,
          rttMs: clock.rttMs,
          error: null,
        };
      } catch (err) {
        const e = err instanceof GatewayError ? err : new GatewayError('CAMERA_UNREACHABLE', String(err));
        // A camera that rebooted may have new stream ports: reconnect from scratch next time.
        this.#conns.delete(id);
        health = {
          ...before.health,
          reachable: false,
          checkedAt: this.#now(),
          error: { code: e.code, message: scrub(e.message, { secrets: [before.password], max: 300 }) },
        };
        if (before.health.reachable || before.health.checkedAt === null) {
          this.#log.warn({ camera: id, code: e.code, why: health.error?.message }, 'camera unreachable');
        }
      }
      const cur = this.#cams.get(id);
      if (!cur || !this.#started) return health;
      await this.#save({ ...cur, health });
      if (health.reachable) await this.#refreshSnapshot(id).catch(() => {});
      return health;
    });
  }

  async #connection(id: string): Promise<CameraConnection> {
    const have = this.#conns.get(id);
    if (have) return have;
    const c = this.#need(id);
    if (c.passwordLost) {
      throw new GatewayError('CAMERA_AUTH', `camera ${id} needs its password again`, {
        cameraId: id,
        reason: 'PASSWORD_LOST',
      });
    }
    const conn = await this.#control.connect({ xaddr: c.xaddr, user: c.user, password: c.password });
    this.#conns.set(id, conn);
    const cur = this.#cams.get(id);
    if (cur) await this.#save({ ...cur, info: conn.info });
    return conn;
  }

  async #refreshSnapshot(id: string): Promise<Snapshot> {
    const conn = await this.#connection(id);
    const snap = { jpeg: await conn.getSnapshot(), at: this.#now() };
    this.#snapshots.set(id, snap);
    return snap;
  }

  #exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#busy.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.#busy.set(id, next);
    const done = () => {
      if (this.#busy.get(id) === next) this.#busy.delete(id);
    };
    next.then(done, done);
    return next;
  }

  #match(d: DiscoveredCamera): CameraRecord | undefined {
    return [...this.#cams.values()].find((c) => c.urn === d.urn || d.xaddrs.includes(c.xaddr));
  }

  #freeId(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 28) || 'cam';
    if (!this.#cams.has(base)) return base;
    for (let i = 2; ; i++) if (!this.#cams.has(`${base}-${i}`)) return `${base}-${i}`;
  }

  #need(id: string): CameraRecord {
    const c = this.#cams.get(id);
    if (!c) throw new GatewayError('NOT_FOUND', `no camera ${id}`);
    return c;
  }

  #view(c: CameraRecord): CameraView {
    const { password: _, ...rest } = c;
    const refusedAt = this.#streamAuthRefused.get(c.id) ?? null;
    const state: CameraState =
      refusedAt !== null || c.passwordLost || c.health.error?.code === 'CAMERA_AUTH'
        ? 'auth-failed'
        : c.health.reachable
          ? 'online'
          : 'offline';
    return {
      ...rest,
      // Stored before messages were scrubbed at the source: scrubbed again on the way out.
      health: c.health.error
        ? {
            ...c.health,
            error: { ...c.health.error, message: scrub(c.health.error.message, { secrets: [c.password] }) },
          }
        : c.health,
      snapshotAt: this.#snapshots.get(c.id)?.at ?? null,
      state,
      streamAuthRefusedAt: refusedAt,
    };
  }

  /** The record as stored: its password sealed, bound to its camera id. */
  #sealed(rec: CameraRecord): CameraRecord {
    if (!this.#box) throw new GatewayError('INTERNAL', 'camera registry not started');
    return { ...rec, password: this.#box.seal(rec.password, secretContext(rec.id)) };
  }

  async #save(rec: CameraRecord): Promise<void> {
    const before = this.#cams.get(rec.id);
    this.#cams.set(rec.id, rec);
    await this.#db.put(rec.id, this.#sealed(rec), SYNCED);
    if (
      !before ||
      JSON.stringify({ ...before, health: null }) !== JSON.stringify({ ...rec, health: null }) ||
      before.health.reachable !== rec.health.reachable
    ) {
      this.#bus.emit('camera.changed', { cameraId: rec.id });
    }
  }
}

/** A camera's error on its way to the API or a log: its password and credentials removed. */
function rethrowScrubbed(err: unknown, password: string): never {
  if (err instanceof GatewayError)
    throw new GatewayError(err.code, scrub(err.message, { secrets: [password] }), err.details);
  throw new GatewayError('CAMERA_UNREACHABLE', scrub(err, { secrets: [password] }));
}

function secretContext(cameraId: string): string {
  return `camera:${cameraId}`;
}
