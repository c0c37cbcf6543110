/**
 * Completeness of one session against the recording list (R14, R16–R19). Pure: the session, its
 * clips and its interruption records in, coverage and findings out.
 *
 *   R14/R18  a `continuous` activity needs recording from arrival (session start) to departure
 *            (session end): every stretch longer than the gap tolerance without a clip — before
 *            the first clip, between clips, after the last — is a gap; a session with no clip at
 *            all is `no-recording`. `as-needed` and unlisted activities have no coverage duty.
 *   R18      every gap is an interruption: each gap names the interruption records that overlap it
 *            (none = nobody recorded why the recording stopped).
 *   R16/R17  a body-camera session that recorded anything has a notice-given marker and at least
 *            one statement marker (hearings are recorded by fixed cameras: not applicable).
 *   R19      each interruption that resumed has a resume statement.
 * Sessions still running are not judged (departure is not known yet).
 */
import {
  type ComplianceFacts,
  type ComplianceRules,
  groupBy,
  type InterruptionFact,
  type SessionFact,
  sessionSpans,
} from './facts.js';
import { clipSpans, type SpanFact } from './spans.js';

export type FindingKind = 'no-recording' | 'gap' | 'no-notice' | 'no-statement' | 'no-resume-statement';

export interface Evidence {
  clipIds: string[];
  interruptionIds: string[];
  /** Audit log entries (seq) that show it; filled where the audit entry is known. */
  auditSeqs: number[];
}

export interface Finding {
  kind: FindingKind;
  requirement: 'R14' | 'R16' | 'R17' | 'R18' | 'R19';
  sessionId: string;
  /** Device time the finding is placed at. */
  at: number;
  /** For gaps: the stretch without recording. */
  from?: number;
  to?: number;
  evidence: Evidence;
}

export interface Gap {
  from: number;
  to: number;
  before: string | null;
  after: string | null;
  interruptionIds: string[];
}

export interface Completeness {
  sessionId: string;
  /** Arrival to departure, ms (0 while running). */
  spanMs: number;
  /** Recorded time inside the span, overlaps counted once. */
  recordedMs: number;
  /** recordedMs / spanMs; null when there is no span (running or zero length). */
  coverage: number | null;
  gaps: Gap[];
  findings: Finding[];
}

const evidence = (clipIds: string[] = [], interruptionIds: string[] = []): Evidence => ({
  clipIds,
  interruptionIds,
  auditSeqs: [],
});

export function checkSession(
  s: SessionFact,
  spans: readonly SpanFact[],
  interruptions: readonly InterruptionFact[],
  rules: Pick<ComplianceRules, 'gapToleranceS'>,
): Completeness {
  const findings: Finding[] = [];
  const gaps: Gap[] = [];
  if (s.end === null) return { sessionId: s.id, spanMs: 0, recordedMs: 0, coverage: null, gaps, findings };
  const span = Math.max(0, s.end - s.start);
  const merged = clipSpans(spans, s.start, s.end);
  const recordedMs = merged.reduce((n, m) => n + (m.to - m.from), 0);
  const tol = rules.gapToleranceS * 1000;

  if (s.requirement === 'continuous') {
    if (merged.length === 0) {
      findings.push({
        kind: 'no-recording',
        requirement: 'R14',
        sessionId: s.id,
        at: s.start,
        from: s.start,
        to: s.end,
        evidence: evidence([], overlapping(interruptions, s.start, s.end)),
      });
    } else {
      let prevEnd = s.start;
      let prevClip: string | null = null;
      for (const m of [...merged, { from: s.end, to: s.end, first: null, last: null }]) {
        if (m.from - prevEnd > tol) {
          const ids = overlapping(interruptions, prevEnd, m.from);
          const g: Gap = {
            from: prevEnd,
            to: m.from,
            before: prevClip,
            after: m.first,
            interruptionIds: ids,
          };
          gaps.push(g);
          findings.push({
            kind: 'gap',
            requirement: 'R18',
            sessionId: s.id,
            at: prevEnd,
            from: prevEnd,
            to: m.from,
            evidence: evidence(
              [prevClip, m.first].filter((x): x is string => x !== null),
              ids,
            ),
          });
        }
        prevEnd = Math.max(prevEnd, m.to);
        prevClip = m.last;
      }
    }
  }

  if (s.kind === 'recorder' && merged.length > 0) {
    const all = merged.map((m) => m.first);
    if (s.noticeGiven === false) {
      findings.push({
        kind: 'no-notice',
        requirement: 'R16',
        sessionId: s.id,
        at: s.start,
        evidence: evidence(all),
      });
    }
    if (s.statements === 0) {
      findings.push({
        kind: 'no-statement',
        requirement: 'R17',
        sessionId: s.id,
        at: s.start,
        evidence: evidence(all),
      });
    }
  }

  for (const i of interruptions) {
    if (i.resumed && !i.resumeStatement) {
      findings.push({
        kind: 'no-resume-statement',
        requirement: 'R19',
        sessionId: s.id,
        at: i.end ?? i.start,
        evidence: evidence([], [i.id]),
      });
    }
  }

  return {
    sessionId: s.id,
    spanMs: span,
    recordedMs,
    coverage: span > 0 ? recordedMs / span : null,
    gaps,
    findings,
  };
}

/** Interruption records whose [start, end] overlaps [from, to] (an open one runs to infinity). */
function overlapping(interruptions: readonly InterruptionFact[], from: number, to: number): string[] {
  return interruptions
    .filter((i) => i.start <= to && (i.end ?? Number.POSITIVE_INFINITY) >= from)
    .map((i) => i.id);
}

/** Every session of the facts checked once (the report, the breaches and the statistics share it). */
export function checkAll(
  f: ComplianceFacts,
  rules: Pick<ComplianceRules, 'gapToleranceS'>,
): Map<string, Completeness> {
  const spans = sessionSpans(f);
  const ints = groupBy(f.interruptions, (i) => i.sessionId);
  const out = new Map<string, Completeness>();
  for (const s of f.sessions) out.set(s.id, checkSession(s, spans(s.id), ints.get(s.id) ?? [], rules));
  return out;
}
