/**
 * What the compliance checks read: plain rows taken from the stores for one period (collect.ts
 * fills them from the gateway; tests and the bench build them directly). The rules in
 * completeness.ts, breaches.ts and stats.ts are pure functions of these rows, so each rule can be
 * checked by hand against the same rows (RULES.md).
 */
import type { Activity, Officer } from '../../protocol/common.js';
import { mergeSpans, type SpanFact, spansOf } from './spans.js';

export type Requirement = 'continuous' | 'as-needed' | 'unlisted' | 'unknown';

/** One enforcement activity: a body recorder's session or a hearing (R14, R18). */
export interface SessionFact {
  id: string;
  kind: 'recorder' | 'hearing';
  /** Recorder serial or hearing room. */
  device: string;
  /** Who recorded: the officer holding the recorder (pairing) or the hearing staff who started it. */
  officer: Officer | null;
  unit: string | null;
  activity: Activity | null;
  caseNo: string | null;
  requirement: Requirement;
  /** Arrival (session start) and departure (session end), device time; end null while running. */
  start: number;
  end: number | null;
  /** R16 and R17 markers; null = not applicable (hearings are not body-camera recordings). */
  noticeGiven: boolean | null;
  statements: number | null;
}

export interface ClipFact {
  clipId: string;
  sessionId: string;
  device: string;
  /** Who held the recorder (pairing) or started the hearing. */
  officer: Officer | null;
  start: number;
  end: number;
  state: 'on-recorder' | 'uploading' | 'verified' | 'quarantined';
  /** R22: end + 24 h. */
  deadline: number;
  /** When the verified original was stored; null while pending. */
  ingestedAt: number | null;
  /** Lead-in from a hearing camera's pre-roll: part of coverage, not a clip of its own. */
  leadIn?: boolean;
}

export interface InterruptionFact {
  id: string;
  sessionId: string | null;
  source: 'recorder' | 'camera';
  device: string;
  officer: Officer | null;
  cause: string;
  start: number;
  end: number | null;
  resumed: boolean;
  resumeStatement: boolean;
  status: 'open' | 'explained' | 'reviewed' | 'closed';
  /** When the current explanation was first written (ms); null = none. */
  explainedAt: number | null;
}

export interface DeviceFact {
  serial: string;
  unit: string | null;
  /** The equipment manager who keeps it (R21). */
  custodian: string | null;
  registeredAt: number;
}

/** A fault a recorder reported (alert `recorder-fault`), with when it was cleared or acknowledged. */
export interface FaultFact {
  device: string;
  code: string;
  alertId: string;
  at: number;
  clearedAt: number | null;
  ackAt: number | null;
  ackBy: string | null;
}

export interface MaintenanceFact {
  device: string;
  at: number;
  kind: string;
  by: string;
}

/** Audit entries of the types the R26 checks read (integrity, quarantine, access, exports). */
export interface AuditFact {
  seq: number;
  at: number;
  type: string;
  actor: string;
  subject: string;
  details: Record<string, unknown>;
}

export interface ExportFact {
  id: string;
  state: string;
  caseNo: string;
  requestedBy: string;
  decidedBy: string | null;
  /** Approved: decided and not refused (an `export-approval` entry exists or decidedBy with a build). */
  approved: boolean;
  clipIds: string[];
}

/** A case stage (R9–R13) and the recordings linked to it (from the case registry). */
export interface CaseStageFact {
  caseNo: string;
  stage: string;
  enteredAt: number;
  /** Null while the case is still in this stage. */
  leftAt: number | null;
  officers: Officer[];
  /** Recordings linked to this case in this stage (session or clip ids). */
  recordings: string[];
}

export interface ComplianceFacts {
  /** The period checked, [from, to) ms, and the time of the check. */
  from: number;
  to: number;
  now: number;
  sessions: SessionFact[];
  /**
   * Clips one by one. The gateway lists here only the clips a rule looks at singly (pending,
   * stored late, quarantined) and gives all the others compacted in `recorded` (clip-digest.ts);
   * tests may list every clip here. Both count alike.
   */
  clips: ClipFact[];
  recorded: RecordedFacts;
  interruptions: InterruptionFact[];
  devices: DeviceFact[];
  faults: FaultFact[];
  maintenance: MaintenanceFact[];
  audit: AuditFact[];
  exports: ExportFact[];
  caseStages: CaseStageFact[];
}

/** Clips stored in time, compacted: what they recorded and how long their uploads took. */
export interface RecordedFacts {
  /** Per session id, its recorded stretches, oldest first. */
  spans: Map<string, SpanFact[]>;
  /** Stored-at minus end of recording (ms) of the verified clips that started in the period. */
  uploadDelaysMs: number[];
}

/** The tolerances the rules use (config `compliance` plus the R18 gap tolerance). */
export interface ComplianceRules {
  gapToleranceS: number;
  /** R19 "explain in writing afterwards": within this many hours of the interruption's end. */
  explainWithinH: number;
  /** A fault neither cleared nor acknowledged within this is "ignored". */
  faultIgnoredH: number;
  /** A recorder without maintenance for this long (since registration if never) is overdue. */
  maintenanceEveryDays: number;
  /** Stages that must have at least one recording once left (R9–R13 with R14). */
  stagesNeedingRecording: readonly string[];
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function emptyFacts(from: number, to: number, now: number): ComplianceFacts {
  return {
    from,
    to,
    now,
    sessions: [],
    clips: [],
    recorded: { spans: new Map(), uploadDelaysMs: [] },
    interruptions: [],
    devices: [],
    faults: [],
    maintenance: [],
    audit: [],
    exports: [],
    caseStages: [],
  };
}

/** Groups rows by a key (one pass). */
export function groupBy<T>(rows: readonly T[], key: (r: T) => string | null): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === null) continue;
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** A session's recorded stretches from both the compacted clips and the ones listed singly. */
export function sessionSpans(f: ComplianceFacts): (sessionId: string) => SpanFact[] {
  const single = groupBy(f.clips, (c) => c.sessionId);
  return (id) => {
    const listed = single.get(id);
    const compacted = f.recorded.spans.get(id) ?? [];
    return listed ? mergeSpans([...compacted, ...spansOf(listed)]) : compacted;
  };
}

/** Upload delays (ms) of every verified clip that started in the period. */
export function uploadDelaysMs(f: ComplianceFacts): number[] {
  const out = [...f.recorded.uploadDelaysMs];
  for (const c of f.clips) {
    if (c.start >= f.from && c.start < f.to && c.state === 'verified' && c.ingestedAt !== null)
      out.push(c.ingestedAt - c.end);
  }
  return out;
}
