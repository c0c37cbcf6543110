/** Durable filesystem steps: fsync of files and directories, no-clobber placement. */
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { chmod, link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isErrno } from './errors.js';

/** fsync a directory so a rename/link/create inside it survives power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a file (by path) so its bytes survive power loss. */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * mkdir -p that fsyncs the parent of every directory it creates (a new directory entry is only
 * durable once its parent is synced). Existing directories cost one mkdir call each.
 */
export async function mkdirDurable(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return;
    if (!isErrno(err, 'ENOENT')) throw err;
    await mkdirDurable(dirname(dir));
    try {
      await mkdir(dir);
    } catch (err2) {
      if (isErrno(err2, 'EEXIST')) return;
      throw err2;
    }
  }
  await fsyncDir(dirname(dir));
}

/**
 * Make `src` appear at `dest` only if nothing is there yet. link(2) fails with EEXIST instead of
 * replacing, so an original can never be overwritten, even by a racing writer (rename would).
 * Returns false when `dest` already existed. The caller unlinks `src` and fsyncs the directory.
 */
export async function linkNoClobber(src: string, dest: string): Promise<boolean> {
  try {
    await link(src, dest);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
}

/** A new hidden temp file in `dir` holding `data`, fsynced; returns its path. */
async function writeSyncedTemp(dir: string, data: string | Uint8Array, mode: number): Promise<string> {
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.new`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Write a small read-only file at `dest` unless one exists (temp in `tmpDir`, fsync, link). */
export async function writeFileNoClobber(tmpDir: string, dest: string, data: string): Promise<boolean> {
  const tmp = await writeSyncedTemp(tmpDir, data, 0o600);
  try {
    await chmod(tmp, 0o400);
    return await linkNoClobber(tmp, dest);
  } finally {
    await unlink(tmp);
  }
}

export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

/** Replace `path` with `data` so that after a power cut it is either the old file or the new one. */
export async function replaceFileDurable(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const dir = dirname(path);
  const tmp = await writeSyncedTemp(dir, data, mode);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlinkIfExists(tmp);
    throw err;
  }
  await fsyncDir(dir);
}

/** dev, inode, size, mtime and ctime (ns) of a file: any write, chmod, link or rename changes it. */
export async function fileIdentity(path: string): Promise<string> {
  return identityOf(await stat(path, { bigint: true }));
}

export function identityOf(s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}
