/**
 * One camera recorded for one hearing session: runs ffmpeg (through StreamRecorder), watches the
 * freshness of valid data, restarts with backoff, and hands every closed segment on with its
 * wall-clock start and end.
 *
 * Watchdog (R18/R19, Frigate's lesson): freshness is "the muxed media time grew", read from
 * ffmpeg's `-progress` reports; a live process that writes nothing is as dead as an exited one.
 * - No new data for `staleDataS` -> an interruption record (start = wall time of the last media
 *   written, so the gap is exact, not "when we noticed"); the stalled ffmpeg is stopped (it
 *   finishes its segment) and restarted with backoff. A stream that pauses and resumes inside one
 *   ffmpeg run would leave a hole inside a segment's timeline; restarting keeps every run gapless.
 * - The first new data ends the interruption (resumed, at the new run's media start).
 * - Not resumed within `resumeAlertS`: the interruption service alerts the principal (R19).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenInterruptionInput } from '../interruptions/record.js';
import type { Logger } from '../log.js';
import { type AudioMode, buildRecordArgs, type FfmpegArgv, type StreamTransport } from './ffmpeg-args.js';
import { TimelineAnchor } from './progress.js';
import type { MediaInfo, MediaProbe, RecorderRun, RunExit, StreamRecorder } from './recorder.js';
import { ListTail } from './segment-list.js';

/** What the channel needs of the interruption service (InterruptionService fits). */
export interface InterruptionPort {
  open(input: OpenInterruptionInput): Promise<{ id: string }>;
  resume(id: string, at: number): Promise<unknown>;
  end(id: string, e: { at: number; resumed: boolean }): Promise<unknown>;
}

export interface StreamSource {
  url: string;
  transport: StreamTransport;
  username?: string;
  password?: string;
  audio: AudioMode;
}

export interface ClosedSegment {
  path: string;
  /** Run number (1 = first ffmpeg of the session) and segment index within the run. */
  run: number;
  index: number;
  /** Wall clock, ms since epoch. */
  start: number;
  end: number;
  /** ffprobe's view; null when the file is not playable (it is kept anyway: R25). */
  media: MediaInfo | null;
  bytes: number;
}

export interface ChannelOptions {
  sessionId: string;
  cameraId: string;
  roomId: string | null;
  source: StreamSource;
  /** Scratch directory for this channel's segments until they are in the store. */
  dir: string;
  segmentSeconds: number;
  staleDataS: number;
  resumeAlertS: number;
  recorder: StreamRecorder;
  probe: MediaProbe;
  /** Custody for a closed segment (store, index, audit). Called one at a time, in order. */
  onSegment(seg: ClosedSegment): Promise<void>;
  interruptions: InterruptionPort;
  log: Logger;
  /** Called when state or counters change (live stats). */
  onChange?(): void;
  now?: () => number;
  /** ffmpeg progress period (default 0.5 s). */
  progressPeriodS?: number;
}

export type ChannelState = 'starting' | 'recording' | 'stalled' | 'stopping' | 'stopped';

export interface OpenGap {
  start: number;
  detectedAt: number;
  cause: 'stream-lost' | 'contact-lost';
  interruptionId: string | null;
}

export interface ChannelStats {
  cameraId: string;
  state: ChannelState;
  runs: number;
  segments: number;
  bytes: number;
  /** Wall time of the newest media written. */
  lastDataAt: number | null;
  gap: OpenGap | null;
  lastError: string | null;
}

interface Run {
  n: number;
  prefix: string;
  argv: FfmpegArgv;
  handle: RecorderRun;
  tail: ListTail;
  anchor: TimelineAnchor;
  spawnedAt: number;
  lastOutMs: number;
  lastFreshAt: number;
  hadData: boolean;
  exited: boolean;
  stopping: boolean;
  handled: Set<string>;
  /** Wall end of the last segment handed on (the next unlisted one starts there). */
  lastEnd: number | null;
}

const TICK_MS = 200;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
/** A run that never delivered anything is given this long (at least) before it is replaced. */
const CONNECT_GRACE_MS = 4000;
const CONTACT_LOST =
  /Connection refused|No route to host|Network is unreachable|Host is down|timed out|Connection reset/i;
const NEEDS_ANALYSIS = /dimensions not set|unspecified size|Could not write header|codec parameters/i;

export class CameraChannel {
  readonly #o: ChannelOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  #state: ChannelState = 'starting';
  #runNo = 0;
  #run: Run | null = null;
  #attempt = 0;
  #fastStart = true;
  #ticker: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #gap: OpenGap | null = null;
  #gapOpening: Promise<void> | null = null;
  #lastDataAt: number | null = null;
  #startedAt = 0;
  #lastExitContactLost = false;
  #lastError: string | null = null;
  #segments = 0;
  #bytes = 0;
  #queue: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | null = null;

  constructor(opts: ChannelOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#log = opts.log.child({ session: opts.sessionId, camera: opts.cameraId });
  }

  get state(): ChannelState {
    return this.#state;
  }

  stats(): ChannelStats {
    return {
      cameraId: this.#o.cameraId,
      state: this.#state,
      runs: this.#runNo,
      segments: this.#segments,
      bytes: this.#bytes,
      lastDataAt: this.#lastDataAt,
      gap: this.#gap ? { ...this.#gap } : null,
      lastError: this.#lastError,
    };
  }

  start(): void {
    this.#startedAt = this.#now();
    this.#spawn();
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Stops recording: ffmpeg finishes the open segment, every segment is handed on, gaps ended. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#setState('stopping');
    clearInterval(this.#ticker);
    clearTimeout(this.#restartTimer);
    const run = this.#run;
    if (run && !run.exited) {
      run.stopping = true;
      await run.handle.stop(5000);
    }
    await this.#queue;
    await this.#gapOpening;
    if (this.#gap?.interruptionId) {
      // Recording ended without resuming: the interruption ends with the session (R19).
      await this.#o.interruptions
        .end(this.#gap.interruptionId, { at: this.#now(), resumed: false })
        .catch((err) => this.#log.error({ err }, 'ending interruption failed'));
    }
    this.#gap = null;
    this.#setState('stopped');
  }

  #spawn(): void {
    const n = ++this.#runNo;
    const prefix = `r${String(n).padStart(4, '0')}-`;
    const s = this.#o.source;
    const argv = buildRecordArgs({
      url: s.url,
      transport: s.transport,
      username: s.username,
      password: s.password,
      audio: s.audio,
      outDir: this.#o.dir,
      prefix,
      segmentSeconds: this.#o.segmentSeconds,
      ioTimeoutS: Math.max(this.#o.staleDataS * 2, 5),
      progressPeriodS: this.#o.progressPeriodS ?? 0.5,
      fastStart: this.#fastStart,
    });
    const now = this.#now();
    const run: Run = {
      n,
      prefix,
      argv,
      handle: undefined as unknown as RecorderRun,
      tail: new ListTail(argv.listFile),
      anchor: new TimelineAnchor(),
      spawnedAt: now,
      lastOutMs: -1,
      lastFreshAt: now,
      hadData: false,
      exited: false,
      stopping: false,
      handled: new Set(),
      lastEnd: null,
    };
    this.#run = run;
    run.handle = this.#o.recorder.start(argv, {
      onProgress: (r, at) => this.#progress(run, r.outTimeMs, at),
      onExit: (e) => this.#exited(run, e),
    });
    this.#log.debug({ run: n, fastStart: this.#fastStart }, 'ffmpeg run started');
  }

  #progress(run: Run, outTimeMs: number | null, at: number): void {
    if (outTimeMs === null || outTimeMs <= run.lastOutMs) return;
    run.anchor.observe(at, outTimeMs);
    run.lastOutMs = outTimeMs;
    run.lastFreshAt = at;
    this.#lastDataAt = run.anchor.wall(outTimeMs / 1000);
    if (!run.hadData) {
      run.hadData = true;
      this.#attempt = 0;
      this.#lastError = null;
      this.#resumed(run);
    }
    if (this.#state === 'starting' || this.#state === 'stalled') this.#setState('recording');
    this.#drain(run, false);
  }

  /** Data flows again: the open gap ends where this run's media begins. */
  #resumed(run: Run): void {
    const gap = this.#gap;
    if (!gap) return;
    const at = run.anchor.wall(0);
    this.#gap = null;
    const opening = this.#gapOpening ?? Promise.resolve();
    void opening.then(async () => {
      if (!gap.interruptionId) return;
      this.#log.info({ interruption: gap.interruptionId, gapMs: at - gap.start }, 'stream resumed');
      await this.#o.interruptions
        .resume(gap.interruptionId, Math.max(at, gap.start))
        .catch((err) => this.#log.error({ err }, 'resuming interruption failed'));
      this.#o.onChange?.();
    });
  }

  #exited(run: Run, e: RunExit): void {
    run.exited = true;
    this.#drain(run, true);
    if (run.stopping || this.#state === 'stopping' || this.#state === 'stopped') return;
    const why = e.stderrTail.slice(-3).join(' | ') || `exit ${e.code ?? e.signal}`;
    this.#lastError = why;
    this.#lastExitContactLost = CONTACT_LOST.test(why);
    if (!run.hadData && this.#fastStart && NEEDS_ANALYSIS.test(why)) {
      this.#log.warn({ why }, 'stream needs input analysis; retrying without fast start');
      this.#fastStart = false;
    }
    const delay = run.hadData ? 0 : BACKOFF_MS[Math.min(this.#attempt++, BACKOFF_MS.length - 1)]!;
    this.#log.warn({ run: run.n, why, restartInMs: delay }, 'ffmpeg ended; restarting');
    this.#restartTimer = setTimeout(() => {
      if (this.#state !== 'stopping' && this.#state !== 'stopped') this.#spawn();
    }, delay);
    this.#o.onChange?.();
  }

  #tick(): void {
    const now = this.#now();
    const staleMs = this.#o.staleDataS * 1000;
    const lastData = this.#lastDataAt ?? this.#startedAt;
    if (!this.#gap && now - lastData > staleMs) this.#openGap(now, lastData);
    const run = this.#run;
    if (!run || run.exited || run.stopping) return;
    const idleMs = now - (run.hadData ? run.lastFreshAt : run.spawnedAt);
    const limit = run.hadData ? staleMs : Math.max(staleMs, CONNECT_GRACE_MS);
    if (idleMs > limit) {
      this.#log.warn({ run: run.n, idleMs }, 'no fresh data; stopping ffmpeg');
      run.stopping = true;
      void run.handle.stop(2000).then((e) => {
        // A run we stopped for staleness still counts as a failure for the restart logic.
        run.stopping = false;
        this.#exited(run, { ...e, requested: false, stderrTail: [...e.stderrTail, 'no fresh data'] });
      });
    }
  }

  #openGap(now: number, start: number): void {
    const cause = this.#lastExitContactLost ? 'contact-lost' : 'stream-lost';
    const gap: OpenGap = { start, detectedAt: now, cause, interruptionId: null };
    this.#gap = gap;
    this.#setState('stalled');
    this.#log.warn({ gapStart: start, cause }, 'stream lost');
    this.#gapOpening = this.#o.interruptions
      .open({
        source: 'camera',
        device: this.#o.cameraId,
        roomId: this.#o.roomId,
        sessionId: this.#o.sessionId,
        cause,
        start,
        resumeTimeoutS: this.#o.resumeAlertS,
        details: { detectedAt: now, staleDataS: this.#o.staleDataS },
      })
      .then((rec) => {
        gap.interruptionId = rec.id;
        this.#o.onChange?.();
      })
      .catch((err) => this.#log.error({ err }, 'opening interruption failed'));
  }

  /** Hands on the segments ffmpeg has closed (and, after exit, any it could not list). */
  #drain(run: Run, final: boolean): void {
    this.#queue = this.#queue.then(async () => {
      try {
        for (const seg of await run.tail.read()) {
          if (run.handled.has(seg.file) || !seg.file.startsWith(run.prefix)) continue;
          run.handled.add(seg.file);
          const start = this.#wall(run, seg.startS);
          const end = Math.max(start, this.#wall(run, seg.endS));
          await this.#hand(run, seg.file, start, end);
        }
        if (final) await this.#sweep(run);
      } catch (err) {
        this.#log.error({ err, run: run.n }, 'segment hand-off failed');
      }
    });
  }

  /** ffmpeg killed hard writes no list line for its last segment: find and keep it anyway. */
  async #sweep(run: Run): Promise<void> {
    const files = (await readdir(this.#o.dir)).filter(
      (f) => f.startsWith(run.prefix) && f.endsWith('.mp4') && !run.handled.has(f),
    );
    for (const file of files.sort()) {
      run.handled.add(file);
      const path = join(this.#o.dir, file);
      const media = await this.#o.probe.probe(path).catch(() => null);
      const start = run.lastEnd ?? (run.anchor.known ? run.anchor.wall(0) : run.spawnedAt);
      await this.#hand(run, file, start, start + Math.round((media?.durationS ?? 0) * 1000), media);
    }
  }

  #wall(run: Run, mediaS: number): number {
    return run.anchor.known ? run.anchor.wall(mediaS) : run.spawnedAt + Math.round(mediaS * 1000);
  }

  async #hand(run: Run, file: string, start: number, end: number, probed?: MediaInfo | null): Promise<void> {
    const path = join(this.#o.dir, file);
    const { size } = await stat(path);
    if (size === 0) {
      this.#log.info({ file }, 'empty segment file (no data arrived): nothing to keep');
      return;
    }
    let media = probed;
    if (media === undefined) {
      media = await this.#o.probe.probe(path).catch((err) => {
        this.#log.warn({ file, err: (err as Error).message }, 'segment not playable; kept anyway');
        return null;
      });
    }
    const index = Number(file.slice(run.prefix.length, -4));
    await this.#o.onSegment({ path, run: run.n, index, start, end, media, bytes: size });
    run.lastEnd = end;
    this.#segments++;
    this.#bytes += size;
    this.#o.onChange?.();
  }

  #setState(s: ChannelState): void {
    if (this.#state === s) return;
    this.#state = s;
    this.#o.onChange?.();
  }
}
