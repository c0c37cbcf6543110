/**
 * The records `gateway reindex` rebuilds from entries that hold them (docs/STATE.md): cases and
 * their recording links (R9–R13), hearings and their segments (R14, R18), evidence discs (R23–R25),
 * cameras without their passwords (R21), recorder sessions (R16–R19) and acknowledged alerts (R19).
 * Pure functions of audit entries, oldest first: the last entry about a record wins. An entry that
 * does not hold what its kind needs (logged before it did) is passed over.
 */
import { z } from 'zod';
import { CameraRecord } from '../cameras/registry.js';
import { CaseRecord, RecordingLink } from '../cases/schema.js';
import { ExportRecord } from '../exports/schema.js';
import { HearingSession, HearingSummary, type SegmentMedia, type SegmentRow } from '../hearings/schemas.js';
import { SessionRecord } from '../interruptions/sessions.js';
import type { AuditEntry } from '../store/schema.js';

type Details = Record<string, unknown>;
const subjectId = (e: AuditEntry, kind: string): string | undefined =>
  e.subject.startsWith(`${kind}:`) ? e.subject.slice(kind.length + 1) : undefined;
const details = (e: AuditEntry) => e.details as Details;
const ms = (v: unknown): number | null => (typeof v === 'string' ? Date.parse(v) : null);

/** Cases by registry key and links by id, from `case-admin` entries. */
export function replayCases(entries: Iterable<AuditEntry>): {
  cases: Map<string, CaseRecord>;
  links: Map<string, RecordingLink>;
} {
  const cases = new Map<string, CaseRecord>();
  const links = new Map<string, RecordingLink>();
  for (const e of entries) {
    const d = details(e);
    if (d.action === 'link') {
      const l = RecordingLink.safeParse(d.link);
      if (l.success) links.set(l.data.id, l.data);
      continue;
    }
    const c = CaseRecord.safeParse(d.record);
    if (c.success && e.subject === `case:${c.data.caseNo}`) cases.set(c.data.key, c.data);
  }
  return { cases, links };
}

/**
 * Hearings from `hearing-start` / `hearing-stop` entries, and their segment rows from the
 * segments' `ingest` entries (source `camera:<id>`, the hearing as session) with what the stop
 * entry adds (`segmentMedia`). A hearing stopped before the stop entry held it has no summary; a
 * segment without media facts comes back as playable, run 0, duration unknown.
 */
export function replayHearings(
  entries: Iterable<AuditEntry>,
): Map<string, { session: HearingSession; segments: SegmentRow[] }> {
  const sessions = new Map<string, HearingSession>();
  const media = new Map<string, SegmentMedia>();
  const ingested = new Map<string, AuditEntry>();
  for (const e of entries) {
    const d = details(e);
    if (e.type === 'ingest') {
      if (typeof d.source === 'string' && d.source.startsWith('camera:')) ingested.set(e.subject, e);
      continue;
    }
    const id = subjectId(e, 'hearing');
    if (!id) continue;
    if (e.type === 'hearing-start') {
      const s = HearingSession.safeParse({
        id,
        roomId: d.roomId,
        caseNo: d.caseNo,
        activity: d.activity,
        ...(typeof d.note === 'string' ? { note: d.note } : {}),
        startedBy: e.actor,
        startedAt: ms(d.startedAt),
        stoppedBy: null,
        stoppedAt: null,
        state: 'recording',
        cameras: d.cameras,
        summary: null,
      });
      if (s.success) sessions.set(id, s.data);
    } else if (e.type === 'hearing-stop') {
      const s = sessions.get(id);
      if (!s) continue;
      const summary = HearingSummary.safeParse(d.summary);
      sessions.set(id, {
        ...s,
        state: 'stopped',
        stoppedBy: typeof d.stoppedBy === 'string' ? d.stoppedBy : e.actor,
        stoppedAt: ms(d.stoppedAt),
        summary: summary.success ? summary.data : null,
      });
      if (Array.isArray(d.segmentMedia)) {
        for (const m of d.segmentMedia as SegmentMedia[]) if (Array.isArray(m)) media.set(String(m[0]), m);
      }
    }
  }
  const out = new Map<string, { session: HearingSession; segments: SegmentRow[] }>();
  for (const session of sessions.values()) out.set(session.id, { session, segments: [] });
  for (const e of ingested.values()) {
    const d = details(e);
    const clipId = e.subject.slice('clip:'.length);
    const h = out.get(String(d.sessionId));
    const cameraId = String(d.source).slice('camera:'.length);
    // `<hearing>.<camera>.<seq, 5 digits>[.pre]` (hearings/service.ts #store).
    const seq = Number(clipId.slice(`${d.sessionId}.${cameraId}.`.length).split('.')[0]);
    if (!h || !Number.isInteger(seq) || seq < 1) continue;
    const m = media.get(clipId);
    h.segments.push({
      sessionId: h.session.id,
      cameraId,
      seq,
      clipId,
      sha256: String(d.sha256),
      bytes: Number(d.bytes),
      start: Number(d.start),
      end: Number(d.end),
      durationS: m ? m[2] : null,
      playable: m ? m[3] : true,
      run: m ? m[1] : 0,
      ...(clipId.endsWith('.pre') ? { leadIn: true } : {}),
    });
  }
  return out;
}

/**
 * Evidence discs from `export-*` entries holding the record (`export-request`, `-approval`,
 * `-refused`, `-ready`, `-failed`); the clip list comes from the request, which alone carries it.
 */
export function replayExports(entries: Iterable<AuditEntry>): Map<string, ExportRecord> {
  const clipIds = new Map<string, unknown>();
  const records = new Map<string, Details>();
  for (const e of entries) {
    const id = subjectId(e, 'export');
    const d = details(e);
    if (!id || typeof d.record !== 'object' || d.record === null) continue;
    if (e.type === 'export-request') clipIds.set(id, d.clipIds);
    records.set(id, d.record as Details);
  }
  const out = new Map<string, ExportRecord>();
  for (const [id, r] of records) {
    const rec = ExportRecord.safeParse({ ...r, clipIds: clipIds.get(id) });
    if (rec.success && rec.data.id === id) out.set(id, rec.data);
  }
  return out;
}

const UNKNOWN_HEALTH = { reachable: false, checkedAt: null, clockOffsetMs: null, rttMs: null, error: null };

/** Cameras from `camera-admin` entries, without their passwords (`passwordLost`) or what the camera says. */
export function replayCameras(entries: Iterable<AuditEntry>): Map<string, CameraRecord> {
  const out = new Map<string, CameraRecord>();
  for (const e of entries) {
    const id = subjectId(e, 'camera');
    const d = details(e);
    if (!id) continue;
    if (d.action === 'add') {
      const c = CameraRecord.safeParse({
        id,
        name: d.name,
        xaddr: d.xaddr,
        user: d.user,
        password: '',
        urn: d.urn ?? null,
        roomId: d.roomId ?? null,
        streamUri: d.streamUri ?? null,
        origin: d.origin,
        info: null,
        health: UNKNOWN_HEALTH,
        addedAt: d.addedAt,
        addedBy: e.actor,
        passwordLost: true,
      });
      if (c.success) out.set(id, c.data);
    } else if (d.action === 'assign-room') {
      const c = out.get(id);
      if (c) out.set(id, { ...c, roomId: typeof d.roomId === 'string' ? d.roomId : null });
    } else if (d.action === 'remove') {
      out.delete(id);
    }
  }
  return out;
}

/** The recorder session a `recorder-session` entry holds (restored in log order, in batches). */
export function sessionOf(e: AuditEntry): SessionRecord | undefined {
  const s = SessionRecord.safeParse(details(e).record);
  return s.success && e.subject === `session:${s.data.sessionId}` ? s.data : undefined;
}

export const JournaledAlert = z.object({
  id: z.string(),
  at: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  rule: z.string(),
  subject: z.string(),
  message: z.string(),
  notify: z.array(z.string()),
  details: z.record(z.string(), z.unknown()).optional(),
  active: z.boolean(),
  clearedAt: z.string().optional(),
  ack: z.object({ by: z.string(), at: z.string() }).optional(),
});
export type JournaledAlert = z.infer<typeof JournaledAlert>;

/** Acknowledged alerts (and their clearing) from `alert` entries. */
export function replayAlerts(entries: Iterable<AuditEntry>): Map<string, JournaledAlert> {
  const out = new Map<string, JournaledAlert>();
  for (const e of entries) {
    const a = JournaledAlert.safeParse(details(e).record);
    if (a.success && e.subject === `alert:${a.data.id}`) out.set(a.data.id, a.data);
  }
  return out;
}
