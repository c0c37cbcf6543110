/**
 * An original whose bytes no longer hash to what was recorded at ingest (R25: no cutting, editing
 * or deleting of originals; here someone did). The altered bytes are moved, never deleted: linked
 * into quarantine/ under the hash they now have, write-protected again, then unlinked from blobs/
 * so nothing serves them under the original's hash. Every clip that had those bytes becomes
 * `quarantined`, with the altered copy as its held copy and a quarantine sidecar naming what was
 * recorded; one `integrity-failure` entry per clip carries that index change in its batch. The
 * original's own sidecar stays in blobs/ as the record of what was ingested (verify knows it).
 */
import { chmod, unlink } from 'node:fs/promises';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { AuditLog } from './audit-log.js';
import type { ClipIndex } from './clip-index.js';
import { StoreError } from './errors.js';
import { fsyncDir, linkNoClobber, mkdirDurable } from './fsutil.js';
import { hashFile, hashFileIfExists } from './hash-file.js';
import type { StoreLayout } from './layout.js';
import type { KeyedMutex } from './mutex.js';
import { factsOf, quarantinedRecord } from './records.js';
import type { ClipManifest, ClipRecord } from './schema.js';
import { ensureSidecar, readSidecar, sidecarsFor } from './sidecars.js';

export interface IsolateCtx {
  layout: StoreLayout;
  index: ClipIndex;
  audit: AuditLog;
  locks: KeyedMutex;
  now: () => number;
  log?: Logger | undefined;
  bus?: EventBus | undefined;
}

export interface IsolatedBlob {
  /** What the bytes were recorded as. */
  sha256: string;
  /** What they hash to now, and where they are kept. */
  actualSha256: string;
  actualBytes: number;
  heldPath: string;
  clipIds: string[];
}

export interface IsolateOpts {
  /** How it was found: `serve`, `sweep`, `verify`. */
  detectedBy: string;
  actor?: string;
}

/** Undefined when the blob is gone already or (re-hashed now) matches after all. */
export async function isolateAltered(
  ctx: IsolateCtx,
  sha256: string,
  opts: IsolateOpts,
): Promise<IsolatedBlob | undefined> {
  return ctx.locks.run(`\u0000blob:${sha256}`, async () => {
    const { layout } = ctx;
    const path = layout.blobPath('blobs', sha256);
    const got = await hashFileIfExists(path);
    if (!got || got.sha256 === sha256) return undefined;
    const clips = await clipsHolding(ctx, sha256);

    const heldDir = layout.dirFor('quarantine', got.sha256);
    const held = layout.blobPath('quarantine', got.sha256);
    await mkdirDurable(heldDir);
    if (!(await linkNoClobber(path, held)) && (await hashFile(held)).sha256 !== got.sha256) {
      throw new StoreError('BLOB_EXISTS_DIFFERENT', `${held} exists with other content; not overwritten`, {
        path: held,
      });
    }
    // Whoever altered it made it writable first; the kept copy is evidence and read-only again.
    await chmod(held, 0o400);
    await fsyncDir(heldDir);
    await unlink(path);
    await fsyncDir(layout.dirFor('blobs', sha256));

    const heldRel = layout.rel(held);
    const at = new Date(ctx.now()).toISOString();
    const actor = opts.actor ?? 'gateway';
    const subjects = clips.length > 0 ? clips.map((c) => `clip:${c.clipId}`) : [`blob:${sha256}`];
    for (const rec of clips) {
      await ctx.locks.run(rec.clipId, async () => {
        const prev = (await ctx.index.get(rec.clipId)) ?? rec;
        const m: ClipManifest = {
          v: 1,
          ...factsOf(prev),
          sha256: got.sha256,
          bytes: got.bytes,
          ingestedAt: prev.ingestedAt ?? at,
          quarantine: {
            claimedSha256: sha256,
            claimedBytes: prev.bytes,
            reason: `altered on disk after ingest (found by ${opts.detectedBy})`,
            at,
          },
        };
        const { manifest } = await ensureSidecar(layout, 'quarantine', m);
        await fsyncDir(heldDir);
        const next = quarantinedRecord(manifest, heldRel, { ...prev, state: 'quarantined' });
        await ctx.audit.append(
          {
            type: 'integrity-failure',
            actor,
            subject: `clip:${rec.clipId}`,
            details: detailsOf(opts, sha256, prev.bytes, got, layout.rel(path), heldRel),
          },
          { ops: ctx.index.opsFor(prev, next) },
        );
      });
    }
    if (clips.length === 0) {
      await ctx.audit.append({
        type: 'integrity-failure',
        actor,
        subject: subjects[0]!,
        details: detailsOf(opts, sha256, null, got, layout.rel(path), heldRel),
      });
    }
    ctx.log?.error(
      { expected: sha256, actual: got.sha256, held: heldRel, clips: subjects },
      'stored original was altered: moved to quarantine, not served',
    );
    for (const subject of subjects) {
      ctx.bus?.emit('integrity.failed', {
        kind: 'altered',
        subject,
        message: `${subject}: the stored original was altered (its bytes hash to ${got.sha256.slice(0, 12)}…, recorded ${sha256.slice(0, 12)}…); kept in quarantine, not served (R25)`,
        detectedBy: opts.detectedBy,
        details: detailsOf(opts, sha256, null, got, layout.rel(path), heldRel),
        audited: true,
      });
    }
    return {
      sha256,
      actualSha256: got.sha256,
      actualBytes: got.bytes,
      heldPath: heldRel,
      clipIds: clips.map((c) => c.clipId),
    };
  });
}

/** Verified clips whose original is these bytes (a sidecar per clip sits beside the blob). */
async function clipsHolding(ctx: IsolateCtx, sha256: string): Promise<ClipRecord[]> {
  const out: ClipRecord[] = [];
  for (const path of await sidecarsFor(ctx.layout, 'blobs', sha256)) {
    const r = await readSidecar(path);
    if (r.kind !== 'ok') continue;
    const rec = await ctx.index.get(r.manifest.clipId);
    if (rec?.state === 'verified' && rec.sha256 === sha256) out.push(rec);
  }
  return out;
}

function detailsOf(
  opts: IsolateOpts,
  expected: string,
  expectedBytes: number | null,
  got: { sha256: string; bytes: number },
  path: string,
  heldPath: string,
): Record<string, unknown> {
  return {
    kind: 'altered',
    detectedBy: opts.detectedBy,
    expectedSha256: expected,
    ...(expectedBytes === null ? {} : { expectedBytes }),
    actualSha256: got.sha256,
    actualBytes: got.bytes,
    path,
    quarantinedTo: heldPath,
  };
}
