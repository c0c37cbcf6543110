/**
 * R26: each of the five breaches is detected from a period that produces it, names who answers
 * for it with the evidence, and the clean period reports nothing (a false positive holds an
 * officer accountable for nothing).
 */
import { describe, expect, it } from 'vitest';
import { detectBreaches } from '../../gateway/compliance/breaches.js';
import { DAY, HOUR } from '../../gateway/compliance/facts.js';
import {
  cleanFacts,
  clipsFor,
  entry,
  fault,
  interruption,
  LI,
  MIN,
  RULES,
  session,
  T0,
  WANG,
} from './scenario.js';

describe('R26 breaches', () => {
  it('a clean period reports nothing', () => {
    expect(detectBreaches(cleanFacts(), RULES)).toEqual([]);
  });

  it('(1) a continuous session without recording from arrival, and with no recording at all', () => {
    const f = cleanFacts();
    const late = session('s-late', { start: T0 + 4 * DAY, end: T0 + 4 * DAY + 40 * MIN });
    const clips = clipsFor(late, 2);
    clips[0]!.start = late.start + 8 * MIN; // arrived, recorded only 8 min later
    const none = session('s-none', { start: T0 + 5 * DAY, end: T0 + 5 * DAY + 20 * MIN, officer: WANG });
    f.sessions.push(late, none);
    f.clips.push(...clips);
    const b = detectBreaches(f, RULES);
    expect(b.map((x) => [x.kind, x.rule, x.subject])).toEqual([
      ['not-recorded', 'session-gap-unrecorded', 'session:s-late'],
      ['not-recorded', 'session-no-recording', 'session:s-none'],
    ]);
    expect(b[0]!.responsible[0]).toMatchObject({
      kind: 'officer',
      id: 'li',
      name: '李执法',
      certNo: 'ZF001',
    });
    expect(b[0]!.evidence.clipIds).toEqual(['s-late-c1']);
    expect(b[0]!.details.minutes).toBe(8);
    expect(b[1]!.responsible[0]!.id).toBe('wang');
  });

  it('(1) a gap covered by an interruption record is not "not recording" (R19 applies instead)', () => {
    const f = cleanFacts();
    const s = f.sessions.find((x) => x.id === 's-a')!;
    f.clips = f.clips.filter((c) => c.clipId !== 's-a-c2');
    f.interruptions.push(
      interruption('i-gap', s, { cause: 'gap', start: s.start + 10 * MIN, end: s.start + 20 * MIN }),
    );
    expect(detectBreaches(f, RULES)).toEqual([]);
  });

  it('(1) a case stage left without any recording names the case officers', () => {
    const f = cleanFacts();
    f.caseStages.push({
      caseNo: 'C-2',
      stage: 'investigation',
      enteredAt: T0 + DAY,
      leftAt: T0 + 8 * DAY,
      officers: [LI, WANG],
      recordings: [],
    });
    f.caseStages.push({
      caseNo: 'C-3',
      stage: 'acceptance',
      enteredAt: T0 + DAY,
      leftAt: T0 + 8 * DAY,
      officers: [LI],
      recordings: [],
    });
    f.caseStages.push({
      caseNo: 'C-4',
      stage: 'investigation',
      enteredAt: T0 + DAY,
      leftAt: null,
      officers: [LI],
      recordings: [],
    });
    const b = detectBreaches(f, RULES);
    expect(b).toHaveLength(1);
    expect(b[0]).toMatchObject({
      kind: 'not-recorded',
      rule: 'case-stage-unrecorded',
      subject: 'case:C-2/investigation',
    });
    expect(b[0]!.responsible.map((r) => r.id)).toEqual(['li', 'wang']);
  });

  it('(2) a recording lost on a recorder whose fault was ignored names its custodian', () => {
    const f = cleanFacts();
    f.faults.push(fault('BC0001', 'al-9', T0 + 8 * DAY));
    const s = session('s-f', { start: T0 + 10 * DAY, end: T0 + 10 * DAY + 30 * MIN });
    const clips = clipsFor(s, 2);
    clips[0]!.end = s.start + 10 * MIN;
    clips[1]!.start = s.start + 15 * MIN;
    f.sessions.push(s);
    f.clips.push(...clips);
    f.interruptions.push(
      interruption('i-f', s, { cause: 'fault', start: s.start + 10 * MIN, end: s.start + 15 * MIN }),
    );
    const b = detectBreaches(f, RULES);
    expect(b.map((x) => [x.kind, x.rule])).toEqual([['device-not-maintained', 'loss-fault-ignored']]);
    expect(b[0]!.responsible[0]).toMatchObject({ kind: 'custodian', id: 'wangshebei' });
    expect(b[0]!.evidence.interruptionIds).toEqual(['i-f']);
    expect(b[0]!.details.faultAlertId).toBe('al-9');
  });

  it('(2) not when the fault was attended (maintenance logged within the day) or the loss came before it was ignored', () => {
    const f = cleanFacts();
    f.faults.push(fault('BC0001', 'al-9', T0 + 8 * DAY));
    f.maintenance.push({ device: 'BC0001', at: T0 + 8 * DAY + 3 * HOUR, kind: 'repair', by: 'wangshebei' });
    const s = session('s-f', { start: T0 + 10 * DAY, end: T0 + 10 * DAY + 30 * MIN });
    f.sessions.push(s);
    f.clips.push(...clipsFor(s));
    f.interruptions.push(interruption('i-f', s, { cause: 'fault' }));
    f.faults.push(fault('BC0002', 'al-10', T0 + 12 * DAY, { code: 'x' }));
    const s2 = session('s-g', {
      device: 'BC0002',
      start: T0 + 12 * DAY + HOUR,
      end: T0 + 12 * DAY + 2 * HOUR,
    });
    f.sessions.push(s2);
    f.clips.push(...clipsFor(s2));
    f.interruptions.push(interruption('i-g', s2, { cause: 'fault', device: 'BC0002' }));
    expect(detectBreaches(f, RULES)).toEqual([]);
  });

  it('(2) a clip lost on a recorder with maintenance overdue goes to the custodian, not the officer', () => {
    const f = cleanFacts();
    f.devices[1]!.registeredAt = T0 - 400 * DAY;
    const s = session('s-m', {
      device: 'BC0002',
      officer: WANG,
      start: T0 + 3 * DAY,
      end: T0 + 3 * DAY + 30 * MIN,
    });
    f.sessions.push(s);
    f.clips.push(...clipsFor(s, 1, { state: 'on-recorder', ingestedAt: null }));
    const b = detectBreaches(f, RULES);
    // The clean period's battery interruption on BC0002 is now a loss on an unmaintained recorder too.
    expect(b.map((x) => [x.kind, x.rule, x.subject, x.evidence])).toEqual([
      [
        'device-not-maintained',
        'loss-maintenance-overdue',
        'recorder:BC0002',
        { clipIds: [], interruptionIds: ['i-1'], auditSeqs: [] },
      ],
      [
        'device-not-maintained',
        'loss-maintenance-overdue',
        'recorder:BC0002',
        { clipIds: ['s-m-c1'], interruptionIds: [], auditSeqs: [] },
      ],
    ]);
    expect(b[1]!.responsible[0]).toMatchObject({ kind: 'custodian', id: 'wangshebei' });
  });

  it('(3) late and overdue uploads, and an interruption left unexplained, name the officer', () => {
    const f = cleanFacts();
    const s = session('s-u', { start: T0 + 4 * DAY, end: T0 + 4 * DAY + 30 * MIN, officer: WANG });
    const clips = clipsFor(s, 2);
    clips[0]!.ingestedAt = clips[0]!.deadline + 5 * HOUR;
    clips[1]!.state = 'on-recorder';
    clips[1]!.ingestedAt = null;
    f.sessions.push(s);
    f.clips.push(...clips);
    const a = f.sessions[0]!;
    f.interruptions.push(
      interruption('i-u', a, {
        cause: 'gap',
        status: 'open',
        explainedAt: null,
        start: a.start + 5 * MIN,
        end: a.start + 5 * MIN,
      }),
    );
    const b = detectBreaches(f, RULES);
    expect(b.map((x) => [x.kind, x.rule, x.subject, x.responsible[0]!.id])).toEqual([
      ['not-stored', 'interruption-unexplained', 'interruption:i-u', 'li'],
      ['not-stored', 'upload-late', 'clip:s-u-c1', 'wang'],
      ['not-stored', 'upload-overdue', 'clip:s-u-c2', 'wang'],
    ]);
    expect(b[1]!.details.hoursLate).toBe(5);
  });

  it('(3) an interruption explained within the window, or whose window is still open, is fine', () => {
    const f = cleanFacts();
    const a = f.sessions[0]!;
    f.interruptions.push(interruption('i-ok', a, { explainedAt: a.start + 71 * HOUR }));
    f.interruptions.push(
      interruption('i-open', a, {
        start: f.now - HOUR,
        end: f.now - HOUR,
        explainedAt: null,
        status: 'open',
      }),
    );
    expect(detectBreaches(f, RULES)).toEqual([]);
  });

  it('(4) altered and missing originals (one per clip, every entry as evidence) and a quarantine', () => {
    const f = cleanFacts();
    f.audit.push(
      entry(20, T0 + 9 * DAY, 'integrity-failure', 'gateway', 'clip:s-a-c2', {
        kind: 'altered',
        detectedBy: 'sweep',
      }),
      entry(21, T0 + 9 * DAY + 1, 'integrity-failure', 'gateway', 'clip:s-a-c2', {
        kind: 'altered',
        detectedBy: 'serve',
      }),
      entry(22, T0 + 9 * DAY + 2, 'integrity-failure', 'liu', 'clip:s-a-c2', {
        event: 'resolved',
        kind: 'altered',
      }),
      entry(23, T0 + 9 * DAY + 3, 'integrity-failure', 'gateway', 'audit:log', { kind: 'audit-chain' }),
      entry(24, T0 + 9 * DAY + 4, 'integrity-failure', 'gateway', 'clip:s-b-c1', { kind: 'missing' }),
      entry(25, T0 + 9 * DAY + 5, 'quarantine', 'dock', 'clip:s-b-c2', {
        reason: 'sha256 mismatch',
        officerId: 'wang',
      }),
    );
    const b = detectBreaches(f, RULES);
    expect(b.map((x) => [x.kind, x.rule, x.subject, x.evidence.auditSeqs])).toEqual([
      ['original-altered', 'integrity-failure', 'clip:s-a-c2', [20, 21]],
      ['original-altered', 'integrity-failure', 'clip:s-b-c1', [24]],
      ['original-altered', 'quarantined-at-ingest', 'clip:s-b-c2', [25]],
    ]);
    expect(b[0]!.responsible[0]!.kind).toBe('office');
    expect(b[2]!.responsible[0]).toMatchObject({ kind: 'officer', id: 'wang', name: '王执法' });
  });

  it('(5) a download of an unapproved export and a retrieval outside any approved export name who did it', () => {
    const f = cleanFacts();
    f.exports.push({
      id: 'e-2',
      state: 'requested',
      caseNo: 'C-1',
      requestedBy: 'chen',
      decidedBy: null,
      approved: false,
      clipIds: ['s-b-c1'],
    });
    f.audit.push(
      entry(30, T0 + 11 * DAY, 'export-download', 'zhao', 'export:e-2', { caseNo: 'C-1' }),
      entry(31, T0 + 11 * DAY + 1, 'clip-access', 'sun', 'clip:s-b-c2', {
        action: 'retrieve',
        reason: 'court',
      }),
    );
    const b = detectBreaches(f, RULES);
    expect(b.map((x) => [x.kind, x.rule, x.subject, x.responsible[0]!.id, x.evidence.auditSeqs])).toEqual([
      ['released-without-approval', 'export-unapproved', 'export:e-2', 'zhao', [30]],
      ['released-without-approval', 'access-unapproved', 'clip:s-b-c2', 'sun', [31]],
    ]);
  });

  it('nothing outside the period is reported', () => {
    const f = cleanFacts();
    f.audit.push(entry(40, T0 - DAY, 'integrity-failure', 'gateway', 'clip:old', { kind: 'missing' }));
    f.sessions.push(session('s-old', { start: T0 - 2 * DAY, end: T0 - 2 * DAY + MIN }));
    expect(detectBreaches(f, RULES)).toEqual([]);
  });
});
