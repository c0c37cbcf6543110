/**
 * Our recorder interface (node-serialport style binding): the channel logic talks to this, the
 * fluent-ffmpeg adapter implements it. A test can supply another implementation.
 */
import type { FfmpegArgv } from './ffmpeg-args.js';
import type { ProgressReport } from './progress.js';

export interface RunExit {
  code: number | null;
  signal: string | null;
  /** We asked it to stop (graceful end), as opposed to ffmpeg giving up by itself. */
  requested: boolean;
  /** Last lines ffmpeg wrote to stderr (with `-loglevel error`: only errors). */
  stderrTail: string[];
}

export interface RunHooks {
  onProgress(report: ProgressReport, at: number): void;
  onExit(exit: RunExit): void;
}

export interface StopOptions {
  /** SIGKILL after this long (default 5000 ms). */
  graceMs?: number;
  /**
   * The stream is stalled: do not wait for a blocked read. ffmpeg may not write its trailers (the
   * open fragment, at most FRAGMENT_US, and the segment's list line are lost; the file is kept
   * and found by the channel's sweep).
   */
  urgent?: boolean;
}

export interface RecorderRun {
  readonly pid: number | undefined;
  /** Graceful stop: ffmpeg finishes the open segment and its list line. */
  stop(opts?: StopOptions): Promise<RunExit>;
}

export interface StreamRecorder {
  start(argv: FfmpegArgv, hooks: RunHooks): RecorderRun;
  /** Optional one-time preparation (e.g. capability checks) so the first start is fast. */
  warm?(): Promise<void>;
}

export interface MediaInfo {
  durationS: number;
  videoCodec: string | null;
  width: number | null;
  height: number | null;
  audioCodec: string | null;
}

export interface MediaProbe {
  /** Reads a media file's container and streams; throws if it is not playable. */
  probe(path: string): Promise<MediaInfo>;
}
