/**
 * One camera kept warm for the pre-roll cache (preroll.ts): a low-cost ffmpeg (`-c copy`, the
 * recording's argv with 1 s segments, buildCacheArgs) connected while the camera is assigned to a
 * room, writing keyframe-aligned segments into a small ring directory. Nothing here is evidence:
 * segments leave the ring only when a hearing takes them as its lead-in (then they go through the
 * hearing's custody path); everything else is deleted after a few seconds (count and age bound).
 *
 * Wall-clock times come from the same method as the recording channel: the csv segment list's
 * times on the run's timeline, anchored by `-progress` reports (TimelineAnchor). A run's first
 * segment is dropped: a camera may start a stream with a cached keyframe from up to a GOP before
 * PLAY, so that segment holds a hole (the channel clips it to the start of the flow instead).
 *
 * Watchdog: no new frames for `staleDataS` (or nothing within the connect grace) -> the run is
 * stopped and replaced with backoff; ffmpeg exiting by itself is replaced the same way.
 */
import { copyFile, mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { scrub } from '../scrub.js';
import { AUTH_BACKOFF_MS, type StreamSource } from './channel.js';
import { buildCacheArgs, type FfmpegArgv, SEGMENT_FILE, type StreamTransport } from './ffmpeg-args.js';
import { chooseLeadIn, expiredFromRing } from './lead-in.js';
import { type ProgressReport, TimelineAnchor } from './progress.js';
import type { RecorderRun, RunExit, StreamRecorder } from './recorder.js';
import { readSegmentList } from './segment-list.js';
import type { StreamAccess, StreamTicket } from './stream-access.js';
import { StreamChoice } from './stream-choice.js';

export interface WarmCameraOptions {
  cameraId: string;
  source: StreamSource;
  /** The ring directory (this camera's only). */
  dir: string;
  segmentSeconds: number;
  ringSegments: number;
  staleDataS: number;
  recorder: StreamRecorder;
  /** Credential-free stream URLs for ffmpeg (rtsp-relay.ts), as for a recording. */
  access: StreamAccess;
  log: Logger;
  now?: () => number;
  /** The cache's status() changed (the room card shows it). */
  onStatus?(s: PrerollStatus): void;
  /** The stream delivered over another RTP transport than `source` named (kept for next time). */
  onTransport?(transport: StreamTransport): void;
}

/** A cache segment handed to a hearing: moved out of the ring, wall-clock interval. */
export interface CacheSegment {
  path: string;
  start: number;
  end: number;
}

interface WarmRun {
  n: number;
  prefix: string;
  argv: FfmpegArgv;
  ticket: StreamTicket;
  handle: RecorderRun;
  anchor: TimelineAnchor;
  spawnedAt: number;
  lastFrames: number;
  lastOutMs: number;
  lastFreshAt: number;
  freshReports: number;
  hadData: boolean;
  exited: boolean;
  stopping: boolean;
  /** Names in the segment list at the last read (the list holds only the newest few). */
  listed: Set<string>;
  /** Highest segment index the list has shown: higher ones are still being written. */
  maxListed: number;
  lastReadAt: number;
}

interface RingEntry {
  file: string;
  run: WarmRun;
  startS: number;
  endS: number;
}

interface Held {
  from: number;
  since: number;
}

const TICK_MS = 500;
const PROGRESS_PERIOD_S = 0.5;
const CONNECT_GRACE_MS = 5000;
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
const SWEEP_EVERY_MS = 2000;
const WARN_EVERY_MS = 60_000;

/** A camera's pre-roll cache: `failing` carries why (scrubbed: ffmpeg's words or the camera's refusal). */
export interface PrerollStatus {
  state: 'warming' | 'warm' | 'failing';
  reason: string | null;
}
/** A hearing's hold on the ring ends by itself after this long (the ring stays bounded). */
export const HOLD_MAX_MS = 30_000;

export class WarmCamera {
  readonly cameraId: string;
  readonly source: StreamSource;
  readonly #o: WarmCameraOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #active = false;
  #runNo = 0;
  #run: WarmRun | null = null;
  #attempt = 0;
  #ticker: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #ring: RingEntry[] = [];
  readonly #holds = new Set<Held>();
  readonly #waiters = new Set<() => void>();
  #reading: Promise<void> = Promise.resolve();
  #taking: Promise<unknown> = Promise.resolve();
  #lastSweepAt = 0;
  #stopped: Promise<void> | null = null;
  /** Transport, audio handling and fast start, learned from the stream (as channel.ts). */
  readonly #choice: StreamChoice;
  /** Why the last run ended without delivering, until one delivers. */
  #failure: string | null = null;
  #failuresSinceWarn = 0;
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #lastStatus = '';

  constructor(opts: WarmCameraOptions) {
    this.#o = opts;
    this.cameraId = opts.cameraId;
    this.source = opts.source;
    this.#log = opts.log.child({ camera: opts.cameraId, preroll: true });
    this.#now = opts.now ?? Date.now;
    this.#choice = new StreamChoice(opts.source);
  }

  /** What the room card and the API show: a cache that cannot warm says why. */
  status(): PrerollStatus {
    if (this.warm) return { state: 'warm', reason: null };
    return this.#failure ? { state: 'failing', reason: this.#failure } : { state: 'warming', reason: null };
  }

  async start(): Promise<void> {
    this.#active = true;
    await rm(this.#o.dir, { recursive: true, force: true });
    await mkdir(this.#o.dir, { recursive: true });
    if (!this.#active) return;
    await this.#choice.prepare(this.#o.access, { cameraId: this.cameraId, ...this.source }, this.#log);
    if (!this.#active) return;
    this.#spawn();
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Ends the warm ffmpeg and deletes the ring (after a lead-in being taken is out of it). */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#active = false;
    clearInterval(this.#ticker);
    clearTimeout(this.#restartTimer);
    this.#wake();
    const run = this.#run;
    if (run && !run.exited) {
      run.stopping = true;
      await run.handle.stop({ graceMs: 2000, urgent: true });
    }
    await this.#reading;
    await this.#taking.catch(() => {});
    this.#ring = [];
    await rm(this.#o.dir, { recursive: true, force: true }).catch(() => {});
  }

  /**
   * Warm: a live run whose frames are fresh and whose cache already holds a segment of it, so the
   * segment containing any moment from now on will close in the ring.
   */
  get warm(): boolean {
    const run = this.#run;
    if (!this.#active || !run || run.exited || run.stopping || !run.hadData) return false;
    if (this.#now() - run.lastFreshAt > this.#o.staleDataS * 1000) return false;
    return this.#ring.some((e) => e.run === run);
  }

  /** Ring segments (for tests and stats): wall-clock intervals, oldest first. */
  segments(): { file: string; start: number; end: number }[] {
    return this.#ring.map((e) => ({ file: e.file, ...this.#wall(e) })).sort((a, b) => a.start - b.start);
  }

  /** Keeps ring segments ending after `from` until released (or HOLD_MAX_MS). */
  hold(from: number): () => void {
    const h: Held = { from, since: this.#now() };
    this.#holds.add(h);
    return () => {
      this.#holds.delete(h);
    };
  }

  /**
   * Waits (at most `timeoutMs`) until the ring has a segment reaching `until`, then moves the
   * segments covering [from, until) into `dest` (as pre-00001.mp4 or .mov, ...) and returns them.
   */
  take(from: number, until: number, dest: string, timeoutMs: number): Promise<CacheSegment[]> {
    const p = this.#take(from, until, dest, timeoutMs);
    this.#taking = p.catch(() => {});
    return p;
  }

  async #take(from: number, until: number, dest: string, timeoutMs: number): Promise<CacheSegment[]> {
    const deadline = this.#now() + timeoutMs;
    while (this.#active && this.#now() < deadline && !this.#ring.some((e) => this.#wall(e).end >= until)) {
      const run = this.#run;
      if (!run || run.exited) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(0, deadline - this.#now()));
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
    await this.#reading;
    const chosen = chooseLeadIn(
      this.#ring.map((e) => ({ e, ...this.#wall(e) })),
      from,
      until,
    );
    await mkdir(dest, { recursive: true });
    const out: CacheSegment[] = [];
    for (const [i, c] of chosen.entries()) {
      const path = join(dest, `pre-${String(i + 1).padStart(5, '0')}${c.e.file.slice(-4)}`);
      try {
        await moveFile(join(this.#o.dir, c.e.file), path);
      } catch (err) {
        this.#log.warn({ err, file: c.e.file }, 'cache segment could not be moved; lead-in has a hole');
        continue;
      }
      this.#ring = this.#ring.filter((e) => e !== c.e);
      out.push({ path, start: c.start, end: c.end });
    }
    return out;
  }

  #wall(e: RingEntry): { start: number; end: number } {
    return { start: e.run.anchor.wall(e.startS), end: e.run.anchor.wall(e.endS) };
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
    this.#waiters.clear();
  }

  #spawn(): void {
    const n = ++this.#runNo;
    const prefix = `w${String(n).padStart(4, '0')}-`;
    const s = this.#o.source;
    const ticket = this.#o.access.open({ cameraId: this.cameraId, ...s });
    const argv = buildCacheArgs({
      url: ticket.url,
      transport: this.#choice.transport,
      audio: this.#choice.audio,
      container: this.#choice.container,
      fastStart: this.#choice.fastStart,
      outDir: this.#o.dir,
      prefix,
      segmentSeconds: this.#o.segmentSeconds,
      ioTimeoutS: Math.max(this.#o.staleDataS * 2, 5),
      progressPeriodS: PROGRESS_PERIOD_S,
      listSize: this.#o.ringSegments + 4,
    });
    const now = this.#now();
    const run: WarmRun = {
      n,
      prefix,
      argv,
      ticket,
      handle: undefined as unknown as RecorderRun,
      anchor: new TimelineAnchor(),
      spawnedAt: now,
      lastFrames: 0,
      lastOutMs: -1,
      lastFreshAt: now,
      freshReports: 0,
      hadData: false,
      exited: false,
      stopping: false,
      listed: new Set(),
      maxListed: -1,
      lastReadAt: now,
    };
    this.#run = run;
    run.handle = this.#o.recorder.start(argv, {
      onProgress: (r, at) => this.#progress(run, r, at),
      onExit: (e) => this.#exited(run, e),
    });
    // Its pid is known once spawned, before it can connect: the stream goes to this ffmpeg only.
    ticket.bind(() => run.handle.pid);
    this.#log.debug({ run: n }, 'warm ffmpeg started');
  }

  #progress(run: WarmRun, r: ProgressReport, at: number): void {
    const out = r.outTimeMs;
    const grew =
      out !== null && out > 0 && (r.frame !== null ? r.frame > run.lastFrames : out > run.lastOutMs);
    if (!grew) return;
    if (r.frame !== null) run.lastFrames = r.frame;
    if (out > run.lastOutMs) {
      run.anchor.observe(at, out);
      run.lastOutMs = out;
    }
    run.lastFreshAt = at;
    if (!run.hadData && ++run.freshReports >= 2) {
      run.hadData = true;
      this.#attempt = 0;
      if (this.#failure) this.#log.info({ run: run.n }, 'warm ffmpeg recovered');
      if (this.#choice.transport !== this.source.transport) this.#o.onTransport?.(this.#choice.transport);
      this.#failure = null;
      this.#failuresSinceWarn = 0;
    }
    // A hearing waiting for the cache reads it at every report; otherwise twice a segment.
    if (this.#waiters.size > 0 || at - run.lastReadAt >= (this.#o.segmentSeconds * 1000) / 2) {
      run.lastReadAt = at;
      this.#read(run);
    }
  }

  #exited(run: WarmRun, e: RunExit): void {
    run.exited = true;
    const failure = run.ticket.failure();
    run.ticket.close();
    this.#read(run);
    this.#wake();
    if (!this.#active || run !== this.#run) return;
    const delay =
      failure?.kind === 'auth'
        ? AUTH_BACKOFF_MS
        : run.hadData
          ? BACKOFF_MS[0]!
          : BACKOFF_MS[Math.min(this.#attempt++, BACKOFF_MS.length - 1)]!;
    const why =
      failure?.kind === 'auth'
        ? `RTSP ${failure.status}: the camera refused the credentials`
        : scrub(e.stderrTail.slice(-2).join(' | ') || `exit ${e.code ?? e.signal}`, {
            secrets: [this.source.password],
            replace: [[run.ticket.url, this.source.url]],
          });
    const change = this.#choice.afterFailure(why, failure, { hadData: run.hadData, stoppedStale: false });
    if (change)
      this.#log.info(
        { why, change, transport: this.#choice.transport },
        'warm ffmpeg: reading the stream differently',
      );
    if (run.hadData) {
      this.#log.info({ run: run.n, why, restartInMs: delay }, 'warm ffmpeg ended; restarting');
    } else {
      // A camera whose cache cannot warm has no lead-in for its hearings: said at warn, at most
      // once a minute (with the count), not once per retry.
      this.#failure = why;
      this.#failuresSinceWarn++;
      const now = this.#now();
      if (now - this.#lastWarnAt >= WARN_EVERY_MS) {
        this.#lastWarnAt = now;
        this.#log.warn(
          { run: run.n, why, failures: this.#failuresSinceWarn, restartInMs: delay },
          'pre-roll cache failing: no lead-in for this camera until it recovers',
        );
        this.#failuresSinceWarn = 0;
      } else this.#log.debug({ run: run.n, why }, 'warm ffmpeg failed again');
    }
    this.#restartTimer = setTimeout(() => {
      if (this.#active) this.#spawn();
    }, delay);
  }

  #tick(): void {
    const run = this.#run;
    const now = this.#now();
    const status = this.status();
    const key = `${status.state}:${status.reason}`;
    if (key !== this.#lastStatus) {
      this.#lastStatus = key;
      this.#o.onStatus?.(status);
    }
    if (run && !run.exited && !run.stopping) {
      const idle = now - (run.hadData ? run.lastFreshAt : run.spawnedAt);
      const limit = run.hadData
        ? this.#o.staleDataS * 1000
        : Math.max(this.#o.staleDataS * 1000, CONNECT_GRACE_MS);
      if (idle > limit) {
        this.#log.info({ run: run.n, idleMs: idle }, 'warm ffmpeg has no fresh data; replacing it');
        run.stopping = true;
        void run.handle.stop({ urgent: true, graceMs: 1000 });
      }
    }
    // Age bound even when no report comes (stalled camera): the ring empties by itself.
    this.#reading = this.#reading.then(() => this.#prune());
  }

  /** Picks up newly closed segments, then applies the ring bounds. */
  #read(run: WarmRun): void {
    this.#reading = this.#reading.then(async () => {
      try {
        const listed = await readSegmentList(run.argv.listFile);
        const names = new Set<string>();
        for (const seg of listed) {
          names.add(seg.file);
          if (!seg.file.startsWith(run.prefix) || run.listed.has(seg.file)) continue;
          const index = Number(seg.file.slice(run.prefix.length, -4));
          run.maxListed = Math.max(run.maxListed, index);
          // The run's first segment may open with a stale cached keyframe: not offered.
          if (index === 0 || !run.anchor.known) {
            await unlink(join(this.#o.dir, seg.file)).catch(() => {});
            continue;
          }
          this.#ring.push({ file: seg.file, run, startS: seg.startS, endS: seg.endS });
        }
        run.listed = names;
        await this.#prune();
      } catch (err) {
        this.#log.warn({ err, run: run.n }, 'reading the cache segment list failed');
      }
      this.#wake();
    });
  }

  async #prune(): Promise<void> {
    const now = this.#now();
    const segMs = this.#o.segmentSeconds * 1000;
    let heldFrom: number | null = null;
    for (const h of this.#holds) {
      if (now - h.since > HOLD_MAX_MS) this.#holds.delete(h);
      else heldFrom = Math.min(heldFrom ?? h.from, h.from);
    }
    const gone = new Set(
      expiredFromRing(
        this.#ring.map((e) => ({ e, ...this.#wall(e) })),
        now,
        { maxCount: this.#o.ringSegments, maxAgeMs: this.#o.ringSegments * segMs + segMs, heldFrom },
      ).map((x) => x.e),
    );
    if (gone.size > 0) {
      this.#ring = this.#ring.filter((e) => !gone.has(e));
      for (const e of gone) await unlink(join(this.#o.dir, e.file)).catch(() => {});
    }
    if (now - this.#lastSweepAt >= SWEEP_EVERY_MS) {
      this.#lastSweepAt = now;
      await this.#sweep();
    }
  }

  /** Files no ring entry accounts for (missed list lines, old runs, killed runs): deleted. */
  async #sweep(): Promise<void> {
    const files = await readdir(this.#o.dir).catch(() => [] as string[]);
    const inRing = new Set(this.#ring.map((e) => e.file));
    const run = this.#run;
    for (const f of files) {
      if (inRing.has(f)) continue;
      if (run && !run.exited && f.startsWith(run.prefix)) {
        // The current run's list and the segment(s) still being written.
        if (!SEGMENT_FILE.test(f)) continue;
        if (Number(f.slice(run.prefix.length, -4)) > run.maxListed) continue;
      }
      await unlink(join(this.#o.dir, f)).catch(() => {});
    }
  }
}

/** rename, or copy and delete across filesystems (a work dir configured on another disk). */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await unlink(from);
  }
}
