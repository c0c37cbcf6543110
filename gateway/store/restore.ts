/**
 * `gateway restore SRC`: a backup (store/backup.ts) copied into a fresh data dir — one that does
 * not exist or is empty, so a restore never mixes with or overwrites a live one. Files are copied
 * (cloned where the filesystem can), never linked: the backup stays independent of what the
 * restored gateway does next. Modes come along (originals stay 0400); everything is fsynced.
 */
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GatewayError } from '../errors.js';
import { BACKUP_MANIFEST, type BackupManifest, readBackupManifest } from './backup.js';
import { isErrno } from './errors.js';
import { fsyncDir, fsyncFile } from './fsutil.js';

export interface RestoreReport {
  from: string;
  backup: BackupManifest;
  files: number;
}

export async function restoreDataDir(opts: { src: string; dataDir: string }): Promise<RestoreReport> {
  const src = resolve(opts.src);
  const dataDir = resolve(opts.dataDir);
  const backup = await readBackupManifest(src);
  const present = await readdir(dataDir).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  });
  if (present.length > 0) {
    throw new GatewayError(
      'CONFLICT',
      `${dataDir} is not empty: restore goes into a fresh data dir (stop the gateway, move the old one aside)`,
    );
  }
  const files = await copyTree(src, dataDir, true);
  await fsyncDir(resolve(dataDir, '..'));
  return { from: src, backup, files };
}

async function copyTree(from: string, to: string, top: boolean): Promise<number> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  let n = 0;
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (top && e.name === BACKUP_MANIFEST) continue;
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory()) n += await copyTree(a, b, false);
    else if (e.isFile()) {
      await copyFile(a, b, constants.COPYFILE_FICLONE);
      await fsyncFile(b);
      n++;
    }
  }
  await fsyncDir(to);
  return n;
}
