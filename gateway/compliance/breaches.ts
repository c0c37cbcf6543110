/**
 * R26: the five breaches the regulation holds someone accountable for, each decided by an exact
 * rule over the period's facts (RULES.md says the same in words for the office). A breach names
 * who is responsible and the evidence (clip ids, interruption ids, audit seqs); when a rule cannot
 * name anyone it says so rather than guess. Nothing here is a judgement call: a clean period
 * reports nothing.
 */
import type { Officer } from '../../protocol/common.js';
import { type Completeness, checkAll, type Evidence } from './completeness.js';
import {
  type ComplianceFacts,
  type ComplianceRules,
  DAY,
  type FaultFact,
  groupBy,
  HOUR,
  type MaintenanceFact,
  type SessionFact,
} from './facts.js';

export const BREACH_KINDS = [
  'not-recorded',
  'device-not-maintained',
  'not-stored',
  'original-altered',
  'released-without-approval',
] as const;
export type BreachKind = (typeof BREACH_KINDS)[number];

export type BreachRule =
  | 'session-no-recording'
  | 'session-gap-unrecorded'
  | 'case-stage-unrecorded'
  | 'loss-fault-ignored'
  | 'loss-maintenance-overdue'
  | 'upload-late'
  | 'upload-overdue'
  | 'interruption-unexplained'
  | 'integrity-failure'
  | 'quarantined-at-ingest'
  | 'export-unapproved'
  | 'access-unapproved';

export interface Responsible {
  /** officer (held the recorder / recorded), custodian (keeps the device, R21), user (acted), office. */
  kind: 'officer' | 'custodian' | 'user' | 'office';
  id: string | null;
  name: string | null;
  certNo?: string;
}

export interface Breach {
  kind: BreachKind;
  rule: BreachRule;
  /** `session:<id>`, `clip:<id>`, `recorder:<serial>`, `export:<id>`, `case:<no>/<stage>`, `interruption:<id>`. */
  subject: string;
  at: number;
  responsible: Responsible[];
  evidence: Evidence;
  /** Rule-specific numbers (gap length, hours late, fault code...). */
  details: Record<string, string | number | boolean | null>;
}

/** The office that keeps the designated storage (Art. 22): answers for originals kept there. */
export const STORAGE_KEEPER: Responsible = { kind: 'office', id: 'legal-affairs', name: '政策法规处' };

const ev = (clipIds: string[] = [], interruptionIds: string[] = [], auditSeqs: number[] = []): Evidence => ({
  clipIds,
  interruptionIds,
  auditSeqs,
});
const officer = (o: Officer | null): Responsible[] =>
  o
    ? [{ kind: 'officer', id: o.id, name: o.name, certNo: o.certNo }]
    : [{ kind: 'officer', id: null, name: null }];
const LOSS_CAUSES = new Set(['fault', 'battery', 'storage']);
const inPeriod = (f: ComplianceFacts, t: number) => t >= f.from && t < f.to;

export function detectBreaches(
  f: ComplianceFacts,
  rules: ComplianceRules,
  checks: Map<string, Completeness> = checkAll(f, rules),
): Breach[] {
  const sessionById = new Map(f.sessions.map((s) => [s.id, s]));
  const out: Breach[] = [];
  notRecorded(f, rules, checks, out);
  const lossCheck = lossConditions(f, rules);
  const lostClips = new Set<string>();
  deviceNotMaintained(f, lossCheck, lostClips, out);
  notStored(f, rules, sessionById, lostClips, out);
  originalsAltered(f, out);
  releasedWithoutApproval(f, out);
  return out.sort((a, b) => a.at - b.at || a.subject.localeCompare(b.subject));
}

/**
 * (1) Not recording where the list requires it. A session of a `continuous` activity (R14) that
 * ended in the period and (a) has no clip at all, or (b) has a stretch longer than the gap
 * tolerance without a clip that no interruption record covers (nobody recorded why it stopped).
 * Gaps covered by an interruption record go through R19 instead (see (3)). And a case stage in
 * `stagesNeedingRecording` that the case left in the period with no recording linked to it.
 */
function notRecorded(
  f: ComplianceFacts,
  rules: ComplianceRules,
  checks: Map<string, Completeness>,
  out: Breach[],
): void {
  for (const s of f.sessions) {
    if (s.requirement !== 'continuous' || s.end === null || !inPeriod(f, s.end)) continue;
    const c = checks.get(s.id);
    if (!c) continue;
    for (const x of c.findings) {
      if (x.kind !== 'no-recording' && x.kind !== 'gap') continue;
      if (x.evidence.interruptionIds.length > 0) continue;
      out.push({
        kind: 'not-recorded',
        rule: x.kind === 'gap' ? 'session-gap-unrecorded' : 'session-no-recording',
        subject: `session:${s.id}`,
        at: x.at,
        responsible: officer(s.officer),
        evidence: x.evidence,
        details: {
          activity: s.activity,
          caseNo: s.caseNo,
          from: x.from ?? null,
          to: x.to ?? null,
          minutes: Math.round(((x.to ?? 0) - (x.from ?? 0)) / 60_000),
          coverage: c.coverage,
        },
      });
    }
  }
  const needs = new Set(rules.stagesNeedingRecording);
  for (const st of f.caseStages) {
    if (!needs.has(st.stage) || st.leftAt === null || !inPeriod(f, st.leftAt) || st.recordings.length > 0)
      continue;
    out.push({
      kind: 'not-recorded',
      rule: 'case-stage-unrecorded',
      subject: `case:${st.caseNo}/${st.stage}`,
      at: st.leftAt,
      responsible: st.officers.length ? st.officers.flatMap((o) => officer(o)) : officer(null),
      evidence: ev(),
      details: { caseNo: st.caseNo, stage: st.stage, enteredAt: st.enteredAt, leftAt: st.leftAt },
    });
  }
}

interface LossCondition {
  rule: 'loss-fault-ignored' | 'loss-maintenance-overdue';
  details: Record<string, string | number | null>;
}

/**
 * At time t a recorder is "not maintained" when (a) a fault it reported at least faultIgnoredH
 * before t was still not cleared at t and no maintenance entry was logged within faultIgnoredH of
 * the fault, or (b) its last maintenance entry (its registration, if none) is more than
 * maintenanceEveryDays before t.
 */
function lossConditions(f: ComplianceFacts, rules: ComplianceRules) {
  const faults = groupBy(f.faults, (x) => x.device);
  const maint = groupBy(f.maintenance, (m) => m.device);
  for (const list of maint.values()) list.sort((a, b) => a.at - b.at);
  const registered = new Map(f.devices.map((d) => [d.serial, d.registeredAt]));
  const ignoredMs = rules.faultIgnoredH * HOUR;
  return (device: string, t: number): LossCondition | null => {
    const m: MaintenanceFact[] = maint.get(device) ?? [];
    const ignored = (faults.get(device) ?? []).find(
      (x: FaultFact) =>
        x.at <= t - ignoredMs &&
        (x.clearedAt === null || x.clearedAt > t) &&
        !m.some((e) => e.at >= x.at && e.at <= x.at + ignoredMs),
    );
    if (ignored) {
      return {
        rule: 'loss-fault-ignored',
        details: { faultCode: ignored.code, faultAt: ignored.at, faultAlertId: ignored.alertId },
      };
    }
    const reg = registered.get(device);
    let last: number | null = reg ?? null;
    for (const e of m) if (e.at <= t) last = Math.max(last ?? e.at, e.at);
    if (last !== null && t - last > rules.maintenanceEveryDays * DAY) {
      return {
        rule: 'loss-maintenance-overdue',
        details: { lastMaintenanceAt: last, daysSince: Math.floor((t - last) / DAY) },
      };
    }
    return null;
  };
}

/**
 * (2) Devices not maintained so recordings were lost. A loss is an interruption of a recorder for
 * a device cause (fault, battery, storage) that started in the period, or a clip still on a
 * recorder past its R22 deadline; it is this breach when at the loss the recorder was "not
 * maintained" (lossConditions). The recorder's custodian (R21) is responsible.
 */
function deviceNotMaintained(
  f: ComplianceFacts,
  lossAt: (device: string, t: number) => LossCondition | null,
  lostClips: Set<string>,
  out: Breach[],
): void {
  const devices = new Map(f.devices.map((d) => [d.serial, d]));
  const custodian = (serial: string): Responsible[] => {
    const c = devices.get(serial)?.custodian ?? null;
    return [{ kind: 'custodian', id: c, name: c }];
  };
  for (const i of f.interruptions) {
    if (i.source !== 'recorder' || !LOSS_CAUSES.has(i.cause) || !inPeriod(f, i.start)) continue;
    const why = lossAt(i.device, i.start);
    if (!why) continue;
    out.push({
      kind: 'device-not-maintained',
      rule: why.rule,
      subject: `recorder:${i.device}`,
      at: i.start,
      responsible: custodian(i.device),
      evidence: ev([], [i.id]),
      details: { ...why.details, cause: i.cause, sessionId: i.sessionId },
    });
  }
  for (const c of f.clips) {
    if (
      (c.state !== 'on-recorder' && c.state !== 'uploading') ||
      c.deadline >= f.now ||
      !inPeriod(f, c.start)
    )
      continue;
    const why = lossAt(c.device, c.end);
    if (!why) continue;
    lostClips.add(c.clipId);
    out.push({
      kind: 'device-not-maintained',
      rule: why.rule,
      subject: `recorder:${c.device}`,
      at: c.end,
      responsible: custodian(c.device),
      evidence: ev([c.clipId]),
      details: { ...why.details, clipState: c.state, deadline: c.deadline },
    });
  }
}

/**
 * (3) Recordings not stored per the rules. A clip recorded in the period that reached the store
 * after its deadline (end + 24 h, R22) or is still not there past it (unless that loss is already
 * (2)); and an interruption that ended in the period with no written explanation within
 * explainWithinH of its end (R19; cause `gap` = an unexplained gap). Responsible: who held the
 * recorder or started the hearing.
 */
function notStored(
  f: ComplianceFacts,
  rules: ComplianceRules,
  sessionById: Map<string, SessionFact>,
  lostClips: Set<string>,
  out: Breach[],
): void {
  for (const c of f.clips) {
    if (!inPeriod(f, c.start)) continue;
    const who = officer(c.officer ?? sessionById.get(c.sessionId)?.officer ?? null);
    if (c.state === 'verified' && c.ingestedAt !== null && c.ingestedAt > c.deadline) {
      out.push({
        kind: 'not-stored',
        rule: 'upload-late',
        subject: `clip:${c.clipId}`,
        at: c.deadline,
        responsible: who,
        evidence: ev([c.clipId]),
        details: {
          hoursLate: round1((c.ingestedAt - c.deadline) / HOUR),
          deadline: c.deadline,
          ingestedAt: c.ingestedAt,
        },
      });
    } else if (
      (c.state === 'on-recorder' || c.state === 'uploading') &&
      c.deadline < f.now &&
      !lostClips.has(c.clipId)
    ) {
      out.push({
        kind: 'not-stored',
        rule: 'upload-overdue',
        subject: `clip:${c.clipId}`,
        at: c.deadline,
        responsible: who,
        evidence: ev([c.clipId]),
        details: { hoursOverdue: round1((f.now - c.deadline) / HOUR), deadline: c.deadline, state: c.state },
      });
    }
  }
  const within = rules.explainWithinH * HOUR;
  for (const i of f.interruptions) {
    if (i.end === null || !inPeriod(f, i.end) || i.end + within > f.now) continue;
    if (i.explainedAt !== null && i.explainedAt <= i.end + within) continue;
    const s = i.sessionId ? sessionById.get(i.sessionId) : undefined;
    out.push({
      kind: 'not-stored',
      rule: 'interruption-unexplained',
      subject: `interruption:${i.id}`,
      at: i.end + within,
      responsible: officer(i.officer ?? s?.officer ?? null),
      evidence: ev([], [i.id]),
      details: {
        cause: i.cause,
        gap: i.cause === 'gap',
        sessionId: i.sessionId,
        minutes: Math.round((i.end - i.start) / 60_000),
        explainedLate: i.explainedAt !== null,
      },
    });
  }
}

/**
 * (4) Originals destroyed or edited. An `integrity-failure` audit entry in the period that found
 * a clip's original altered or missing (kinds altered, altered-held, missing; resolutions are not
 * failures), one breach per clip with every such entry as evidence: the office keeping the
 * designated storage answers. And a clip quarantined at ingest (the recorder's bytes do not hash
 * to what it claimed it recorded): the officer who held the recorder answers.
 */
function originalsAltered(f: ComplianceFacts, out: Breach[]): void {
  const byClip = new Map<string, Breach>();
  const wanted = new Set(f.audit.filter((a) => a.type === 'quarantine').map((a) => a.subject.slice(5)));
  const clipsById = new Map(f.clips.filter((c) => wanted.has(c.clipId)).map((c) => [c.clipId, c]));
  for (const a of f.audit) {
    if (!inPeriod(f, a.at) || !a.subject.startsWith('clip:')) continue;
    const clipId = a.subject.slice(5);
    if (a.type === 'integrity-failure') {
      const kind = String(a.details.kind ?? '');
      if (a.details.event === 'resolved' || !['altered', 'altered-held', 'missing'].includes(kind)) continue;
      const prev = byClip.get(a.subject);
      if (prev) {
        prev.evidence.auditSeqs.push(a.seq);
        continue;
      }
      const b: Breach = {
        kind: 'original-altered',
        rule: 'integrity-failure',
        subject: a.subject,
        at: a.at,
        responsible: [STORAGE_KEEPER],
        evidence: ev([clipId], [], [a.seq]),
        details: { failure: kind, detectedBy: String(a.details.detectedBy ?? '') },
      };
      byClip.set(a.subject, b);
      out.push(b);
    } else if (a.type === 'quarantine') {
      const clip = clipsById.get(clipId);
      const oid = typeof a.details.officerId === 'string' ? a.details.officerId : null;
      out.push({
        kind: 'original-altered',
        rule: 'quarantined-at-ingest',
        subject: a.subject,
        at: a.at,
        responsible: clip?.officer ? officer(clip.officer) : [{ kind: 'officer', id: oid, name: null }],
        evidence: ev([clipId], [], [a.seq]),
        details: { reason: String(a.details.reason ?? ''), source: String(a.details.source ?? '') },
      });
    }
  }
}

/**
 * (5) Released without approval (R25). An export download or hand-over in the period of an
 * export that has no approval (no approved export record and no `export-approval` entry); an
 * export record built or ready without approval; a clip retrieved or exported (`clip-access`
 * action export/retrieve) that is in no approved export. Whoever did it answers.
 */
function releasedWithoutApproval(f: ComplianceFacts, out: Breach[]): void {
  const approved = new Set(f.exports.filter((e) => e.approved).map((e) => `export:${e.id}`));
  for (const a of f.audit) if (a.type === 'export-approval') approved.add(a.subject);
  const approvedClips = new Set(f.exports.filter((e) => e.approved).flatMap((e) => e.clipIds));
  for (const e of f.exports) {
    if (e.approved || !['building', 'ready'].includes(e.state) || approved.has(`export:${e.id}`)) continue;
    out.push({
      kind: 'released-without-approval',
      rule: 'export-unapproved',
      subject: `export:${e.id}`,
      at: f.to - 1,
      responsible: [{ kind: 'user', id: e.requestedBy, name: null }],
      evidence: ev(e.clipIds.slice(0, 50)),
      details: { caseNo: e.caseNo, state: e.state },
    });
  }
  for (const a of f.audit) {
    if (!inPeriod(f, a.at)) continue;
    if ((a.type === 'export-download' || a.type === 'export-handover') && !approved.has(a.subject)) {
      const prev = out.find((b) => b.subject === a.subject && b.rule === 'export-unapproved');
      if (prev) {
        prev.evidence.auditSeqs.push(a.seq);
        if (!prev.responsible.some((r) => r.id === a.actor))
          prev.responsible.push({ kind: 'user', id: a.actor, name: null });
        continue;
      }
      out.push({
        kind: 'released-without-approval',
        rule: 'export-unapproved',
        subject: a.subject,
        at: a.at,
        responsible: [{ kind: 'user', id: a.actor, name: null }],
        evidence: ev([], [], [a.seq]),
        details: { action: a.type, caseNo: typeof a.details.caseNo === 'string' ? a.details.caseNo : null },
      });
    } else if (
      a.type === 'clip-access' &&
      (a.details.action === 'export' || a.details.action === 'retrieve')
    ) {
      const clipId = a.subject.slice(5);
      if (approvedClips.has(clipId)) continue;
      out.push({
        kind: 'released-without-approval',
        rule: 'access-unapproved',
        subject: a.subject,
        at: a.at,
        responsible: [{ kind: 'user', id: a.actor, name: null }],
        evidence: ev([clipId], [], [a.seq]),
        details: { action: String(a.details.action), reason: String(a.details.reason ?? '') },
      });
    }
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
