/**
 * Clips for people (R22, R24, R25): search by recorder, officer, case, session, state and time;
 * the 24-hour clock (deadline = end of recording + 24 h) with a periodic check that raises an
 * overdue alert naming officer and recorder, cleared once the clip is verified; and reading the
 * originals, every view and download logged with who and why before a byte is sent.
 *
 * There is deliberately no edit or delete here (R25): originals are only ever read.
 *
 * Range requests: a <video> element fetches one playback as many Range requests. The first request
 * of a viewing is logged through the store (`openClip`, the one logged way to read a clip); it
 * leaves a grant for (user, clip, reason) that serves the seeks of that viewing for a while without
 * new entries, each response naming the audit entry (`X-Audit-Seq`) that covers it. A grant is for
 * seeking within one viewing only: every download is a copy leaving the gateway and gets its own
 * `clip-access` entry (R24).
 *
 * Never altered bytes under the original's hash (R25): a whole response is hashed as it streams and
 * its last chunk held back until the digest matches (the store's checked read). A byte range is
 * read in whole 1 MiB chunks, each checked against the original's chunk table (chunk-table.ts)
 * before any of its bytes leave, so a seek starts at once. Each viewing also re-hashes the whole
 * original in the background (again whenever its inode, size, mtime or ctime change): a mismatch
 * quarantines it and alerts (the store's checkWhole) and refuses the viewing's next range. Only an
 * original without a table yet waits for that pass once, which makes its table; a newly stored
 * original gets its table right after ingest, older ones from the back-fill (chunk-backfill.ts).
 *
 * An original a browser cannot play as stored (a hearing camera's G.711 in QuickTime) is viewed
 * through a transcode made as it is read (playback.ts), fed the whole original through the same
 * per-chunk checks as a range; a download is always the original's bytes.
 */
import { Readable } from 'node:stream';
import type { Activity, Officer } from '../../protocol/common.js';
import type { AlertService } from '../alerts/service.js';
import { GatewayError } from '../errors.js';
import type { EventBus, GatewayEvents, Service } from '../events.js';
import type { Logger } from '../log.js';
import { fileIdentity } from '../store/fsutil.js';
import type { BlobRef, ClipRecord, ClipState, ClipStore, OpenedClip } from '../store/index.js';
import { type ChunkTable, type ChunkTables, hashWithChunks, verifiedRange } from './chunk-table.js';
import { contentTypeOf, extensionFor, sniffContentType } from './content-type.js';
import { NEEDS_PLAYBACK, PLAYBACK_TYPE, type PlaybackTranscoder } from './playback.js';
import { parseRange } from './range.js';
import { type ClipSearchQuery, type ClipView, type ContentQuery, toClipView } from './view.js';

export const RULE_CLIP_OVERDUE = 'clip-overdue';
/** Who is told of an overdue clip: the office that owns the storage and the device custodians. */
const OVERDUE_NOTIFY = ['legal-affairs', 'equipment-manager'] as const;
const GRANT_MS = 30 * 60_000;
const MAX_GRANTS = 10_000;

export interface ClipServiceOptions {
  store: Pick<
    ClipStore,
    'index' | 'layout' | 'openClip' | 'announce' | 'readChecked' | 'checkWhole' | 'readRange'
  >;
  /** Chunk tables of the originals (seeks checked per chunk); without them a range waits for a whole pass. */
  chunks?: Pick<ChunkTables, 'get' | 'put'>;
  alerts: Pick<AlertService, 'raise' | 'clear' | 'list'>;
  bus: EventBus;
  log: Logger;
  /** Who had the recorder when the clip was made, for clips that carry no officer. */
  officerAt?: (serial: string, at: number) => Promise<Officer | null>;
  /** Case number, activity and officer of a recorder's session (MQTT session tracking), if known. */
  sessionOf?: (
    serial: string,
    sessionId: string,
  ) => Promise<{ caseNo: string | null; activity: Activity | null; officer: Officer | null } | undefined>;
  /** Bytes already received of clips being uploaded now (the dock slots' live transfers). */
  liveUploads?: () => Iterable<{ clipId: string; bytesDone: number }>;
  /** Makes a playable stream of originals a browser cannot play as stored (playback.ts). */
  playback?: PlaybackTranscoder;
  /** How often the overdue check runs (ms); 0 = only when called. */
  checkIntervalMs?: number;
  /** The clock for deadlines (R22); injectable for tests. */
  now?: () => number;
}

export interface ContentRequest {
  actor: string;
  role?: string;
  action: ContentQuery['action'];
  reason: string;
  range?: string;
}

export interface ContentResponse {
  status: 200 | 206 | 416;
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array> | null;
}

interface Grant {
  ref: BlobRef;
  contentType: string;
  auditSeq: number;
  expires: number;
  /** The whole original checked against its hash while the file had this identity (ranges). */
  checked?: { identity: string; done: Promise<ChunkTable>; failed?: unknown };
  table?: ChunkTable;
  /** An evicted original: its archived version read whole and hashed once for this grant. */
  archiveChecked?: Promise<unknown>;
}

export class ClipService implements Service {
  readonly name = 'clips';
  readonly #o: ClipServiceOptions;
  readonly #now: () => number;
  readonly #grants = new Map<string, Grant>();
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<unknown> | undefined;
  #offs: (() => void)[] = [];
  #announcing: Promise<void> = Promise.resolve();
  #tabling: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(opts: ClipServiceOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.#offs.push(
      this.#o.bus.on('clip.stored', (e) => {
        void this.#o.alerts.clear(RULE_CLIP_OVERDUE, subjectOf(e.clipId)).catch((err: unknown) => {
          this.#o.log.error({ err, clipId: e.clipId }, 'clearing overdue alert failed');
        });
        this.#tabling = this.#tabling.then(() => this.#tableAfterIngest(e.clipId));
      }),
      this.#o.bus.on('recorder.segment', (e) => {
        this.#announcing = this.#announcing.then(() => this.#announceFieldClip(e));
      }),
    );
    const every = this.#o.checkIntervalMs ?? 0;
    if (every > 0) {
      this.#timer = setInterval(() => void this.#checkQuietly(), every);
      this.#timer.unref();
      void this.#checkQuietly();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const off of this.#offs.splice(0)) off();
    await this.#announcing;
    await this.#checking;
    await this.#tabling;
  }

  now(): number {
    return this.#now();
  }

  // ---- queries -----------------------------------------------------------------------------------

  async search(q: Partial<ClipSearchQuery>): Promise<ClipView[]> {
    const now = this.#now();
    const index = this.#o.store.index;
    // Live transfers count as uploading even between checkpoints.
    const live = this.#live();
    let records: ClipRecord[];
    const onlyState =
      q.state !== undefined &&
      [q.serial, q.camera, q.officerId, q.caseNo, q.sessionId].every((x) => x === undefined);
    if (onlyState) {
      // Only a state (and maybe a time window): walk the state index, earliest deadline first.
      const inRange = (r: ClipRecord) =>
        (q.from === undefined || r.start >= q.from) && (q.to === undefined || r.start < q.to);
      records = (await this.#byState(q.state!, now, live)).filter(inRange).slice(0, q.limit ?? 500);
    } else {
      records = await index.search({
        ...(q.serial !== undefined ? { recorder: q.serial } : {}),
        ...(q.camera !== undefined ? { camera: q.camera } : {}),
        ...(q.officerId !== undefined ? { officerId: q.officerId } : {}),
        ...(q.caseNo !== undefined ? { caseNo: q.caseNo } : {}),
        ...(q.sessionId !== undefined ? { sessionId: q.sessionId } : {}),
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        limit: q.limit ?? 500,
        now,
      });
      if (q.state !== undefined) records = records.filter((r) => this.#shownState(r, now, live) === q.state);
    }
    return records.map((r) => toClipView(r, now, live.get(r.clipId)));
  }

  /** Counts per shown state for a filter (dashboard badges, R22 overview). */
  async summary(q: Partial<ClipSearchQuery>): Promise<{ total: number; byState: Record<ClipState, number> }> {
    const { state: _, ...rest } = q;
    const all = await this.search({ ...rest, limit: 5000 });
    const byState: Record<ClipState, number> = {
      'on-recorder': 0,
      uploading: 0,
      verified: 0,
      quarantined: 0,
      overdue: 0,
    };
    for (const c of all) byState[c.state]++;
    return { total: all.length, byState };
  }

  async get(clipId: string): Promise<ClipRecord> {
    const r = await this.#o.store.index.get(clipId);
    if (!r) throw new GatewayError('NOT_FOUND', `no clip ${clipId}`, { clipId });
    return r;
  }

  view(r: ClipRecord): ClipView {
    return toClipView(r, this.#now(), this.#live().get(r.clipId));
  }

  // ---- content (R24) -----------------------------------------------------------------------------

  /** The original's bytes (whole or one range), logged with who and why first. */
  async content(clipId: string, req: ContentRequest): Promise<ContentResponse> {
    const now = this.#now();
    const key = [req.actor, clipId, req.reason].join('\u0000');
    let g = req.action === 'view' ? this.#grants.get(key) : undefined;
    let opened: OpenedClip | undefined;
    if (!g || g.expires < now) {
      opened = await this.#o.store.openClip(clipId, {
        actor: req.actor,
        action: req.action,
        reason: req.reason,
        ...(req.role ? { role: req.role } : {}),
      });
      const { area, path, sha256, bytes, archived } = opened;
      const ref: BlobRef = { area, path, sha256, bytes, ...(archived ? { archived } : {}) };
      g = {
        ref,
        contentType: await this.#contentType(ref),
        auditSeq: opened.audit.seq,
        expires: now + GRANT_MS,
      };
      // Seeks within one viewing only; a download never leaves a grant behind.
      if (req.action === 'view') this.#grant(key, g, now);
      this.#o.log.info(
        { clipId, actor: req.actor, action: req.action, reason: req.reason, seq: g.auditSeq },
        'clip opened',
      );
    }
    const { ref } = g;
    if (req.action === 'view' && this.#o.playback && NEEDS_PLAYBACK.has(g.contentType) && ref.bytes > 0) {
      opened?.stream.destroy();
      const original = await this.#checkedBody(g, key, 0, ref.bytes - 1);
      // Made as it is read: no length, no ranges; it names the original it was made from.
      return {
        status: 200,
        headers: {
          'accept-ranges': 'none',
          'content-type': PLAYBACK_TYPE,
          'cache-control': 'private, no-store',
          'x-audit-seq': String(g.auditSeq),
          'x-content-sha256': ref.sha256,
          'x-playback': 'audio-aac',
          'content-disposition': `inline; filename="${clipId}.mp4"`,
        },
        body: toWeb(this.#o.playback.toBrowser(original)),
      };
    }
    const headers: Record<string, string> = {
      'accept-ranges': 'bytes',
      'content-type': g.contentType,
      etag: `"${ref.sha256}"`,
      'cache-control': 'private, no-store',
      'x-audit-seq': String(g.auditSeq),
      'x-content-sha256': ref.sha256,
      'content-disposition': `${req.action === 'download' ? 'attachment' : 'inline'}; filename="${clipId}${extensionFor(g.contentType)}"`,
    };
    const range = parseRange(req.range, ref.bytes);
    if (range.kind !== 'full' || ref.bytes === 0) opened?.stream.destroy();
    if (range.kind === 'unsatisfiable') {
      headers['content-range'] = `bytes */${ref.bytes}`;
      return { status: 416, headers, body: null };
    }
    if (range.kind === 'full') {
      headers['content-length'] = String(ref.bytes);
      const whole = ref.bytes === 0 ? null : (opened?.stream ?? this.#o.store.readChecked(ref, 'serve'));
      return { status: 200, headers, body: whole && toWeb(whole) };
    }
    const { start, end } = range;
    const body = await this.#checkedBody(g, key, start, end);
    headers['content-length'] = String(end - start + 1);
    headers['content-range'] = `bytes ${start}-${end}/${ref.bytes}`;
    return { status: 206, headers, body: toWeb(body) };
  }

  /** Bytes `start`..`end` of the grant's original, each chunk checked before it leaves. */
  async #checkedBody(g: Grant, key: string, start: number, end: number): Promise<Readable> {
    const { ref } = g;
    try {
      if (ref.archived) {
        // A locked version never changes: one whole pass per viewing, then plain range reads.
        g.archiveChecked ??= this.#o.store.checkWhole(ref, 'serve');
        await g.archiveChecked;
        return await this.#o.store.readRange(ref, start, end);
      }
      const table = await this.#tableFor(g);
      return await verifiedRange(ref.path, start, end, table, () => {
        // A chunk that does not match: a whole pass decides (quarantine and alert, or a new table).
        g.table = undefined;
        this.#startCheck(g, 'chunk mismatch');
      });
    } catch (err) {
      this.#grants.delete(key);
      throw err;
    }
  }

  /** From the first bytes (an evicted original: a range of its archived version). */
  async #contentType(ref: BlobRef): Promise<string> {
    try {
      if (ref.area !== 'archive') return await sniffContentType(ref.path);
      const head: Buffer[] = [];
      for await (const c of await this.#o.store.readRange(ref, 0, Math.min(ref.bytes, 189) - 1))
        head.push(c as Buffer);
      return contentTypeOf(Buffer.concat(head));
    } catch {
      return 'application/octet-stream';
    }
  }

  /**
   * The chunk table for a range of this grant's original. Starts the whole-file check in the
   * background once per grant and file identity (inode, size, times); a failed check refuses the
   * range. Waits for that check only when no table is stored yet.
   */
  async #tableFor(g: Grant): Promise<ChunkTable> {
    // A failed whole pass refuses every later range of the viewing, whatever the file is now.
    const failed = g.checked?.failed;
    if (failed) {
      g.checked = undefined;
      g.table = undefined;
      throw failed;
    }
    const identity = await fileIdentity(g.ref.path).catch(() => 'gone');
    if (g.checked?.identity !== identity) this.#startCheck(g, identity);
    const checked = g.checked!;
    // A missing original: the pass names it (STORE_CORRUPT); no table can serve it.
    if (identity === 'gone') return checked.done;
    g.table ??= await this.#o.chunks?.get(g.ref.sha256);
    if (g.table) return g.table;
    g.table = await checked.done;
    return g.table;
  }

  #startCheck(g: Grant, identity: string): void {
    const checked: NonNullable<Grant['checked']> = { identity, done: this.#checkWhole(g.ref) };
    checked.done.catch((err: unknown) => {
      checked.failed = err ?? new Error('check failed');
    });
    g.checked = checked;
  }

  /**
   * One read of the whole original: its hash against the recorded one, and its chunk table (kept
   * only when they match). A mismatch or a missing file goes to the store's checkWhole, which
   * re-hashes, quarantines an altered original, alerts, and throws STORE_CORRUPT.
   */
  async #checkWhole(ref: BlobRef): Promise<ChunkTable> {
    const t = await hashWithChunks(ref.path).catch(() => undefined);
    if (t && t.sha256 === ref.sha256 && t.bytes === ref.bytes) {
      await this.#o.chunks?.put(t);
      return t;
    }
    await this.#o.store.checkWhole(ref, 'serve');
    throw new GatewayError('STORE_CORRUPT', 'stored original changed while it was checked; not served', {
      expected: ref.sha256,
    });
  }

  /** A newly stored original's chunk table, so its first seek need not wait for a whole pass. */
  async #tableAfterIngest(clipId: string): Promise<void> {
    if (this.#stopped || !this.#o.chunks) return;
    try {
      const r = await this.#o.store.index.get(clipId);
      if (r?.state !== 'verified' || (await this.#o.chunks.get(r.sha256))) return;
      const path = this.#o.store.layout.blobPath('blobs', r.sha256);
      const t = await hashWithChunks(path);
      // A mismatch is left to the viewing's own check and the sweep, which quarantine and alert.
      if (t.sha256 === r.sha256 && t.bytes === r.bytes) await this.#o.chunks.put(t);
    } catch (err) {
      this.#o.log.debug({ err, clipId }, 'no chunk table made after ingest');
    }
  }

  // ---- the 24-hour clock (R22) -------------------------------------------------------------------

  /**
   * A clip closed in the field (MQTT segment-closed): the store learns it as on-recorder, so its
   * deadline runs from the end of recording even if the recorder never comes back to a dock.
   * The dock's CLIP_INFO later replaces these facts with the recorder's own.
   */
  async #announceFieldClip(e: GatewayEvents['recorder.segment']): Promise<void> {
    try {
      const session = await this.#o.sessionOf?.(e.serial, e.sessionId).catch(() => undefined);
      const officer = (await this.#officerAt(e.serial, e.start)) ?? session?.officer ?? null;
      await this.#o.store.announce({
        clipId: e.clipId,
        source: { kind: 'recorder', id: e.serial },
        sessionId: e.sessionId,
        start: e.start,
        end: e.end,
        bytes: e.bytes,
        sha256: e.sha256,
        ...(officer ? { officer } : {}),
        ...(session?.caseNo ? { caseNo: session.caseNo } : {}),
        ...(session?.activity ? { activity: session.activity } : {}),
      });
    } catch (err) {
      this.#o.log.warn({ err, clipId: e.clipId, serial: e.serial }, 'field clip not announced');
    }
  }

  /**
   * Raises `clip-overdue` for every pending clip past end + 24 h, naming officer and recorder, and
   * clears the alerts of clips that are no longer overdue (verified, or deadline moved). Returns the
   * overdue clips.
   */
  checkOverdue(now = this.#now()): Promise<ClipRecord[]> {
    const run = (async () => {
      const overdue = await this.#o.store.index.overdue(now);
      const ids = new Set(overdue.map((r) => r.clipId));
      for (const r of overdue) await this.#raise(r, now);
      for (const a of await this.#o.alerts.list({ active: true, rule: RULE_CLIP_OVERDUE, limit: 100_000 })) {
        const clipId = a.subject.startsWith('clip:') ? a.subject.slice(5) : a.subject;
        if (!ids.has(clipId)) await this.#o.alerts.clear(RULE_CLIP_OVERDUE, a.subject);
      }
      return overdue;
    })();
    this.#checking = run.catch(() => undefined);
    return run;
  }

  async #raise(r: ClipRecord, now: number): Promise<void> {
    const officer =
      r.officer ?? (r.source.kind === 'recorder' ? await this.#officerAt(r.source.id, r.start) : null);
    const device = r.source.kind === 'recorder' ? `recorder ${r.source.id}` : `camera ${r.source.id}`;
    const who = officer ? `officer ${officer.name} (cert ${officer.certNo})` : 'officer unknown';
    const late = formatHours(now - r.deadline);
    await this.#o.alerts.raise({
      rule: RULE_CLIP_OVERDUE,
      subject: subjectOf(r.clipId),
      severity: 'warning',
      message: `clip ${r.clipId} on ${device}, ${who}, is not on the designated storage ${late} after its 24 h deadline (R22)`,
      notify: OVERDUE_NOTIFY,
      details: {
        clipId: r.clipId,
        source: r.source,
        ...(r.source.kind === 'recorder' ? { serial: r.source.id } : {}),
        officer,
        sessionId: r.sessionId,
        end: r.end,
        deadline: r.deadline,
        state: r.state,
        uploadedBytes: r.uploadedBytes,
        bytes: r.bytes,
      },
    });
  }

  async #officerAt(serial: string, at: number): Promise<Officer | null> {
    try {
      return (await this.#o.officerAt?.(serial, at)) ?? null;
    } catch (err) {
      this.#o.log.error({ err, serial }, 'officer lookup failed');
      return null;
    }
  }

  async #checkQuietly(): Promise<void> {
    try {
      await this.checkOverdue();
    } catch (err) {
      this.#o.log.error({ err }, 'overdue check failed');
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------

  async #byState(state: ClipState, now: number, live: Map<string, number>): Promise<ClipRecord[]> {
    const index = this.#o.store.index;
    if (state === 'overdue') return index.overdue(now);
    if (state === 'on-recorder' || state === 'uploading') {
      // A live transfer moves an on-recorder clip to uploading before its first checkpoint.
      const pending = [
        ...(await index.listByState('on-recorder', { now })),
        ...(await index.listByState('uploading', { now })),
      ].sort((a, b) => a.deadline - b.deadline);
      return pending.filter((r) => this.#shownState(r, now, live) === state);
    }
    return index.listByState(state, { now });
  }

  #shownState(r: ClipRecord, now: number, live: Map<string, number>): ClipState {
    return toClipView(r, now, live.get(r.clipId)).state;
  }

  #live(): Map<string, number> {
    const m = new Map<string, number>();
    for (const u of this.#o.liveUploads?.() ?? []) m.set(u.clipId, u.bytesDone);
    return m;
  }

  #grant(key: string, g: Grant, now: number): void {
    if (this.#grants.size >= MAX_GRANTS) {
      for (const [k, v] of this.#grants) if (v.expires < now) this.#grants.delete(k);
      if (this.#grants.size >= MAX_GRANTS) this.#grants.delete(this.#grants.keys().next().value!);
    }
    this.#grants.set(key, g);
  }
}

function toWeb(r: Readable): ReadableStream<Uint8Array> {
  return Readable.toWeb(r) as unknown as ReadableStream<Uint8Array>;
}

export function subjectOf(clipId: string): string {
  return `clip:${clipId}`;
}

function formatHours(ms: number): string {
  const h = ms / 3_600_000;
  return h < 1 ? `${Math.max(1, Math.round(ms / 60_000))} min` : `${h.toFixed(1)} h`;
}
