/**
 * The ISO 9660 + Joliet + Rock Ridge image of an evidence disc, written by `xorriso` (R23). The
 * originals are mapped straight from the store (`-map`), never copied first. xorriso writes the
 * image itself into a file we opened (fd 3, `-outdev stdio:/dev/fd/3`), while a worker hashes the
 * file as it grows, behind the writer and from the page cache, on the other core: the SHA-256 is
 * known moments after the last write, with no second pass and no process copying the bytes between
 * them. argv holds paths and names only, no secrets; stdout and stderr are kept bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { open, rename, unlink } from 'node:fs/promises';
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
    // By default xorriso fsyncs a stdio drive every 16 MiB, which stalls it on the disk ~130 times
    // per 2 GiB; the image is fsynced once, whole, before it is recorded (packIso).
    '-stdio_sync',
    'off',
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
 * grows (hash-pool.ts followHash). Then fsync, the hash of exactly the file's length, 0400, rename
 * to `dest`: what is recorded is what the file holds. `onBytes` sees the bytes hashed so far.
 * Rejects with EXPORT_FAILED and the tail of xorriso's messages when it fails.
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
  let child: ChildProcess | undefined;
  try {
    child = spawn(opts.xorriso ?? 'xorriso', xorrisoArgs(plan), {
      stdio: ['ignore', 'pipe', 'pipe', fh.fd],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const keep = (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-STDERR_KEEP);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const code = await exited(child);
    if (code !== 0)
      throw new GatewayError('EXPORT_FAILED', `xorriso exited with ${code}: ${lastLines(stderr)}`);
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
    if (child?.exitCode === null) child.kill('SIGKILL');
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
