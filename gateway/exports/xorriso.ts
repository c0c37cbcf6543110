/**
 * The ISO 9660 + Joliet + Rock Ridge image of an evidence disc, written by `xorriso` (R23). The
 * originals are mapped straight from the store (`-map`), never copied first. The image comes out
 * on a pipe (fd 3, `-outdev stdio:/dev/fd/3`) so it is hashed and counted on its way to the file:
 * one write, no second read to learn its SHA-256. argv holds paths and names only, no secrets;
 * stderr is kept bounded.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GatewayError } from '../errors.js';

export interface IsoPlan {
  /** Directory whose contents become the disc's root (manifest, custody/, verifiers...). */
  rootDir: string;
  /** Originals: store path -> path on the disc (`/clips/<clipId><ext>`). */
  files: { from: string; to: string }[];
  /** ISO 9660 volume id (d-characters, at most 32). */
  volumeId: string;
}

/** xorriso argv for a plan, writing the image to fd 3. Pure. */
export function xorrisoArgs(plan: IsoPlan): string[] {
  const args = [
    '-abort_on',
    'FAILURE',
    '-report_about',
    'WARNING',
    '-outdev',
    'stdio:/dev/fd/3',
    '-volid',
    plan.volumeId,
    // Level 3: a file above 4 GiB (a long hearing segment) is stored in several extents.
    '-compliance',
    'iso_9660_level=3',
    '-joliet',
    'on',
    '-rockridge',
    'on',
    '-map',
    plan.rootDir,
    '/',
  ];
  for (const f of plan.files) args.push('-map', f.from, f.to);
  // Rock Ridge modes: files read-only for everyone, whatever the data dir's modes are.
  args.push('-find', '/', '-type', 'd', '-exec', 'chmod', '0755', '--');
  args.push('-find', '/', '-type', 'f', '-exec', 'chmod', '0444', '--', '-commit');
  return args;
}

export function volumeIdFor(exportId: string): string {
  return `EVIDENCE_${exportId.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`.slice(0, 32);
}

const STDERR_KEEP = 16 * 1024;

/**
 * Runs xorriso and writes the image to `dest` (created 0600, fsynced, then made 0400 and renamed
 * from `dest.part`). `onBytes` sees the running byte count. Rejects with EXPORT_FAILED and the
 * tail of xorriso's messages when it fails.
 */
export async function packIso(
  plan: IsoPlan,
  dest: string,
  opts: { onBytes?: (n: number) => void; xorriso?: string; signal?: AbortSignal } = {},
): Promise<{ bytes: number; sha256: string }> {
  const part = `${dest}.part`;
  const fh = await open(part, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  let stderr = '';
  const child = spawn(opts.xorriso ?? 'xorriso', xorrisoArgs(plan), {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const keep = (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-STDERR_KEEP);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((res, rej) => {
    child.once('error', rej);
    child.once('close', (code) => res(code));
  });
  const sink = new Writable({
    highWaterMark: 4 * 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      opts.onBytes?.(bytes);
      fh.write(chunk).then(() => cb(), cb);
    },
    writev(chunks, cb) {
      const bufs = chunks.map((c) => c.chunk as Buffer);
      for (const b of bufs) {
        hash.update(b);
        bytes += b.length;
      }
      opts.onBytes?.(bytes);
      fh.writev(bufs).then(() => cb(), cb);
    },
  });
  try {
    const [, code] = await Promise.all([pipeline(child.stdio[3] as NodeJS.ReadableStream, sink), exited]);
    if (code !== 0) {
      throw new GatewayError('EXPORT_FAILED', `xorriso exited with ${code}: ${lastLines(stderr)}`);
    }
    await fh.sync();
    await fh.chmod(0o400);
  } catch (err) {
    child.kill('SIGKILL');
    await fh.close().catch(() => {});
    await unlink(part).catch(() => {});
    throw err instanceof GatewayError
      ? err
      : new GatewayError('EXPORT_FAILED', `xorriso failed: ${(err as Error).message}; ${lastLines(stderr)}`);
  }
  await fh.close();
  await rename(part, dest);
  return { bytes, sha256: hash.digest('hex') };
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-6).join(' | ').slice(-1000);
}
