/**
 * One camera recorded for one hearing session: runs ffmpeg (through StreamRecorder), watches the
 * freshness of valid data, restarts with backoff, and hands every closed segment on with its
 * wall-clock start and end.
 *
 * Watchdog (R18/R19, Frigate's lesson): freshness is "new frames reached ffmpeg", read from its
 * `-progress` reports (their frame count); a live process that takes in nothing is as dead as an
 * exited one.
 * - No new frames for `staleDataS` of wall time -> an interruption record (R19) whose start is the
 *   wall time of the last media ffmpeg reported (within one progress period of the last frame
 *   stored), not "when we noticed"; the stalled ffmpeg is stopped (a stream that paused and resumed
 *   inside one run would leave a hole inside a segment). The hearing summary's gaps come from the
 *   stored segments.
 * - Freshness is when frames arrived, not how far the media written has got: the written media
 *   trails the wall clock by the muxer's interleaving (audio against video), the RTP reorder queue
 *   and a camera clock that runs slow, and on a loaded box by however long ffmpeg waited for the
 *   CPU. Measured against the media's end, those lags read as a lost stream though every frame
 *   arrived (and on a camera whose clock runs 0.3 % slow, after 1000 s of any hearing).
 * - Restart with backoff. The first sustained flow of frames ends the interruption, at the time
 *   those frames began (frames since the previous report / frame rate).
 * - Not resumed within `resumeAlertS`: the interruption service alerts the principal (R19).
 *
 * Two queues: `#timing` reads segment lists and probes files, `#custody` stores segments (hashing,
 * copying, fsync), so a slow disk never delays finding the next closed segment.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenInterruptionInput } from '../interruptions/record.js';
import type { Logger } from '../log.js';
import { scrub } from '../scrub.js';
import {
  type AudioMode,
  buildRecordArgs,
  type Container,
  type FfmpegArgv,
  SEGMENT_FILE,
  type StreamTransport,
  segmentFileName,
} from './ffmpeg-args.js';
import { type ProgressReport, TimelineAnchor } from './progress.js';
import type { MediaInfo, MediaProbe, RecorderRun, RunExit, StreamRecorder } from './recorder.js';
import { inspectSegment } from './segment-check.js';
import { ListTail } from './segment-list.js';
import type { StreamAccess, StreamFailure, StreamTicket } from './stream-access.js';
import { StreamChoice } from './stream-choice.js';

/** What the channel needs of the interruption service (InterruptionService fits). */
export interface InterruptionPort {
  open(input: OpenInterruptionInput): Promise<{ id: string }>;
  resume(id: string, at: number): Promise<unknown>;
  end(id: string, e: { at: number; resumed: boolean }): Promise<unknown>;
}

export interface StreamSource {
  /** The camera's stream URL, without credentials. */
  url: string;
  transport: StreamTransport;
  /** The camera's credentials: for the stream access layer only, never for ffmpeg's argv. */
  username?: string;
  password?: string;
  audio: AudioMode;
  /** Used only when the stream does not describe itself (sdp.ts decides otherwise). */
  container?: Container;
  /** Frame rate the camera announced (ONVIF profile), to time the start of a flow of frames. */
  fps?: number | null;
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
  /** Taken from the warm pre-roll cache (preroll.ts): media from before this channel's first frame. */
  leadIn?: boolean;
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
  /** Gives each ffmpeg run a credential-free URL for the camera's stream (rtsp-relay.ts). */
  access: StreamAccess;
  probe: MediaProbe;
  /** Custody for a closed segment (store, index, audit). Called one at a time, in order. */
  onSegment(seg: ClosedSegment): Promise<void>;
  interruptions: InterruptionPort;
  log: Logger;
  /** Called when state or counters change (live stats). */
  onChange?(): void;
  /** The stream delivered over another RTP transport than `source` named (kept for next time). */
  onTransport?(transport: StreamTransport): void;
  /**
   * Called once, when the session's first run confirms a flow of frames, with the wall time its
   * recorded media begins (never earlier than where the first segment will start). The hearing
   * takes its lead-in from the warm cache up to there.
   */
  onFirstData?(at: number): void;
  now?: () => number;
  /** ffmpeg progress period (default 0.25 s). */
  progressPeriodS?: number;
  /**
   * Recording of this session stopped at this wall time for a reason outside the stream (the
   * gateway was down): an interruption from then until data flows again.
   */
  outageSince?: number;
}

/**
 * `auth-failed`: the camera refuses our credentials for its stream (RTSP 401/403).
 * `storage-full`: recording held because the gateway's disk reached its reserve (R19).
 */
export type ChannelState =
  | 'starting'
  | 'recording'
  | 'stalled'
  | 'auth-failed'
  | 'storage-full'
  | 'stopping'
  | 'stopped';

/** `storage`: the gateway's disk is full (R19 "full storage"), the interruption cause recorders use too. */
export type GapCause = 'stream-lost' | 'contact-lost' | 'auth-failed' | 'fault' | 'storage';

export interface OpenGap {
  start: number;
  detectedAt: number;
  cause: GapCause;
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
  /**
   * The segment being written (wall clock, from the last closed one's end to the newest media),
   * null when none is: live coverage counts it, not only closed segments (R18). `bytes`: its size
   * on disk when last looked at (about once a second).
   */
  open: { start: number; end: number; bytes: number } | null;
}

interface Run {
  n: number;
  prefix: string;
  argv: FfmpegArgv;
  ticket: StreamTicket;
  handle: RecorderRun;
  tail: ListTail;
  anchor: TimelineAnchor;
  spawnedAt: number;
  lastOutMs: number;
  lastFrames: number;
  lastReportAt: number | null;
  /** Last report that showed new frames. */
  lastFreshAt: number;
  /** Start of the current uninterrupted flow of frames, and how many reports it has lasted. */
  flowStart: number | null;
  flowReports: number;
  /** A flow was confirmed (two reports with new frames in a row). */
  hadData: boolean;
  /** When this run's first confirmed flow began. */
  firstDataAt: number | null;
  exited: boolean;
  stopping: boolean;
  handled: Set<string>;
  /** Wall end of the last segment closed (the next unlisted one starts there). */
  lastEnd: number | null;
  lastDrainAt: number;
  /** Index of the segment ffmpeg is writing (one past the last listed), and its size. */
  openIndex: number;
  openBytes: number;
}

const TICK_MS = 200;
const DRAIN_EVERY_MS = 1000;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
/** After the camera refused our credentials: many cameras lock an account after a few failures. */
export const AUTH_BACKOFF_MS = 10_000;
/** A stop waits at most this long for the media to reach the stop time (about two reports). */
const TAIL_WAIT_MS = 750;
/** A run that never delivered anything is given this long (at least) before it is replaced. */
const CONNECT_GRACE_MS = 5000;
/** Without fast start ffmpeg analyses the input for up to 5 s before it writes anything. */
const SLOW_CONNECT_GRACE_MS = 12_000;
const CONTACT_LOST =
  /Connection refused|No route to host|Network is unreachable|Host is down|timed out|Connection reset/i;

const CHANGE_SAID = {
  transport: 'camera refuses this RTP transport; trying the other one',
  audio: 'camera audio cannot be copied into MP4; converting the audio track only',
  analysis: 'stream needs input analysis; retrying without fast start',
} as const;

export class CameraChannel {
  readonly #o: ChannelOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #periodMs: number;
  #state: ChannelState = 'starting';
  #runNo = 0;
  #run: Run | null = null;
  #attempt = 0;
  /** Transport, audio handling and fast start, learned from the stream (stream-choice.ts). */
  readonly #choice: StreamChoice;
  /** The next run asks for the other lower transport: the camera answered, it is not lost. */
  #switchingTransport = false;
  /** The transport last known to deliver (reported through onTransport when it changes). */
  #deliveredOver: StreamTransport;
  #ticker: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #gap: OpenGap | null = null;
  #gapOpening: Promise<void> | null = null;
  /** Wall time of the newest media ffmpeg reported (or a closed segment ended at). */
  #lastDataAt: number | null = null;
  /** Wall time of the last report that showed new frames (of any run): the watchdog's clock. */
  #lastArrivalAt: number | null = null;
  #startedAt = 0;
  /** What the last failed run says the cause of a gap is (null: the stream was lost). */
  #lastExitCause: GapCause | null = null;
  #lastError: string | null = null;
  #segments = 0;
  #bytes = 0;
  #timing: Promise<void> = Promise.resolve();
  #custody: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | null = null;
  #firstDataSent = false;
  /** stop({ at }) waiting for media to reach the stop time. */
  #tailWaiter: (() => void) | null = null;
  /** Held by hold(): no ffmpeg runs until release(). */
  #held: { reason: string } | null = null;

  constructor(opts: ChannelOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#log = opts.log.child({ session: opts.sessionId, camera: opts.cameraId });
    this.#periodMs = (opts.progressPeriodS ?? 0.25) * 1000;
    this.#choice = new StreamChoice(opts.source);
    this.#deliveredOver = opts.source.transport;
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
      open: this.#openInterval(),
    };
  }

  #openInterval(): ChannelStats['open'] {
    const run = this.#run;
    const end = this.#mediaEnd();
    if (!run || run.exited || !run.hadData || this.#gap || end === null) return null;
    // Where #close will start this run's next segment.
    const start = run.lastEnd ?? this.#mediaStart(run);
    return end > start ? { start, end, bytes: run.openBytes } : null;
  }

  start(): void {
    this.#startedAt = this.#now();
    if (this.#o.outageSince !== undefined) {
      this.#openGap(this.#startedAt, Math.min(this.#o.outageSince, this.#startedAt), 'fault');
    }
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
    const { source: s, cameraId } = this.#o;
    const asking = this.#choice.prepare(this.#o.access, { cameraId, ...s }, this.#log);
    if (!asking) this.#spawn();
    else
      void asking.then(() => {
        if (this.#state !== 'stopping' && this.#state !== 'stopped') this.#spawn();
      });
  }

  /**
   * Stops recording: ffmpeg finishes the open segment, every segment is handed on, gaps ended.
   * `at`: the session's stop time; while data flows, ffmpeg is stopped only once the media written
   * reaches it (at most TAIL_WAIT_MS later), so the recording ends at the stop, not a frame or a
   * delayed packet before it.
   */
  stop(opts: { at?: number } = {}): Promise<void> {
    this.#stopped ??= this.#stop(opts.at);
    return this.#stopped;
  }

  async #stop(at: number | undefined): Promise<void> {
    this.#setState('stopping');
    clearInterval(this.#ticker);
    clearTimeout(this.#restartTimer);
    const run = this.#run;
    if (at !== undefined && run && !run.exited && !run.stopping && run.hadData && !this.#gap) {
      await this.#mediaReaches(at);
    }
    if (run && !run.exited) {
      run.stopping = true;
      await run.handle.stop({ graceMs: 5000 });
    }
    await this.#timing;
    await this.#custody;
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

  /**
   * Stops recording for a reason outside the stream (R19: the gateway's storage is full): ffmpeg
   * ends cleanly (its last segment finished and kept, nothing half-written), an interruption opens
   * at the end of the media written, with cause `storage`, and no run starts until release().
   */
  async hold(reason: string): Promise<void> {
    if (this.#held || this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#held = { reason };
    clearTimeout(this.#restartTimer);
    const run = this.#run;
    this.#setState('storage-full');
    if (run && !run.exited && !run.stopping) {
      run.stopping = true;
      await run.handle.stop({ graceMs: 5000 });
    }
    // Opened once ffmpeg has finished: the gap begins where the media written ends.
    const now = this.#now();
    if (!this.#gap) this.#openGap(now, Math.round(Math.min(now, this.#mediaEnd() ?? now)), 'storage', reason);
  }

  /** Space is back: recording starts again; the interruption ends where the new media begins. */
  release(): void {
    if (!this.#held || this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#held = null;
    this.#attempt = 0;
    this.#setState('stalled');
    this.#spawn();
  }

  get held(): boolean {
    return this.#held !== null;
  }

  /** The end of the newest frame written (its start plus one frame), if known. */
  #mediaEnd(): number | null {
    if (this.#lastDataAt === null) return null;
    const fps = this.#o.source.fps;
    return this.#lastDataAt + (fps ? 1000 / fps : 0);
  }

  #mediaReaches(at: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#tailWaiter = null;
        resolve();
      };
      const timer = setTimeout(done, TAIL_WAIT_MS);
      this.#tailWaiter = () => {
        if ((this.#mediaEnd() ?? Number.NEGATIVE_INFINITY) >= at) done();
      };
      this.#tailWaiter();
    });
  }

  #spawn(): void {
    const n = ++this.#runNo;
    const prefix = `r${String(n).padStart(4, '0')}-`;
    const s = this.#o.source;
    const ticket = this.#o.access.open({ cameraId: this.#o.cameraId, ...s });
    const c = this.#choice;
    this.#switchingTransport = false;
    const argv = buildRecordArgs({
      url: ticket.url,
      transport: c.transport,
      audio: c.audio,
      container: c.container,
      outDir: this.#o.dir,
      prefix,
      segmentSeconds: this.#o.segmentSeconds,
      ioTimeoutS: Math.max(this.#o.staleDataS * 2, 5),
      progressPeriodS: this.#periodMs / 1000,
      fastStart: c.fastStart,
    });
    const now = this.#now();
    const run: Run = {
      n,
      prefix,
      argv,
      ticket,
      handle: undefined as unknown as RecorderRun,
      tail: new ListTail(argv.listFile),
      anchor: new TimelineAnchor(),
      spawnedAt: now,
      lastOutMs: -1,
      lastFrames: 0,
      lastReportAt: null,
      lastFreshAt: now,
      flowStart: null,
      flowReports: 0,
      hadData: false,
      firstDataAt: null,
      exited: false,
      stopping: false,
      handled: new Set(),
      lastEnd: null,
      lastDrainAt: 0,
      openIndex: 0,
      openBytes: 0,
    };
    this.#run = run;
    run.handle = this.#o.recorder.start(argv, {
      onProgress: (r, at) => this.#progress(run, r, at),
      onExit: (e) => this.#exited(run, e),
    });
    // Its pid is known once spawned, before it can connect: the stream goes to this ffmpeg only.
    ticket.bind(() => run.handle.pid);
    this.#log.debug(
      { run: n, transport: c.transport, audio: c.audio, container: c.container, fastStart: c.fastStart },
      'ffmpeg run started',
    );
  }

  #progress(run: Run, r: ProgressReport, at: number): void {
    const prevReportAt = run.lastReportAt;
    run.lastReportAt = at;
    const out = r.outTimeMs;
    // ffmpeg reports out_time 0 while it waits for the first keyframe: that is not data.
    const grew =
      out !== null && out > 0 && (r.frame !== null ? r.frame > run.lastFrames : out > run.lastOutMs);
    if (!grew) return;
    const newFrames = r.frame !== null ? r.frame - run.lastFrames : null;
    if (r.frame !== null) run.lastFrames = r.frame;
    if (out > run.lastOutMs) {
      run.anchor.observe(at, out);
      run.lastOutMs = out;
      const wall = run.anchor.wall(out / 1000);
      this.#lastDataAt = Math.max(this.#lastDataAt ?? wall, wall);
      this.#tailWaiter?.();
    }
    // A pause longer than half the stale threshold breaks a flow (a camera may send one cached
    // frame on PLAY and only then stall): the next frames start a new one.
    if (run.flowStart === null || at - run.lastFreshAt > (this.#o.staleDataS * 1000) / 2) {
      const fps = this.#o.source.fps;
      const took = newFrames !== null && fps ? (newFrames / fps) * 1000 : this.#periodMs;
      run.flowStart = Math.round(Math.max(prevReportAt ?? run.spawnedAt, at - took));
      run.flowReports = 0;
    }
    run.flowReports++;
    run.lastFreshAt = at;
    this.#lastArrivalAt = at;
    if (!run.hadData && run.flowReports >= 2) {
      run.hadData = true;
      run.firstDataAt = run.flowStart;
      this.#attempt = 0;
      this.#lastError = null;
      this.#lastExitCause = null;
      if (this.#choice.transport !== this.#deliveredOver) {
        this.#deliveredOver = this.#choice.transport;
        this.#o.onTransport?.(this.#deliveredOver);
      }
      this.#resumed(Math.min(run.flowStart, this.#mediaStart(run)));
      if (!this.#firstDataSent) {
        this.#firstDataSent = true;
        // Where the first segment will start (#close).
        this.#o.onFirstData?.(this.#mediaStart(run));
      }
    }
    if (
      run.hadData &&
      !this.#held &&
      ['starting', 'stalled', 'auth-failed', 'storage-full'].includes(this.#state)
    )
      this.#setState('recording');
    // Closed segments are looked for about once a second while data flows (and at exit).
    if (at - run.lastDrainAt >= DRAIN_EVERY_MS) {
      run.lastDrainAt = at;
      this.#drain(run, false);
    }
  }

  /** Data flows again: the open gap ends where the flow began. */
  #resumed(at: number): void {
    const gap = this.#gap;
    if (!gap) return;
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

  #exited(run: Run, e: RunExit, stoppedStale = false): void {
    if (!run.exited) this.#drain(run, true);
    run.exited = true;
    const failure = run.ticket.failure();
    run.ticket.close();
    if (run.stopping || this.#state === 'stopping' || this.#state === 'stopped') return;
    const why = this.#why(run, e, failure);
    this.#lastError = why;
    this.#lastExitCause =
      failure?.kind === 'auth'
        ? 'auth-failed'
        : failure?.kind === 'unreachable' || CONTACT_LOST.test(why)
          ? 'contact-lost'
          : null;
    if (failure?.kind === 'auth') this.#setState('auth-failed');
    const change = this.#choice.afterFailure(why, failure, { hadData: run.hadData, stoppedStale });
    if (change) this.#log.warn({ why, change, transport: this.#choice.transport }, CHANGE_SAID[change]);
    this.#switchingTransport = change === 'transport';
    const delay =
      failure?.kind === 'auth'
        ? AUTH_BACKOFF_MS
        : run.hadData
          ? 0
          : BACKOFF_MS[Math.min(this.#attempt++, BACKOFF_MS.length - 1)]!;
    this.#log.warn({ run: run.n, why, restartInMs: delay }, 'ffmpeg ended; restarting');
    this.#restartTimer = setTimeout(() => {
      if (this.#state !== 'stopping' && this.#state !== 'stopped' && !this.#held) this.#spawn();
    }, delay);
    this.#o.onChange?.();
  }

  /**
   * Why a run ended, for the API and the log: the access layer's finding when it has one, else
   * ffmpeg's last words, scrubbed (its one-time URL shown as the camera's, no credentials).
   */
  #why(run: Run, e: RunExit, failure: StreamFailure | null): string {
    if (failure?.kind === 'transport')
      return `RTSP ${failure.status}: the camera does not serve RTP over ${this.#choice.transport.toUpperCase()}`;
    if (failure?.kind === 'auth')
      return `RTSP ${failure.status}: the camera refused the credentials (authentication refused)`;
    if (failure?.kind === 'unreachable') return scrub(`camera unreachable: ${failure.message}`);
    const said = e.stderrTail.slice(-3).join(' | ') || `exit ${e.code ?? e.signal}`;
    return scrub(said, {
      secrets: [this.#o.source.password],
      replace: [[run.ticket.url, this.#o.source.url]],
    });
  }

  #tick(): void {
    if (this.#state === 'stopping' || this.#state === 'stopped' || this.#held) return;
    const now = this.#now();
    const staleMs = this.#o.staleDataS * 1000;
    const lastData = this.#lastDataAt ?? this.#startedAt;
    const lastArrival = this.#lastArrivalAt ?? this.#startedAt;
    const run = this.#run;
    const connecting = run !== null && !run.exited && !run.stopping && !run.hadData;
    // Before the session's first frames, a slow start is not a loss (R19 records real ones): a
    // busy machine may take seconds to spawn ffmpeg and analyse the stream. The gap opens on
    // evidence instead: the run fails (exit, connect grace), or the camera, once asked, falls
    // silent. `heard` null: the camera has not been reached yet. Over UDP the media bypasses the
    // relay, which hears only the camera's answers: an answering camera counts as live until the
    // connect grace (a loss found then still starts at the session's start).
    const heard = connecting ? run.ticket.heardAgoMs?.() : undefined;
    const cameraLive =
      heard !== undefined && heard !== null && (heard <= staleMs || this.#choice.transport === 'udp');
    const waiting =
      this.#lastDataAt === null &&
      ((heard !== undefined && (heard === null || cameraLive)) || this.#switchingTransport);
    if (!this.#gap && now - lastArrival > staleMs && !waiting) {
      this.#openGap(now, Math.min(lastData, lastArrival));
      // A stalled run is replaced; one still connecting is left to the connect grace below.
      if (run && !run.exited && !run.stopping && run.hadData)
        void this.#stopStale(run, now - run.lastFreshAt);
    }
    if (!run || run.exited || run.stopping) return;
    const idleMs = now - (run.hadData ? run.lastFreshAt : run.spawnedAt);
    const grace = this.#choice.fastStart ? CONNECT_GRACE_MS : SLOW_CONNECT_GRACE_MS;
    // A camera sending to a run that has not written yet: ffmpeg is slow, give it the long grace.
    const limit = run.hadData ? staleMs : Math.max(staleMs, cameraLive ? SLOW_CONNECT_GRACE_MS : grace);
    if (idleMs > limit) void this.#stopStale(run, idleMs);
  }

  /** Stops a run that delivers nothing; its exit then counts as a failure (restart, backoff). */
  #stopStale(run: Run, idleMs: number): Promise<void> {
    this.#log.warn({ run: run.n, idleMs }, 'no fresh data; stopping ffmpeg');
    run.stopping = true;
    return run.handle.stop({ urgent: true, graceMs: 2000 }).then((e) => {
      run.stopping = false;
      this.#exited(run, { ...e, requested: false, stderrTail: [...e.stderrTail, 'no fresh data'] }, true);
    });
  }

  #openGap(now: number, start: number, why?: OpenGap['cause'], reason?: string): void {
    const cause = why ?? this.#lastExitCause ?? 'stream-lost';
    const gap: OpenGap = { start, detectedAt: now, cause, interruptionId: null };
    this.#gap = gap;
    this.#setState(
      cause === 'auth-failed' ? 'auth-failed' : cause === 'storage' ? 'storage-full' : 'stalled',
    );
    this.#log.warn({ gapStart: start, cause }, 'stream lost');
    this.#gapOpening = this.#o.interruptions
      .open({
        source: 'camera',
        device: this.#o.cameraId,
        roomId: this.#o.roomId,
        sessionId: this.#o.sessionId,
        cause,
        start,
        // Full storage does not pass by itself: the principal is told at once (R19).
        ...(cause === 'storage' ? { canContinue: false } : {}),
        resumeTimeoutS: this.#o.resumeAlertS,
        details: {
          detectedAt: now,
          staleDataS: this.#o.staleDataS,
          ...(why === 'fault' ? { reason: 'gateway was not running' } : {}),
          ...(reason ? { reason } : {}),
          ...(cause !== 'fault' && !reason && this.#lastError ? { reason: this.#lastError } : {}),
        },
      })
      .then((rec) => {
        gap.interruptionId = rec.id;
        this.#o.onChange?.();
      })
      .catch((err) => this.#log.error({ err }, 'opening interruption failed'));
  }

  /** Finds the segments ffmpeg has closed (and, after exit, any it could not list). */
  #drain(run: Run, final: boolean): void {
    this.#timing = this.#timing.then(async () => {
      try {
        for (const seg of await run.tail.read()) {
          if (run.handled.has(seg.file) || !seg.file.startsWith(run.prefix)) continue;
          run.handled.add(seg.file);
          run.anchor.freeze();
          await this.#close(run, seg.file, this.#wall(run, seg.startS), this.#wall(run, seg.endS), {
            listedS: seg.endS - seg.startS,
          });
          run.openIndex = Math.max(run.openIndex, Number(seg.file.slice(run.prefix.length, -4)) + 1);
          run.openBytes = 0;
        }
        if (final) await this.#sweep(run);
        else {
          const open = join(this.#o.dir, segmentFileName(run.prefix, run.openIndex, run.argv.container));
          run.openBytes = await stat(open).then(
            (st) => st.size,
            () => run.openBytes,
          );
        }
      } catch (err) {
        this.#log.error({ err, run: run.n }, 'reading closed segments failed');
      }
    });
  }

  /**
   * A run stopped hard (stall, SIGKILL) writes no list line for its last segment: find it and
   * keep it anyway. Segments restart at 0 (`-reset_timestamps`), so it begins where the previous
   * one ended, or at the run's timeline zero.
   */
  async #sweep(run: Run): Promise<void> {
    const files = (await readdir(this.#o.dir)).filter(
      (f) => f.startsWith(run.prefix) && SEGMENT_FILE.test(f) && !run.handled.has(f),
    );
    for (const file of files.sort()) {
      run.handled.add(file);
      const media = await this.#o.probe.probe(join(this.#o.dir, file)).catch(() => null);
      const base = run.lastEnd ?? this.#mediaStart(run);
      await this.#close(run, file, base, base + Math.round((media?.durationS ?? 0) * 1000), { media });
    }
  }

  #wall(run: Run, mediaS: number): number {
    return run.anchor.known ? run.anchor.wall(mediaS) : run.spawnedAt + Math.round(mediaS * 1000);
  }

  /**
   * Where a run's media begins on the wall clock: its timeline's zero, never before the run was
   * spawned (no media can predate the request for it). Not when ffmpeg first reported frames: with
   * its input analysis it writes the packets it read meanwhile in one go, seconds after they arrived.
   */
  #mediaStart(run: Run): number {
    if (!run.anchor.known) return run.firstDataAt ?? run.spawnedAt;
    return Math.max(run.spawnedAt, run.anchor.wall(0));
  }

  /**
   * One closed segment: checked (segment-check.ts; ffprobe only for one found unlisted), given its
   * wall-clock interval, queued for custody. The interval is
   * the segment list's media times on the run's timeline, which ffmpeg writes end to end, through
   * an anchor frozen at the run's first closed segment (progress.ts): consecutive segments meet
   * exactly and each lasts as long as its media (R18: no phantom gap, no overlap).
   */
  async #close(
    run: Run,
    file: string,
    start: number,
    end: number,
    seen: { media: MediaInfo | null } | { listedS: number },
  ): Promise<void> {
    const path = join(this.#o.dir, file);
    const { size } = await stat(path);
    if (size === 0) {
      this.#log.info({ file }, 'empty segment file (no data arrived): nothing to keep');
      return;
    }
    const media =
      'media' in seen ? seen.media : await inspectSegment(path, seen.listedS, this.#o.probe, this.#log);
    if (run.lastEnd === null) start = Math.max(start, Math.min(run.spawnedAt, end));
    end = Math.max(start, end);
    run.lastEnd = end;
    this.#lastDataAt = Math.max(this.#lastDataAt ?? end, end);
    const seg: ClosedSegment = {
      path,
      run: run.n,
      index: Number(file.slice(run.prefix.length, -4)),
      start,
      end,
      media,
      bytes: size,
    };
    this.#custody = this.#custody.then(async () => {
      try {
        await this.#o.onSegment(seg);
        this.#segments++;
        this.#bytes += size;
        this.#o.onChange?.();
      } catch (err) {
        this.#log.error({ err, file }, 'segment custody failed');
      }
    });
  }

  #setState(s: ChannelState): void {
    if (this.#state === s) return;
    this.#state = s;
    this.#o.onChange?.();
  }
}
