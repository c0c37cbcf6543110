/**
 * Replication of the originals to the central archive (S3 with Object Lock, COMPLIANCE mode): each
 * verified original with its sidecar manifest, every signed checkpoint with the audit log segment
 * it closes (the archive is one more witness, FORMATS.md §2), a legal hold for clips in an approved
 * export (R23). A copy counts once the archive checked the bytes it received against their SHA-256
 * (the signed payload hash, s3.ts: nothing is stored otherwise) and the bucket reports its lock; a
 * copy found already there (an item resumed after a crash) is read back whole instead. Reading
 * every copy back at once would send each byte through the uplink's far end twice for what the
 * receipt check already proved; a copy is read back whole before its local original is evicted
 * (verifyCopy), and a scheduled pass re-reads the archive in turn within a budget (readBackPass).
 * Queue in LevelDB, uploads in parallel under one bandwidth cap, busy hours; every action audited.
 * What the bucket's administrator can still do (purge locked objects) is detected by those
 * read-backs and by the checkpoints the other witnesses hold (README, "Archive").
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { AlertService } from '../alerts/service.js';
import type { Checkpoint } from '../custody/checkpoint.js';
import type { Witness } from '../custody/witnesses.js';
import { type Db, SYNCED } from '../db.js';
import type { ArchivedClip, EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import type { RemoteOriginals } from '../store/evicted.js';
import type { ArchivedAt, ClipRecord, ClipStore } from '../store/index.js';
import type { BatchOp } from '../store/keys.js';
import { type ArchiveConfig, inBusyHours } from './config.js';
import { type ArchiveJob, ArchiveQueue, type QueuedJob } from './queue.js';
import { PERMANENT_DAYS, retainUntil, retentionDays } from './retention.js';
import { type ArchiveBucket, ArchiveError, isNotFound, type ObjectRef, openArchiveBucket } from './s3.js';
import { BandwidthCap } from './throttle.js';

export const BACKLOG_RULE = 'archive-backlog';
export const MISMATCH_RULE = 'archive-mismatch';

export const ArchivedCopy = z.object({
  at: z.iso.datetime(),
  bucket: z.string(),
  key: z.string(),
  versionId: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
  retainUntil: z.iso.datetime(),
  legalHold: z.boolean(),
  sidecar: z.object({ key: z.string(), versionId: z.string() }).optional(),
});
export type ArchivedCopy = z.infer<typeof ArchivedCopy>;

export interface ArchiveStatus {
  enabled: boolean;
  endpoint?: string;
  bucket?: string;
  depth: number;
  oldestAgeMs: number;
  lastError?: string;
  busyNow: boolean;
  lastReplicatedAt?: string;
}

export interface ReadBackReport {
  checked: number;
  /** Bytes read back (archived versions, and current ones that differ). */
  bytes: number;
  bad: { subject: string; key: string; problem: string }[];
}

export interface ArchiveServiceOptions {
  config: ArchiveConfig;
  timeZone: string;
  db: Db;
  store: Pick<ClipStore, 'index' | 'audit' | 'layout'>;
  bus: EventBus;
  alerts: Pick<AlertService, 'raise' | 'clear'>;
  log: Logger;
  /** The clips of an export, to hold them in the archive when it is approved (R23). */
  exportClips?: (exportId: string) => Promise<string[]>;
  /**
   * Queues a `clip.archived` report upstream, writing `ops` (the clip's archived state) in the same
   * synced batch (the uplink's outbox). The bus event follows for everyone else.
   */
  report?: (e: ArchivedClip, ops: BatchOp[]) => Promise<void>;
  now?: () => number;
}

const sha256Of = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bufferBody = (b: Buffer) => ({ body: () => b, sha256: sha256Of(b), bytes: b.length });

type Lock = Awaited<ReturnType<ArchiveBucket['lockOf']>>;

/** ARCHIVE_UNLOCKED unless the bucket reports COMPLIANCE retention reaching `until` (1 s slack). */
function assertLockedUntil(key: string, lock: Lock, until: Date): Lock & { retainUntil: Date } {
  if (lock.mode !== 'COMPLIANCE' || !lock.retainUntil || lock.retainUntil.getTime() < until.getTime() - 1000)
    throw new ArchiveError(
      'ARCHIVE_UNLOCKED',
      `${key}: lock ${lock.mode ?? 'none'} until ${lock.retainUntil?.toISOString() ?? '-'}, needed ${until.toISOString()}`,
    );
  return lock as Lock & { retainUntil: Date };
}

export class ArchiveService implements Service {
  readonly name = 'archive';
  readonly queue: ArchiveQueue;
  readonly #o: ArchiveServiceOptions;
  readonly #done;
  #bucket?: ArchiveBucket;
  #stopped = true;
  #loop?: Promise<void>;
  #wake?: () => void;
  #timer?: NodeJS.Timeout;
  #lastOk?: number;
  #bucketReady: Promise<void> | undefined;
  readonly #cap: BandwidthCap;
  readonly #activeClips = new Map<string, Promise<void>>();
  #readBackTimer?: NodeJS.Timeout;
  #readBackRunning?: Promise<ReadBackReport>;
  #offs: (() => void)[] = [];
  /** A checkpoint witness: hands each new checkpoint to the durable queue. */
  readonly witness: Witness;
  /** Tests only: runs right after a clip's archived state is durable (a crash there). */
  faultAfterRecord?: (clipId: string) => void;

  constructor(opts: ArchiveServiceOptions) {
    this.#o = opts;
    this.queue = new ArchiveQueue(opts.db);
    this.#cap = new BandwidthCap(opts.config.bandwidthBytesPerSec);
    this.#done = opts.db.sublevel<string, unknown>('archive-done', { valueEncoding: 'json' });
    const name = `s3:${opts.config.endpoint ?? ''}/${opts.config.bucket}`;
    this.witness = {
      name,
      deliver: async (cp: Checkpoint) => {
        await this.enqueue({
          kind: 'checkpoint',
          treeSize: cp.treeSize,
          json: `${JSON.stringify(cp, null, 2)}\n`,
        });
      },
    };
  }

  get enabled(): boolean {
    return this.#o.config.endpoint !== undefined;
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }

  async start(): Promise<void> {
    const c = this.#o.config;
    if (!c.endpoint) return;
    if (!c.credentialsFile) throw new ArchiveError('ARCHIVE_MISSING', 'archive.credentialsFile is required');
    this.#bucket = await openArchiveBucket({
      ...c,
      endpoint: c.endpoint,
      credentialsFile: c.credentialsFile,
    });
    this.#stopped = false;
    this.#offs.push(
      this.#o.bus.on('clip.stored', (e) => void this.enqueue({ kind: 'clip', clipId: e.clipId })),
      this.#o.bus.on('export.changed', (e) => {
        if (e.state === 'approved' && this.#o.exportClips)
          void this.#o
            .exportClips(e.id)
            .then((ids) => Promise.all(ids.map((clipId) => this.enqueue({ kind: 'hold', clipId }))));
      }),
    );
    await this.#catchUp();
    this.#timer = setInterval(() => void this.checkBacklog(), 60_000);
    this.#timer.unref();
    if (c.readBack.everyHours > 0) {
      this.#readBackTimer = setInterval(
        () =>
          void this.readBackPass().catch((err: unknown) =>
            this.#o.log.warn(
              { err: (err as Error).message },
              'scheduled read-back stopped; next pass resumes',
            ),
          ),
        c.readBack.everyHours * 3_600_000,
      );
      this.#readBackTimer.unref();
    }
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const off of this.#offs.splice(0)) off();
    if (this.#timer) clearInterval(this.#timer);
    if (this.#readBackTimer) clearInterval(this.#readBackTimer);
    this.#wake?.();
    await this.#loop;
    await this.#readBackRunning?.catch(() => undefined);
    this.#bucket?.destroy();
  }

  async enqueue(job: ArchiveJob): Promise<void> {
    await this.queue.add(job, this.#now());
    this.#wake?.();
  }

  /** Evicted originals are read from their archived version (the store's port). */
  readonly remote: RemoteOriginals = {
    open: (at, range) => {
      if (at.bucket !== this.#o.config.bucket)
        return Promise.reject(
          new ArchiveError('ARCHIVE_MISSING', `bucket ${at.bucket} is not this archive's`),
        );
      return this.#need().open(at.key, at.versionId, range);
    },
    mismatch: (at, expected, found) =>
      void this.#mismatch(
        `blob:${expected.sha256}`,
        at.key,
        `archived version ${at.versionId} read ${found.bytes} bytes hashing ${found.sha256 ?? '(cut short)'}`,
        'gateway',
      ).catch((err: unknown) => this.#o.log.error({ err }, 'archive mismatch not recorded')),
  };

  /** Where and when a clip's original was archived, or undefined. */
  async copyOf(clipId: string): Promise<ArchivedCopy | undefined> {
    const v = await this.#done.get(`clip!${clipId}`);
    return v === undefined ? undefined : ArchivedCopy.parse(v);
  }

  async status(): Promise<ArchiveStatus> {
    const c = this.#o.config;
    const s = await this.queue.stats(this.#now());
    return {
      enabled: this.enabled,
      endpoint: c.endpoint,
      bucket: c.endpoint ? c.bucket : undefined,
      ...s,
      busyNow: inBusyHours(new Date(this.#now()), c.busyHours, this.#o.timeZone),
      lastReplicatedAt: this.#lastOk ? new Date(this.#lastOk).toISOString() : undefined,
    };
  }

  /** Resolves when the queue holds nothing due (for tests and `gateway archive flush`). */
  async idle(): Promise<boolean> {
    return (await this.queue.next(this.#now())) === undefined;
  }

  /**
   * Reads back every archived original (the full pass, on demand): see #readBackCopy. Mismatches
   * and missing versions are alerted; an archive that cannot be reached stops the pass (an error,
   * never a mismatch).
   */
  async audit(actor = 'gateway'): Promise<ReadBackReport> {
    const report: ReadBackReport = { checked: 0, bytes: 0, bad: [] };
    for await (const [k, v] of this.#done.iterator({ gte: 'clip!', lt: 'clip!\xff' }))
      await this.#readBackCopy(k.slice(5), ArchivedCopy.parse(v), report, actor);
    await this.#audit('readback-audit', 'archive', actor, {
      checked: report.checked,
      bad: report.bad.length,
    });
    return report;
  }

  /**
   * The scheduled pass: reads back archived originals in clip id order from where the last pass
   * stopped, until `readBack.budgetMb` is read, wrapping at the end, so every copy is re-read in
   * turn (the whole archive once per archive size / budget passes). One pass at a time.
   */
  readBackPass(actor = 'gateway'): Promise<ReadBackReport> {
    this.#readBackRunning ??= this.#readBackPass(actor).finally(() => {
      this.#readBackRunning = undefined;
    });
    return this.#readBackRunning;
  }

  async #readBackPass(actor: string): Promise<ReadBackReport> {
    const budget = this.#o.config.readBack.budgetMb * 1_000_000;
    const report: ReadBackReport = { checked: 0, bytes: 0, bad: [] };
    const from = String((await this.#done.get('meta!readBackAfter')) ?? '');
    let last = from;
    let wrapped = false;
    const ranges = [
      { gt: from ? `clip!${from}` : 'clip!', lt: 'clip!\xff' },
      { gte: 'clip!', lte: from ? `clip!${from}` : 'clip!' },
    ];
    try {
      for (const range of ranges) {
        for await (const [k, v] of this.#done.iterator(range)) {
          if (report.bytes >= budget) return report;
          await this.#readBackCopy(k.slice(5), ArchivedCopy.parse(v), report, actor);
          last = k.slice(5);
        }
        if (!from) break;
        wrapped = true;
      }
      return report;
    } finally {
      if (last !== from) await this.#done.put('meta!readBackAfter', last);
      await this.#audit('readback-audit', 'archive', actor, {
        checked: report.checked,
        bad: report.bad.length,
        bytes: report.bytes,
        from: from || undefined,
        to: last || undefined,
        wrapped,
      });
    }
  }

  /**
   * The archived version read back whole and hashed (gone if the admin purged it), and the current
   * version (what a plain GET serves) compared by id: a later overwrite is read and hashed too.
   */
  async #readBackCopy(clipId: string, copy: ArchivedCopy, report: ReadBackReport, actor: string) {
    const bucket = this.#need();
    const subject = `clip:${clipId}`;
    report.checked++;
    const problems: string[] = [];
    const check = async (which: string, versionId: string) => {
      try {
        const rb = await bucket.readBack(copy.key, versionId);
        report.bytes += rb.bytes;
        if (rb.sha256 !== copy.sha256 || rb.bytes !== copy.bytes)
          problems.push(`${which} version hashes ${rb.sha256} (${rb.bytes} bytes)`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        problems.push(`${which} version missing`);
      }
    };
    await check('archived', copy.versionId);
    const current = await bucket.head(copy.key);
    if (!current) problems.push('current version missing');
    else if (current.versionId !== copy.versionId) await check('current', current.versionId);
    for (const problem of problems) {
      report.bad.push({ subject, key: copy.key, problem });
      await this.#mismatch(subject, copy.key, problem, actor);
    }
  }

  #need(): ArchiveBucket {
    if (!this.#bucket) throw new ArchiveError('ARCHIVE_MISSING', 'the archive is not configured');
    return this.#bucket;
  }

  async #catchUp(): Promise<void> {
    const queued = new Set<string>();
    for await (const v of this.queue.items()) if (v.job.kind === 'clip') queued.add(v.job.clipId);
    for await (const rec of this.#o.store.index.all()) {
      if (rec.state !== 'verified' || queued.has(rec.clipId)) continue;
      if ((await this.#done.get(`clip!${rec.clipId}`)) === undefined)
        await this.queue.add({ kind: 'clip', clipId: rec.clipId }, this.#now());
    }
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  /**
   * Up to `concurrency` originals are uploaded at once (one request's round trips and the server's
   * per-object work overlap the others' bytes; the bandwidth cap is shared). Checkpoints and holds
   * run alone (a checkpoint's log segment follows the last one's end; a hold needs its clip's copy
   * recorded first).
   */
  async #run(): Promise<void> {
    const c = this.#o.config;
    const inFlight = new Map<string, Promise<void>>();
    const oneDone = () => Promise.race(inFlight.values());
    while (!this.#stopped) {
      if (inBusyHours(new Date(this.#now()), c.busyHours, this.#o.timeZone)) {
        await (inFlight.size > 0 ? oneDone() : this.#sleep(60_000));
        continue;
      }
      const item = await this.queue.next(this.#now(), inFlight);
      if (!item || (item.job.kind !== 'clip' && inFlight.size > 0)) {
        await (inFlight.size > 0 ? oneDone() : this.#sleep(Math.min(c.retryMs, 30_000)));
        continue;
      }
      inFlight.set(
        item.key,
        this.#attempt(item).finally(() => inFlight.delete(item.key)),
      );
      if (item.job.kind !== 'clip' || inFlight.size >= c.concurrency) await oneDone();
    }
    await Promise.all(inFlight.values());
  }

  async #attempt(item: QueuedJob): Promise<void> {
    const c = this.#o.config;
    try {
      this.#bucketReady ??= this.#need().ensureBucket(c.createBucket);
      await this.#bucketReady.catch((err: unknown) => {
        this.#bucketReady = undefined;
        throw err;
      });
      await this.#process(item);
      await this.queue.done(item.key);
      this.#lastOk = this.#now();
    } catch (err) {
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (this.#stopped) return;
      this.#o.log.warn({ job: item.job.kind, err: msg.slice(0, 300) }, 'archive item failed; will retry');
      await this.queue.failed(item, msg, c.retryMs, this.#now());
    }
    await this.checkBacklog().catch((err: unknown) => this.#o.log.error({ err }, 'backlog check failed'));
  }

  /** Raises (or clears) the backlog alert from the queue's oldest item and the configured threshold. */
  async checkBacklog(): Promise<void> {
    const limit = this.#o.config.backlogAlertMinutes * 60_000;
    // The first item is the oldest: the whole queue is walked only when the alert is due.
    const first = await this.queue.oldest();
    const s =
      first && this.#now() - first.enqueuedAt > limit
        ? await this.queue.stats(this.#now())
        : { depth: 0, oldestAgeMs: 0, lastError: undefined };
    if (s.depth > 0 && s.oldestAgeMs > limit) {
      await this.#o.alerts.raise({
        rule: BACKLOG_RULE,
        subject: 'archive',
        severity: 'warning',
        message: `${s.depth} item(s) waiting for the archive, the oldest for ${Math.round(s.oldestAgeMs / 60_000)} min`,
        details: { depth: s.depth, oldestAgeMs: s.oldestAgeMs, lastError: s.lastError },
      });
    } else await this.#o.alerts.clear(BACKLOG_RULE, 'archive');
  }

  async #process(item: QueuedJob): Promise<void> {
    const job = item.job;
    // Marked before its first request: after a crash its writes may be there (unsynced: a power
    // cut can lose the mark, and then at worst a second identical version is written).
    const fresh = !item.started && item.attempts === 0;
    if (fresh && job.kind !== 'hold') await this.queue.started(item);
    if (job.kind === 'clip') return this.#replicateClip(job.clipId, fresh);
    if (job.kind === 'hold') return this.#hold(job.clipId);
    return this.#replicateCheckpoint(job.treeSize, job.json, fresh);
  }

  #key(...parts: string[]): string {
    return [this.#o.config.office, ...parts].join('/');
  }

  /**
   * Writes, checked on receipt against `sha256` (s3.ts); or, when the key already claims these
   * bytes (an item resumed after a crash or a failed attempt, or anyone's write), reads that version
   * back whole and hashes it. Then checks the lock the bucket reports outlives `until`. A `fresh`
   * item (never started before) skips the look: nothing of it can be there yet.
   */
  async #putVerified(w: {
    key: string;
    body: () => Readable | Buffer;
    sha256: string;
    bytes: number;
    until: Date;
    legalHold: boolean;
    fresh: boolean;
  }): Promise<ObjectRef> {
    const { key, sha256, bytes, until, legalHold } = w;
    const bucket = this.#need();
    const head = w.fresh ? undefined : await bucket.head(key);
    let ref: ObjectRef;
    if (head && head.sha256 === sha256) {
      ref = { bucket: bucket.bucket, key, versionId: head.versionId };
      const rb = await bucket.readBack(key, ref.versionId);
      if (rb.sha256 !== sha256 || rb.bytes !== bytes)
        throw new ArchiveError(
          'ARCHIVE_MISMATCH',
          `${key}: read back ${rb.bytes} bytes hashing ${rb.sha256}`,
        );
    } else {
      const b = w.body();
      const stream = Buffer.isBuffer(b) || this.#cap.bytesPerSec <= 0 ? b : b.pipe(this.#cap.stream());
      ref = await bucket.put({ key, body: stream, bytes, sha256, retainUntil: until, legalHold });
    }
    const lock = assertLockedUntil(key, await bucket.lockOf(ref, legalHold), until);
    if (legalHold && !lock.legalHold) await bucket.holdOn(ref);
    return ref;
  }

  /** One clip's items one at a time (a hold can queue a second item while the first is in flight). */
  async #replicateClip(clipId: string, fresh: boolean): Promise<void> {
    const running = this.#activeClips.get(clipId);
    if (running) await running.catch(() => undefined);
    const run = this.#replicateClipOnce(clipId, fresh && !running);
    this.#activeClips.set(clipId, run);
    try {
      await run;
    } finally {
      if (this.#activeClips.get(clipId) === run) this.#activeClips.delete(clipId);
    }
  }

  async #replicateClipOnce(clipId: string, fresh: boolean): Promise<void> {
    const rec = await this.#o.store.index.get(clipId);
    if (rec?.state !== 'verified' || !rec.blob) return;
    if ((await this.#done.get(`clip!${clipId}`)) !== undefined) return;
    const blobPath = this.#o.store.layout.abs(rec.blob);
    const held = (rec.legalHolds ?? []).length > 0;
    const until = this.#retainUntil(rec, held);
    const key = this.#key('originals', rec.sha256);
    const { size } = await stat(blobPath);
    const sidecarBytes = await this.#sidecar(rec);
    const [ref, sidecarRef] = await Promise.all([
      this.#putVerified({
        key,
        body: () => createReadStream(blobPath),
        sha256: rec.sha256,
        bytes: size,
        until,
        legalHold: held,
        fresh,
      }),
      sidecarBytes
        ? this.#putVerified({
            key: this.#key('originals', `${rec.sha256}.${clipId}.json`),
            body: () => sidecarBytes,
            sha256: sha256Of(sidecarBytes),
            bytes: sidecarBytes.length,
            until,
            legalHold: held,
            fresh,
          })
        : undefined,
    ]);
    const copy: ArchivedCopy = {
      at: new Date(this.#now()).toISOString(),
      bucket: ref.bucket,
      key,
      versionId: ref.versionId,
      sha256: rec.sha256,
      bytes: size,
      retainUntil: until.toISOString(),
      legalHold: held,
      sidecar: sidecarRef ? { key: sidecarRef.key, versionId: sidecarRef.versionId } : undefined,
    };
    await this.#record(rec, copy);
    await this.#audit('replicated', `clip:${clipId}`, 'gateway', { ...copy, at: undefined });
    this.#o.bus.emit('clip.archived', this.#archivedEvent(rec, copy));
  }

  /**
   * The clip's "archived" state and its report to the province (PROTOCOL.md §7.2) in one synced
   * batch: a crash between the two would leave a copy central never hears of (the far side drops a
   * repeat by seq, never a gap). Without an uplink, the state alone.
   */
  async #record(rec: ClipRecord, copy: ArchivedCopy): Promise<void> {
    const ops: BatchOp[] = [{ type: 'put', sublevel: this.#done, key: `clip!${rec.clipId}`, value: copy }];
    if (this.#o.report) await this.#o.report(this.#archivedEvent(rec, copy), ops);
    else await this.#o.db.batch(ops, SYNCED);
    this.faultAfterRecord?.(rec.clipId);
  }

  /** Where the copy is, for the bus and the province. */
  #archivedEvent(rec: ClipRecord, copy: ArchivedCopy): ArchivedClip {
    return {
      clipId: rec.clipId,
      bucket: copy.bucket,
      key: copy.key,
      versionId: copy.versionId,
      sha256: copy.sha256,
      bytes: copy.bytes,
      retainUntil: copy.retainUntil,
      legalHold: copy.legalHold,
      source: rec.source,
      activity: rec.activity ?? null,
      start: new Date(rec.start).toISOString(),
      end: new Date(rec.end).toISOString(),
    };
  }

  /** The date the archive must keep a clip's original to, by the retention rules (unheld). */
  requiredUntil(rec: ClipRecord): Date {
    return this.#retainUntil(rec, (rec.legalHolds ?? []).length > 0);
  }

  /**
   * Re-verifies an archived copy now: the version reads back whole to its SHA-256 and length, and
   * the bucket reports COMPLIANCE retention reaching at least `until`. ARCHIVE_* errors otherwise.
   */
  async verifyCopy(copy: ArchivedCopy, until: Date): Promise<ArchivedAt> {
    const bucket = this.#need();
    const rb = await bucket.readBack(copy.key, copy.versionId);
    if (rb.sha256 !== copy.sha256 || rb.bytes !== copy.bytes)
      throw new ArchiveError(
        'ARCHIVE_MISMATCH',
        `${copy.key}: read back ${rb.bytes} bytes hashing ${rb.sha256}`,
      );
    const lock = assertLockedUntil(copy.key, await bucket.lockOf(copy, false), until);
    return {
      at: new Date(this.#now()).toISOString(),
      bucket: copy.bucket,
      key: copy.key,
      versionId: copy.versionId,
      retainUntil: lock.retainUntil.toISOString(),
    };
  }

  #retainUntil(rec: ClipRecord, held: boolean): Date {
    const days = retentionDays(
      { activity: rec.activity, flags: held ? ['evidence'] : [] },
      this.#o.config.retention,
    );
    return retainUntil(new Date(rec.ingestedAt ?? this.#now()), days);
  }

  async #sidecar(rec: ClipRecord): Promise<Buffer | undefined> {
    const layout = this.#o.store.layout;
    for (const p of [
      layout.sidecarPath('blobs', rec.sha256, rec.clipId),
      layout.sidecarPath('blobs', rec.sha256),
    ]) {
      try {
        const b = await readFile(p);
        if (b.length <= 1 << 20 && JSON.parse(b.toString('utf8')).clipId === rec.clipId) return b;
      } catch {
        // the other name
      }
    }
    return undefined;
  }

  async #hold(clipId: string): Promise<void> {
    const copy = await this.copyOf(clipId);
    if (!copy) {
      // Not archived yet: the clip's own item applies the hold (its record holds it by then).
      const rec = await this.#o.store.index.get(clipId);
      if (rec?.state === 'verified') await this.queue.add({ kind: 'clip', clipId }, this.#now());
      return;
    }
    if (copy.legalHold) return;
    const bucket = this.#need();
    await bucket.holdOn(copy);
    if (copy.sidecar) await bucket.holdOn({ bucket: copy.bucket, ...copy.sidecar });
    const lock = await bucket.lockOf(copy);
    if (!lock.legalHold) throw new ArchiveError('ARCHIVE_UNLOCKED', `${copy.key}: legal hold not reported`);
    const held = { ...copy, legalHold: true };
    const rec = await this.#o.store.index.get(clipId);
    if (rec) await this.#record(rec, held);
    else await this.#done.put(`clip!${clipId}`, held);
    await this.#audit('legal-hold', `clip:${clipId}`, 'gateway', {
      key: copy.key,
      versionId: copy.versionId,
    });
    if (rec) this.#o.bus.emit('clip.archived', this.#archivedEvent(rec, held));
  }

  async #replicateCheckpoint(treeSize: number, json: string, fresh: boolean): Promise<void> {
    const until = retainUntil(new Date(this.#now()), PERMANENT_DAYS);
    const body = Buffer.from(json, 'utf8');
    const cpKey = this.#key('checkpoints', `checkpoint-${treeSize}.json`);
    const cp = await this.#putVerified({ ...bufferBody(body), key: cpKey, until, legalHold: false, fresh });
    // The log lines this checkpoint seals since the last one archived, as one segment.
    const from = Number((await this.#done.get('meta!segmentEnd')) ?? 0);
    let segment: { key: string; versionId: string } | undefined;
    if (treeSize > from) {
      const lines = await this.#auditLines(from, treeSize);
      const seg = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
      const segKey = this.#key(
        'audit',
        `audit-${String(from + 1).padStart(10, '0')}-${String(treeSize).padStart(10, '0')}.jsonl`,
      );
      const ref = await this.#putVerified({
        ...bufferBody(seg),
        key: segKey,
        until,
        legalHold: false,
        fresh,
      });
      segment = { key: ref.key, versionId: ref.versionId };
      await this.#done.put('meta!segmentEnd', treeSize);
    }
    await this.#done.put(`checkpoint!${String(treeSize).padStart(12, '0')}`, {
      key: cp.key,
      versionId: cp.versionId,
    });
    await this.#audit('checkpoint-replicated', `checkpoint:${treeSize}`, 'gateway', {
      key: cp.key,
      versionId: cp.versionId,
      segment,
    });
  }

  /** Lines [from, to) of the audit log (entry seq n is line n-1). */
  async #auditLines(from: number, to: number): Promise<string[]> {
    const out: string[] = [];
    const rl = createInterface({
      input: createReadStream(this.#o.store.layout.auditFile),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let i = 0;
    for await (const line of rl) {
      if (i >= to) break;
      if (i >= from && line.length > 0) out.push(line);
      i++;
    }
    rl.close();
    return out;
  }

  async #mismatch(subject: string, key: string, problem: string, actor: string): Promise<void> {
    await this.#audit('readback-failed', subject, actor, { key, problem });
    await this.#o.alerts.raise({
      rule: MISMATCH_RULE,
      subject,
      severity: 'critical',
      message: `the archive's copy of ${subject} does not match: ${problem}`,
      details: { key, problem },
    });
  }

  async #audit(
    action: string,
    subject: string,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.#o.store.audit.append({ type: 'archive', actor, subject, details: { action, ...details } });
  }
}
