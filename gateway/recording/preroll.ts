/**
 * Warm pre-roll (Frigate style): every camera assigned to a room (and reachable) is kept warm by a
 * WarmCamera (warm-camera.ts), a few seconds of keyframe-aligned cache segments in a ring under the
 * work dir. A hearing's own recording needs 0.5-1.3 s to start (ffmpeg, RTSP handshake, first
 * keyframe); the cache segments from the keyframe at or before the start up to where the
 * recording's own media begins become the session's lead-in, stored through the same custody path
 * as its segments (R18: recorded from the start).
 *
 * A hearing holds the camera: once the lead-in is taken (or at once, if the cache was not warm)
 * the warm ffmpeg is stopped for the hearing's length (the camera serves one stream fewer, the
 * gateway runs one ffmpeg fewer) and started again when the hearing releases it.
 *
 * Privacy: the cache is never indexed or stored; outside a hearing its segments are deleted after
 * a few seconds (ring count and age), and the whole ring is deleted at start and stop.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CameraRecord } from '../cameras/registry.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import type { ClosedSegment, StreamSource } from './channel.js';
import type { StreamTransport } from './ffmpeg-args.js';
import type { MediaProbe, StreamRecorder } from './recorder.js';
import { inspectSegment } from './segment-check.js';
import type { StreamAccess } from './stream-access.js';
import { type PrerollStatus, WarmCamera } from './warm-camera.js';

export interface PrerollConfig {
  enabled: boolean;
  /** Cache segment length (segments still cut on keyframes only). */
  segmentSeconds: number;
  /** Cache segments kept (the newest); also bounds their age. */
  ringSegments: number;
  /** Watchdog threshold of the warm ffmpeg. */
  staleDataS: number;
}

/** What the cache needs of the camera registry (CameraRegistry fits). */
export interface PrerollCameras {
  list(): { id: string }[];
  get(id: string): Pick<CameraRecord, 'roomId' | 'health'> | undefined;
  streamFor(id: string): StreamSource;
  /** The transport a camera's stream was read over after the other was refused (persisted). */
  rememberTransport?(id: string, transport: StreamTransport): Promise<void>;
}

export interface PrerollOptions {
  config: PrerollConfig;
  cameras: PrerollCameras;
  bus: EventBus;
  recorder: StreamRecorder;
  access: StreamAccess;
  probe: MediaProbe;
  /** Root of the ring directories (one per camera). */
  dir: string;
  log: Logger;
  now?: () => number;
}

/** A hearing's hold on one camera's cache. */
export interface PrerollHold {
  /** The cache was warm when the hearing started: a lead-in can be taken. */
  readonly warm: boolean;
  /**
   * The cache segments covering [hearing start, `until`), moved into `dest`, checked; [] when not
   * warm or already taken. Once only; the warm ffmpeg then stops for the hearing.
   */
  takeLeadIn(until: number, dest: string): Promise<ClosedSegment[]>;
  /** The hearing has ended: the camera is kept warm again. */
  release(): void;
}

/** The lead-in source a hearing uses (PrerollCache fits). */
export interface LeadInSource {
  /** `from`: the hearing's start; null when it wants no lead-in (a session resumed after an outage). */
  hold(cameraId: string, from: number | null): PrerollHold;
}

export class PrerollCache implements Service, LeadInSource {
  readonly name = 'preroll';
  readonly #o: PrerollOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #warm = new Map<string, WarmCamera>();
  /** Hearings holding each camera, and those of them still waiting for their lead-in. */
  readonly #held = new Map<string, number>();
  readonly #pending = new Map<string, number>();
  #off: (() => void) | undefined;
  #running = false;

  constructor(opts: PrerollOptions) {
    this.#o = opts;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    // Whatever a previous run left is not evidence and is not kept.
    await rm(this.#o.dir, { recursive: true, force: true });
    if (!this.#o.config.enabled) return;
    this.#running = true;
    this.#off = this.#o.bus.on('camera.changed', (e) => this.#reconcile(e.cameraId));
    for (const c of this.#o.cameras.list()) this.#reconcile(c.id);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#off?.();
    const all = [...this.#warm.values()];
    this.#warm.clear();
    await Promise.allSettled(all.map((w) => w.stop()));
    await rm(this.#o.dir, { recursive: true, force: true }).catch(() => {});
  }

  isWarm(cameraId: string): boolean {
    return this.#warm.get(cameraId)?.warm ?? false;
  }

  /** The cache's state for the room card; null when the camera is not kept warm (no room, off). */
  status(cameraId: string): PrerollStatus | null {
    return this.#warm.get(cameraId)?.status() ?? null;
  }

  /** The ring of a camera (wall-clock intervals), for tests and the dashboard. */
  ring(cameraId: string): { file: string; start: number; end: number }[] {
    return this.#warm.get(cameraId)?.segments() ?? [];
  }

  ringDir(cameraId: string): string {
    return join(this.#o.dir, cameraId);
  }

  hold(cameraId: string, from: number | null): PrerollHold {
    const w = this.#warm.get(cameraId);
    const warm = from !== null && (w?.warm ?? false);
    count(this.#held, cameraId, +1);
    if (warm) count(this.#pending, cameraId, +1);
    const unpin = warm && w && from !== null ? w.hold(from) : () => {};
    // Not warm: nothing to wait for, the hearing's own stream is all there is.
    if (!warm) this.#reconcile(cameraId);
    const segS = this.#o.config.segmentSeconds;
    const timeoutMs = Math.max(3 * segS * 1000, 3000) + 2000;
    let pending = warm;
    let released = false;
    const settle = () => {
      unpin();
      if (pending) count(this.#pending, cameraId, -1);
      pending = false;
    };
    return {
      warm,
      takeLeadIn: async (until, dest) => {
        if (!pending || !w || from === null) return [];
        try {
          const segs = await w.take(from, until, dest, timeoutMs);
          const out: ClosedSegment[] = [];
          for (const [i, s] of segs.entries()) {
            const media = await inspectSegment(s.path, (s.end - s.start) / 1000, this.#o.probe, this.#log);
            const { size } = await stat(s.path);
            out.push({ ...s, run: 0, index: i + 1, media, bytes: size, leadIn: true });
          }
          this.#log.info(
            { camera: cameraId, segments: out.length, from, until, leadMs: from - (out[0]?.start ?? from) },
            'lead-in taken from the warm cache',
          );
          return out;
        } finally {
          settle();
          this.#reconcile(cameraId);
        }
      },
      release: () => {
        if (released) return;
        released = true;
        settle();
        count(this.#held, cameraId, -1);
        this.#reconcile(cameraId);
      },
    };
  }

  /** Starts, restarts or stops one camera's warm ffmpeg to match what it should be doing. */
  #reconcile(cameraId: string): void {
    const have = this.#warm.get(cameraId);
    // A hearing waiting for its lead-in keeps the cache filling (takeLeadIn reconciles after).
    if (have && this.#pending.has(cameraId)) return;
    // Held by a hearing: its own recording is enough, the warm ffmpeg pauses.
    const source = this.#held.has(cameraId) ? null : this.#wanted(cameraId);
    // A transport learned by this very cache (rememberTransport) is no reason to restart it.
    if (have && source && sameStream(have.source, source)) return;
    if (have) {
      this.#warm.delete(cameraId);
      void have
        .stop()
        .catch((err) => this.#log.warn({ err, camera: cameraId }, 'stopping warm ffmpeg failed'));
    }
    if (!source) return;
    const w = new WarmCamera({
      cameraId,
      source,
      dir: join(this.#o.dir, cameraId),
      segmentSeconds: this.#o.config.segmentSeconds,
      ringSegments: this.#o.config.ringSegments,
      staleDataS: this.#o.config.staleDataS,
      recorder: this.#o.recorder,
      access: this.#o.access,
      log: this.#log,
      now: this.#now,
      onStatus: () => this.#o.bus.emit('camera.changed', { cameraId }),
      onTransport: (t) =>
        void this.#o.cameras
          .rememberTransport?.(cameraId, t)
          .catch((err) => this.#log.warn({ err, camera: cameraId }, 'remembering the transport failed')),
    });
    this.#warm.set(cameraId, w);
    // After the old one's ring is gone (same directory).
    const previous = have?.stop() ?? Promise.resolve();
    void previous
      .then(() => (this.#warm.get(cameraId) === w ? w.start() : undefined))
      .catch((err) => this.#log.warn({ err, camera: cameraId }, 'starting warm ffmpeg failed'));
  }

  #wanted(cameraId: string): StreamSource | null {
    if (!this.#running) return null;
    const c = this.#o.cameras.get(cameraId);
    if (!c || c.roomId === null || !c.health.reachable) return null;
    try {
      return this.#o.cameras.streamFor(cameraId);
    } catch {
      return null;
    }
  }
}

function sameStream(a: StreamSource, b: StreamSource): boolean {
  return JSON.stringify({ ...a, transport: null }) === JSON.stringify({ ...b, transport: null });
}

function count(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n > 0) m.set(key, n);
  else m.delete(key);
}
