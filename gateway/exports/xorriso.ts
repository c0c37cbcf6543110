/**
 * The ISO 9660 + Joliet + Rock Ridge image of an evidence disc, written by `xorriso` (R23). The
 * originals are mapped straight from the store (`-map`), never copied first. xorriso writes the
 * image into a pipe (fd 3, `-outdev stdio:/dev/fd/3`) that `cat` drains into a file we opened,
 * while a worker hashes the file as it grows. argv holds paths and names only, no secrets; stdout and stderr are kept bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { open, rename, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GatewayError } from '../errors.js';
import { followHash } from './hash-pool.js';

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
 * Runs xorriso writing the image into `dest.part` (created 0600); a worker hashes the file as it
 * grows (hash-pool.ts followHash), so the SHA-256 is known moments after the last write without a
 * second pass. Then fsync, 0400, rename to `dest`. `onBytes` sees the bytes hashed so far. Rejects
 * with EXPORT_FAILED and the tail of xorriso's messages when it fails.
 */
export async function packIso(
  plan: IsoPlan,
  dest: string,
  opts: { onBytes?: (n: number) => void; xorriso?: string; signal?: AbortSignal } = {},
): Promise<{ bytes: number; sha256: string }> {
  const part = `${dest}.part`;
  const fh = await open(part, 'wx', 0o600);
  const hasher = followHash(part, opts.onBytes);
  let stderr = '';
  const children: ChildProcess[] = [];
  try {
    // xorriso's own writing into a regular file is less than half as fast as into a pipe (its
    // stdio drive's fifo thread), so it writes into a pipe that plain `cat` drains into the file.
    const child = spawn(opts.xorriso ?? 'xorriso', xorrisoArgs(plan), {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    children.push(child);
    const image = child.stdio[3] as Readable;
    const pump = spawn('cat', [], { stdio: [image, fh.fd, 'pipe'] });
    children.push(pump);
    // cat holds its own read end now; ours must close or xorriso's 'close' never comes.
    image.destroy();
    const keep = (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-STDERR_KEEP);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    pump.stderr!.on('data', keep);
    const [code, pumped] = await Promise.all([exited(child), exited(pump)]);
    if (code !== 0 || pumped !== 0) {
      throw new GatewayError(
        'EXPORT_FAILED',
        `xorriso exited with ${code} (cat ${pumped}): ${lastLines(stderr)}`,
      );
    }
    await fh.sync();
    const { size } = await fh.stat();
    const got = await hasher.finish(size);
    if (got.bytes !== size)
      throw new GatewayError('EXPORT_FAILED', `image hashed ${got.bytes} of ${size} bytes`);
    await fh.chmod(0o400);
    await fh.close();
    await rename(part, dest);
    return got;
  } catch (err) {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    hasher.abort();
    await fh.close().catch(() => {});
    await unlink(part).catch(() => {});
    throw err instanceof GatewayError
      ? err
      : new GatewayError('EXPORT_FAILED', `xorriso failed: ${(err as Error).message}; ${lastLines(stderr)}`);
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((res, rej) => {
    child.once('error', rej);
    child.once('close', (c) => res(c));
  });
}

function lastLines(s: string): string {
  return s.trim().split('\n').slice(-6).join(' | ').slice(-1000);
}
