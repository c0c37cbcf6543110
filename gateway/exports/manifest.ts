/**
 * `manifest.json` of an evidence disc (FORMATS.md §3): per clip what R23 asks to be noted — who
 * collected it, when and where — with its hash, size, device, officer and certificate number,
 * times in Asia/Shanghai and UTC, case, stage and activity, upload time against the 24 h deadline
 * (R22), and per session its coverage and every interruption with cause and written explanation
 * (R18, R19). Pure functions over facts gathered by the builder.
 */
import type { Activity, Officer } from '../../protocol/common.js';
import type { InterruptionRecord } from '../interruptions/record.js';
import type { ClipRecord } from '../store/index.js';
import type { ExportRecord, Person } from './schema.js';

/** The text-record stages of R9-R13 an activity belongs to. */
export type Stage =
  | 'application-acceptance'
  | 'investigation'
  | 'review-decision'
  | 'service-execution'
  | 'closing-archiving';

const STAGE_OF: Record<Activity, Stage | null> = {
  acceptance: 'application-acceptance',
  inquiry: 'investigation',
  inspection: 'investigation',
  'evidence-collection': 'investigation',
  sampling: 'investigation',
  testing: 'investigation',
  preservation: 'investigation',
  seizure: 'investigation',
  'notice-of-rights': 'investigation',
  hearing: 'investigation',
  'expert-review': 'investigation',
  'on-site-enforcement': 'investigation',
  decision: 'review-decision',
  service: 'service-execution',
  execution: 'service-execution',
  archiving: 'closing-archiving',
  other: null,
};

export function stageOf(activity: Activity | undefined): Stage | null {
  return activity ? STAGE_OF[activity] : null;
}

/** A time both ways: UTC ISO and Beijing time (UTC+8, no daylight saving) with its offset. */
export interface TwoZones {
  utc: string;
  shanghai: string;
}

export function twoZones(ms: number): TwoZones {
  return {
    utc: new Date(ms).toISOString(),
    shanghai: new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00'),
  };
}

export interface ManifestInterruption {
  id: string;
  cause: string;
  start: TwoZones;
  end: TwoZones | null;
  resumed: boolean;
  resumeStatement: boolean;
  status: string;
  explanation: { text: string; author: string; at: string } | null;
}

export interface ManifestSession {
  sessionId: string;
  kind: 'recorder' | 'hearing';
  /** Recorder serial, or the hearing's room. */
  device: string | null;
  start: TwoZones | null;
  end: TwoZones | null;
  /** Recorded time / session span (0..1), null when the span is unknown. */
  coverage: number | null;
  /** Clips of the session in the store, and how many are on this disc. */
  clipsInStore: number;
  clipsOnDisc: number;
  flags: string[];
  interruptions: ManifestInterruption[];
}

export interface ManifestFile {
  path: string;
  clipId: string;
  sha256: string;
  bytes: number;
  contentType: string;
  source: { kind: 'recorder' | 'camera'; id: string };
  recorderSerial: string | null;
  cameraId: string | null;
  officer: Officer | null;
  start: TwoZones;
  end: TwoZones;
  durationS: number;
  position: { lat: number; lon: number; accM?: number } | null;
  place: string | null;
  caseNo: string | null;
  stage: Stage | null;
  activity: Activity | null;
  /** R23: who collected it, when, where. */
  collector: { who: string; when: string; where: string | null };
  /** R22: on the designated storage within 24 h of the end of recording. */
  upload: { ingestedAt: string | null; deadline: TwoZones; withinDeadline: boolean | null };
  sessionId: string;
  markers: ClipRecord['markers'];
}

export interface Manifest {
  v: 1;
  exportId: string;
  gatewayId: string;
  createdAt: string;
  caseNo: string;
  purpose: string;
  recipient: ExportRecord['recipient'];
  outsideRequest?: ExportRecord['outsideRequest'];
  requestedBy: Person;
  approvedBy: Person;
  approvedAt: string;
  sensitivity: ExportRecord['sensitivity'];
  files: ManifestFile[];
  sessions: ManifestSession[];
}

/** What the builder knows about one clip beyond its index record. */
export interface ClipExtras {
  path: string;
  contentType: string;
  officer: Officer | null;
  /** Display name of who started a hearing (the collector of camera clips). */
  collector: string | null;
  place: string | null;
  position: ManifestFile['position'];
}

export function fileEntry(r: ClipRecord, x: ClipExtras): ManifestFile {
  const ingested = r.ingestedAt ? Date.parse(r.ingestedAt) : null;
  const who = x.officer ? `${x.officer.name} (${x.officer.certNo})` : (x.collector ?? 'unknown');
  return {
    path: x.path,
    clipId: r.clipId,
    sha256: r.sha256,
    bytes: r.bytes,
    contentType: x.contentType,
    source: { kind: r.source.kind, id: r.source.id },
    recorderSerial: r.source.kind === 'recorder' ? r.source.id : null,
    cameraId: r.source.kind === 'camera' ? r.source.id : null,
    officer: x.officer,
    start: twoZones(r.start),
    end: twoZones(r.end),
    durationS: Math.round((r.end - r.start) / 100) / 10,
    position: x.position,
    place: x.place,
    caseNo: r.caseNo ?? null,
    stage: stageOf(r.activity),
    activity: r.activity ?? null,
    collector: { who, when: new Date(r.start).toISOString(), where: x.place },
    upload: {
      ingestedAt: r.ingestedAt ?? null,
      deadline: twoZones(r.deadline),
      withinDeadline: ingested === null ? null : ingested <= r.deadline,
    },
    sessionId: r.sessionId,
    markers: r.markers,
  };
}

/** Recorded time over the span, with overlapping clips counted once; null without a span. */
export function coverage(clips: { start: number; end: number }[], span?: { start: number; end: number }) {
  if (clips.length === 0) return null;
  const sorted = [...clips].sort((a, b) => a.start - b.start);
  const from = span?.start ?? sorted[0]!.start;
  const to = span?.end ?? Math.max(...sorted.map((c) => c.end));
  if (to <= from) return null;
  let covered = 0;
  let curStart = -1;
  let curEnd = -1;
  for (const c of sorted) {
    const s = Math.max(c.start, from);
    const e = Math.min(c.end, to);
    if (e <= s) continue;
    if (s > curEnd) {
      if (curEnd > curStart) covered += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else curEnd = Math.max(curEnd, e);
  }
  if (curEnd > curStart) covered += curEnd - curStart;
  return Math.round((covered / (to - from)) * 10_000) / 10_000;
}

export function interruptionEntry(i: InterruptionRecord): ManifestInterruption {
  return {
    id: i.id,
    cause: i.cause,
    start: twoZones(i.start),
    end: i.end === null ? null : twoZones(i.end),
    resumed: i.resumed,
    resumeStatement: i.resumeStatement,
    status: i.status,
    explanation: i.explanation
      ? { text: i.explanation.text, author: i.explanation.author, at: i.explanation.at }
      : null,
  };
}

/** The file's bytes: pretty JSON with a final newline (its SHA-256 goes into `export-built`). */
export function manifestBytes(m: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
}
