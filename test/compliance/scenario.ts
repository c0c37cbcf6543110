/** Small hand-made periods for the compliance rules: a clean one, and one change per breach. */

import {
  type AuditFact,
  type ClipFact,
  type ComplianceFacts,
  type ComplianceRules,
  DAY,
  emptyFacts,
  type FaultFact,
  HOUR,
  type InterruptionFact,
  type SessionFact,
} from '../../gateway/compliance/facts.js';
import type { Officer } from '../../protocol/common.js';

export const T0 = Date.UTC(2026, 10, 1); // 2026-11-01
export const MIN = 60_000;
export const RULES: ComplianceRules = {
  gapToleranceS: 5,
  explainWithinH: 72,
  faultIgnoredH: 24,
  maintenanceEveryDays: 180,
  stagesNeedingRecording: ['investigation'],
};
export const LI: Officer = { id: 'li', name: '李执法', certNo: 'ZF001' };
export const WANG: Officer = { id: 'wang', name: '王执法', certNo: 'ZF002' };

export function session(id: string, o: Partial<SessionFact> = {}): SessionFact {
  return {
    id,
    kind: 'recorder',
    device: 'BC0001',
    officer: LI,
    unit: '综合执法处',
    activity: 'seizure',
    caseNo: 'C-1',
    requirement: 'continuous',
    start: T0 + DAY,
    end: T0 + DAY + 30 * MIN,
    noticeGiven: true,
    statements: 1,
    ...o,
  };
}

/** Clips covering [start, end) of a session in `n` contiguous pieces, stored 1 h after the end. */
export function clipsFor(s: SessionFact, n = 3, o: Partial<ClipFact> = {}): ClipFact[] {
  const end = s.end ?? s.start;
  const step = (end - s.start) / n;
  return Array.from({ length: n }, (_, i) => {
    const cEnd = Math.round(s.start + (i + 1) * step);
    return {
      clipId: `${s.id}-c${i + 1}`,
      sessionId: s.id,
      device: s.device,
      officer: s.officer,
      start: Math.round(s.start + i * step),
      end: cEnd,
      state: 'verified' as const,
      deadline: cEnd + DAY,
      ingestedAt: end + HOUR,
      ...o,
    };
  });
}

export function interruption(
  id: string,
  s: SessionFact,
  o: Partial<InterruptionFact> = {},
): InterruptionFact {
  return {
    id,
    sessionId: s.id,
    source: 'recorder',
    device: s.device,
    officer: s.officer,
    cause: 'battery',
    start: s.start + 10 * MIN,
    end: s.start + 12 * MIN,
    resumed: true,
    resumeStatement: true,
    status: 'explained',
    explainedAt: s.start + 2 * HOUR,
    ...o,
  };
}

/** An audit entry of the kinds the R26 checks read. */
export function entry(
  seq: number,
  at: number,
  type: string,
  actor: string,
  subject: string,
  details: Record<string, unknown> = {},
): AuditFact {
  return { seq, at, type, actor, subject, details };
}

/** A recorder fault raised at `at`, neither cleared nor acknowledged unless said. */
export function fault(device: string, alertId: string, at: number, o: Partial<FaultFact> = {}): FaultFact {
  return { device, code: 'mic', alertId, at, clearedAt: null, ackAt: null, ackBy: null, ...o };
}

/**
 * November 2026, checked on Dec 10: two continuous sessions fully recorded and uploaded in time,
 * one as-needed inquiry with a pause, one battery interruption resumed with a statement and
 * explained the same day, a maintained recorder, an approved export downloaded, a case stage with
 * a recording.
 */
export function cleanFacts(): ComplianceFacts {
  const f = emptyFacts(T0, T0 + 30 * DAY, T0 + 39 * DAY);
  const a = session('s-a');
  const b = session('s-b', {
    start: T0 + 2 * DAY,
    end: T0 + 2 * DAY + 60 * MIN,
    officer: WANG,
    device: 'BC0002',
  });
  const c = session('s-c', {
    start: T0 + 3 * DAY,
    end: T0 + 3 * DAY + 60 * MIN,
    activity: 'inquiry',
    requirement: 'as-needed',
  });
  f.sessions.push(a, b, c);
  // s-b: a battery interruption from 10 to 12 min, recorded on both sides of it.
  const bClips = clipsFor(b, 2);
  bClips[0]!.end = b.start + 10 * MIN;
  bClips[1]!.start = b.start + 12 * MIN;
  f.clips.push(
    ...clipsFor(a),
    ...bClips,
    ...clipsFor(c, 2).map((x, i) => (i === 1 ? { ...x, start: x.start + 10 * MIN } : x)),
  );
  f.interruptions.push(interruption('i-1', b));
  f.devices.push(
    { serial: 'BC0001', unit: '综合执法处', custodian: 'wangshebei', registeredAt: T0 - 30 * DAY },
    { serial: 'BC0002', unit: '综合执法处', custodian: 'wangshebei', registeredAt: T0 - 30 * DAY },
  );
  f.faults.push(fault('BC0002', 'al-1', T0 + 5 * DAY, { code: 'lens', clearedAt: T0 + 5 * DAY + 2 * HOUR }));
  f.maintenance.push({ device: 'BC0001', at: T0 - 10 * DAY, kind: 'inspection', by: 'wangshebei' });
  f.exports.push({
    id: 'e-1',
    state: 'ready',
    caseNo: 'C-1',
    requestedBy: 'chen',
    decidedBy: 'liu',
    approved: true,
    clipIds: ['s-a-c1'],
  });
  f.audit.push(
    entry(10, T0 + 6 * DAY, 'export-approval', 'liu', 'export:e-1'),
    entry(11, T0 + 6 * DAY + HOUR, 'clip-access', 'chen', 'clip:s-a-c1', {
      action: 'export',
      reason: 'disc',
    }),
    entry(12, T0 + 6 * DAY + 2 * HOUR, 'export-download', 'chen', 'export:e-1', { caseNo: 'C-1' }),
    entry(13, T0 + 7 * DAY, 'clip-access', 'chen', 'clip:s-b-c1', { action: 'view', reason: 'review' }),
  );
  f.caseStages.push({
    caseNo: 'C-1',
    stage: 'investigation',
    enteredAt: T0,
    leftAt: T0 + 10 * DAY,
    officers: [LI],
    recordings: ['s-a'],
  });
  return f;
}
