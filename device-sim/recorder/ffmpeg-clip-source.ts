/**
 * Real clips for demos and end-to-end tests: a short H.264 MP4 from ffmpeg's test pattern per
 * segment, stored in a directory. The reported size and hash are those of the file on disk.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ClipContent, ClipSource, ClipSpec } from './clip-source.js';
import { DeviceSimError } from './errors.js';

export interface FfmpegClipOptions {
  /** Longest clip made, in seconds; a 5-minute segment becomes a clip this long. */
  maxSeconds: number;
  width: number;
  height: number;
  fps: number;
}

export const DEFAULT_FFMPEG_CLIP: FfmpegClipOptions = { maxSeconds: 2, width: 320, height: 240, fps: 10 };

/** ffmpeg argv for one clip; pure, so it is tested without ffmpeg. */
export function ffmpegClipArgs(spec: ClipSpec, out: string, o: FfmpegClipOptions): string[] {
  const seconds = Math.max(1, Math.min(o.maxSeconds, Math.round((spec.end - spec.start) / 1000)));
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${o.width}x${o.height}:rate=${o.fps}:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    // bitexact: same spec, same bytes (no encoder version or wall-clock stamps in the file).
    '-fflags',
    '+bitexact',
    '-metadata',
    `title=${spec.clipId}`,
    '-metadata',
    `creation_time=${new Date(spec.start).toISOString()}`,
    '-y',
    out,
  ];
}

export class FfmpegClipSource implements ClipSource {
  private readonly opts: FfmpegClipOptions;
  private readonly ffmpegPath: string;
  private dir: string | undefined;
  private readonly ownDir: boolean;
  private readonly files = new Map<string, { path: string; bytes: number }>();
  /** One ffmpeg at a time: a fleet closing segments together must not swamp a small machine. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: Partial<FfmpegClipOptions> & { dir?: string; ffmpegPath?: string } = {}) {
    this.opts = { ...DEFAULT_FFMPEG_CLIP, ...opts };
    this.ffmpegPath = opts.ffmpegPath ?? 'ffmpeg';
    this.dir = opts.dir;
    this.ownDir = !opts.dir;
  }

  produce(spec: ClipSpec): Promise<ClipContent> {
    const run = this.queue.then(() => this.make(spec));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async make(spec: ClipSpec): Promise<ClipContent> {
    if (!this.dir) this.dir = await mkdtemp(join(tmpdir(), 'device-sim-clips-'));
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${spec.clipId}.mp4`);
    await runFfmpeg(this.ffmpegPath, ffmpegClipArgs(spec, path, this.opts));
    const { size } = await stat(path);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    this.files.set(spec.clipId, { path, bytes: size });
    return { bytes: size, sha256: hash.digest('hex'), mediaType: 'video/mp4' };
  }

  async read(clipId: string, offset: number, length: number): Promise<Buffer> {
    const f = this.get(clipId);
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset > f.bytes
    ) {
      throw new DeviceSimError(
        'OUT_OF_RANGE',
        `clip ${clipId}: offset ${offset} length ${length} of ${f.bytes}`,
      );
    }
    const n = Math.min(length, f.bytes - offset);
    const fh = await open(f.path, 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  stream(clipId: string, start = 0): Readable {
    return createReadStream(this.get(clipId).path, { start });
  }

  async release(clipId: string): Promise<void> {
    const f = this.files.get(clipId);
    this.files.delete(clipId);
    if (f) await rm(f.path, { force: true });
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.dir && this.ownDir) await rm(this.dir, { recursive: true, force: true });
    this.files.clear();
  }

  private get(clipId: string) {
    const f = this.files.get(clipId);
    if (!f) throw new DeviceSimError('UNKNOWN_CLIP', `no clip ${clipId}`);
    return f;
  }
}

function runFfmpeg(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    p.on('error', (e) =>
      reject(new DeviceSimError('CLIP_SOURCE', `cannot run ${bin}: ${e.message}`, { cause: e })),
    );
    p.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new DeviceSimError('CLIP_SOURCE', `ffmpeg exited ${code}: ${err.trim().slice(0, 500)}`));
    });
  });
}
