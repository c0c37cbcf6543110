/**
 * `gateway reindex`: rebuild the clip index from the sidecar manifests next to the blobs (#4).
 * Clips known only as announced (on-recorder / uploading) have no sidecar; their records are
 * kept as they are (and a recorder re-announces its clips on the next dock anyway). A sidecar whose
 * blob was evicted to the archive is rebuilt as evicted from its `archive`/`evicted` audit entry
 * (evicted.ts): the blob's absence is then expected, not a loss.
 * Not atomic as a whole (a crash mid-way leaves a partial index): run it again.
 */
import { stat } from 'node:fs/promises';
import type { Db } from '../db.js';
import type { Logger } from '../log.js';
import type { ClipIndex } from './clip-index.js';
import { isErrno } from './errors.js';
import type { Area, StoreLayout } from './layout.js';
import { isPending, quarantinedRecord, verifiedRecord } from './records.js';
import type { ArchivedAt, ClipManifest, ClipRecord } from './schema.js';
import { readSidecar, walkArea } from './sidecars.js';

export interface ReindexReport {
  summary: {
    verified: number;
    quarantined: number;
    pendingKept: number;
    invalidSidecars: number;
    sidecarsWithoutBlob: number;
    conflicts: number;
  };
  invalidSidecars: { path: string; error: string }[];
  sidecarsWithoutBlob: { path: string; blob: string }[];
  /** Two verified blobs claim the same clip id: the earliest ingest is indexed. */
  conflicts: { clipId: string; kept: string; ignored: string }[];
}

interface Ctx {
  layout: StoreLayout;
  index: ClipIndex;
  db: Db;
  log?: Logger | undefined;
  /** Where the clip's original with these bytes was evicted to, from the audit log. */
  evictedTo?: (clipId: string, sha256: string) => Promise<ArchivedAt | undefined>;
}

interface Found {
  area: Area;
  manifest: ClipManifest;
  path: string;
  evicted?: ArchivedAt;
}

const BATCH_OPS = 2000;

export async function reindexStore(ctx: Ctx): Promise<ReindexReport> {
  const { layout, index } = ctx;
  const report: ReindexReport = {
    summary: {
      verified: 0,
      quarantined: 0,
      pendingKept: 0,
      invalidSidecars: 0,
      sidecarsWithoutBlob: 0,
      conflicts: 0,
    },
    invalidSidecars: [],
    sidecarsWithoutBlob: [],
    conflicts: [],
  };
  const byClip = new Map<string, Found[]>();
  for (const area of ['blobs', 'quarantine'] as const) {
    for await (const f of walkArea(layout, area)) {
      if (f.kind !== 'sidecar') continue;
      const r = await readSidecar(f.path);
      if (r.kind !== 'ok') {
        report.invalidSidecars.push({ path: f.path, error: r.kind === 'invalid' ? r.error : 'vanished' });
        continue;
      }
      const blob = layout.blobPath(area, r.manifest.sha256);
      let evicted: ArchivedAt | undefined;
      if (!(await exists(blob)) || r.manifest.sha256 !== f.sha256) {
        if (area === 'blobs' && r.manifest.sha256 === f.sha256)
          evicted = await ctx.evictedTo?.(r.manifest.clipId, r.manifest.sha256);
        if (!evicted) {
          report.sidecarsWithoutBlob.push({ path: f.path, blob });
          continue;
        }
      }
      const list = byClip.get(r.manifest.clipId) ?? [];
      list.push({ area, manifest: r.manifest, path: f.path, ...(evicted ? { evicted } : {}) });
      byClip.set(r.manifest.clipId, list);
    }
  }

  const records: ClipRecord[] = [];
  for (const [clipId, found] of byClip) {
    const held = found
      .filter((f) => f.area === 'quarantine')
      .sort((a, b) =>
        order(a.manifest.quarantine!.at, b.manifest.quarantine!.at, a.manifest.sha256, b.manifest.sha256),
      );
    const verified = found
      .filter((f) => f.area === 'blobs')
      .sort((a, b) =>
        order(a.manifest.ingestedAt, b.manifest.ingestedAt, a.manifest.sha256, b.manifest.sha256),
      );
    let record: ClipRecord | undefined;
    for (const h of held) {
      if (!h.manifest.quarantine) continue;
      record = quarantinedRecord(
        h.manifest,
        layout.rel(layout.blobPath('quarantine', h.manifest.sha256)),
        record,
      );
    }
    const [first, ...others] = verified;
    if (first) {
      record = verifiedRecord(
        first.manifest,
        layout.rel(layout.blobPath('blobs', first.manifest.sha256)),
        record,
      );
      if (first.evicted) record = { ...record, evicted: first.evicted };
      for (const o of others) report.conflicts.push({ clipId, kept: first.path, ignored: o.path });
    }
    if (!record) continue;
    records.push(record);
    if (record.state === 'verified') report.summary.verified++;
    else report.summary.quarantined++;
  }

  const rebuilt = new Set(records.map((r) => r.clipId));
  for await (const r of index.all()) {
    if (isPending(r) && !rebuilt.has(r.clipId)) {
      records.push(r);
      report.summary.pendingKept++;
    }
  }

  await index.clearAll();
  let ops: ReturnType<ClipIndex['opsFor']> = [];
  for (const r of records) {
    ops.push(...index.opsFor(undefined, r));
    if (ops.length >= BATCH_OPS) {
      await ctx.db.batch(ops);
      ops = [];
    }
  }
  await ctx.db.batch(ops, { sync: true });
  report.summary.invalidSidecars = report.invalidSidecars.length;
  report.summary.sidecarsWithoutBlob = report.sidecarsWithoutBlob.length;
  report.summary.conflicts = report.conflicts.length;
  ctx.log?.info(report.summary, 'clip index rebuilt from sidecars');
  return report;
}

function order(a: string, b: string, tieA: string, tieB: string): number {
  if (a !== b) return a < b ? -1 : 1;
  return tieA < tieB ? -1 : tieA > tieB ? 1 : 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}
