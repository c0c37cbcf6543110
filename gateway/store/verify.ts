/**
 * `gateway verify`: re-hash every stored original against the index, find what the index does
 * not know (orphans) and what it knows but the disk lacks (missing), compare sidecars with the
 * index, and check the audit chain. Names each problem precisely (path, expected vs actual hash,
 * seq). Read-only.
 */
import { stat } from 'node:fs/promises';
import type { AuditLog, AuditReport } from './audit-log.js';
import { canonicalJson } from './canonical.js';
import type { ClipIndex } from './clip-index.js';
import { hashFileIfExists, type RateLimit } from './hash-file.js';
import type { Area, StoreLayout } from './layout.js';
import { factsOf } from './records.js';
import type { ClipManifest, ClipRecord } from './schema.js';
import { readSidecar, sidecarsFor, walkArea } from './sidecars.js';

export interface BlobReport {
  /** Files re-hashed. */
  checked: number;
  bytes: number;
  altered: { clipId: string; area: Area; path: string; expected: string; actual: string; bytes: number }[];
  missing: { clipId: string; area: Area; path: string; expected: string }[];
  /** Files in blobs/ or quarantine/ that no index record accounts for. */
  orphans: { path: string; kind: 'blob' | 'sidecar' | 'other' }[];
  missingSidecars: { clipId: string; area: Area; blob: string }[];
  unreadableSidecars: { path: string; error: string }[];
  /** Sidecar says something other than the index (field names). */
  sidecarMismatches: { clipId: string; path: string; fields: string[] }[];
  /** Originals or sidecars that someone made writable again (they are created 0400). */
  writable: { path: string; mode: string }[];
}

export interface VerifyReport {
  ok: boolean;
  at: string;
  root: string;
  blobs: BlobReport;
  audit: AuditReport;
  summary: {
    clips: number;
    blobsChecked: number;
    altered: number;
    missing: number;
    orphans: number;
    sidecarProblems: number;
    writable: number;
    auditEntries: number;
    auditBrokenLinks: number;
    auditMissing: number;
    auditModified: number;
    auditMalformed: number;
  };
  durationMs: number;
  /** Re-hash throughput of this run. */
  hashMbPerS: number;
}

interface Ctx {
  layout: StoreLayout;
  index: ClipIndex;
  audit: AuditLog;
}

const COMPARED: (keyof ClipManifest)[] = [
  'clipId',
  'source',
  'sessionId',
  'officer',
  'caseNo',
  'activity',
  'start',
  'end',
  'markers',
];

export interface VerifyOptions {
  /** Read-rate cap (the scheduled sweep runs beside ingest). */
  limit?: RateLimit;
  /** Stops a long sweep (the gateway is stopping): the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

export async function verifyStore(ctx: Ctx, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  const { layout } = ctx;
  const blobs: BlobReport = {
    checked: 0,
    bytes: 0,
    altered: [],
    missing: [],
    orphans: [],
    missingSidecars: [],
    unreadableSidecars: [],
    sidecarMismatches: [],
    writable: [],
  };
  const known = new Set<string>();
  let clips = 0;
  let hashMs = 0;

  for await (const record of ctx.index.all()) {
    clips++;
    opts.signal?.throwIfAborted();
    if (record.state === 'quarantined' || record.evicted) await keepOriginalSidecar(ctx, record, known);
    for (const target of targetsOf(record)) {
      const path = layout.blobPath(target.area, target.sha256);
      known.add(path);
      const h0 = performance.now();
      const got = await hashFileIfExists(path, opts);
      if (!got) {
        blobs.missing.push({ clipId: record.clipId, area: target.area, path, expected: target.sha256 });
      } else {
        blobs.checked++;
        blobs.bytes += got.bytes;
        if (got.sha256 !== target.sha256) {
          blobs.altered.push({
            clipId: record.clipId,
            area: target.area,
            path,
            expected: target.sha256,
            actual: got.sha256,
            bytes: got.bytes,
          });
        }
      }
      hashMs += performance.now() - h0;
      await checkSidecar(ctx, record, target, blobs, known);
    }
  }

  for (const area of ['blobs', 'quarantine'] as const) {
    for await (const f of walkArea(layout, area)) {
      if (f.kind !== 'other') {
        const st = await stat(f.path);
        if ((st.mode & 0o222) !== 0)
          blobs.writable.push({ path: f.path, mode: (st.mode & 0o777).toString(8) });
      }
      if (!known.has(f.path)) blobs.orphans.push({ path: f.path, kind: f.kind });
    }
  }

  const audit = await ctx.audit.verify();
  const summary = {
    clips,
    blobsChecked: blobs.checked,
    altered: blobs.altered.length,
    missing: blobs.missing.length,
    orphans: blobs.orphans.length,
    sidecarProblems:
      blobs.missingSidecars.length + blobs.unreadableSidecars.length + blobs.sidecarMismatches.length,
    writable: blobs.writable.length,
    auditEntries: audit.entries,
    auditBrokenLinks: audit.brokenLinks.length,
    auditMissing: audit.missing.length,
    auditModified: audit.modified.length,
    auditMalformed: audit.malformed.length + audit.outOfOrder.length,
  };
  const ok =
    audit.ok &&
    summary.altered === 0 &&
    summary.missing === 0 &&
    summary.orphans === 0 &&
    summary.sidecarProblems === 0 &&
    summary.writable === 0;
  return {
    ok,
    at: new Date().toISOString(),
    root: layout.root,
    blobs,
    audit,
    summary,
    durationMs: Math.round(performance.now() - t0),
    hashMbPerS: hashMs > 0 ? Math.round((blobs.bytes / 1e6 / (hashMs / 1000)) * 10) / 10 : 0,
  };
}

/**
 * A clip quarantined because its original was altered on disk, or evicted to the archive
 * (evicted.ts), keeps the original's sidecar in blobs/: the record of what was ingested, not an
 * orphan. An evicted original is checked by the archive's read-back audits, not here.
 */
async function keepOriginalSidecar(ctx: Ctx, record: ClipRecord, known: Set<string>): Promise<void> {
  for (const path of await sidecarsFor(ctx.layout, 'blobs', record.sha256)) {
    const r = await readSidecar(path);
    if (r.kind === 'ok' && r.manifest.clipId === record.clipId) known.add(path);
  }
}

interface Target {
  area: Area;
  sha256: string;
  verified: boolean;
}

function targetsOf(r: ClipRecord): Target[] {
  const out: Target[] = [];
  if (r.state === 'verified' && !r.evicted) out.push({ area: 'blobs', sha256: r.sha256, verified: true });
  for (const h of r.quarantine?.held ?? [])
    out.push({ area: 'quarantine', sha256: h.sha256, verified: false });
  return out;
}

async function checkSidecar(
  ctx: Ctx,
  record: ClipRecord,
  target: Target,
  blobs: BlobReport,
  known: Set<string>,
): Promise<void> {
  let found: { path: string; manifest: ClipManifest } | undefined;
  for (const path of await sidecarsFor(ctx.layout, target.area, target.sha256)) {
    const r = await readSidecar(path);
    if (r.kind === 'invalid') {
      if (!blobs.unreadableSidecars.some((u) => u.path === path)) {
        blobs.unreadableSidecars.push({ path, error: r.error });
      }
      known.add(path);
    } else if (r.kind === 'ok' && r.manifest.clipId === record.clipId) {
      found = { path, manifest: r.manifest };
      known.add(path);
    }
  }
  if (!found) {
    blobs.missingSidecars.push({
      clipId: record.clipId,
      area: target.area,
      blob: ctx.layout.blobPath(target.area, target.sha256),
    });
    return;
  }
  const m = found.manifest;
  const fields: string[] = [];
  const mf = factsOf(m) as Record<string, unknown>;
  const rf = factsOf(record) as Record<string, unknown>;
  for (const k of COMPARED) {
    if (canonicalJson(mf[k] ?? null) !== canonicalJson(rf[k] ?? null)) fields.push(k);
  }
  if (target.verified) {
    if (m.sha256 !== record.sha256) fields.push('sha256');
    if (m.bytes !== record.bytes) fields.push('bytes');
    if (m.ingestedAt !== record.ingestedAt) fields.push('ingestedAt');
    if (m.quarantine) fields.push('quarantine');
  } else if (m.quarantine?.claimedSha256 !== record.sha256) {
    fields.push('quarantine.claimedSha256');
  }
  if (fields.length > 0) blobs.sidecarMismatches.push({ clipId: record.clipId, path: found.path, fields });
}
