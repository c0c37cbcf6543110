import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { type AccessUnit, AccessUnitAssembler, AnnexBSplitter, NalType, nalType } from './annexb.js';
import { CameraSimError } from './errors.js';
import { JpegSplitter } from './jpeg.js';
import { silentLogger } from './log.js';
import { DEFAULT_MAX_PAYLOAD, packetizeAccessUnit, type RtpPayload } from './rtp.js';

/**
 * One ffmpeg child encoding a test pattern with a visible wall clock to H.264 (Annex B on stdout)
 * plus one JPEG a second (fd 3) for snapshots. Many cameras can share one source: each access unit
 * is packetized once here and every RTSP session only adds its own RTP headers, so 16 cameras
 * cost one encoder.
 */

export interface H264SourceOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Keyframe interval in frames (default: fps, i.e. one a second). */
  gop?: number;
  /** x264 constant rate factor; higher is smaller. */
  crf?: number;
  /** Drawn before the clock; [A-Za-z0-9 ._-] only. */
  label?: string;
  ffmpegPath?: string;
  maxPayload?: number;
  /** Delay before restarting a crashed encoder. */
  restartDelayMs?: number;
  logger?: Logger;
}

/** An access unit ready for RTP: `timeMs` is its capture time on the `performance.now()` clock. */
export interface TimedAccessUnit extends AccessUnit {
  readonly timeMs: number;
  readonly payloads: readonly RtpPayload[];
}

interface SourceEvents {
  au: [TimedAccessUnit];
  jpeg: [Buffer];
  exit: [code: number | null, signal: NodeJS.Signals | null];
  /** ffmpeg could not be started at all (e.g. not installed). */
  failed: [Error];
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
];

/** The ffmpeg argument vector (pure; `font` undefined -> no clock overlay). */
export function encoderArgs(
  o: Required<Pick<H264SourceOptions, 'width' | 'height' | 'fps' | 'gop' | 'crf'>> & {
    label: string;
    font: string | undefined;
  },
): string[] {
  const label = o.label.replace(/[^A-Za-z0-9 ._-]/g, '');
  const text = `${label ? `${label}  ` : ''}%{localtime}`;
  const overlay = o.font
    ? `drawtext=fontfile=${o.font}:text='${text}':x=8:y=8:fontsize=${Math.max(12, Math.round(o.height / 15))}:fontcolor=white:box=1:boxcolor=black@0.6,`
    : '';
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'error',
    '-nostdin',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`,
    '-filter_complex',
    `[0:v]${overlay}split=2[h][j];[j]fps=1[s]`,
    '-map',
    '[h]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-profile:v',
    'baseline',
    '-pix_fmt',
    'yuv420p',
    '-crf',
    String(o.crf),
    '-g',
    String(o.gop),
    '-keyint_min',
    String(o.gop),
    '-sc_threshold',
    '0',
    '-bf',
    '0',
    // SPS/PPS before every IDR, so a client joining mid-stream can start at the next keyframe.
    '-x264-params',
    'repeat-headers=1',
    '-threads',
    '1',
    '-f',
    'h264',
    'pipe:1',
    '-map',
    '[s]',
    '-c:v',
    'mjpeg',
    '-pix_fmt',
    'yuvj420p',
    '-q:v',
    '5',
    '-f',
    'image2pipe',
    'pipe:3',
  ];
}

export class H264Source extends EventEmitter<SourceEvents> {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly gop: number;
  /** True when a font was found and the clock is drawn on the picture. */
  readonly clockOverlay: boolean;
  private readonly opts: H264SourceOptions;
  private readonly log: Logger;
  private readonly font: string | undefined;
  private child: ChildProcess | undefined;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private spsNal: Buffer | undefined;
  private ppsNal: Buffer | undefined;
  private jpeg: Buffer | undefined;
  private anchorMs = 0;
  private frameNo = 0;
  private lastTimeMs = 0;
  private emitted = 0;
  private stderrTail = '';
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(opts: H264SourceOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.opts = opts;
    this.width = opts.width ?? 640;
    this.height = opts.height ?? 360;
    this.fps = opts.fps ?? 15;
    this.gop = opts.gop ?? this.fps;
    this.log = opts.logger ?? silentLogger;
    this.font = FONT_CANDIDATES.find((f) => existsSync(f));
    this.clockOverlay = this.font !== undefined;
  }

  get sps(): Buffer | undefined {
    return this.spsNal;
  }

  get pps(): Buffer | undefined {
    return this.ppsNal;
  }

  /** The newest JPEG (about one a second). */
  get latestJpeg(): Buffer | undefined {
    return this.jpeg;
  }

  /** Access units emitted since construction. */
  get framesEmitted(): number {
    return this.emitted;
  }

  /** Process id of the running ffmpeg (for CPU accounting in benchmarks). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts ffmpeg; resolves once the first keyframe (with SPS and PPS) is out. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) return;
    this.running = true;
    process.once('exit', this.killOnExit);
    this.spawnEncoder();
    try {
      await this.waitForKeyframe(timeoutMs);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Resolves at the next keyframe, or rejects after `timeoutMs`. */
  waitForKeyframe(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAu = (au: TimedAccessUnit) => {
        if (!au.keyframe || !this.spsNal || !this.ppsNal) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new CameraSimError(
            'ENCODER_FAILED',
            `no keyframe within ${timeoutMs} ms: ${this.stderrTail.trim()}`,
          ),
        );
      }, timeoutMs);
      const onFailed = (err: Error) => {
        cleanup();
        reject(new CameraSimError('ENCODER_FAILED', `ffmpeg: ${err.message}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('au', onAu);
        this.off('failed', onFailed);
      };
      this.on('au', onAu);
      this.on('failed', onFailed);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    process.off('exit', this.killOnExit);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private spawnEncoder(): void {
    const args = encoderArgs({
      width: this.width,
      height: this.height,
      fps: this.fps,
      gop: this.gop,
      crf: this.opts.crf ?? 30,
      label: this.opts.label ?? '',
      font: this.font,
    });
    const child = spawn(this.opts.ffmpegPath ?? 'ffmpeg', args, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.stderrTail = '';
    this.frameNo = 0;
    const splitter = new AnnexBSplitter();
    const assembler = new AccessUnitAssembler();
    const jpegs = new JpegSplitter();
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const nal of splitter.push(chunk)) {
        const t = nalType(nal);
        if (t === NalType.sps) this.spsNal = nal;
        else if (t === NalType.pps) this.ppsNal = nal;
        const au = assembler.push(nal);
        if (au) this.emitAu(au.nals, au.keyframe);
      }
    });
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      for (const img of jpegs.push(chunk)) {
        this.jpeg = img;
        this.emit('jpeg', img);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    child.on('error', (err) => {
      this.log.error({ err }, 'camera encoder: ffmpeg failed to start');
      this.emit('failed', err);
    });
    child.on('exit', (code, signal) => {
      this.emit('exit', code, signal);
      if (!this.running) return;
      this.log.warn(
        { code, signal, stderr: this.stderrTail.trim() },
        'camera encoder: ffmpeg exited; restarting',
      );
      this.restartTimer = setTimeout(() => {
        if (this.running) this.spawnEncoder();
      }, this.opts.restartDelayMs ?? 1000);
    });
  }

  private emitAu(nals: readonly Buffer[], keyframe: boolean): void {
    // Capture times follow the frame rate (ffmpeg -re paces frames), re-anchored to the host clock
    // whenever they drift by more than half a second (encoder restart, overload), so timestamps
    // are smooth, strictly increasing and track wall time.
    const now = performance.now();
    let t = this.anchorMs + (this.frameNo * 1000) / this.fps;
    if (this.frameNo === 0 || now - t > 500) {
      this.anchorMs = Math.max(now, this.lastTimeMs + 1);
      this.frameNo = 0;
      t = this.anchorMs;
    }
    this.lastTimeMs = t;
    this.frameNo++;
    this.emitted++;
    const payloads = packetizeAccessUnit(nals, this.opts.maxPayload ?? DEFAULT_MAX_PAYLOAD);
    this.emit('au', { nals, keyframe, timeMs: t, payloads });
  }
}
