/**
 * Playing an original a browser cannot decode as stored: a hearing camera's G.711 sound is kept as
 * sent in QuickTime (recording/ffmpeg-args.ts, R25: no re-encoding of the original), and no browser
 * plays G.711. So when someone plays such an original, ffmpeg makes a fragmented MP4 of it as it
 * is read: the picture copied, the sound encoded to AAC. The original is never touched; what goes
 * in is the original's bytes after the store's checks (clips/service.ts), read from a pipe (the
 * fragmented file has its `moov` first, so no seek is needed). The output has no length known in
 * advance: it is served whole, without ranges.
 *
 * Cost, measured in CPU-seconds (load 20): 0.29 s per 60 s segment played (AAC at 48 kbit/s,
 * `fast` coder, video copied), only while someone plays; transcoding at recording time cost 0.22 s
 * per minute recorded on every camera, about as much as the plain `ffmpeg -c copy` of it.
 */
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { scrub } from '../scrub.js';

/** What a browser gets instead of an original it cannot play. */
export const PLAYBACK_TYPE = 'video/mp4';
/** Originals that need it: QuickTime (our G.711 recordings). */
export const NEEDS_PLAYBACK = new Set(['video/quicktime']);

export interface PlaybackTranscoder {
  /** A fragmented MP4 of `original` (a fragmented QuickTime/MP4 stream), made as it is read. */
  toBrowser(original: Readable): Readable;
}

export interface FfmpegPlaybackOptions {
  ffmpegPath: string;
  log: Logger;
  /** Transcodes at once; more are refused (UNAVAILABLE) rather than starving recording. */
  maxConcurrent?: number;
}

export function playbackArgs(): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'mov',
    '-i',
    'pipe:0',
    '-map',
    '0:v:0',
    '-map',
    '0:a?',
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    '-aac_coder',
    'fast',
    '-b:a',
    '48k',
    '-f',
    'mp4',
    '-movflags',
    'frag_keyframe+empty_moov+default_base_moof',
    'pipe:1',
  ];
}

export class FfmpegPlayback implements PlaybackTranscoder {
  readonly #o: FfmpegPlaybackOptions;
  #running = 0;

  constructor(opts: FfmpegPlaybackOptions) {
    this.#o = opts;
  }

  toBrowser(original: Readable): Readable {
    if (this.#running >= (this.#o.maxConcurrent ?? 4)) {
      original.destroy();
      throw new GatewayError('UNAVAILABLE', 'too many recordings being played at once; try again shortly');
    }
    this.#running++;
    // -nostdin keeps ffmpeg from reading its terminal; pipe:0 is the input all the same.
    const child = spawn(this.#o.ffmpegPath, playbackArgs(), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = new PassThrough();
    let stderr = '';
    let failed: Error | null = null;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-2000);
    });
    // The original failing its checks ends the playback with an error, never a quiet cut.
    original.once('error', (err) => {
      failed = err;
      child.kill('SIGKILL');
    });
    child.stdin.on('error', () => {});
    original.pipe(child.stdin);
    child.stdout.pipe(out, { end: false });
    out.once('close', () => {
      // The viewer went away: nothing more to make.
      if (child.exitCode === null) child.kill('SIGKILL');
      original.destroy();
    });
    let ended = false;
    const end = (code: number | null, signal: string | null) => {
      if (ended) return;
      ended = true;
      this.#running--;
      if (failed) out.destroy(failed);
      else if (code !== 0 && !out.destroyed) {
        const why = scrub(stderr.trim().split('\n').at(-1) || `exit ${code ?? signal}`, { max: 300 });
        this.#o.log.warn({ why }, 'playback transcode failed');
        out.destroy(new GatewayError('RECORDING_FAILED', `playback failed: ${why}`));
      } else out.end();
    };
    child.once('close', end);
    // Not started at all (no ffmpeg): 'close' may never come.
    child.once('error', (err) => {
      failed ??= err;
      original.destroy();
      end(null, null);
    });
    return out;
  }
}
