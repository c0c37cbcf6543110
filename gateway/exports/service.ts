/**
 * Evidence exports (R23, R24, R25): legal affairs (any clips) or an officer (clips of their own
 * sessions) request a disc for a case, naming the recipient and, for an outside body's retrieval,
 * who asked and on what basis (R24). The principal approves or refuses with a reason; nobody
 * decides on their own request (R25). On approval the clips go on legal hold and the disc is
 * built (disc.ts). Every step is an audit entry about `export:<id>`: request, approval or refusal,
 * build (and a failed build), each download of the image, each hand-over.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AlertService } from '../alerts/service.js';
import { type Db, timeSortableId } from '../db.js';
import { GatewayError } from '../errors.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import type { Role } from '../roles.js';
import type { ClipRecord, ClipStore } from '../store/index.js';
import { KeyedMutex } from '../store/mutex.js';
import type { PublicUser } from '../users.js';
import type { CustodyPort } from './custody-port.js';
import {
  type BuildProgress,
  buildDisc,
  type DiscDeps,
  type DiscFacts,
  type DiscPaths,
  discPaths,
  exportSubject,
  MANIFEST_PDF,
  RECEIPT,
} from './disc.js';
import { verifyingStream } from './hashed-stream.js';
import { ExportRepo } from './repo.js';
import {
  type ExportListQuery,
  ExportRecord,
  type ExportRequestBody,
  type ExportView,
  type Person,
  toExportView,
} from './schema.js';

export const EXPORT_SUPERVISORS: readonly Role[] = ['legal-affairs', 'principal', 'auditor'];
export const RULE_INTEGRITY = 'export-integrity';

export interface ExportServiceOptions {
  db: Db;
  store: Pick<ClipStore, 'index' | 'accessClip' | 'audit' | 'placeLegalHold' | 'isolateAltered' | 'restore'>;
  /** `<dataDir>/exports`: one work dir per export, the image inside it (0400). */
  dir: string;
  /** The custody service (checkpoints, proofs); a build fails UNAVAILABLE without it. */
  custody: () => CustodyPort | undefined;
  facts: DiscFacts & {
    hearingExists(id: string): Promise<boolean>;
    /** The session an interruption happened in (R28 referral of an obstruction). */
    interruption(id: string): Promise<{ sessionId: string | null } | undefined>;
  };
  verifierFiles: () => Promise<Record<'verify.html' | 'verify.mjs', Buffer>>;
  bus: EventBus;
  log: Logger;
  alerts?: Pick<AlertService, 'raise'>;
  /** Refuses (DISK_RESERVE) when an image of `bytes` would eat into the disk's reserve. */
  room?: (what: string, bytes: number) => Promise<void>;
  xorriso?: string;
  /** Originals unchanged since a whole hash matched are not re-hashed (disc.ts DiscDeps). */
  unchangedSinceHashed?: DiscDeps['unchangedSinceHashed'];
  now?: () => number;
}

export interface ImageDownload {
  info: NonNullable<ExportRecord['image']>;
  auditSeq: number;
  body: ReadableStream<Uint8Array>;
}

type Actor = Pick<PublicUser, 'username' | 'displayName' | 'roles'>;

export class ExportService implements Service {
  readonly name = 'exports';
  readonly #o: ExportServiceOptions;
  readonly #repo: ExportRepo;
  readonly #locks = new KeyedMutex();
  readonly #progress = new Map<string, BuildProgress>();
  readonly #builds = new Map<string, Promise<void>>();
  readonly #now: () => number;

  constructor(opts: ExportServiceOptions) {
    this.#o = opts;
    this.#repo = new ExportRepo(opts.db);
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    await mkdir(this.#o.dir, { recursive: true, mode: 0o700 });
    // A build cut short by a stop or crash is resumed (disc.ts): the approval stands (R25), the
    // restart is logged, and the disc gets the manifest its `export-built` entry names, if any.
    for await (const r of this.#repo.newestFirst()) {
      if (r.state !== 'building') continue;
      await this.#o.store.audit.append({
        type: 'export-resumed',
        actor: 'gateway',
        subject: exportSubject(r.id),
        details: { caseNo: r.caseNo, why: 'the gateway stopped while the disc was being built' },
      });
      this.#startBuild(r, true);
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#builds.values()]);
  }

  /** `gateway reindex`: an export the log holds and the index lacks (one still building resumes at start). */
  async restore(rec: ExportRecord): Promise<boolean> {
    if ((await this.#repo.get(rec.id)) !== undefined) return false;
    await this.#repo.put(ExportRecord.parse(rec));
    return true;
  }

  // ---- requests ----------------------------------------------------------------------------------

  async request(body: ExportRequestBody, user: Actor): Promise<ExportView> {
    const clipIds = await this.#expand(body);
    const records = await Promise.all(clipIds.map((id) => this.#o.store.index.get(id)));
    const missing = clipIds.filter((_, i) => !records[i]);
    if (missing.length > 0) {
      throw new GatewayError('NOT_FOUND', `no clip ${missing.slice(0, 10).join(', ')}`, { clipIds: missing });
    }
    const clips = records as ClipRecord[];
    if (!isSupervisor(user)) this.#assertOwnClips(clips, user);
    const pending = clips.filter((r) => r.state !== 'verified').map((r) => r.clipId);
    if (pending.length > 0) {
      throw new GatewayError(
        'CONFLICT',
        `not yet verified on the gateway: ${pending.slice(0, 10).join(', ')}; only stored originals go on a disc`,
        { clipIds: pending },
      );
    }
    const now = this.#now();
    const rec: ExportRecord = {
      id: timeSortableId(now),
      state: 'requested',
      requestedBy: person(user),
      requestedAt: new Date(now).toISOString(),
      caseNo: body.caseNo,
      purpose: body.purpose,
      recipient: body.recipient,
      ...(body.outsideRequest ? { outsideRequest: body.outsideRequest } : {}),
      sensitivity: body.sensitivity,
      clipIds,
      named: {
        sessionIds: body.sessionIds,
        hearingIds: body.hearingIds,
        ...(body.interruptionIds.length > 0 ? { interruptionIds: body.interruptionIds } : {}),
      },
    };
    await this.#repo.put(rec);
    await this.#o.store.audit.append({
      type: 'export-request',
      actor: user.username,
      subject: exportSubject(rec.id),
      details: {
        caseNo: rec.caseNo,
        purpose: rec.purpose,
        recipient: rec.recipient,
        outsideRequest: rec.outsideRequest,
        sensitivity: rec.sensitivity,
        clipIds,
        sessionIds: body.sessionIds,
        hearingIds: body.hearingIds,
        ...(body.interruptionIds.length > 0 ? { interruptionIds: body.interruptionIds } : {}),
        record: journaled(rec),
      },
    });
    this.#changed(rec);
    return this.#view(rec);
  }

  async list(user: Actor, q: ExportListQuery): Promise<ExportView[]> {
    const out: ExportView[] = [];
    for await (const r of this.#repo.newestFirst()) {
      if (q.state && r.state !== q.state) continue;
      if (!this.#maySee(user, r)) continue;
      out.push(this.#view(r));
      if (out.length >= q.limit) break;
    }
    return out;
  }

  async get(id: string, user: Actor): Promise<ExportView> {
    return this.#view(await this.#visible(id, user));
  }

  // ---- the principal's decision (R25) ------------------------------------------------------------

  async approve(id: string, user: Actor, note?: string): Promise<ExportView> {
    const rec = await this.#locks.run(id, async () => {
      const r = await this.#decidable(id, user);
      await this.#o.room?.(`evidence disc ${id}`, await this.#clipBytes(r.clipIds));
      const now = new Date(this.#now()).toISOString();
      const next: ExportRecord = {
        ...r,
        state: 'building',
        decidedBy: person(user),
        decidedAt: now,
        ...(note ? { reason: note } : {}),
        progress: { bytesDone: 0, bytesTotal: 0 },
      };
      await this.#o.store.audit.append({
        type: 'export-approval',
        actor: user.username,
        subject: exportSubject(id),
        details: {
          caseNo: r.caseNo,
          requestedBy: r.requestedBy.username,
          note,
          clips: r.clipIds.length,
          record: journaled(next),
        },
      });
      await this.#repo.put(next);
      return next;
    });
    // R23: on hold from the moment the release is approved, whatever happens to the build. In
    // parallel, so the entries share the audit log's group commits.
    const hold = { exportId: id, caseNo: rec.caseNo, at: rec.decidedAt!, by: user.username };
    for (let i = 0; i < rec.clipIds.length; i += 256) {
      await Promise.all(
        rec.clipIds
          .slice(i, i + 256)
          .map((clipId) => this.#o.store.placeLegalHold(clipId, hold, { actor: user.username })),
      );
    }
    this.#changed(rec);
    this.#startBuild(rec);
    return this.#view(rec);
  }

  async refuse(id: string, user: Actor, reason: string): Promise<ExportView> {
    const rec = await this.#locks.run(id, async () => {
      const r = await this.#decidable(id, user);
      const next: ExportRecord = {
        ...r,
        state: 'refused',
        decidedBy: person(user),
        decidedAt: new Date(this.#now()).toISOString(),
        reason,
      };
      await this.#o.store.audit.append({
        type: 'export-refused',
        actor: user.username,
        subject: exportSubject(id),
        details: { caseNo: r.caseNo, requestedBy: r.requestedBy.username, reason, record: journaled(next) },
      });
      await this.#repo.put(next);
      return next;
    });
    this.#changed(rec);
    return this.#view(rec);
  }

  // ---- the disc ----------------------------------------------------------------------------------

  /** Resolves when the export's build (if any is running) has ended; for tests and the CLI. */
  async settled(id: string): Promise<void> {
    await this.#builds.get(id);
  }

  /**
   * The ISO image, hashed while it streams: each call is its own `export-download` entry, written
   * before a byte leaves; a mismatch with the recorded SHA-256 aborts before the last chunk.
   */
  async image(id: string, user: Actor): Promise<ImageDownload> {
    const r = await this.#ready(id, user);
    if (r.sensitivity === 'secret' && !user.roles.includes('principal')) {
      throw new GatewayError('FORBIDDEN', `export ${id} is secret: only the principal takes its image (R25)`);
    }
    const info = r.image!;
    const path = this.#paths(id).image;
    await stat(path).catch(() => {
      throw new GatewayError('STORE_CORRUPT', `the image of export ${id} is missing`);
    });
    const entry = await this.#o.store.audit.append({
      type: 'export-download',
      actor: user.username,
      subject: exportSubject(id),
      // The why of a download is the approved export itself (purpose, recipient, case).
      details: {
        image: info.name,
        sha256: info.sha256,
        bytes: info.bytes,
        caseNo: r.caseNo,
        role: user.roles.join(','),
      },
    });
    const check = verifyingStream(info, (actual) => void this.#imageAltered(r, path, actual));
    const body = Readable.toWeb(createReadStream(path, { highWaterMark: 1024 * 1024 }).pipe(check));
    return { info, auditSeq: entry.seq, body: body as unknown as ReadableStream<Uint8Array> };
  }

  async receipt(id: string, user: Actor): Promise<Buffer> {
    await this.#ready(id, user);
    return readFile(join(this.#paths(id).root, RECEIPT));
  }

  async manifestPdf(id: string, user: Actor): Promise<Buffer> {
    await this.#ready(id, user);
    return readFile(join(this.#paths(id).root, MANIFEST_PDF));
  }

  /** The disc handed to its recipient (R24: who received it), one audit entry per hand-over. */
  async handover(id: string, user: Actor, h: { to: string; note?: string | undefined }) {
    const r = await this.#ready(id, user);
    const entry = await this.#o.store.audit.append({
      type: 'export-handover',
      actor: user.username,
      subject: exportSubject(id),
      details: { to: h.to, note: h.note, recipient: r.recipient, image: r.image?.sha256, caseNo: r.caseNo },
    });
    return { ok: true, seq: entry.seq, at: entry.at };
  }

  // ---- internals ---------------------------------------------------------------------------------

  #startBuild(rec: ExportRecord, resume = false): void {
    const run = this.#build(rec, resume).finally(() => {
      this.#builds.delete(rec.id);
      this.#progress.delete(rec.id);
    });
    this.#builds.set(rec.id, run);
  }

  /** What the image will take, about: the originals it packs. */
  async #clipBytes(ids: readonly string[]): Promise<number> {
    let bytes = 0;
    for (const id of ids) bytes += (await this.#o.store.index.get(id))?.bytes ?? 0;
    return bytes;
  }

  async #build(rec: ExportRecord, resume: boolean): Promise<void> {
    let lastEmit = 0;
    try {
      const custody = this.#o.custody();
      if (!custody)
        throw new GatewayError('UNAVAILABLE', 'the custody service is not running; no checkpoint');
      const { image, originals } = await buildDisc(
        rec,
        rec.decidedBy!,
        {
          store: this.#o.store,
          custody,
          facts: this.#o.facts,
          verifierFiles: this.#o.verifierFiles,
          log: this.#o.log,
          ...(this.#o.xorriso ? { xorriso: this.#o.xorriso } : {}),
          ...(this.#o.unchangedSinceHashed ? { unchangedSinceHashed: this.#o.unchangedSinceHashed } : {}),
        },
        this.#paths(rec.id),
        (p) => {
          this.#progress.set(rec.id, p);
          const t = Date.now();
          if (t - lastEmit > 500) {
            lastEmit = t;
            this.#o.bus.emit('export.changed', { id: rec.id, state: 'building', ...p });
          }
        },
        { resume },
      );
      const done: ExportRecord = {
        ...rec,
        state: 'ready',
        image,
        originals,
        progress: this.#progress.get(rec.id) ?? { bytesDone: 0, bytesTotal: 0 },
        builtAt: new Date(this.#now()).toISOString(),
      };
      done.progress = { bytesDone: done.progress!.bytesTotal, bytesTotal: done.progress!.bytesTotal };
      await this.#o.store.audit.append({
        type: 'export-ready',
        actor: 'gateway',
        subject: exportSubject(rec.id),
        details: { caseNo: rec.caseNo, image: done.image, record: journaled(done) },
      });
      await this.#repo.put(done);
      this.#o.log.info(
        { exportId: rec.id, image: image.name, bytes: image.bytes, originals },
        'evidence disc built',
      );
      this.#changed(done);
    } catch (err) {
      const message = err instanceof GatewayError ? err.message : 'internal error while building the disc';
      this.#o.log.error({ err, exportId: rec.id }, 'evidence disc build failed');
      // After an `export-built` entry this says the disc was never shipped (R25: a truthful log).
      const clipIds = err instanceof GatewayError ? (err.details?.clipIds ?? err.details?.clipId) : undefined;
      const failed: ExportRecord = { ...rec, state: 'failed', error: message };
      await this.#o.store.audit
        .append({
          type: 'export-failed',
          actor: 'gateway',
          subject: exportSubject(rec.id),
          details: {
            caseNo: rec.caseNo,
            error: message,
            ...(clipIds ? { clipIds: [clipIds].flat() } : {}),
            record: journaled(failed),
          },
        })
        .catch((e: unknown) =>
          this.#o.log.error({ err: e, exportId: rec.id }, 'logging the failed build failed'),
        );
      // Logged before the record says failed, so whoever sees the failure finds it in the log.
      await this.#repo.put(failed).catch(() => {});
      this.#changed(failed);
    }
  }

  /** `actual.sha256` is null when the file was longer than recorded (cut off before hashing it all). */
  async #imageAltered(r: ExportRecord, path: string, actual: { sha256: string | null; bytes: number }) {
    this.#o.log.error({ exportId: r.id, path, actual }, 'export image does not match its recorded hash');
    try {
      await this.#o.store.audit.append({
        type: 'integrity-failure',
        actor: 'gateway',
        subject: exportSubject(r.id),
        details: { what: 'image', expected: r.image?.sha256, actual: actual.sha256, bytes: actual.bytes },
      });
      await this.#o.alerts?.raise({
        rule: RULE_INTEGRITY,
        subject: exportSubject(r.id),
        severity: 'critical',
        message: `the image of evidence export ${r.id} (case ${r.caseNo}) no longer matches its SHA-256; download aborted (R25)`,
        notify: ['principal', 'legal-affairs'],
        details: { exportId: r.id, expected: r.image?.sha256 ?? null, actual: actual.sha256 },
      });
    } catch (err) {
      this.#o.log.error({ err }, 'recording an altered image failed');
    }
  }

  async #expand(body: ExportRequestBody): Promise<string[]> {
    const ids: string[] = [...body.clipIds];
    for (const h of body.hearingIds) {
      if (!(await this.#o.facts.hearingExists(h))) throw new GatewayError('NOT_FOUND', `no hearing ${h}`);
    }
    const sessions = [...body.sessionIds, ...body.hearingIds];
    for (const i of body.interruptionIds) {
      const rec = await this.#o.facts.interruption(i);
      if (!rec) throw new GatewayError('NOT_FOUND', `no interruption ${i}`);
      if (!rec.sessionId) {
        throw new GatewayError(
          'BAD_REQUEST',
          `interruption ${i} belongs to no recording session; name its clips`,
        );
      }
      sessions.push(rec.sessionId);
    }
    for (const s of new Set(sessions)) {
      const clips = await this.#o.store.index.listBySession(s);
      if (clips.length === 0) throw new GatewayError('NOT_FOUND', `no clips of session ${s}`);
      ids.push(...clips.map((c) => c.clipId));
    }
    const unique = [...new Set(ids)];
    if (unique.length > 5000) throw new GatewayError('BAD_REQUEST', 'at most 5000 clips per disc');
    return unique;
  }

  /** R24: an officer exports only recorder clips that carry their own officer id. */
  #assertOwnClips(clips: ClipRecord[], user: Actor): void {
    const foreign = clips.filter((c) => c.source.kind !== 'recorder' || c.officer?.id !== user.username);
    if (foreign.length > 0) {
      throw new GatewayError(
        'FORBIDDEN',
        `officers export clips of their own sessions only; not yours: ${foreign
          .slice(0, 10)
          .map((c) => c.clipId)
          .join(', ')} (R24)`,
        { clipIds: foreign.map((c) => c.clipId) },
      );
    }
  }

  async #decidable(id: string, user: Actor): Promise<ExportRecord> {
    const r = await this.#repo.get(id);
    if (!r) throw new GatewayError('NOT_FOUND', `no export ${id}`);
    if (r.requestedBy.username === user.username) {
      throw new GatewayError('FORBIDDEN', 'nobody approves or refuses their own export request (R25)');
    }
    if (r.state !== 'requested') throw new GatewayError('CONFLICT', `export ${id} is already ${r.state}`);
    return r;
  }

  async #visible(id: string, user: Actor): Promise<ExportRecord> {
    const r = await this.#repo.get(id);
    // Another officer's export is answered as absent: its existence is not theirs to know.
    if (!r || !this.#maySee(user, r)) throw new GatewayError('NOT_FOUND', `no export ${id}`);
    return r;
  }

  async #ready(id: string, user: Actor): Promise<ExportRecord> {
    const r = await this.#visible(id, user);
    if (r.state !== 'ready' || !r.image)
      throw new GatewayError('CONFLICT', `export ${id} is ${r.state}, not ready`);
    return r;
  }

  #maySee(user: Actor, r: ExportRecord): boolean {
    return isSupervisor(user) || r.requestedBy.username === user.username;
  }

  #paths(id: string): DiscPaths {
    return discPaths(this.#o.dir, id);
  }

  #view(r: ExportRecord): ExportView {
    const live = this.#progress.get(r.id);
    return toExportView(live && r.state === 'building' ? { ...r, progress: live } : r);
  }

  #changed(r: ExportRecord): void {
    this.#o.bus.emit('export.changed', { id: r.id, state: r.state });
  }
}

function isSupervisor(u: Actor): boolean {
  return u.roles.some((r) => EXPORT_SUPERVISORS.includes(r));
}

function person(u: Actor): Person {
  return { username: u.username, name: u.displayName };
}

/**
 * The record as an entry holds it, to rebuild it from the log (docs/STATE.md): all but the clip
 * list, which only the `export-request` entry carries (up to MAX_EXPORT_CLIPS ids, once).
 */
function journaled(r: ExportRecord): Record<string, unknown> {
  const { clipIds: _, ...rest } = r;
  return rest;
}
