/**
 * Hearing sessions (R14, R18, R19): hearing-room staff start recording a room (case number,
 * activity, who) and stop it. Every camera of the room is recorded by a CameraChannel; each closed
 * segment goes into the same store, index and audit log as a recorder clip (ClipStore.ingestFile,
 * source kind `camera`), then the scratch file is removed. Stopping waits for the last segment to
 * be finalised, probed and stored; the summary gives coverage and gaps (summary.ts).
 *
 * A session that was recording when the gateway went down is resumed at start (R18: a hearing is
 * recorded from start to end; the outage shows as a gap), and segments left in the work dir are
 * stored first.
 *
 * Lead-in (R18, recorded from the start): a camera kept warm by the pre-roll cache
 * (recording/preroll.ts) gives the session the cache segments from the keyframe at or before the
 * start up to where the channel's own media begins; they are stored, indexed and audited like the
 * segments (clip id ending `.pre`, row `leadIn`), before them. A camera not warm starts as before:
 * the start-up time is unrecorded and counted so.
 *
 * Start and stop each leave an audit entry (`hearing-start`, `hearing-stop`, subject
 * `hearing:<id>`; R3 every step leaves a trace). No session exists without its start entry: the
 * entry is written first and a start the log cannot record is refused. The stop entry is written
 * before the session is marked stopped, so a stop cut short is finished, with its entry, at the
 * next start.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertService } from '../alerts/service.js';
import type { CameraRegistry } from '../cameras/registry.js';
import type { GatewayConfig } from '../config.js';
import { type Db, SYNCED } from '../db.js';
import { GatewayError } from '../errors.js';
import type { EventBus, Service } from '../events.js';
import type { Logger } from '../log.js';
import {
  CameraChannel,
  type ChannelStats,
  type ClosedSegment,
  type InterruptionPort,
} from '../recording/channel.js';
import { SEGMENT_FILE } from '../recording/ffmpeg-args.js';
import type { LeadInSource, PrerollHold } from '../recording/preroll.js';
import type { MediaProbe, StreamRecorder } from '../recording/recorder.js';
import type { StreamAccess } from '../recording/stream-access.js';
import { scrub } from '../scrub.js';
import type { ClipStore } from '../store/clip-store.js';
import {
  type CameraSummary,
  type HearingGap,
  type HearingQuery,
  HearingQuery as HearingQuerySchema,
  HearingSession,
  type HearingSummary,
  type SegmentMedia,
  type SegmentRow,
  StartHearingInput,
} from './schemas.js';
import { cameraMargin, describeFull, freeBytesOf, type StorageNeed, storageFull } from './storage-watch.js';
import { coverageOf } from './summary.js';

/** The store's custody path for a file already on disk, and its audit log (start/stop, R3). */
export type SegmentStore = Pick<ClipStore, 'ingestFile' | 'audit'>;

/** Interruption lookups for annotating gaps (InterruptionService fits). */
export interface InterruptionLookup extends InterruptionPort {
  list(q: {
    sessionId?: string;
    limit?: number;
  }): Promise<{ id: string; device: string; cause: string; start: number; end: number | null }[]>;
}

export interface HearingServiceOptions {
  db: Db;
  bus: EventBus;
  log: Logger;
  config: GatewayConfig['cameras'];
  cameras: CameraRegistry;
  store: SegmentStore;
  interruptions: InterruptionLookup;
  recorder: StreamRecorder;
  /** Credential-free stream URLs for ffmpeg (recording/rtsp-relay.ts). */
  access: StreamAccess;
  probe: MediaProbe;
  /** Scratch directory for segments on their way into the store. */
  workDir: string;
  /** Refuses (DISK_RESERVE) a new hearing while the disk is below its reserve. */
  room?: (what: string) => Promise<void>;
  /** Warm pre-roll cache: lead-ins for sessions started on warm cameras. */
  preroll?: LeadInSource;
  /**
   * The disk reserve (storage-watch.ts): recording is held while the filesystems of `paths` (the
   * store and the work dir) have no room above it, and an alert raised at once (R19).
   */
  storage?: {
    reserveBytes: number;
    paths: string[];
    intervalMs?: number;
    /** Where free space is read from (default statfs). */
    freeBytes?: (paths: readonly string[]) => Promise<number>;
  };
  alerts?: Pick<AlertService, 'raise' | 'clear'>;
  now?: () => number;
}

/** The alert raised while hearing recording is held for lack of space (delivered like the dock's). */
export const STORAGE_ALERT = { rule: 'disk-reserve', subject: 'hearing-recording' } as const;

/** Gaps shorter than this are timing noise between segments, not worth listing (still counted). */
export const MIN_LISTED_GAP_MS = 500;

/**
 * The lead-in reaches this far past where the channel's media begins: the cache and the channel
 * anchor their timelines separately (each within about one progress period), and a seam between
 * them must not open a gap. The overlap is counted once (summary.ts takes the union).
 */
export const LEAD_IN_OVERLAP_MS = 250;

interface Active {
  session: HearingSession;
  channels: Map<string, CameraChannel>;
  /** Next segment number per camera. */
  seq: Map<string, number>;
  /** Segments whose custody failed (kept in the work dir), retried with the next one. */
  retry: { cameraId: string; seg: ClosedSegment }[];
  /** Per camera: its hold on the pre-roll cache, and the lead-in being stored. */
  holds: Map<string, PrerollHold>;
  leadIns: Map<string, Promise<void>>;
}

export interface LiveStats {
  elapsedMs: number;
  segments: number;
  bytes: number;
  cameras: ChannelStats[];
}

export type HearingView = HearingSession & { live: LiveStats | null };

export class HearingService implements Service {
  readonly name = 'hearings';
  readonly #sessions;
  readonly #segments;
  readonly #o: HearingServiceOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #active = new Map<string, Active>();
  /** Set while recording is held for lack of space (with why). */
  #storageFull: string | null = null;
  #storageTimer: NodeJS.Timeout | undefined;
  #watching = false;
  /** Bytes per second each camera wrote in its last stored segment (the margin it needs). */
  readonly #rates = new Map<string, number>();

  constructor(opts: HearingServiceOptions) {
    this.#o = opts;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#sessions = opts.db.sublevel<string, HearingSession>('hearings', { valueEncoding: 'json' });
    this.#segments = opts.db.sublevel<string, SegmentRow>('hearing-segments', { valueEncoding: 'json' });
  }

  async start(): Promise<void> {
    await mkdir(this.#o.workDir, { recursive: true });
    if (this.#o.storage) {
      this.#storageTimer = setInterval(() => void this.#watchStorage(), this.#o.storage.intervalMs ?? 1000);
      this.#storageTimer.unref();
    }
    // In the background: the gateway must not wait for ffmpeg's capability listing to start.
    void this.#o.recorder.warm?.()?.catch(() => {});
    const leftovers = new Set(await readdir(this.#o.workDir));
    for await (const raw of this.#sessions.values()) {
      const s = HearingSession.safeParse(raw);
      if (!s.success) continue;
      const session = s.data;
      if (leftovers.has(session.id)) await this.#recover(session);
      if (session.state === 'stopping') {
        // Stopped by staff, but the gateway went down before the summary: finish the stop.
        const summary = await this.#summary(session, session.stoppedAt ?? this.#now());
        try {
          await this.#auditStop(session, summary);
        } catch (err) {
          this.#log.error(
            { err, session: session.id },
            'hearing stop not recorded in the audit log; retried at next start',
          );
          continue;
        }
        await this.#persist({ ...session, state: 'stopped', summary });
      } else if (session.state === 'recording') {
        this.#log.warn(
          { session: session.id, room: session.roomId },
          'resuming hearing recording after restart',
        );
        await this.#launch(session, true);
      }
    }
  }

  /** Gateway shutdown: channels end cleanly; sessions stay `recording` and resume at next start. */
  async stop(): Promise<void> {
    clearInterval(this.#storageTimer);
    await Promise.allSettled([...this.#active.values()].map((a) => this.#stopChannels(a)));
    this.#active.clear();
  }

  inUse(cameraId: string): boolean {
    for (const a of this.#active.values()) if (a.channels.has(cameraId)) return true;
    return false;
  }

  async startSession(input: StartHearingInput, by: string): Promise<HearingView> {
    const parsed = StartHearingInput.safeParse(input);
    if (!parsed.success)
      throw new GatewayError('BAD_REQUEST', parsed.error.issues[0]?.message ?? 'bad input');
    const i = parsed.data;
    if (!this.#o.cameras.hasRoom(i.roomId)) throw new GatewayError('NOT_FOUND', `no room ${i.roomId}`);
    for (const a of this.#active.values()) {
      if (a.session.roomId === i.roomId) {
        throw new GatewayError('CONFLICT', `room ${i.roomId} is already recording (${a.session.id})`, {
          sessionId: a.session.id,
        });
      }
    }
    const cams = this.#o.cameras.camerasInRoom(i.roomId);
    if (cams.length === 0) throw new GatewayError('CONFLICT', `room ${i.roomId} has no camera assigned`);
    // Every camera must have been reached once: we need its stream address (refuse, don't fake).
    for (const c of cams) this.#o.cameras.streamFor(c.id);
    await this.#o.room?.(`hearing recording in room ${i.roomId}`);
    const now = this.#now();
    const session: HearingSession = {
      id: `hs-${now.toString(36)}-${randomBytes(3).toString('hex')}`,
      roomId: i.roomId,
      caseNo: i.caseNo,
      activity: i.activity,
      ...(i.note ? { note: i.note } : {}),
      startedBy: by,
      startedAt: now,
      stoppedBy: null,
      stoppedAt: null,
      state: 'recording',
      cameras: cams.map((c) => c.id),
      summary: null,
    };
    await this.#o.store.audit.append({
      type: 'hearing-start',
      actor: by,
      subject: `hearing:${session.id}`,
      details: {
        roomId: session.roomId,
        caseNo: session.caseNo,
        activity: session.activity,
        cameras: session.cameras,
        note: session.note,
        startedAt: new Date(now),
      },
    });
    await this.#sessions.put(session.id, session, SYNCED);
    this.#log.info(
      { session: session.id, room: i.roomId, caseNo: i.caseNo, by },
      'hearing recording started',
    );
    await this.#launch(session);
    return this.get(session.id);
  }

  /**
   * The data dir fell below its reserve (store/disk-watch.ts; other work filled it): recording is
   * held as when this service's own watch finds no room (#watchStorage), and resumes with it.
   * Returns the sessions held.
   */
  async holdForStorage(reading: { freeBytes: number; workReserveBytes: number }): Promise<string[]> {
    const held = [...this.#active.keys()];
    if (!this.#storageFull && held.length > 0) {
      await this.#holdAll({
        freeBytes: reading.freeBytes,
        reserveBytes: reading.workReserveBytes,
        pendingBytes: 0,
        marginBytes: 0,
      });
    }
    return held;
  }

  async stopSession(id: string, by: string): Promise<HearingView> {
    const a = this.#active.get(id);
    if (!a) {
      const s = await this.#load(id);
      if (s.state === 'stopped') throw new GatewayError('CONFLICT', `hearing ${id} is already stopped`);
      throw new GatewayError('CONFLICT', `hearing ${id} is not recording on this gateway`);
    }
    if (a.session.state === 'stopping')
      throw new GatewayError('CONFLICT', `hearing ${id} is already stopping`);
    const stoppedAt = this.#now();
    a.session = { ...a.session, state: 'stopping', stoppedBy: by, stoppedAt };
    await this.#persist(a.session);
    await this.#stopChannels(a, stoppedAt);
    const summary = await this.#summary(a.session, stoppedAt);
    try {
      await this.#auditStop(a.session, summary);
    } catch (err) {
      // Recording has ended; the session stays `stopping` and the next start records the stop.
      this.#active.delete(id);
      this.#log.error({ err, session: id }, 'hearing stop not recorded in the audit log');
      throw err;
    }
    a.session = { ...a.session, state: 'stopped', summary };
    await this.#persist(a.session);
    this.#active.delete(id);
    // Everything is in the store: drop the scratch directory (segment lists). Segments whose
    // custody failed stay, and the next start stores them (#recover).
    if (a.retry.length === 0) {
      await rm(join(this.#o.workDir, id), { recursive: true, force: true }).catch(() => {});
    }
    this.#log.info(
      {
        session: id,
        by,
        coverage: summary.coverage,
        segments: summary.segments,
        gaps: summary.cameras.map((c) => c.gaps.length),
      },
      'hearing recording stopped',
    );
    return { ...a.session, live: null };
  }

  async get(id: string): Promise<HearingView> {
    const a = this.#active.get(id);
    const session = a?.session ?? (await this.#load(id));
    if (!a) return { ...session, live: null };
    const now = this.#now();
    // ffmpeg's and the camera's words cross into the API here: scrubbed with the camera's password
    // whatever the channel already did (they reach hearing staff).
    const cameras = [...a.channels.values()].map((c) => {
      const st = c.stats();
      const password = this.#o.cameras.get(st.cameraId)?.password;
      return st.lastError === null ? st : { ...st, lastError: scrub(st.lastError, { secrets: [password] }) };
    });
    const summary = await this.#summary(session, now, cameras);
    return {
      ...session,
      summary,
      // What is stored (lead-ins and segments from before a restart included) and what is being
      // written: the true state whenever the page asks, not counters since this process started.
      live: {
        elapsedMs: now - session.startedAt,
        segments: summary.segments,
        bytes: summary.bytes + cameras.reduce((s, c) => s + (c.open?.bytes ?? 0), 0),
        cameras,
      },
    };
  }

  /** Newest first. */
  async list(query: HearingQuery = {}): Promise<HearingView[]> {
    const q = HearingQuerySchema.parse(query);
    const out: HearingView[] = [];
    const all: HearingSession[] = [];
    for await (const s of this.#sessions.values()) all.push(this.#active.get(s.id)?.session ?? s);
    all.sort((a, b) => b.startedAt - a.startedAt);
    for (const s of all) {
      if (q.roomId && s.roomId !== q.roomId) continue;
      if (q.state && s.state !== q.state) continue;
      if (q.caseNo && s.caseNo !== q.caseNo) continue;
      out.push(this.#active.has(s.id) ? await this.get(s.id) : { ...s, live: null });
      if (out.length >= (q.limit ?? 100)) break;
    }
    return out;
  }

  /** Who started a session (NOT_FOUND for none): its owner for stop and for reading (R24). */
  async startedBy(id: string): Promise<string> {
    return (this.#active.get(id)?.session ?? (await this.#load(id))).startedBy;
  }

  async segments(sessionId: string): Promise<SegmentRow[]> {
    const out: SegmentRow[] = [];
    for await (const r of this.#segments.values({ gte: `${sessionId}!`, lt: `${sessionId}!\uffff` }))
      out.push(r);
    return out;
  }

  activeInRoom(roomId: string): HearingSession | undefined {
    for (const a of this.#active.values()) if (a.session.roomId === roomId) return a.session;
    return undefined;
  }

  /** `resumed`: the gateway was down mid-session; each camera's outage is an interruption (R19). */
  async #launch(session: HearingSession, resumed = false): Promise<void> {
    const a = newActive(session);
    const lastEnd = new Map<string, number>();
    for (const r of await this.segments(session.id)) {
      a.seq.set(r.cameraId, Math.max(a.seq.get(r.cameraId) ?? 1, r.seq + 1));
      lastEnd.set(r.cameraId, Math.max(lastEnd.get(r.cameraId) ?? r.end, r.end));
    }
    this.#active.set(session.id, a);
    const cfg = this.#o.config;
    for (const cameraId of session.cameras) {
      const cam = this.#o.cameras.get(cameraId);
      let source: ReturnType<CameraRegistry['streamFor']>;
      try {
        source = this.#o.cameras.streamFor(cameraId);
      } catch (err) {
        this.#log.error(
          { session: session.id, camera: cameraId, err: scrub(err, { secrets: [cam?.password] }) },
          'camera cannot be recorded',
        );
        continue;
      }
      const dir = join(this.#o.workDir, session.id, cameraId);
      await mkdir(dir, { recursive: true });
      // A resumed session's outage is a real gap: no lead-in for it (the hold pauses the cache).
      const hold = this.#o.preroll?.hold(cameraId, resumed ? null : session.startedAt);
      if (hold) a.holds.set(cameraId, hold);
      const channel = new CameraChannel({
        sessionId: session.id,
        cameraId,
        roomId: cam?.roomId ?? session.roomId,
        source,
        dir,
        segmentSeconds: cfg.segmentSeconds,
        staleDataS: cfg.staleDataS,
        resumeAlertS: cfg.resumeAlertS,
        recorder: this.#o.recorder,
        access: this.#o.access,
        probe: this.#o.probe,
        interruptions: this.#o.interruptions,
        log: this.#log,
        onSegment: (seg) => this.#custody(a, cameraId, seg),
        ...(resumed ? { outageSince: lastEnd.get(cameraId) ?? session.startedAt } : {}),
        ...(hold?.warm
          ? {
              onFirstData: (at: number) => {
                a.leadIns.set(cameraId, this.#leadIn(a, cameraId, hold, at + LEAD_IN_OVERLAP_MS, dir));
              },
            }
          : {}),
        onTransport: (t) =>
          void this.#o.cameras
            .rememberTransport(cameraId, t)
            .catch((err) => this.#log.warn({ err, camera: cameraId }, 'remembering the transport failed')),
        onChange: () =>
          this.#o.bus.emit('hearing.changed', {
            sessionId: session.id,
            roomId: session.roomId,
            state: a.session.state,
          }),
        now: this.#now,
      });
      a.channels.set(cameraId, channel);
      channel.start();
      if (this.#storageFull) void channel.hold(this.#storageFull);
    }
    this.#o.bus.emit('hearing.changed', {
      sessionId: session.id,
      roomId: session.roomId,
      state: session.state,
    });
  }

  /** `at`: the staff's stop time (a gateway shutdown stops at once, holds stay with the cache). */
  async #stopChannels(a: Active, at?: number): Promise<void> {
    await Promise.allSettled([...a.channels.values()].map((c) => c.stop({ at })));
    await Promise.allSettled(a.leadIns.values());
    if (at !== undefined) for (const h of a.holds.values()) h.release();
    // Last chance for segments whose custody failed earlier (they stay in the work dir otherwise).
    for (const r of a.retry.splice(0)) await this.#store(a, r.cameraId, r.seg).catch(() => {});
  }

  /** The lead-in from the warm cache, stored before the channel's first segment. */
  async #leadIn(a: Active, cameraId: string, hold: PrerollHold, until: number, dir: string): Promise<void> {
    let segs: ClosedSegment[];
    try {
      segs = await hold.takeLeadIn(until, dir);
    } catch (err) {
      this.#log.error({ err, session: a.session.id, camera: cameraId }, 'taking the lead-in failed');
      return;
    }
    for (const seg of segs) {
      await this.#store(a, cameraId, seg).catch((err) => {
        this.#log.error(
          { err, session: a.session.id, camera: cameraId },
          'lead-in custody failed; kept for retry',
        );
        a.retry.push({ cameraId, seg });
      });
    }
  }

  /** Store a closed segment with the same custody as a recorder clip, then drop the scratch copy. */
  async #custody(a: Active, cameraId: string, seg: ClosedSegment): Promise<void> {
    await a.leadIns.get(cameraId);
    for (const r of a.retry.splice(0)) {
      await this.#store(a, r.cameraId, r.seg).catch(() => a.retry.push(r));
    }
    await this.#store(a, cameraId, seg).catch((err) => {
      this.#log.error(
        { err, session: a.session.id, camera: cameraId, path: seg.path },
        'segment custody failed; kept for retry',
      );
      a.retry.push({ cameraId, seg });
    });
  }

  async #store(a: Active, cameraId: string, seg: ClosedSegment): Promise<void> {
    const s = a.session;
    const seq = a.seq.get(cameraId) ?? 1;
    // A lead-in says so in its id (the store's manifest and audit entry carry the id).
    const clipId = `${s.id}.${cameraId}.${String(seq).padStart(5, '0')}${seg.leadIn ? '.pre' : ''}`;
    const record = await this.#o.store.ingestFile(
      seg.path,
      {
        clipId,
        source: { kind: 'camera', id: cameraId },
        sessionId: s.id,
        caseNo: s.caseNo,
        activity: s.activity,
        start: seg.start,
        end: Math.max(seg.end, seg.start),
      },
      { actor: s.startedBy },
    );
    a.seq.set(cameraId, seq + 1);
    if (!seg.leadIn && seg.end > seg.start)
      this.#rates.set(cameraId, (record.bytes * 1000) / (seg.end - seg.start));
    const row: SegmentRow = {
      sessionId: s.id,
      cameraId,
      seq,
      clipId,
      sha256: record.sha256,
      bytes: record.bytes,
      start: record.start,
      end: record.end,
      durationS: seg.media?.durationS ?? null,
      playable: seg.media !== null,
      run: seg.run,
      ...(seg.leadIn ? { leadIn: true } : {}),
    };
    await this.#segments.put(`${s.id}!${cameraId}!${String(seq).padStart(6, '0')}`, row);
    await unlink(seg.path).catch(() => {});
    this.#o.bus.emit('hearing.segment', { sessionId: s.id, clipId, bytes: record.bytes });
  }

  /**
   * Once a second while hearings record: is there room above the reserve for what is being
   * written? If not, every camera is held (clean stop, `storage` interruption) and the alert goes
   * out at once; when there is again, they record again and what waited is stored.
   */
  async #watchStorage(): Promise<void> {
    const cfg = this.#o.storage;
    if (!cfg || this.#watching || (this.#active.size === 0 && !this.#storageFull)) return;
    this.#watching = true;
    try {
      let pendingBytes = 0;
      let marginBytes = 0;
      for (const a of this.#active.values()) {
        for (const [cameraId, ch] of a.channels) {
          pendingBytes += ch.stats().open?.bytes ?? 0;
          if (!ch.held) marginBytes += cameraMargin(this.#rates.get(cameraId) ?? null);
        }
        for (const r of a.retry) pendingBytes += r.seg.bytes;
      }
      const need: StorageNeed = {
        freeBytes: await (cfg.freeBytes ?? freeBytesOf)(cfg.paths),
        reserveBytes: cfg.reserveBytes,
        pendingBytes,
        marginBytes: Math.max(marginBytes, cameraMargin(null)),
      };
      const full = storageFull(need, this.#storageFull !== null);
      if (full && !this.#storageFull) await this.#holdAll(need);
      else if (!full && this.#storageFull) await this.#releaseAll(need);
    } catch (err) {
      this.#log.error({ err }, 'checking free space for hearing recording failed');
    } finally {
      this.#watching = false;
    }
  }

  async #holdAll(need: StorageNeed): Promise<void> {
    const why = describeFull(need);
    this.#storageFull = why;
    const rooms = [...this.#active.values()].map((a) => a.session.roomId);
    this.#log.warn({ ...need, rooms }, 'disk reserve reached: hearing recording held');
    for (const a of this.#active.values()) for (const ch of a.channels.values()) void ch.hold(why);
    await this.#o.alerts
      ?.raise({
        ...STORAGE_ALERT,
        severity: 'critical',
        message: `Hearing recording stopped (rooms ${rooms.join(', ')}): ${why}. It resumes by itself once space is freed.`,
        notify: ['principal', 'legal-affairs', 'equipment-manager'],
        details: { ...need, rooms },
      })
      .catch((err: unknown) => this.#log.error({ err }, 'storage alert failed'));
  }

  async #releaseAll(need: StorageNeed): Promise<void> {
    this.#storageFull = null;
    this.#log.info({ ...need }, 'disk space back: hearing recording resumes');
    for (const a of this.#active.values()) {
      for (const ch of a.channels.values()) ch.release();
      for (const r of a.retry.splice(0)) await this.#store(a, r.cameraId, r.seg).catch(() => a.retry.push(r));
    }
    await this.#o.alerts?.clear(STORAGE_ALERT.rule, STORAGE_ALERT.subject).catch(() => false);
  }

  /** Segments a crash left in the work dir: stored before anything else (nothing is lost). */
  async #recover(session: HearingSession): Promise<void> {
    const base = join(this.#o.workDir, session.id);
    let cams: string[];
    try {
      cams = await readdir(base);
    } catch {
      return;
    }
    const a = newActive(session);
    for (const r of await this.segments(session.id)) {
      a.seq.set(r.cameraId, Math.max(a.seq.get(r.cameraId) ?? 1, r.seq + 1));
    }
    for (const cameraId of cams) {
      const dir = join(base, cameraId);
      const files = (await readdir(dir).catch(() => [] as string[]))
        .filter((f) => SEGMENT_FILE.test(f))
        .sort();
      for (const f of files) {
        const path = join(dir, f);
        const st = await stat(path);
        if (st.size === 0) {
          await unlink(path).catch(() => {});
          continue;
        }
        const media = await this.#o.probe.probe(path).catch(() => null);
        const end = Math.round(st.mtimeMs);
        const start = end - Math.round((media?.durationS ?? 0) * 1000);
        const run = Number(/^r(\d+)-/.exec(f)?.[1] ?? 0);
        const leadIn = f.startsWith('pre-');
        const seg: ClosedSegment = { path, run, index: 0, start, end, media, bytes: st.size, leadIn };
        await this.#store(a, cameraId, seg).catch((err) =>
          this.#log.error({ err, path }, 'recovering a left-over segment failed; kept'),
        );
      }
    }
    if (session.state === 'stopped') await rm(base, { recursive: true, force: true }).catch(() => {});
  }

  /** `live`: the channels of a running session; their open segments count as recorded (R18). */
  async #summary(
    session: HearingSession,
    windowEnd: number,
    live: readonly Pick<ChannelStats, 'cameraId' | 'open'>[] = [],
  ): Promise<HearingSummary> {
    const rows = await this.segments(session.id);
    const interruptions = await this.#o.interruptions
      .list({ sessionId: session.id, limit: 1000 })
      .catch(() => []);
    const window = { start: session.startedAt, end: Math.max(windowEnd, session.startedAt) };
    const cameras: CameraSummary[] = session.cameras.map((cameraId) => {
      const mine = rows.filter((r) => r.cameraId === cameraId);
      const open = live.find((c) => c.cameraId === cameraId)?.open;
      const cov = coverageOf(window, open ? [...mine, open] : mine);
      const gaps: HearingGap[] = cov.gaps.flatMap((g) => {
        const hit = interruptions.find(
          (i) => i.device === cameraId && i.start < g.end && (i.end ?? Number.POSITIVE_INFINITY) > g.start,
        );
        // A stretch an interruption record covers is always listed; others only when not noise.
        if (!hit && g.end - g.start < MIN_LISTED_GAP_MS) return [];
        return [
          {
            start: g.start,
            end: g.end,
            durationMs: g.end - g.start,
            interruptionId: hit?.id ?? null,
            cause: hit?.cause ?? null,
          },
        ];
      });
      const last = mine.filter((r) => !r.leadIn).at(-1) ?? mine.at(-1);
      return {
        cameraId,
        recordedMs: cov.recordedMs,
        coverage: cov.coverage,
        segments: mine.length,
        bytes: mine.reduce((s, r) => s + r.bytes, 0),
        gaps,
        lastSegmentPlayable: last ? last.playable : null,
      };
    });
    const wallMs = window.end - window.start;
    const recordedMs = cameras.reduce((s, c) => s + c.recordedMs, 0);
    const denom = wallMs * Math.max(1, cameras.length);
    const room = coverageOf(
      window,
      [...rows, ...live.flatMap((c) => (c.open ? [c.open] : []))],
      MIN_LISTED_GAP_MS,
    );
    return {
      wallMs,
      recordedMs,
      coverage: denom === 0 ? 1 : Math.min(1, recordedMs / denom),
      segments: rows.length,
      bytes: rows.reduce((s, r) => s + r.bytes, 0),
      cameras,
      room: { recordedMs: room.recordedMs, coverage: Math.min(1, room.coverage), gaps: room.gaps },
    };
  }

  /** The `hearing-stop` entry, once per session (a stop finished after a restart may repeat it). */
  async #auditStop(s: HearingSession, summary: HearingSummary): Promise<void> {
    const subject = `hearing:${s.id}`;
    const logged = await this.#o.store.audit.bySubject(subject, { reverse: true, limit: 10 });
    if (logged.some((e) => e.type === 'hearing-stop')) return;
    await this.#o.store.audit.append({
      type: 'hearing-stop',
      actor: s.stoppedBy ?? 'gateway',
      subject,
      details: {
        roomId: s.roomId,
        caseNo: s.caseNo,
        startedBy: s.startedBy,
        startedAt: new Date(s.startedAt),
        stoppedAt: s.stoppedAt === null ? null : new Date(s.stoppedAt),
        segments: summary.segments,
        bytes: summary.bytes,
        wallMs: summary.wallMs,
        recordedMs: summary.recordedMs,
        coverage: summary.coverage,
        roomCoverage: summary.room?.coverage ?? null,
        cameras: summary.cameras.map((c) => ({
          cameraId: c.cameraId,
          segments: c.segments,
          coverage: c.coverage,
          gaps: c.gaps.length,
        })),
        // What `gateway reindex` needs beyond the start entry and the segments' ingest entries:
        stoppedBy: s.stoppedBy,
        summary,
        segmentMedia: (await this.segments(s.id)).map(segmentMedia),
      },
    });
  }

  /**
   * `gateway reindex`: a hearing and the segment rows the log holds and the index lacks (a lost
   * table file may take either). One still recording (no stop entry) is resumed at the next start,
   * as after a crash (R18). Returns whether the session was restored and how many segment rows.
   */
  async restore(
    session: HearingSession,
    segments: SegmentRow[],
  ): Promise<{ session: boolean; segments: number }> {
    const missing: { type: 'put'; key: string; value: SegmentRow }[] = [];
    for (const r of segments) {
      const key = `${r.sessionId}!${r.cameraId}!${String(r.seq).padStart(6, '0')}`;
      if ((await this.#segments.get(key)) === undefined) missing.push({ type: 'put', key, value: r });
    }
    if (missing.length > 0) await this.#segments.batch(missing, SYNCED);
    const restored = (await this.#sessions.get(session.id)) === undefined;
    if (restored) await this.#sessions.put(session.id, HearingSession.parse(session), SYNCED);
    return { session: restored, segments: missing.length };
  }

  async #load(id: string): Promise<HearingSession> {
    const s = await this.#sessions.get(id);
    if (!s) throw new GatewayError('NOT_FOUND', `no hearing ${id}`);
    return s;
  }

  async #persist(s: HearingSession): Promise<void> {
    await this.#sessions.put(s.id, s, SYNCED);
    this.#o.bus.emit('hearing.changed', { sessionId: s.id, roomId: s.roomId, state: s.state });
  }
}

function newActive(session: HearingSession): Active {
  return { session, channels: new Map(), seq: new Map(), retry: [], holds: new Map(), leadIns: new Map() };
}

const segmentMedia = (r: SegmentRow): SegmentMedia => [r.clipId, r.run, r.durationS, r.playable];
