/**
 * The only file that knows fluent-ffmpeg (archived upstream 2025-05; see DEPENDENCIES.md). It runs
 * an argv built by ffmpeg-args.ts and probes finished files. Replacing it means reimplementing
 * StreamRecorder + MediaProbe over child_process, nothing else.
 *
 * fluent-ffmpeg keeps the ffmpeg/ffprobe paths in a module-level cache: the gateway sets them once
 * from config (one ffmpeg per gateway), here.
 */
import { basename, dirname, join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { scrub } from '../scrub.js';
import type { FfmpegArgv } from './ffmpeg-args.js';
import { ProgressParser } from './progress.js';
import type {
  MediaInfo,
  MediaProbe,
  RecorderRun,
  RunExit,
  RunHooks,
  StopOptions,
  StreamRecorder,
} from './recorder.js';

export interface FluentFfmpegOptions {
  ffmpegPath: string;
  log: Logger;
  /** Default: ffprobe next to ffmpeg (or on PATH when ffmpegPath is a bare name). */
  ffprobePath?: string;
}

const STDERR_LINES = 40;

export class FluentFfmpegRecorder implements StreamRecorder, MediaProbe {
  readonly #log: Logger;

  constructor(opts: FluentFfmpegOptions) {
    this.#log = opts.log;
    ffmpeg.setFfmpegPath(opts.ffmpegPath);
    ffmpeg.setFfprobePath(opts.ffprobePath ?? siblingProbe(opts.ffmpegPath));
  }

  /** fluent-ffmpeg checks formats and encoders once per process before the first run: do it up front. */
  async warm(): Promise<void> {
    const check = (fn: (cb: (err: Error | null) => void) => void) =>
      new Promise<void>((res) =>
        fn((err) => {
          if (err) this.#log.warn({ err: err.message }, 'ffmpeg capability check failed');
          res();
        }),
      );
    await check((cb) => ffmpeg.getAvailableFormats(cb));
    await check((cb) => ffmpeg.getAvailableEncoders(cb));
  }

  start(argv: FfmpegArgv, hooks: RunHooks): RecorderRun {
    const cmd = ffmpeg({ stdoutLines: 20, stderrLines: STDERR_LINES } as ffmpeg.FfmpegCommandOptions)
      .input(argv.input)
      .inputOptions(...argv.inputOptions)
      .output(argv.output)
      .outputOptions(...argv.outputOptions);
    // fluent-ffmpeg's types do not declare the spawned process it keeps while running.
    const proc = () =>
      (cmd as unknown as { ffmpegProc?: import('node:child_process').ChildProcess }).ffmpegProc;
    let requested = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let pid: number | undefined;
    const parser = new ProgressParser((r) => hooks.onProgress(r, Date.now()));

    const exited = new Promise<RunExit>((resolve) => {
      const finish = (stderr: string | null | undefined, err?: Error) => {
        // ffmpeg's words are outside text: bounded and scrubbed before anyone keeps them.
        const stderrTail = (stderr ?? '')
          .split('\n')
          .filter(Boolean)
          .slice(-STDERR_LINES)
          .map((l) => scrub(l, { max: 300 }));
        if (err && exitCode === null && exitSignal === null)
          stderrTail.push(scrub(err.message, { max: 300 }));
        const exit: RunExit = { code: exitCode, signal: exitSignal, requested, stderrTail };
        resolve(exit);
        hooks.onExit(exit);
      };
      cmd.on('start', (line: string) => {
        const p = proc();
        pid = p?.pid;
        this.#log.debug({ pid, args: scrub(line, { max: 2000 }) }, 'ffmpeg started');
        p?.stdout?.setEncoding('utf8');
        p?.stdout?.on('data', (chunk: string) => parser.push(chunk));
        p?.on('exit', (code, signal) => {
          exitCode = code;
          exitSignal = signal;
        });
        if (requested) p?.kill('SIGINT');
      });
      cmd.on('end', (_stdout: string | null, stderr: string | null) => finish(stderr));
      cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => finish(stderr, err));
    });
    cmd.run();

    return {
      get pid() {
        return pid;
      },
      stop: async ({ graceMs = 5000, urgent = false }: StopOptions = {}) => {
        requested = true;
        // SIGINT: ffmpeg ends after the packet being read and writes its trailers. A read blocked
        // on a stalled stream is only interrupted by further signals, and signals sent close
        // together merge on a loaded machine; with nothing arriving there is nothing to finish
        // (complete fragments are on disk already), so an urgent stop escalates to SIGKILL soon.
        proc()?.kill('SIGINT');
        const t = setTimeout(() => proc()?.kill('SIGKILL'), urgent ? Math.min(graceMs, 300) : graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(t);
        }
      },
    };
  }

  probe(path: string): Promise<MediaInfo> {
    return new Promise((resolve, reject) => {
      ffmpeg.ffprobe(path, (err, data) => {
        if (err) {
          reject(new GatewayError('RECORDING_FAILED', `not playable: ${basename(path)}: ${firstLine(err)}`));
          return;
        }
        const duration = Number(data.format?.duration);
        const video = data.streams.find((s) => s.codec_type === 'video');
        const audio = data.streams.find((s) => s.codec_type === 'audio');
        if (!video || !Number.isFinite(duration)) {
          reject(
            new GatewayError('RECORDING_FAILED', `not playable: ${basename(path)}: no video or duration`),
          );
          return;
        }
        resolve({
          durationS: duration,
          videoCodec: video.codec_name ?? null,
          width: video.width ?? null,
          height: video.height ?? null,
          audioCodec: audio?.codec_name ?? null,
        });
      });
    });
  }
}

function siblingProbe(ffmpegPath: string): string {
  const name = basename(ffmpegPath);
  const probe = name.replace(/ffmpeg/, 'ffprobe');
  if (probe === name) return 'ffprobe';
  return ffmpegPath.includes('/') ? join(dirname(ffmpegPath), probe) : probe;
}

function firstLine(err: Error): string {
  const lines = err.message.split('\n').filter(Boolean);
  return lines[lines.length - 1] ?? err.message;
}
