/** Small hand-made periods for the compliance rules: a clean one, and one change per breach. */

import {
  type ClipFact,
  type ComplianceFacts,
  type ComplianceRules,
  DAY,
  emptyFacts,
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
  f.faults.push({
    device: 'BC0002',
    code: 'lens',
    alertId: 'al-1',
    at: T0 + 5 * DAY,
    clearedAt: T0 + 5 * DAY + 2 * HOUR,
    ackAt: null,
    ackBy: null,
  });
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
    { seq: 10, at: T0 + 6 * DAY, type: 'export-approval', actor: 'liu', subject: 'export:e-1', details: {} },
    {
      seq: 11,
      at: T0 + 6 * DAY + HOUR,
      type: 'clip-access',
      actor: 'chen',
      subject: 'clip:s-a-c1',
      details: { action: 'export', reason: 'disc' },
    },
    {
      seq: 12,
      at: T0 + 6 * DAY + 2 * HOUR,
      type: 'export-download',
      actor: 'chen',
      subject: 'export:e-1',
      details: { caseNo: 'C-1' },
    },
    {
      seq: 13,
      at: T0 + 7 * DAY,
      type: 'clip-access',
      actor: 'chen',
      subject: 'clip:s-b-c1',
      details: { action: 'view', reason: 'review' },
    },
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
