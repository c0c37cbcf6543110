/**
 * Builds one evidence disc (R23; FORMATS.md §3), in this order:
 *   1. every original opened through the store (a `clip-access` entry, action export, R24);
 *   2. manifest.json and manifest.pdf from the index (each clip's SHA-256 and size as recorded at
 *      ingest), sessions, hearings, interruptions, written durably;
 *   3. the `export-built` entry holding both files' SHA-256, then a fresh signed checkpoint that
 *      covers it, then custody/ (checkpoint, key, the exact log lines about these clips and this
 *      export, their inclusion proofs), receipt.pdf, the verifiers and README.txt;
 *   4. the ISO from xorriso with the originals mapped straight from the store, hashed as xorriso
 *      writes it (xorriso.ts). An original that is the very file (same dev, inode, size, mtime
 *      and ctime) whose whole hash matched its recorded one since ingest (`unchangedSinceHashed`:
 *      its chunk table) is checked by that identity; any other is re-hashed against the index on worker
 *      threads as xorriso reads it (both from the page cache). Re-hashing every original doubled
 *      the SHA-256 work of a disc on 2 cores; anything that writes a file changes its ctime, so
 *      only root writing the raw device (or setting the clock) or a decaying medium gets past the
 *      identity, and the scheduled sweep and the disc's own verifier catch those. A mismatch kills
 *      xorriso, deletes the image, quarantines the original, and the caller logs `export-failed`
 *      after `export-built`: altered bytes are never shipped, and `export-built` claims only the
 *      manifest, which names the recorded hashes. Last, each original must still be the very file
 *      that was checked (same inode, size, mtime and ctime), or the image is thrown away.
 * A build cut off by a restart is resumed (`resume`): without an `export-built` entry it starts
 * over; with one it keeps that entry's manifest files and redoes steps 1, 3 (a new checkpoint,
 * which covers the same entry) and 4, so every disc has exactly one `export-built` entry.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Officer } from '../../protocol/common.js';
import { extensionFor, sniffContentType } from '../clips/content-type.js';
import { GatewayError } from '../errors.js';
import type { InterruptionRecord } from '../interruptions/record.js';
import type { Logger } from '../log.js';
import { fileIdentity, replaceFileDurable } from '../store/fsutil.js';
import type { ClipRecord, ClipStore } from '../store/index.js';
import type { CustodyPort } from './custody-port.js';
import { type HashResult, hashFiles } from './hash-pool.js';
import {
  type ClipExtras,
  coverage,
  fileEntry,
  interruptionEntry,
  type Manifest,
  type ManifestSession,
  manifestBytes,
  twoZones,
} from './manifest.js';
import { renderManifestPdf } from './manifest-pdf.js';
import { readmeText } from './readme.js';
import type { ExportRecord, ImageInfo, Person } from './schema.js';
import { packIso, volumeIdFor } from './xorriso.js';

/** What the builder asks about sessions, hearings and people beyond the clip index. */
export interface DiscFacts {
  recorderSession(
    serial: string,
    sessionId: string,
  ): Promise<{ startedAt: number | null; endedAt: number | null; flags: { flag: string }[] } | undefined>;
  hearing(id: string): Promise<
    | {
        roomId: string;
        startedBy: string;
        startedAt: number;
        stoppedAt: number | null;
        summary: { coverage: number } | null;
      }
    | undefined
  >;
  roomName(roomId: string): string | null;
  interruptions(sessionId: string): Promise<InterruptionRecord[]>;
  displayName(username: string): Promise<string | null>;
}

export interface DiscDeps {
  store: Pick<ClipStore, 'index' | 'accessClip' | 'audit' | 'isolateAltered' | 'restore'>;
  custody: CustodyPort;
  facts: DiscFacts;
  verifierFiles: () => Promise<Record<'verify.html' | 'verify.mjs', Buffer>>;
  log: Logger;
  xorriso?: string;
  /** Worker threads checking originals (default: one per core). */
  hashThreads?: number;
  /**
   * Whether an original with this identity (fileIdentity) is the very file whose whole hash last
   * matched its recorded one (clips/chunk-table.ts). Such an original is not re-hashed: the check
   * that it is unchanged costs a stat, not a read. Without it every original is re-hashed.
   */
  unchangedSinceHashed?: (expected: { sha256: string; bytes: number }, identity: string) => Promise<boolean>;
}

/** How the originals on a disc were checked: re-hashed, or unchanged since a matching hash. */
export interface OriginalsCheck {
  rehashed: number;
  unchanged: number;
}

export interface BuildProgress {
  bytesDone: number;
  bytesTotal: number;
}

/** Files kept beside the image for the API (receipt, printable manifest). */
export const RECEIPT = 'receipt.pdf';
export const MANIFEST_PDF = 'manifest.pdf';

export interface DiscPaths {
  /** Work dir of the export (`<dataDir>/exports/<id>`). */
  dir: string;
  /** The disc's root before packing. */
  root: string;
  image: string;
}

export function discPaths(exportsDir: string, id: string): DiscPaths {
  const dir = join(exportsDir, id);
  return { dir, root: join(dir, 'disc'), image: join(dir, `evidence-${id}.iso`) };
}

interface Checked {
  record: ClipRecord;
  path: string;
  discPath: string;
  contentType: string;
  fingerprint: string;
}

const OPEN_BATCH = 64;

export async function buildDisc(
  rec: ExportRecord,
  approver: Person,
  d: DiscDeps,
  paths: DiscPaths,
  onProgress: (p: BuildProgress) => void,
  opts: { resume?: boolean } = {},
): Promise<{ image: ImageInfo; originals: OriginalsCheck }> {
  const records = await loadClips(rec, d);
  const clipBytes = records.reduce((s, r) => s + r.bytes, 0);
  const resumed = opts.resume ? await loggedManifest(rec, paths, d) : undefined;
  if (resumed) await clearAllBut(paths, ['manifest.json', MANIFEST_PDF]);
  else await rm(paths.dir, { recursive: true, force: true });
  await mkdir(join(paths.root, 'custody'), { recursive: true, mode: 0o700 });

  const checked = await openOriginals(rec, approver, records, d);
  let manifest: Manifest;
  let mJson: Buffer;
  let mPdf: Buffer;
  if (resumed) {
    ({ manifest, mJson, mPdf } = resumed);
    const onDisc = manifest.files.map((f) => f.path).join('\n');
    if (onDisc !== checked.map((c) => c.discPath).join('\n')) {
      throw new GatewayError(
        'EXPORT_FAILED',
        'the originals no longer match the manifest the log names; request a new export',
      );
    }
  } else {
    manifest = await buildManifest(rec, approver, checked, d);
    mJson = manifestBytes(manifest);
    mPdf = await renderManifestPdf(manifest);
    // Durable before the entry naming their hashes: a build cut off after it resumes with these
    // very files, so a disc never has two `export-built` entries (FORMATS.md §3.3).
    await replaceFileDurable(join(paths.root, 'manifest.json'), mJson, 0o400);
    await replaceFileDurable(join(paths.root, MANIFEST_PDF), mPdf, 0o400);
    await d.store.audit.append({
      type: 'export-built',
      actor: approver.username,
      subject: exportSubject(rec.id),
      details: {
        manifestSha256: sha256(mJson),
        manifestPdfSha256: sha256(mPdf),
        caseNo: rec.caseNo,
        clips: checked.length,
        bytes: clipBytes,
      },
    });
  }
  const checkpoint = await d.custody.issueCheckpoint(`export ${rec.id}`, approver.username);
  const { lines, proofs } = await custodyLines(rec, checked, checkpoint.treeSize, d);
  const keyJson = await d.custody.publicKeyJson();
  const verifiers = await d.verifierFiles();
  const put = (name: string, data: Buffer | string) =>
    writeFile(join(paths.root, name), data, { mode: 0o400 });
  await put(RECEIPT, await d.custody.renderCustodyReceipt(checkpoint));
  await put('verify.html', verifiers['verify.html']);
  await put('verify.mjs', verifiers['verify.mjs']);
  await put('README.txt', readmeText(manifest, keyFingerprint(keyJson)));
  await put('custody/checkpoint.json', `${JSON.stringify(checkpoint, null, 2)}\n`);
  await put('custody/gateway-key.json', keyJson.endsWith('\n') ? keyJson : `${keyJson}\n`);
  await put('custody/audit.jsonl', Buffer.concat(lines.flatMap((l) => [l, NL])));
  await put('custody/proofs.json', `${JSON.stringify(proofs, null, 1)}\n`);

  const rehash: Checked[] = [];
  for (const c of checked) {
    if (!(await d.unchangedSinceHashed?.(c.record, c.fingerprint))) rehash.push(c);
  }
  // xorriso writing the image, and beside it the re-hash of the originals that need one.
  const progress = { bytesDone: 0, bytesTotal: clipBytes + rehash.reduce((s, c) => s + c.record.bytes, 0) };
  let hashed = 0;
  let packed = 0;
  const show = () => {
    progress.bytesDone = hashed + packed;
    onProgress({ ...progress });
  };
  const stop = new AbortController();
  const check = checkOriginals(rehash, d, stop, (n) => {
    hashed += n;
    show();
  });
  const pack = packIso(
    {
      rootDir: paths.root,
      files: checked.map((c) => ({ from: c.path, to: `/${c.discPath}` })),
      volumeId: volumeIdFor(rec.id),
    },
    paths.image,
    {
      onBytes: (n) => {
        packed = Math.min(n, clipBytes);
        show();
      },
      signal: stop.signal,
      ...(d.xorriso ? { xorriso: d.xorriso } : {}),
    },
  );
  const [checkDone, packDone] = await Promise.allSettled([check, pack]);
  const bad = checkDone.status === 'fulfilled' ? checkDone.value : [];
  if (checkDone.status === 'rejected' || bad.length > 0 || packDone.status === 'rejected') {
    await rm(paths.image, { force: true });
  }
  if (checkDone.status === 'rejected') throw checkDone.reason;
  if (bad.length > 0) {
    for (const b of bad) await integrityFailure(rec, b.clip, b.got, d);
    const named = bad.map(
      (b) =>
        `clip ${b.clip.record.clipId}: stored bytes hash to ${b.got.sha256} (${b.got.bytes} bytes), recorded ${b.clip.record.sha256} (${b.clip.record.bytes} bytes)`,
    );
    throw new GatewayError('EXPORT_FAILED', `${named.slice(0, 10).join('; ')}; the disc was not built`, {
      clipIds: bad.map((b) => b.clip.record.clipId),
    });
  }
  if (packDone.status === 'rejected') throw packDone.reason;
  const image = packDone.value;
  for (const c of checked) {
    if ((await fileIdentity(c.path)) !== c.fingerprint) {
      await rm(paths.image, { force: true });
      throw new GatewayError(
        'EXPORT_FAILED',
        `clip ${c.record.clipId}: its stored file changed while the disc was being written`,
        { clipId: c.record.clipId },
      );
    }
  }
  await chmod(paths.root, 0o700);
  return {
    image: { name: `evidence-${rec.id}.iso`, bytes: image.bytes, sha256: image.sha256 },
    originals: { rehashed: rehash.length, unchanged: checked.length - rehash.length },
  };
}

export function exportSubject(id: string): string {
  return `export:${id}`;
}

const NL = Buffer.from('\n');

/**
 * A build cut off after its `export-built` entry (a restart): the manifest files that entry names,
 * unchanged; undefined when the log has no such entry (the build starts over). EXPORT_FAILED when
 * the files are gone or differ: another manifest would contradict the logged one.
 */
async function loggedManifest(
  rec: ExportRecord,
  paths: DiscPaths,
  d: DiscDeps,
): Promise<{ manifest: Manifest; mJson: Buffer; mPdf: Buffer } | undefined> {
  const entries = await d.store.audit.bySubject(exportSubject(rec.id));
  const built = entries.filter((e) => e.type === 'export-built').at(-1);
  if (!built) return undefined;
  const read = (name: string) => readFile(join(paths.root, name)).catch(() => undefined);
  const [mJson, mPdf] = await Promise.all([read('manifest.json'), read(MANIFEST_PDF)]);
  if (
    !mJson ||
    !mPdf ||
    sha256(mJson) !== built.details.manifestSha256 ||
    sha256(mPdf) !== built.details.manifestPdfSha256
  ) {
    throw new GatewayError(
      'EXPORT_FAILED',
      `the manifest named by export-built entry ${built.seq} is gone or changed; request a new export`,
    );
  }
  return { manifest: JSON.parse(mJson.toString('utf8')) as Manifest, mJson, mPdf };
}

/** Removes the work dir's contents except `keep` at the disc's root (a half-written image too). */
async function clearAllBut(paths: DiscPaths, keep: string[]): Promise<void> {
  for (const e of await readdir(paths.dir, { withFileTypes: true }).catch(() => [])) {
    if (e.name !== 'disc') await rm(join(paths.dir, e.name), { recursive: true, force: true });
  }
  for (const name of await readdir(paths.root).catch(() => [] as string[])) {
    if (!keep.includes(name)) await rm(join(paths.root, name), { recursive: true, force: true });
  }
}

async function loadClips(rec: ExportRecord, d: DiscDeps): Promise<ClipRecord[]> {
  const out: ClipRecord[] = [];
  for (const id of rec.clipIds) {
    const r = await d.store.index.get(id);
    if (r?.state !== 'verified') {
      throw new GatewayError(
        'EXPORT_FAILED',
        `clip ${id} is ${r?.state ?? 'unknown'}; only verified originals go on a disc`,
        {
          clipId: id,
        },
      );
    }
    out.push(r);
  }
  return out;
}

/** Opens every original through the store: its `clip-access` entry (R24), content type, fingerprint. */
async function openOriginals(
  rec: ExportRecord,
  approver: Person,
  records: ClipRecord[],
  d: DiscDeps,
): Promise<Checked[]> {
  const clips: Checked[] = [];
  for (let i = 0; i < records.length; i += OPEN_BATCH) {
    // An original evicted to the central archive comes back first (read hashed, then linked).
    for (const r of records.slice(i, i + OPEN_BATCH))
      if (r.evicted) await d.store.restore(r.clipId, { actor: approver.username });
    // Opened together so their clip-access entries share the audit log's group commit.
    const opened = await Promise.all(
      records.slice(i, i + OPEN_BATCH).map((r) =>
        d.store.accessClip(r.clipId, {
          actor: approver.username,
          action: 'export',
          reason: `evidence export ${rec.id} (case ${rec.caseNo})`,
          role: 'principal',
        }),
      ),
    );
    for (const o of opened) {
      const contentType = await sniffContentType(o.path);
      clips.push({
        record: o.record,
        path: o.path,
        discPath: `clips/${o.record.clipId}${extensionFor(contentType)}`,
        contentType,
        fingerprint: await fileIdentity(o.path),
      });
    }
  }
  return clips;
}

/**
 * Re-hashes every original on the hash pool while xorriso packs them; the first mismatch aborts
 * `stop` (xorriso is killed) and the rest are not read. Resolves with the mismatches.
 */
async function checkOriginals(
  clips: Checked[],
  d: DiscDeps,
  stop: AbortController,
  tick: (n: number) => void,
): Promise<{ clip: Checked; got: HashResult }[]> {
  const bad: { clip: Checked; got: HashResult }[] = [];
  if (clips.length === 0) return bad;
  try {
    await hashFiles(
      clips.map((c) => c.path),
      {
        ...(d.hashThreads ? { threads: d.hashThreads } : {}),
        onBytes: tick,
        onFile: (i, got) => {
          const c = clips[i]!;
          if (got.sha256 === c.record.sha256 && got.bytes === c.record.bytes) return;
          bad.push({ clip: c, got });
          stop.abort();
          throw MISMATCH;
        },
      },
    );
  } catch (err) {
    stop.abort();
    if (err !== MISMATCH) throw err;
  }
  return bad;
}

const MISMATCH = new Error('an original does not match its recorded hash');

/**
 * An original that does not match its hash: the store moves it to quarantine and logs the
 * `integrity-failure` itself (the integrity monitor raises the alert), as when serving it. If it
 * finds nothing to isolate (gone, or matching when re-hashed), the failed check is logged here.
 */
async function integrityFailure(rec: ExportRecord, c: Checked, got: HashResult, d: DiscDeps): Promise<void> {
  const clipId = c.record.clipId;
  d.log.error({ clipId, exportId: rec.id, actual: got.sha256 }, 'stored original does not match its hash');
  try {
    const isolated = await d.store.isolateAltered(c.record.sha256, {
      detectedBy: `export ${rec.id}`,
      actor: rec.decidedBy?.username ?? 'gateway',
    });
    if (isolated) return;
    await d.store.audit.append({
      type: 'integrity-failure',
      actor: 'gateway',
      subject: `clip:${clipId}`,
      details: {
        during: `export ${rec.id}`,
        expected: c.record.sha256,
        actual: got.sha256,
        expectedBytes: c.record.bytes,
        actualBytes: got.bytes,
      },
    });
  } catch (err) {
    d.log.error({ err, clipId }, 'recording an altered original failed');
  }
}

async function buildManifest(
  rec: ExportRecord,
  approver: Person,
  checked: Checked[],
  d: DiscDeps,
): Promise<Manifest> {
  const f = d.facts;
  const hearingOf = new Map<string, Awaited<ReturnType<DiscFacts['hearing']>>>();
  const names = new Map<string, string | null>();
  const nameOf = async (u: string) => {
    if (!names.has(u)) names.set(u, await f.displayName(u));
    return names.get(u) ?? u;
  };
  const files = [];
  for (const c of checked) {
    const r = c.record;
    let place: string | null = null;
    let collector: string | null = null;
    if (r.source.kind === 'camera') {
      if (!hearingOf.has(r.sessionId)) hearingOf.set(r.sessionId, await f.hearing(r.sessionId));
      const h = hearingOf.get(r.sessionId);
      if (h) {
        place = f.roomName(h.roomId) ?? h.roomId;
        collector = `${await nameOf(h.startedBy)} (${h.startedBy})`;
      }
    }
    const officer: Officer | null = r.officer ?? null;
    const extras: ClipExtras = {
      path: c.discPath,
      contentType: c.contentType,
      officer,
      collector,
      place,
      position: null,
    };
    files.push(fileEntry(r, extras));
  }
  return {
    v: 1,
    exportId: rec.id,
    gatewayId: d.custody.gatewayId(),
    createdAt: new Date().toISOString(),
    caseNo: rec.caseNo,
    purpose: rec.purpose,
    recipient: rec.recipient,
    ...(rec.outsideRequest ? { outsideRequest: rec.outsideRequest } : {}),
    requestedBy: rec.requestedBy,
    approvedBy: approver,
    approvedAt: rec.decidedAt ?? new Date().toISOString(),
    sensitivity: rec.sensitivity,
    files,
    sessions: await sessionsOf(checked, d, hearingOf),
  };
}

async function sessionsOf(
  checked: Checked[],
  d: DiscDeps,
  hearingOf: Map<string, Awaited<ReturnType<DiscFacts['hearing']>>>,
): Promise<ManifestSession[]> {
  const bySession = new Map<string, ClipRecord[]>();
  for (const c of checked) {
    const list = bySession.get(c.record.sessionId) ?? [];
    list.push(c.record);
    bySession.set(c.record.sessionId, list);
  }
  const out: ManifestSession[] = [];
  for (const [sessionId, onDisc] of bySession) {
    const first = onDisc[0]!;
    const all = await d.store.index.listBySession(sessionId);
    const interruptions = (await d.facts.interruptions(sessionId)).sort((a, b) => a.start - b.start);
    let span: { start: number; end: number } | undefined;
    let device: string | null = first.source.kind === 'recorder' ? first.source.id : null;
    let flags: string[] = [];
    let cov: number | null;
    if (first.source.kind === 'camera') {
      const h = hearingOf.get(sessionId);
      if (h) {
        device = d.facts.roomName(h.roomId) ?? h.roomId;
        if (h.stoppedAt !== null) span = { start: h.startedAt, end: h.stoppedAt };
      }
      cov = h?.summary ? Math.round(h.summary.coverage * 10_000) / 10_000 : coverage(all, span);
    } else {
      const s = await d.facts.recorderSession(first.source.id, sessionId);
      if (s?.startedAt != null && s.endedAt != null) span = { start: s.startedAt, end: s.endedAt };
      flags = [...new Set(s?.flags.map((x) => x.flag) ?? [])];
      cov = coverage(all, span);
    }
    const start = span?.start ?? Math.min(...all.map((c) => c.start));
    const end = span?.end ?? Math.max(...all.map((c) => c.end));
    out.push({
      sessionId,
      kind: first.source.kind === 'camera' ? 'hearing' : 'recorder',
      device,
      start: Number.isFinite(start) ? twoZones(start) : null,
      end: Number.isFinite(end) ? twoZones(end) : null,
      coverage: cov,
      clipsInStore: all.length,
      clipsOnDisc: onDisc.length,
      flags,
      interruptions: interruptions.map(interruptionEntry),
    });
  }
  return out;
}

/** The exact log lines about these clips and this export up to the checkpoint, and their proofs. */
async function custodyLines(
  rec: ExportRecord,
  checked: Checked[],
  treeSize: number,
  d: DiscDeps,
): Promise<{
  lines: Buffer[];
  proofs: { seq: number; leafIndex: number; treeSize: number; auditPath: string[] }[];
}> {
  const seqs = new Set<number>();
  const subjects = [...checked.map((c) => `clip:${c.record.clipId}`), exportSubject(rec.id)];
  // In batches side by side: a disc of many clips with long histories has thousands of lines.
  for (let i = 0; i < subjects.length; i += OPEN_BATCH) {
    const found = await Promise.all(subjects.slice(i, i + OPEN_BATCH).map((s) => d.store.audit.bySubject(s)));
    for (const e of found.flat()) if (e.seq <= treeSize) seqs.add(e.seq);
  }
  const sorted = [...seqs].sort((a, b) => a - b);
  const lines = await d.custody.leafInputs(sorted);
  const paths = await d.custody.inclusionProofs(sorted, treeSize);
  const proofs = sorted.map((seq, i) => ({ seq, leafIndex: seq - 1, treeSize, auditPath: paths[i]! }));
  return { lines, proofs };
}

function keyFingerprint(keyJson: string): string {
  try {
    const fp = (JSON.parse(keyJson) as { fingerprint?: unknown }).fingerprint;
    return typeof fp === 'string' ? fp : '';
  } catch {
    return '';
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
