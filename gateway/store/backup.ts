/**
 * `gateway backup DEST`: a consistent copy of a data dir while the gateway runs (through the admin
 * socket) or while it is stopped. DEST is itself a data dir: `gateway restore DEST` copies it into
 * a fresh one, and `gateway verify` can check it where it lies.
 *
 * Consistency. One LevelDB snapshot decides what the copy holds: the index is copied from it row
 * by row, the audit log up to the head that snapshot records (lines after it are not acknowledged
 * in that state), and of the blobs and sidecars exactly those its clip rows name. The result is the
 * state a crash at the snapshot's instant would have left, which the gateway opens as after a
 * crash. Originals are write-once (0400, never rewritten: fsutil.ts), so they are hard-linked when
 * DEST is on the same filesystem — no bytes copied — and copied otherwise; every other file is
 * copied. Everything is fsynced, then `BACKUP.json` is written last: a directory without it is an
 * interrupted backup and `restore` refuses it.
 */
import { copyFile, link, lstat, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Level } from 'level';
import { z } from 'zod';
import type { Db } from '../db.js';
import { GatewayError } from '../errors.js';
import { isErrno } from './errors.js';
import { fsyncDir, fsyncFile } from './fsutil.js';
import { StoreLayout } from './layout.js';
import { walkArea } from './sidecars.js';

export const BACKUP_MANIFEST = 'BACKUP.json';

/** Not copied: rebuilt from the snapshot (index, log, originals), or transient work and runtime files. */
const SKIP = new Set([
  'index',
  'store/audit',
  'store/blobs',
  'store/quarantine',
  'store/tmp',
  'recording',
  'admin.sock',
  'docks',
  'sim-clips',
  'seed-tmp',
]);

export const BackupManifest = z.object({
  format: z.literal(1),
  createdAt: z.iso.datetime(),
  /** The audit log's head in the copy: its last entry. */
  audit: z.object({ seq: z.number().int().min(0), hash: z.string(), offset: z.number().int().min(0) }),
  indexRows: z.number().int().min(0),
  clips: z.number().int().min(0),
  originals: z.number().int().min(0),
  files: z.number().int().min(0),
  bytes: z.number().int().min(0),
  linked: z.number().int().min(0),
  copied: z.number().int().min(0),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

interface Snapshot {
  close(): Promise<void>;
}
interface Snapshotting {
  snapshot(): Snapshot;
}

const Head = z.object({ seq: z.number().int(), hash: z.string(), offset: z.number().int() });
const ClipRow = z.object({
  clipId: z.string(),
  blob: z.string().optional(),
  quarantine: z.object({ held: z.array(z.object({ path: z.string() })) }).optional(),
});

/** Where the audit head and the clip rows live in the root keyspace (store/audit-log.ts, clip-index.ts). */
const HEAD_KEY = '!audit!head';
const CLIP_PREFIX = '!store!!clips!';

class Copier {
  files = 0;
  bytes = 0;
  linked = 0;
  copied = 0;
  readonly #dirs = new Set<string>();

  async dir(path: string): Promise<void> {
    if (this.#dirs.has(path)) return;
    await mkdir(path, { recursive: true, mode: 0o700 });
    this.#dirs.add(path);
  }

  /**
   * A read-only file (originals, sidecars, disc images: written once, never rewritten) is hard-linked
   * where the filesystem allows; anything else is copied and fsynced.
   */
  async place(src: string, dest: string): Promise<void> {
    await this.dir(dirname(dest));
    const { size, mode } = await lstat(src);
    let linked = false;
    if ((mode & 0o222) === 0) {
      linked = await link(src, dest).then(
        () => true,
        (err: unknown) => {
          if (isErrno(err, 'EXDEV') || isErrno(err, 'EPERM') || isErrno(err, 'EMLINK')) return false;
          throw err;
        },
      );
    }
    if (!linked) {
      await copyFile(src, dest);
      await fsyncFile(dest);
    }
    this.files++;
    this.bytes += size;
    if (linked) this.linked++;
    else this.copied++;
  }

  async syncDirs(): Promise<void> {
    for (const d of [...this.#dirs].sort((a, b) => b.length - a.length)) await fsyncDir(d);
  }
}

/** DEST must be new (or an empty directory), and not inside the data dir. */
async function freshDest(dataDir: string, dest: string): Promise<void> {
  if (dest === dataDir || dest.startsWith(dataDir + sep) || dataDir.startsWith(dest + sep)) {
    throw new GatewayError('BAD_REQUEST', `${dest}: a backup goes outside the data dir`);
  }
  const names = await readdir(dest).catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  });
  if (names.length > 0) throw new GatewayError('CONFLICT', `${dest} is not empty`);
}

export async function backupDataDir(opts: {
  dataDir: string;
  db: Db;
  dest: string;
}): Promise<BackupManifest> {
  const dataDir = resolve(opts.dataDir);
  const dest = resolve(opts.dest);
  await freshDest(dataDir, dest);
  const copier = new Copier();
  await copier.dir(dest);
  const snapshot = (opts.db as unknown as Snapshotting).snapshot();
  try {
    // 1. The index as of the snapshot, and what it says of the log and the clips.
    const out = new Level<Buffer, Buffer>(join(dest, 'index'), {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    await out.open();
    let head: z.infer<typeof Head> = { seq: 0, hash: '0'.repeat(64), offset: 0 };
    const clipIds = new Set<string>();
    const originals = new Set<string>();
    let rows = 0;
    try {
      let batch = out.batch();
      const it = opts.db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer', snapshot } as never);
      for await (const [k, v] of it as unknown as AsyncIterable<[Buffer, Buffer]>) {
        batch.put(k, v);
        rows++;
        const key = k.toString('utf8');
        if (key === HEAD_KEY) head = Head.parse(JSON.parse(v.toString('utf8')));
        else if (key.startsWith(CLIP_PREFIX)) {
          const row = ClipRow.safeParse(JSON.parse(v.toString('utf8')));
          if (row.success) {
            clipIds.add(row.data.clipId);
            if (row.data.blob) originals.add(row.data.blob);
            for (const h of row.data.quarantine?.held ?? []) originals.add(h.path);
          }
        }
        if (batch.length >= 1000) {
          await batch.write();
          batch = out.batch();
        }
      }
      await batch.write({ sync: true } as never);
    } finally {
      await out.close();
    }

    // 2. The log up to the snapshot's head.
    const layout = new StoreLayout(join(dataDir, 'store'));
    const auditOut = join(dest, 'store', 'audit', basename(layout.auditFile));
    await copier.dir(dirname(auditOut));
    await copyPrefix(layout.auditFile, auditOut, head.offset);

    // 3. The originals the clip rows name, with their sidecars (one per clip sharing the bytes).
    let originalCount = 0;
    for (const area of ['blobs', 'quarantine'] as const) {
      for await (const f of walkArea(layout, area)) {
        if (f.kind === 'other' || !f.sha256) continue;
        const rel = layout.rel(f.path);
        const name = basename(f.path);
        const clipOfSidecar = name.includes('~') ? name.slice(name.indexOf('~') + 1, -'.json'.length) : null;
        const blobRel = layout.rel(layout.blobPath(area, f.sha256));
        const wanted =
          f.kind === 'blob'
            ? originals.has(rel)
            : originals.has(blobRel) && (!clipOfSidecar || clipIds.has(clipOfSidecar));
        if (!wanted) continue;
        await copier.place(f.path, join(dest, 'store', rel));
        if (f.kind === 'blob') originalCount++;
      }
    }

    // 4. Everything else the data dir keeps (keys, camera secrets, reports, discs, set-aside partials).
    await copyTree(dataDir, dataDir, dest, copier);
    await copier.syncDirs();

    const manifest: BackupManifest = {
      format: 1,
      createdAt: new Date().toISOString(),
      audit: head,
      indexRows: rows,
      clips: clipIds.size,
      originals: originalCount,
      files: copier.files,
      bytes: copier.bytes,
      linked: copier.linked,
      copied: copier.copied,
    };
    const file = join(dest, BACKUP_MANIFEST);
    await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await fsyncFile(file);
    await fsyncDir(dest);
    return manifest;
  } finally {
    await snapshot.close();
  }
}

/** The first `bytes` of `src` into a new file `dest`, fsynced. */
async function copyPrefix(src: string, dest: string, bytes: number): Promise<void> {
  const out = await open(dest, 'wx', 0o600);
  try {
    if (bytes > 0) {
      const input = await open(src, 'r');
      try {
        const buf = Buffer.alloc(Math.min(bytes, 1024 * 1024));
        let pos = 0;
        while (pos < bytes) {
          const { bytesRead } = await input.read(buf, 0, Math.min(buf.length, bytes - pos), pos);
          if (bytesRead === 0)
            throw new GatewayError('STORE_CORRUPT', `${src} is shorter than its recorded head`);
          await out.write(buf.subarray(0, bytesRead));
          pos += bytesRead;
        }
      } finally {
        await input.close();
      }
    }
    await out.sync();
  } finally {
    await out.close();
  }
}

async function copyTree(root: string, dir: string, dest: string, copier: Copier): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    const rel = relative(root, path).split(sep).join('/');
    if (SKIP.has(rel)) continue;
    if (e.isDirectory()) await copyTree(root, path, dest, copier);
    else if (e.isFile()) await copier.place(path, join(dest, rel));
  }
}

/** Reads and checks DEST's manifest: a backup interrupted before it was written has none. */
export async function readBackupManifest(dir: string): Promise<BackupManifest> {
  const text = await readFile(join(dir, BACKUP_MANIFEST), 'utf8').catch((err: unknown) => {
    if (isErrno(err, 'ENOENT')) {
      throw new GatewayError('NOT_FOUND', `${dir} holds no complete backup (no ${BACKUP_MANIFEST})`);
    }
    throw err;
  });
  const parsed = BackupManifest.safeParse(JSON.parse(text.slice(0, 64 * 1024)));
  if (!parsed.success)
    throw new GatewayError('BAD_REQUEST', `${dir}/${BACKUP_MANIFEST} is not a backup manifest`);
  return parsed.data;
}
