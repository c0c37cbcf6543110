/**
 * Least privilege on the data dir (R24: access strictly by duty; R25): only the gateway's own
 * account may read evidence. The process umask is 077, so everything it creates (LevelDB files,
 * the audit log, ffmpeg's segments) has no group or other bits; directories are 0700, files 0600,
 * originals and their manifests 0400 (created so by the store). A data dir written by an older
 * version is narrowed at start: group and other bits are taken off every file (owner bits kept,
 * so a writable original stays visible to verify) and every directory becomes 0700, each change
 * logged.
 */
import type { Dirent, Stats } from 'node:fs';
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { isErrno } from '../store/errors.js';

export const PRIVATE_UMASK = 0o077;

export interface ModeChange {
  path: string;
  from: string;
  to: string;
}

/** umask 077, create the data dir 0700, narrow what an older version left open. */
export async function restrictDataDir(dataDir: string, log?: Logger): Promise<ModeChange[]> {
  // process.umask cannot be set from a worker thread; the gateway runs on the main thread.
  if (isMainThread) process.umask(PRIVATE_UMASK);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const changes: ModeChange[] = [];
  await narrow(dataDir, await lstat(dataDir), changes);
  if (changes.length > 0) {
    log?.warn(
      { dataDir, changed: changes.length, first: changes.slice(0, 20) },
      'data dir permissions narrowed to the gateway account (dirs 0700, files without group/other bits)',
    );
    for (const c of changes.slice(20)) log?.debug(c, 'permission narrowed');
  }
  return changes;
}

async function narrow(path: string, st: Stats, changes: ModeChange[]): Promise<void> {
  // Symlinks, sockets, devices: not followed, not changed (chmod would act on the target).
  if (!st.isDirectory() && !st.isFile()) return;
  const mode = st.mode & 0o7777;
  const want = st.isDirectory() ? 0o700 : mode & 0o700;
  if (mode !== want) {
    await chmod(path, want);
    changes.push({ path, from: mode.toString(8).padStart(4, '0'), to: want.toString(8).padStart(4, '0') });
  }
  if (!st.isDirectory()) return;
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const e of entries) {
    const child = join(path, e.name);
    if (!e.isDirectory() && !e.isFile()) continue;
    const cst = await lstat(child).catch((err) => {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (cst) await narrow(child, cst, changes);
  }
}
