/**
 * Originals that live only in the central archive. The store never decides to evict: the archive
 * does, once it has re-verified a locked copy that outlives the clip's retention (archive/
 * eviction.ts). Here the record says where the bytes went (`evicted`, written with its `archive`
 * audit entry in one batch) and only then is the local blob unlinked, so a crash in between leaves
 * a blob too many, never a record pointing at nothing. Identical bytes of another clip that still
 * reads the local blob keep it. Reads of an evicted original go to the archive through
 * `RemoteOriginals`, hashed as they stream like any other read (checked-read.ts, R25).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClipIndex } from './clip-index.js';
import { isErrno } from './errors.js';
import { fsyncDir, linkNoClobber, mkdirDurable, unlinkIfExists } from './fsutil.js';
import type { StoreLayout } from './layout.js';
import type { ArchivedAt, ClipRecord } from './schema.js';
import { readSidecar, sidecarsFor } from './sidecars.js';

/** Reads archived versions (the archive service implements it; the store only holds the port). */
export interface RemoteOriginals {
  /** The version's bytes, whole or the inclusive range. */
  open(at: ArchivedAt, range?: { start: number; end: number }): Promise<Readable>;
  /** The archived bytes do not hash to the recorded SHA-256 (alert, audit). */
  mismatch(
    at: ArchivedAt,
    expected: { sha256: string; bytes: number },
    found: { sha256: string | null; bytes: number },
  ): void;
}

/** True when another clip with these bytes still reads the local blob (or a sidecar is unreadable). */
async function blobStillNeeded(
  layout: StoreLayout,
  index: ClipIndex,
  sha256: string,
  clipId: string,
): Promise<boolean> {
  for (const p of await sidecarsFor(layout, 'blobs', sha256)) {
    const r = await readSidecar(p);
    if (r.kind === 'absent') continue;
    if (r.kind === 'invalid') return true;
    if (r.manifest.clipId === clipId) continue;
    const other = await index.get(r.manifest.clipId);
    if (other?.state === 'verified' && !other.evicted) return true;
  }
  return false;
}

/** Unlinks the blob of an evicted record unless another clip needs it; returns the bytes freed. */
export async function unlinkEvictedBlob(
  layout: StoreLayout,
  index: ClipIndex,
  r: ClipRecord,
): Promise<number> {
  if (!r.evicted) return 0;
  const path = layout.blobPath('blobs', r.sha256);
  const size = await stat(path).then(
    (s) => s.size,
    (err: unknown) => {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    },
  );
  if (size === 0 || (await blobStillNeeded(layout, index, r.sha256, r.clipId))) return 0;
  await unlinkIfExists(path);
  await fsyncDir(dirname(path));
  return size;
}

/**
 * Writes `checked` (an archived original, hashed as it streams: it fails before its end on other
 * bytes) back to its blob path: temp file fsynced, made read-only, linked without overwrite.
 * Nothing appears under blobs/ unless every byte matched.
 */
export async function relinkBlob(layout: StoreLayout, sha256: string, checked: Readable): Promise<void> {
  const dest = layout.blobPath('blobs', sha256);
  const tmp = join(layout.tmpDir, `.restore-${randomBytes(6).toString('hex')}.part`);
  try {
    await pipeline(checked, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    await unlinkIfExists(tmp);
    throw err;
  }
  try {
    await chmod(tmp, 0o400);
    await mkdirDurable(dirname(dest));
    await linkNoClobber(tmp, dest); // false: the same bytes are already there (content-addressed)
  } finally {
    await unlinkIfExists(tmp);
  }
  await fsyncDir(dirname(dest));
}

/** A name for an archived version in logs and audit entries (never a local path). */
export function archivedName(at: ArchivedAt): string {
  return `s3://${at.bucket}/${at.key}?versionId=${at.versionId}`;
}
