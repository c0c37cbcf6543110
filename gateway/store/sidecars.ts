/** Sidecar manifests: write-once JSON next to each blob (and each quarantined copy). */
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from './errors.js';
import { writeFileNoClobber } from './fsutil.js';
import type { Area, StoreLayout } from './layout.js';
import { SHA256_RE } from './layout.js';
import { ClipManifest } from './schema.js';

export type ReadResult =
  | { kind: 'absent' }
  | { kind: 'ok'; manifest: ClipManifest }
  | { kind: 'invalid'; error: string };

export async function readSidecar(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { kind: 'absent' };
    throw err;
  }
  try {
    const r = ClipManifest.safeParse(JSON.parse(text));
    return r.success ? { kind: 'ok', manifest: r.data } : { kind: 'invalid', error: r.error.message };
  } catch (err) {
    return { kind: 'invalid', error: (err as Error).message };
  }
}

/**
 * The sidecar for `m.clipId` in `area`: the existing one if that clip already has one (write-once:
 * the first ingestedAt stands), else a new file. `<sha>.json` belongs to the first clip with
 * these bytes; another clip with identical bytes gets `<sha>~<clipId>.json`.
 * The caller fsyncs the directory.
 */
export async function ensureSidecar(
  layout: StoreLayout,
  area: Area,
  m: ClipManifest,
): Promise<{ manifest: ClipManifest; path: string }> {
  for (const path of [layout.sidecarPath(area, m.sha256), layout.sidecarPath(area, m.sha256, m.clipId)]) {
    // Two tries per name: a racing writer may create it between our read and our link.
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await readSidecar(path);
      if (existing.kind === 'ok' && existing.manifest.clipId === m.clipId) {
        return { manifest: existing.manifest, path };
      }
      if (existing.kind !== 'absent') break; // another clip's (or unreadable): try the next name
      if (await writeFileNoClobber(layout.tmpDir, path, `${JSON.stringify(m, null, 2)}\n`)) {
        return { manifest: m, path };
      }
    }
  }
  throw new Error(`no sidecar name free for clip ${m.clipId} (${m.sha256})`);
}

/** Sidecars (and whether their blob is present) in `sha`'s directory for one area. */
export async function sidecarsFor(layout: StoreLayout, area: Area, sha256: string): Promise<string[]> {
  const dir = layout.dirFor(area, sha256);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  return names
    .filter((n) => n === `${sha256}.json` || (n.startsWith(`${sha256}~`) && n.endsWith('.json')))
    .map((n) => join(dir, n));
}

export interface AreaFile {
  path: string;
  /** The blob hash the name refers to, if it is a blob or a sidecar name. */
  sha256?: string;
  kind: 'blob' | 'sidecar' | 'other';
}

/** Every file under an area's two-level fan-out (stray files at any level come out as `other`). */
export async function* walkArea(layout: StoreLayout, area: Area): AsyncGenerator<AreaFile> {
  const root = layout.areaDir(area);
  for (const a of await listDir(root)) {
    const da = join(root, a.name);
    if (!a.isDirectory()) {
      yield { path: da, kind: 'other' };
      continue;
    }
    for (const b of await listDir(da)) {
      const db = join(da, b.name);
      if (!b.isDirectory()) {
        yield { path: db, kind: 'other' };
        continue;
      }
      for (const f of await listDir(db)) {
        const name = f.name;
        const path = join(db, name);
        const base = name.endsWith('.json') ? name.slice(0, -5).split('~')[0]! : name;
        const sha = SHA256_RE.test(base) && base.startsWith(a.name + b.name) ? base : undefined;
        if (!sha || !f.isFile()) yield { path, kind: 'other' };
        else yield { path, sha256: sha, kind: name.endsWith('.json') ? 'sidecar' : 'blob' };
      }
    }
  }
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}
