/**
 * The gateway's designated storage for originals (R22, R25): a content-addressed, write-once blob
 * store with sidecar manifests, a LevelDB index and the hash-chained audit log. Recorder clips
 * (dock ingest) and hearing-room camera segments (recording) go in through the same custody:
 *
 *   const w = await store.createTempWriter({ clipId, source, expectedBytes });  // resumes at w.offset
 *   await w.append(chunk, at); ... await w.checkpoint();                         // durable progress
 *   const record = await store.commit(w, facts);   // fsync, SHA-256 check, link, fsync dir, index, audit
 *   await store.recordRelease(clipId, { actor });  // only for a verified clip; then send RELEASE
 *
 * There is no method that edits or deletes an original: blobs are linked into place without
 * overwrite (link(2)), made read-only (0400) before they appear, and nothing here ever unlinks
 * under blobs/ or quarantine/, except an original found altered: its bytes are linked into
 * quarantine/ first, then taken out of blobs/ (altered.ts), and an original evicted once the
 * central archive holds a verified, locked copy (evicted.ts; the archive decides). Every read of an original for someone
 * is checked against its recorded hash (checked-read.ts).
 */
import { createReadStream, type Stats } from 'node:fs';
import { chmod, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../db.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import { type IsolatedBlob, type IsolateOpts, isolateAltered } from './altered.js';
import { AuditLog } from './audit-log.js';
import { checkedReadStream, HashCheck } from './checked-read.js';
import { ClipIndex } from './clip-index.js';
import { auditStrayDiscards } from './discarded.js';
import { DiskReserve } from './disk-reserve.js';
import { isErrno, StoreError } from './errors.js';
import { archivedName, type RemoteOriginals, relinkBlob, unlinkEvictedBlob } from './evicted.js';
import { fsyncDir, linkNoClobber, mkdirDurable, unlinkIfExists, writeFileNoClobber } from './fsutil.js';
import { hashFile, hashFileIfExists, type RateLimit } from './hash-file.js';
import type { BatchOp } from './keys.js';
import { type Area, StoreLayout } from './layout.js';
import { assertMayRetire, type RetireAction, withHold } from './legal-hold.js';
import { KeyedMutex } from './mutex.js';
import {
  deadlineOf,
  factsOf,
  isPending,
  pendingRecord,
  quarantinedRecord,
  verifiedRecord,
} from './records.js';
import { type ReindexReport, reindexStore } from './reindex.js';
import {
  ArchivedAt,
  type AuditEntry,
  type AuditInput,
  ClipAccess,
  ClipFacts,
  type ClipFactsInput,
  type ClipManifest,
  type ClipRecord,
  ClipSource,
  type ClipSource as ClipSourceT,
  type LegalHold,
} from './schema.js';
import { ensureSidecar, readSidecar, sidecarsFor } from './sidecars.js';
import { TempWriter } from './temp-writer.js';
import { type VerifyReport, verifyStore } from './verify.js';

export interface ClipStoreOptions {
  /** Store root directory (created if absent). */
  root: string;
  /** The gateway's one LevelDB; the store uses sublevels `store` and `audit`. */
  db: Db;
  /** A shared audit log; by default the store opens `<root>/audit/audit.jsonl` on the same DB. */
  audit?: AuditLog;
  log?: Logger;
  bus?: EventBus;
  /** Free space to keep on the store's filesystem (config `reserveBytes`); 0 by default. */
  reserveBytes?: number;
  now?: () => number;
}

export interface TempWriterRequest {
  clipId: string;
  source: ClipSourceT;
  /** Total clip size if known: the disk reserve is checked for what is still to come. */
  expectedBytes?: number;
}

export interface ActorOpt {
  /** Who is acting, for the audit log (default `gateway`). */
  actor?: string;
}

/** Where an original's bytes are and what they must hash to. */
export interface BlobRef {
  /** `archive`: evicted locally, read from the archived version in `archived`. */
  area: Area | 'archive';
  /** Read-only path of the bytes (verified blob, or the latest quarantined copy; a name if archived). */
  path: string;
  sha256: string;
  bytes: number;
  archived?: ArchivedAt;
}

export interface AccessedClip extends BlobRef {
  record: ClipRecord;
  audit: AuditEntry;
}

export interface OpenedClip extends AccessedClip {
  /** The whole original, checked against its hash as it streams (fails before its last bytes). */
  stream: Readable;
}

export interface TempTransfer {
  key: string;
  path: string;
  bytes: number;
}

export class ClipStore {
  readonly name = 'store';
  readonly layout: StoreLayout;
  readonly index: ClipIndex;
  readonly disk: DiskReserve;
  readonly #db: Db;
  readonly #log: Logger | undefined;
  readonly #bus: EventBus | undefined;
  readonly #now: () => number;
  readonly #locks = new KeyedMutex();
  readonly #writers = new Set<string>();
  #audit: AuditLog | undefined;
  readonly #ownsAudit: boolean;
  #remote: RemoteOriginals | undefined;
  #started = false;

  constructor(opts: ClipStoreOptions) {
    this.layout = new StoreLayout(opts.root);
    this.#db = opts.db;
    this.#log = opts.log;
    this.#bus = opts.bus;
    this.#now = opts.now ?? Date.now;
    this.index = new ClipIndex(opts.db, { now: this.#now });
    this.disk = new DiskReserve({ path: opts.root, reserveBytes: opts.reserveBytes ?? 0 });
    this.#audit = opts.audit;
    this.#ownsAudit = !opts.audit;
  }

  /** Construct and start. */
  static async open(opts: ClipStoreOptions): Promise<ClipStore> {
    const store = new ClipStore(opts);
    await store.start();
    return store;
  }

  get audit(): AuditLog {
    if (!this.#audit) throw new StoreError('CONFLICT', 'store not started');
    return this.#audit;
  }

  /**
   * Create the layout and open the audit log. Leftover partial transfers in tmp/ are kept: the
   * ingest resumes them (a crash must not cost a transfer, let alone a clip).
   */
  async start(): Promise<void> {
    if (this.#started) return;
    for (const dir of [this.layout.blobsDir, this.layout.quarantineDir, this.layout.tmpDir]) {
      await mkdirDurable(dir);
    }
    this.#audit ??= await AuditLog.open({
      db: this.#db,
      file: this.layout.auditFile,
      now: this.#now,
      ...(this.#log ? { log: this.#log } : {}),
    });
    const lost = this.#audit.rolledForward;
    if (lost) await this.#healFrom(this.#audit.range(lost.fromSeq, lost.toSeq));
    await auditStrayDiscards(this.layout, this.#audit, this.#log);
    const leftovers = await this.tempTransfers();
    if (leftovers.length > 0) {
      this.#log?.info({ transfers: leftovers.map((t) => t.key) }, 'partial transfers kept for resume');
    }
    this.#started = true;
  }

  async stop(): Promise<void> {
    if (this.#ownsAudit) {
      await this.#audit?.close();
      this.#audit = undefined;
    }
    this.#started = false;
  }

  // ---- transfers -------------------------------------------------------------------------------

  /**
   * Open the transfer for a clip, resuming a partial one left by an unplug or a crash
   * (`writer.offset` says where to fetch from). One writer per clip at a time (CONFLICT).
   * DISK_RESERVE when the rest of the clip would eat into the reserve: pause and retry.
   */
  async createTempWriter(req: TempWriterRequest): Promise<TempWriter> {
    const source = parseOr(ClipSource, req.source, 'source');
    const clipId = parseOr(ClipFacts.shape.clipId, req.clipId, 'clipId');
    const key = this.layout.tempKey(source, clipId);
    if (this.#writers.has(key)) {
      throw new StoreError('CONFLICT', `a transfer of clip ${clipId} is already open`, { clipId, key });
    }
    const paths = this.layout.tempPaths(key);
    if (req.expectedBytes !== undefined) {
      const have = await stat(paths.part).then(
        (s) => s.size,
        () => 0,
      );
      await this.disk.assertRoomFor(Math.max(0, req.expectedBytes - have));
    }
    this.#writers.add(key);
    try {
      return await TempWriter.open(key, paths, () => this.#writers.delete(key));
    } catch (err) {
      this.#writers.delete(key);
      throw err;
    }
  }

  /** Partial transfers on disk (kept across restarts for resume). */
  async tempTransfers(): Promise<TempTransfer[]> {
    const out: TempTransfer[] = [];
    for (const name of await readdir(this.layout.tmpDir)) {
      if (!name.endsWith('.part')) continue;
      const path = join(this.layout.tmpDir, name);
      out.push({ key: name.slice(0, -5), path, bytes: (await stat(path)).size });
    }
    return out;
  }

  /**
   * Verify and store a finished transfer. Order (#4 "Ingest"): fsync the temp file, check its
   * SHA-256 and length against `facts` (HASH_MISMATCH / SIZE_MISMATCH: nothing stored, the temp
   * stays for `writer.discard()` or `quarantine()`), link it into blobs/ without overwrite, write
   * the sidecar, fsync the directory, then append the `ingest` audit entry and the clip's index
   * rows in one LevelDB batch. Resolves only when all of that is durable: then RELEASE may go.
   * Idempotent: committing a clip that is already verified with the same hash returns its record.
   */
  async commit(writer: TempWriter, factsIn: ClipFactsInput, opts: ActorOpt = {}): Promise<ClipRecord> {
    const facts = parseFacts(factsIn);
    return this.#locks.run(facts.clipId, async () => {
      const prev = await this.index.get(facts.clipId);
      const done = this.#sameClipAsBefore(prev, facts);
      if (done) {
        await writer.discard();
        return done;
      }
      const got = await writer.finish();
      if (got.sha256 !== facts.sha256) {
        throw new StoreError('HASH_MISMATCH', `clip ${facts.clipId}: bytes hash to ${got.sha256}`, {
          clipId: facts.clipId,
          expected: facts.sha256,
          actual: got.sha256,
          bytes: got.bytes,
        });
      }
      if (got.bytes !== facts.bytes) {
        throw new StoreError(
          'SIZE_MISMATCH',
          `clip ${facts.clipId}: ${got.bytes} bytes, ${facts.bytes} expected`,
          {
            clipId: facts.clipId,
            expected: facts.bytes,
            actual: got.bytes,
          },
        );
      }
      const manifest = await this.#place('blobs', writer.paths.part, this.#manifest(facts));
      await writer.discard();
      return this.#indexVerified(manifest, prev, opts.actor);
    });
  }

  /**
   * Finish a clip whose blob is already in the store (a crash after the link, or identical bytes
   * already held) without transferring it again. Re-hashes the blob first. Returns undefined if
   * the store does not hold these bytes.
   */
  async commitExisting(factsIn: ClipFactsInput, opts: ActorOpt = {}): Promise<ClipRecord | undefined> {
    const facts = parseFacts(factsIn);
    return this.#locks.run(facts.clipId, async () => {
      const prev = await this.index.get(facts.clipId);
      const done = this.#sameClipAsBefore(prev, facts);
      if (done) {
        await this.#dropStaleTransfer(facts);
        return done;
      }
      const path = this.layout.blobPath('blobs', facts.sha256);
      const got = await hashFileIfExists(path);
      if (!got) return undefined;
      if (got.sha256 !== facts.sha256 || got.bytes !== facts.bytes) {
        if (got.sha256 !== facts.sha256) this.#alteredBlob(path, facts.sha256, got.sha256);
        return undefined;
      }
      const { manifest } = await ensureSidecar(this.layout, 'blobs', this.#manifest(facts));
      await fsyncDir(this.layout.dirFor('blobs', facts.sha256));
      const record = await this.#indexVerified(manifest, prev, opts.actor);
      await this.#dropStaleTransfer(facts);
      return record;
    });
  }

  /**
   * Store a file that is already on disk (a camera segment) with the same custody: copied through
   * a temp writer (resumable), verified and committed. Without `sha256`/`bytes` the source file is
   * hashed first, so the copy is still checked against an independent read.
   */
  async ingestFile(
    path: string,
    factsIn: Omit<ClipFactsInput, 'sha256' | 'bytes'> & { sha256?: string; bytes?: number },
    opts: ActorOpt = {},
  ): Promise<ClipRecord> {
    let { sha256, bytes } = factsIn;
    if (sha256 === undefined || bytes === undefined) {
      const h = await hashFile(path);
      sha256 ??= h.sha256;
      bytes ??= h.bytes;
    }
    const facts = parseFacts({ ...factsIn, sha256, bytes });
    const existing = await this.commitExisting(facts, opts);
    if (existing) return existing;
    const writer = await this.createTempWriter({
      clipId: facts.clipId,
      source: facts.source,
      expectedBytes: facts.bytes,
    });
    try {
      await pipeline(createReadStream(path, { start: writer.offset, highWaterMark: 1024 * 1024 }), writer);
    } catch (err) {
      await writer.abort();
      throw err;
    }
    try {
      return await this.commit(writer, facts, opts);
    } catch (err) {
      // The source file is still there: a bad copy is simply thrown away.
      if (err instanceof StoreError && (err.code === 'HASH_MISMATCH' || err.code === 'SIZE_MISMATCH')) {
        await writer.discard();
      }
      throw err;
    }
  }

  /**
   * Keep the bytes of a clip whose recorder keeps lying about its hash (#4 "Ingest"): moved to
   * quarantine/ under their real hash, never deleted, never released; the clip is marked
   * quarantined with `reason`. `facts` carry what the recorder claimed.
   */
  async quarantine(
    writer: TempWriter,
    factsIn: ClipFactsInput,
    reason: string,
    opts: ActorOpt = {},
  ): Promise<ClipRecord> {
    const facts = parseFacts(factsIn);
    if (!reason.trim()) throw new StoreError('BAD_REQUEST', 'a quarantine needs a reason');
    return this.#locks.run(facts.clipId, async () => {
      const prev = await this.index.get(facts.clipId);
      this.#checkSource(prev, facts);
      if (prev?.state === 'verified') {
        throw new StoreError('CONFLICT', `clip ${facts.clipId} is already verified`, {
          clipId: facts.clipId,
        });
      }
      const got = await writer.finish();
      const at = new Date(this.#now()).toISOString();
      const candidate: ClipManifest = {
        ...this.#manifest(facts),
        sha256: got.sha256,
        bytes: got.bytes,
        quarantine: { claimedSha256: facts.sha256, claimedBytes: facts.bytes, reason, at },
      };
      const manifest = await this.#place('quarantine', writer.paths.part, candidate);
      await writer.discard();
      const heldRel = this.layout.rel(this.layout.blobPath('quarantine', got.sha256));
      const record = quarantinedRecord(manifest, heldRel, prev);
      await this.#appendOnce(
        {
          type: 'quarantine',
          actor: opts.actor ?? 'gateway',
          subject: clipSubject(facts.clipId),
          details: {
            reason: manifest.quarantine!.reason,
            claimedSha256: facts.sha256,
            claimedBytes: facts.bytes,
            actualSha256: got.sha256,
            actualBytes: got.bytes,
            source: `${facts.source.kind}:${facts.source.id}`,
            sessionId: facts.sessionId,
            officerId: facts.officer?.id,
            path: heldRel,
          },
        },
        this.index.opsFor(prev, record),
        (e) => e.details.actualSha256 === got.sha256,
      );
      this.#log?.warn({ clipId: facts.clipId, reason, actual: got.sha256 }, 'clip quarantined');
      return record;
    });
  }

  /**
   * PROTOCOL.md §3.9.3: the recorder now describes a clip (`bytes`/`sha256`) otherwise than the
   * CLIP_INFO its partial transfer was fetched against, so those bytes are not a prefix of the
   * clip as it now is. They still came off an enforcement recorder: they are moved, never deleted,
   * to discarded/<key>.<time>.part (0400) with a JSON note beside it, and audited
   * (`partial-discarded`, with their hash); the next transfer starts from 0. Undefined when no
   * partial bytes were held. CONFLICT while a writer of the clip is open.
   */
  async setAsidePartial(
    req: {
      clipId: string;
      source: ClipSourceT;
      reason: string;
      recorded: { sha256: string; bytes: number };
      reported: { sha256: string; bytes: number };
    },
    opts: ActorOpt = {},
  ): Promise<{ path: string; bytes: number; sha256: string } | undefined> {
    const source = parseOr(ClipSource, req.source, 'source');
    const clipId = parseOr(ClipFacts.shape.clipId, req.clipId, 'clipId');
    if (!req.reason.trim()) throw new StoreError('BAD_REQUEST', 'setting a partial aside needs a reason');
    const key = this.layout.tempKey(source, clipId);
    return this.#locks.run(clipId, async () => {
      if (this.#writers.has(key)) {
        throw new StoreError('CONFLICT', `a transfer of clip ${clipId} is open`, { clipId, key });
      }
      const paths = this.layout.tempPaths(key);
      const size = await stat(paths.part).then(
        (s) => s.size,
        () => -1,
      );
      if (size <= 0) {
        // Nothing was received: nothing to keep.
        await unlinkIfExists(paths.part);
        await unlinkIfExists(paths.state);
        return undefined;
      }
      await mkdirDurable(this.layout.discardedDir);
      const at = new Date(this.#now()).toISOString();
      const dest = join(this.layout.discardedDir, `${key}.${at.replace(/[:.]/g, '-')}.part`);
      await chmod(paths.part, 0o400);
      await rename(paths.part, dest);
      const { sha256, bytes } = await hashFile(dest);
      const rel = this.layout.rel(dest);
      const note = {
        v: 1,
        clipId,
        source,
        reason: req.reason,
        at,
        sha256,
        bytes,
        recorded: req.recorded,
        reported: req.reported,
      };
      await writeFileNoClobber(this.layout.tmpDir, `${dest}.json`, `${JSON.stringify(note, null, 2)}\n`);
      await fsyncDir(this.layout.discardedDir);
      await unlinkIfExists(paths.state);
      await fsyncDir(this.layout.tmpDir);
      await this.audit.append({
        type: 'partial-discarded',
        actor: opts.actor ?? 'gateway',
        subject: clipSubject(clipId),
        details: {
          reason: req.reason,
          source: `${source.kind}:${source.id}`,
          recordedSha256: req.recorded.sha256,
          recordedBytes: req.recorded.bytes,
          reportedSha256: req.reported.sha256,
          reportedBytes: req.reported.bytes,
          keptSha256: sha256,
          keptBytes: bytes,
          path: rel,
        },
      });
      this.#log?.warn({ clipId, path: rel, bytes, reason: req.reason }, 'partial transfer set aside');
      return { path: rel, bytes, sha256 };
    });
  }

  // ---- clips known but not yet uploaded (R22) --------------------------------------------------

  /**
   * A clip the store does not hold yet (MQTT segment-closed, dock CLIP_INFO): state on-recorder,
   * deadline = end + 24 h. Re-announcing updates the facts of a pending clip; a verified clip
   * with another hash is a CONFLICT.
   */
  async announce(factsIn: ClipFactsInput): Promise<ClipRecord> {
    const facts = parseFacts(factsIn);
    return this.#locks.run(facts.clipId, async () => {
      const prev = await this.index.get(facts.clipId);
      this.#checkSource(prev, facts);
      if (prev && !isPending(prev)) {
        if (prev.state === 'verified' && prev.sha256 !== facts.sha256) {
          throw new StoreError('CONFLICT', `clip ${facts.clipId} is verified with another hash`, {
            clipId: facts.clipId,
            stored: prev.sha256,
            announced: facts.sha256,
          });
        }
        return prev;
      }
      const next: ClipRecord = prev
        ? {
            ...prev,
            ...factsOf(facts),
            deadline: deadlineOf(facts.end),
            uploadedBytes: prev.sha256 === facts.sha256 ? prev.uploadedBytes : 0,
          }
        : pendingRecord(facts);
      await this.#db.batch(this.index.opsFor(prev, next), { sync: true });
      return next;
    });
  }

  /**
   * Upload progress (bytes safely on the gateway, e.g. a checkpointed offset). A clip already
   * verified or quarantined is left as it is. Not fsynced: progress is advisory.
   */
  async markUploading(clipId: string, uploadedBytes: number): Promise<ClipRecord> {
    return this.#locks.run(clipId, async () => {
      const prev = await this.index.get(clipId);
      if (!prev) throw new StoreError('NOT_FOUND', `clip ${clipId} was never announced`, { clipId });
      if (!isPending(prev)) return prev;
      const next: ClipRecord = { ...prev, state: 'uploading', uploadedBytes: Math.max(0, uploadedBytes) };
      await this.#db.batch(this.index.opsFor(prev, next));
      return next;
    });
  }

  // ---- custody after storage -------------------------------------------------------------------

  /**
   * Log that the recorder may free the clip (R22: only after the gateway verified its hash).
   * NOT_VERIFIED for any clip that is not verified: the ingest must not send RELEASE then.
   */
  async recordRelease(clipId: string, opts: ActorOpt & { details?: Record<string, unknown> } = {}) {
    const record = await this.index.get(clipId);
    if (record?.state !== 'verified') {
      throw new StoreError(
        'NOT_VERIFIED',
        `clip ${clipId} is ${record?.state ?? 'unknown'}; not releasable`,
        {
          clipId,
          state: record?.state ?? null,
        },
      );
    }
    return this.audit.append({
      type: 'release',
      actor: opts.actor ?? 'gateway',
      subject: clipSubject(clipId),
      details: {
        ...opts.details,
        sha256: record.sha256,
        source: `${record.source.kind}:${record.source.id}`,
      },
    });
  }

  /**
   * The one way to read a clip's bytes: logs who and why first (R24), then opens the original
   * read-only. Quarantined clips open their latest held copy (for investigation).
   */
  async openClip(clipId: string, accessIn: ClipAccess): Promise<OpenedClip> {
    const accessed = await this.accessClip(clipId, accessIn);
    return { ...accessed, stream: this.readChecked(accessed, 'serve') };
  }

  /**
   * What openClip does before it reads: logs who and why (R24) and locates the original, for a
   * reader that checks the bytes itself (an evidence export hashes them on worker threads and
   * calls isolateAltered on a mismatch).
   */
  async accessClip(clipId: string, accessIn: ClipAccess): Promise<AccessedClip> {
    const access = parseOr(ClipAccess, accessIn, 'access');
    const record = await this.index.get(clipId);
    if (!record) throw new StoreError('NOT_FOUND', `no clip ${clipId}`, { clipId });
    if (record.state === 'verified' && record.evicted) return this.#accessArchived(record, access);
    let area: Area;
    let sha256: string;
    let bytes: number;
    if (record.state === 'verified') {
      [area, sha256, bytes] = ['blobs', record.sha256, record.bytes];
    } else if (record.state === 'quarantined' && record.quarantine?.held.length) {
      const held = record.quarantine.held[record.quarantine.held.length - 1]!;
      [area, sha256, bytes] = ['quarantine', held.sha256, held.bytes];
    } else {
      throw new StoreError('NOT_VERIFIED', `clip ${clipId} is not on the gateway yet`, { clipId });
    }
    const path = this.layout.blobPath(area, sha256);
    await stat(path).catch((err) => {
      throw isErrno(err, 'ENOENT')
        ? new StoreError('STORE_CORRUPT', `blob of clip ${clipId} is missing: ${path}`, { clipId, path })
        : err;
    });
    const audit = await this.audit.append({
      type: 'clip-access',
      actor: access.actor,
      subject: clipSubject(clipId),
      details: { action: access.action, reason: access.reason, role: access.role, sha256, area },
    });
    return { area, path, sha256, bytes, record, audit };
  }

  /** Where evicted originals are read from (the archive, wired by the composition root). */
  setRemote(remote: RemoteOriginals): void {
    this.#remote = remote;
  }

  async #accessArchived(record: ClipRecord, access: ClipAccess): Promise<AccessedClip> {
    const at = record.evicted!;
    if (!this.#remote)
      throw new StoreError(
        'UNAVAILABLE',
        `clip ${record.clipId} is in the archive, which is not configured`,
        {
          clipId: record.clipId,
        },
      );
    const ref: BlobRef = {
      area: 'archive',
      path: archivedName(at),
      sha256: record.sha256,
      bytes: record.bytes,
      archived: at,
    };
    const audit = await this.audit.append({
      type: 'clip-access',
      actor: access.actor,
      subject: clipSubject(record.clipId),
      details: {
        action: access.action,
        reason: access.reason,
        role: access.role,
        sha256: record.sha256,
        area: 'archive',
        key: at.key,
        versionId: at.versionId,
      },
    });
    return { ...ref, record, audit };
  }

  /**
   * The whole original, hashed while it streams; on a mismatch the stream fails before its last
   * chunk and the blob is isolated (an altered original, altered.ts) or reported (a held copy or
   * an archived version).
   */
  readChecked(ref: BlobRef, detectedBy: string): Readable {
    if (ref.area !== 'archive')
      return checkedReadStream(ref.path, ref, () => this.#mismatch(ref, detectedBy));
    const check = new HashCheck(ref, (found) => this.#archivedMismatch(ref, found), 'archived original');
    this.#openRemote(ref).then(
      (src) => pipeline(src, check).catch(() => {}),
      (err: unknown) => check.destroy(err as Error),
    );
    return check;
  }

  /** One byte range of an original (after `checkWhole` has checked it whole). */
  async readRange(ref: BlobRef, start: number, end: number): Promise<Readable> {
    if (ref.area === 'archive') return this.#openRemote(ref, { start, end });
    return createReadStream(ref.path, { start, end });
  }

  #openRemote(ref: BlobRef, range?: { start: number; end: number }): Promise<Readable> {
    if (!this.#remote || !ref.archived)
      return Promise.reject(new StoreError('UNAVAILABLE', 'the archive is not configured'));
    return this.#remote.open(ref.archived, range);
  }

  #archivedMismatch(ref: BlobRef, found: { sha256: string | null; bytes: number }): void {
    if (ref.archived) this.#remote?.mismatch(ref.archived, ref, found);
  }

  /**
   * Re-hash one original whole (before serving byte ranges, which cannot be checked one by one).
   * Returns the file's stat after the check; STORE_CORRUPT when missing or altered (then isolated).
   */
  async checkWhole(ref: BlobRef, detectedBy: string): Promise<Stats | undefined> {
    if (ref.area === 'archive') {
      // Read whole through the same check as a full response; the bytes go nowhere.
      for await (const _ of this.readChecked(ref, detectedBy)) {
      }
      return undefined;
    }
    const before = await stat(ref.path).catch((err) => {
      throw isErrno(err, 'ENOENT')
        ? new StoreError('STORE_CORRUPT', `original is missing: ${this.layout.rel(ref.path)}`, {
            path: this.layout.rel(ref.path),
          })
        : err;
    });
    const got = await hashFile(ref.path);
    if (got.sha256 !== ref.sha256 || got.bytes !== ref.bytes) {
      this.#mismatch(ref, detectedBy);
      throw new StoreError('STORE_CORRUPT', 'stored original does not match its recorded hash; not served', {
        expected: ref.sha256,
        actual: got.sha256,
      });
    }
    return before;
  }

  /** Move an altered original out of blobs/ into quarantine and mark its clips (altered.ts). */
  async isolateAltered(sha256: string, opts: IsolateOpts): Promise<IsolatedBlob | undefined> {
    return isolateAltered(
      {
        layout: this.layout,
        index: this.index,
        audit: this.audit,
        locks: this.#locks,
        now: this.#now,
        log: this.#log,
        bus: this.#bus,
      },
      sha256,
      opts,
    );
  }

  #mismatch(ref: BlobRef, detectedBy: string): void {
    if (ref.area === 'blobs') {
      void this.isolateAltered(ref.sha256, { detectedBy }).catch((err: unknown) => {
        this.#log?.error({ err, sha256: ref.sha256 }, 'isolating an altered original failed');
      });
      return;
    }
    this.#bus?.emit('integrity.failed', {
      kind: 'altered-held',
      subject: `blob:${ref.sha256}`,
      message: `a quarantined copy (${this.layout.rel(ref.path)}) no longer matches its hash (R25)`,
      detectedBy,
      details: { path: this.layout.rel(ref.path), expectedSha256: ref.sha256 },
      audited: false,
    });
  }

  /**
   * Put a clip on legal hold for an approved export (R23): an index flag and a `legal-hold` audit
   * entry in one batch. Idempotent per export.
   */
  async placeLegalHold(clipId: string, hold: LegalHold, opts: ActorOpt = {}): Promise<ClipRecord> {
    return this.#locks.run(clipId, async () => {
      const prev = await this.index.get(clipId);
      if (!prev) throw new StoreError('NOT_FOUND', `no clip ${clipId}`, { clipId });
      const next = withHold(prev, hold);
      if (next === prev) return prev;
      await this.#appendOnce(
        {
          type: 'legal-hold',
          actor: opts.actor ?? 'gateway',
          subject: clipSubject(clipId),
          details: { exportId: hold.exportId, caseNo: hold.caseNo, sha256: prev.sha256 },
        },
        this.index.opsFor(prev, next),
        (e) => e.details.exportId === hold.exportId,
      );
      return next;
    });
  }

  /**
   * Evict a verified original whose archived version `to` the caller has just verified (archive/
   * eviction.ts): record and `archive` entry in one batch, then the blob unlinked (evicted.ts).
   * LEGAL_HOLD for a held clip (R23: never moved). Idempotent: an evicted clip whose blob is still
   * here (a crash after the batch) has it unlinked now. Returns the bytes freed.
   */
  async evict(clipId: string, to: ArchivedAt, opts: ActorOpt = {}): Promise<number> {
    return this.#locks.run(clipId, async () => {
      const prev = await this.index.get(clipId);
      if (!prev) throw new StoreError('NOT_FOUND', `no clip ${clipId}`, { clipId });
      if (prev.state !== 'verified')
        throw new StoreError('NOT_VERIFIED', `clip ${clipId} is not verified`, { clipId });
      // Already moved (a hold placed since does not bring the bytes back): finish the unlink only.
      if (prev.evicted) return unlinkEvictedBlob(this.layout, this.index, prev);
      assertMayRetire(prev, 'move');
      const next: ClipRecord = { ...prev, evicted: to };
      await this.#appendOnce(
        {
          type: 'archive',
          actor: opts.actor ?? 'gateway',
          subject: clipSubject(clipId),
          details: { action: 'evicted', sha256: prev.sha256, bytes: prev.bytes, ...to },
        },
        this.index.opsFor(prev, next),
        (e) => e.details.action === 'evicted',
        // The row must be durable before the blob goes: a lost batch would leave a missing blob.
        true,
      );
      return unlinkEvictedBlob(this.layout, this.index, next);
    });
  }

  /**
   * Bring an evicted original back from the archive (an evidence disc needs the file): read
   * through the hash check, linked into blobs/ only if every byte matched, then the record
   * forgets the eviction with an `archive`/`restored` entry. Room is asked of the reserve first.
   */
  async restore(clipId: string, opts: ActorOpt = {}): Promise<ClipRecord> {
    return this.#locks.run(clipId, async () => {
      const prev = await this.index.get(clipId);
      if (!prev) throw new StoreError('NOT_FOUND', `no clip ${clipId}`, { clipId });
      const at = prev.evicted;
      if (!at) return prev;
      const ref: BlobRef = {
        area: 'archive',
        path: archivedName(at),
        sha256: prev.sha256,
        bytes: prev.bytes,
        archived: at,
      };
      const here = await stat(this.layout.blobPath('blobs', prev.sha256)).then(
        () => true,
        () => false,
      );
      if (!here) {
        await this.disk.assertRoomFor(prev.bytes);
        await relinkBlob(this.layout, prev.sha256, this.readChecked(ref, 'restore'));
      }
      const { evicted: _, ...next } = prev;
      await this.audit.append(
        {
          type: 'archive',
          actor: opts.actor ?? 'gateway',
          subject: clipSubject(clipId),
          details: { action: 'restored', sha256: prev.sha256, key: at.key, versionId: at.versionId },
        },
        { ops: this.index.opsFor(prev, next), sync: true },
      );
      return next;
    });
  }

  /**
   * The gate every expiry or move of an original must pass (eviction to the archive is the one
   * move): LEGAL_HOLD for a clip held by an export (R23).
   */
  async assertMayRetire(clipId: string, action: RetireAction): Promise<void> {
    const r = await this.index.get(clipId);
    if (!r) throw new StoreError('NOT_FOUND', `no clip ${clipId}`, { clipId });
    assertMayRetire(r, action);
  }

  // ---- integrity ---------------------------------------------------------------------------------

  /** Re-hash every blob against the index, walk for orphans, check the audit chain (`gateway verify`). */
  async verify(
    opts: ActorOpt & { record?: boolean; limit?: RateLimit; signal?: AbortSignal } = {},
  ): Promise<VerifyReport> {
    const report = await verifyStore(
      { layout: this.layout, index: this.index, audit: this.audit },
      { ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    if (opts.record) {
      await this.audit.append({
        type: 'verify',
        actor: opts.actor ?? 'gateway',
        subject: `store:${this.layout.root}`,
        details: { ok: report.ok, summary: report.summary },
      });
    }
    return report;
  }

  /** Rebuild the clip index from blobs + sidecars (`gateway reindex`); pending clips are kept. */
  async reindex(opts: ActorOpt = {}): Promise<ReindexReport> {
    const report = await reindexStore({
      layout: this.layout,
      index: this.index,
      db: this.#db,
      log: this.#log,
      evictedTo: async (clipId, sha256) => {
        for (const e of await this.audit.bySubject(clipSubject(clipId))) {
          if (e.type !== 'archive' || e.details.action !== 'evicted' || e.details.sha256 !== sha256) continue;
          const at = ArchivedAt.safeParse(e.details);
          if (at.success) return at.data;
        }
        return undefined;
      },
    });
    await this.audit.append({
      type: 'reindex',
      actor: opts.actor ?? 'gateway',
      subject: `store:${this.layout.root}`,
      details: { ...report.summary },
    });
    return report;
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** The already-verified record when `facts` is the same clip again; throws if it contradicts it. */
  #sameClipAsBefore(prev: ClipRecord | undefined, facts: ClipFacts): ClipRecord | undefined {
    this.#checkSource(prev, facts);
    if (prev?.state !== 'verified') return undefined;
    if (prev.sha256 !== facts.sha256) {
      throw new StoreError('CONFLICT', `clip ${facts.clipId} is already stored with another hash`, {
        clipId: facts.clipId,
        stored: prev.sha256,
        offered: facts.sha256,
      });
    }
    return prev;
  }

  #checkSource(prev: ClipRecord | undefined, facts: ClipFacts): void {
    if (prev && (prev.source.kind !== facts.source.kind || prev.source.id !== facts.source.id)) {
      throw new StoreError('CONFLICT', `clip id ${facts.clipId} already belongs to another source`, {
        clipId: facts.clipId,
        stored: prev.source,
        offered: facts.source,
      });
    }
  }

  #manifest(facts: ClipFacts): ClipManifest {
    return { v: 1, ...factsOf(facts), ingestedAt: new Date(this.#now()).toISOString() };
  }

  /**
   * Link `tempPath` into `area` under `m.sha256` (no overwrite; if bytes are already there they
   * are re-hashed and must match), write the sidecar, fsync the directory.
   */
  async #place(area: Area, tempPath: string, m: ClipManifest): Promise<ClipManifest> {
    const dir = this.layout.dirFor(area, m.sha256);
    await mkdirDurable(dir);
    const dest = this.layout.blobPath(area, m.sha256);
    if (!(await linkNoClobber(tempPath, dest))) {
      const existing = await hashFile(dest);
      if (existing.sha256 !== m.sha256) {
        this.#alteredBlob(dest, m.sha256, existing.sha256);
        throw new StoreError('BLOB_EXISTS_DIFFERENT', `${dest} exists with other content; not overwritten`, {
          path: dest,
          expected: m.sha256,
          actual: existing.sha256,
          clipId: m.clipId,
        });
      }
    }
    const { manifest } = await ensureSidecar(this.layout, area, m);
    await fsyncDir(dir);
    return manifest;
  }

  /**
   * Appends `entry` with the index `ops` in its batch; after a crash between the audit fsync and the
   * index batch the entry exists already (same type and subject, `isSame`), so only `ops` are written.
   */
  async #appendOnce(
    entry: AuditInput,
    ops: BatchOp[],
    isSame: (e: AuditEntry) => boolean,
    sync = false,
  ): Promise<void> {
    const logged = (await this.audit.bySubject(entry.subject)).some(
      (e) => e.type === entry.type && isSame(e),
    );
    if (logged) await this.#db.batch(ops, { sync: true });
    else await this.audit.append(entry, { ops, sync });
  }

  async #indexVerified(
    manifest: ClipManifest,
    prev: ClipRecord | undefined,
    actor = 'gateway',
  ): Promise<ClipRecord> {
    const blobRel = this.layout.rel(this.layout.blobPath('blobs', manifest.sha256));
    const record = verifiedRecord(manifest, blobRel, prev);
    await this.#appendOnce(
      {
        type: 'ingest',
        actor,
        subject: clipSubject(manifest.clipId),
        details: {
          sha256: manifest.sha256,
          bytes: manifest.bytes,
          source: `${manifest.source.kind}:${manifest.source.id}`,
          sessionId: manifest.sessionId,
          officerId: manifest.officer?.id,
          caseNo: manifest.caseNo,
          start: manifest.start,
          end: manifest.end,
          path: blobRel,
        },
      },
      this.index.opsFor(prev, record),
      (e) => e.details.sha256 === manifest.sha256,
    );
    this.#bus?.emit('clip.stored', {
      clipId: record.clipId,
      sha256: record.sha256,
      source: record.source.kind,
    });
    return record;
  }

  /**
   * Clip rows ride in the audit entry's LevelDB batch, which is not synced (audit-log.ts). If a
   * power cut lost such a batch, the audit log rolled the entry forward on open; re-derive the
   * clip's rows from its sidecar here (blob and sidecar were durable before the entry was
   * written).
   */
  async #healFrom(entries: AsyncIterable<AuditEntry>): Promise<void> {
    // Runs in start(), before the store is used: no per-clip locks needed.
    let restored = 0;
    let ops: BatchOp[] = [];
    const pending = new Map<string, ClipRecord>();
    for await (const e of entries) {
      if (!e.subject.startsWith('clip:') || (e.type !== 'ingest' && e.type !== 'quarantine')) continue;
      const clipId = e.subject.slice('clip:'.length);
      const area: Area = e.type === 'ingest' ? 'blobs' : 'quarantine';
      const sha = e.type === 'ingest' ? e.details.sha256 : e.details.actualSha256;
      const m = typeof sha === 'string' ? await this.#findSidecar(area, sha, clipId) : undefined;
      const blob = typeof sha === 'string' ? this.layout.blobPath(area, sha) : '';
      const size = await stat(blob).then(
        (st) => st.size,
        () => -1,
      );
      if (!m || size !== m.bytes) {
        this.#log?.error(
          { seq: e.seq, clipId, blob },
          'cannot restore clip row: blob or sidecar missing (run verify)',
        );
        continue;
      }
      // No re-hash here (that is verify's job): a lost index of a big store must reopen quickly.
      const prev = pending.get(clipId) ?? (await this.index.get(clipId));
      const rel = this.layout.rel(blob);
      let record: ClipRecord;
      if (area === 'blobs') {
        if (prev?.state === 'verified') continue;
        record = verifiedRecord(m, rel, prev);
      } else {
        if (prev?.quarantine?.held.some((h) => h.sha256 === m.sha256)) continue;
        record = quarantinedRecord(m, rel, prev);
      }
      ops.push(...this.index.opsFor(prev, record));
      pending.set(clipId, record);
      restored++;
      if (ops.length >= 2000) {
        await this.#db.batch(ops);
        ops = [];
        pending.clear();
      }
    }
    await this.#db.batch(ops, { sync: true });
    if (restored > 0) {
      this.#log?.warn(
        { restored },
        'clip index rows restored from the audit log and sidecars after a lost batch',
      );
    }
  }

  async #findSidecar(area: Area, sha256: string, clipId: string): Promise<ClipManifest | undefined> {
    for (const path of await sidecarsFor(this.layout, area, sha256)) {
      const r = await readSidecar(path);
      if (r.kind === 'ok' && r.manifest.clipId === clipId) return r.manifest;
    }
    return undefined;
  }

  /** A partial transfer of a clip that is now verified is of no further use (crash leftovers). */
  async #dropStaleTransfer(facts: ClipFacts): Promise<void> {
    const key = this.layout.tempKey(facts.source, facts.clipId);
    if (this.#writers.has(key)) return;
    const paths = this.layout.tempPaths(key);
    await unlinkIfExists(paths.part);
    await unlinkIfExists(paths.state);
  }

  #alteredBlob(path: string, expected: string, actual: string): void {
    this.#log?.error({ path, expected, actual }, 'stored original does not match its hash (run verify)');
  }
}

export function clipSubject(clipId: string): string {
  return `clip:${clipId}`;
}

function parseFacts(input: ClipFactsInput): ClipFacts {
  return parseOr(ClipFacts, input, 'clip facts');
}

function parseOr<T>(
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } };
  },
  value: unknown,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new StoreError('BAD_REQUEST', `bad ${what}: ${r.error.message}`);
  return r.data;
}
