/** R7 statistics on the small clean period of scenario.ts, every number worked out by hand. */
import { describe, expect, it } from 'vitest';
import { checkSession } from '../../gateway/compliance/completeness.js';
import { spansOf } from '../../gateway/compliance/spans.js';
import { computeStats } from '../../gateway/compliance/stats.js';
import { cleanFacts, clipsFor, interruption, MIN, RULES, session } from './scenario.js';

describe('statistics', () => {
  it('counts sessions, hours, coverage, interruptions, upload delays and availability', () => {
    const s = computeStats(cleanFacts(), RULES);
    // s-a 30 min, s-b 10 + 48 min (battery pause), s-c 30 + 20 min (as-needed pause).
    expect(s.totals).toEqual({
      sessions: 3,
      hoursRecorded: 2.3,
      coverage: 88 / 90,
      interruptions: 1,
      explainedInTime: 1,
      overdueClips: 0,
      lateClips: 0,
    });
    expect(s.byOfficer.map((o) => [o.key, o.name, o.sessions])).toEqual([
      ['li', '李执法', 2],
      ['wang', '王执法', 1],
    ]);
    expect(s.byActivity.map((a) => [a.key, a.sessions, a.coverage])).toEqual([
      ['inquiry', 1, null],
      ['seizure', 2, 88 / 90],
    ]);
    expect(s.byUnit).toHaveLength(1);
    expect(s.byDay.map((d) => d.key)).toEqual(['2026-11-02', '2026-11-03', '2026-11-04']);
    expect(s.interruptionsByCause).toEqual([{ cause: 'battery', count: 1, explainedInTime: 1, ended: 1 }]);
    // Every clip stored 1 h after its session ended: delays 1.33 1.17 1.0 | 1.83 1.0 | 1.5 1.0 h.
    expect(s.uploadDelay.buckets.map((b) => b.count)).toEqual([0, 7, 0, 0, 0]);
    expect(s.uploadDelay).toMatchObject({ p50H: 1.17, maxH: 1.83 });
    // BC0002 had a 2 h fault in a 720 h month.
    expect(s.devices.availability).toBeCloseTo((1 + (1 - 2 / 720)) / 2, 9);
  });

  it('counts overdue and late clips and late explanations against the officer', () => {
    const f = cleanFacts();
    f.clips[0]!.state = 'on-recorder';
    f.clips[0]!.ingestedAt = null;
    f.clips[1]!.ingestedAt = f.clips[1]!.deadline + 1;
    f.interruptions[0]!.explainedAt = (f.interruptions[0]!.end ?? 0) + 73 * 3_600_000;
    const s = computeStats(f, RULES);
    expect(s.totals).toMatchObject({ overdueClips: 1, lateClips: 1, explainedInTime: 0 });
    expect(s.byOfficer.find((o) => o.key === 'li')).toMatchObject({ overdueClips: 1, lateClips: 1 });
    expect(s.byOfficer.find((o) => o.key === 'wang')).toMatchObject({ explainedInTime: 0 });
  });
});

describe('completeness of one session', () => {
  it('finds gaps at arrival, between clips and at departure, and names overlapping interruptions', () => {
    const s = session('s', { start: 0, end: 60 * MIN, noticeGiven: false, statements: 0 });
    const clips = clipsFor({ ...s, start: 2 * MIN, end: 50 * MIN }, 2);
    clips[1]!.start += 4 * MIN; // 26..50 -> 30..50 leaves 26..30
    const int = interruption('i', s, { start: 26 * MIN, end: 30 * MIN, resumeStatement: false });
    const c = checkSession(s, spansOf(clips), [int], RULES);
    expect(c.gaps.map((g) => [g.from / MIN, g.to / MIN, g.interruptionIds])).toEqual([
      [0, 2, []],
      [26, 30, ['i']],
      [50, 60, []],
    ]);
    expect(c.coverage).toBeCloseTo(44 / 60, 9);
    expect(c.findings.map((x) => x.kind)).toEqual([
      'gap',
      'gap',
      'gap',
      'no-notice',
      'no-statement',
      'no-resume-statement',
    ]);
    expect(c.findings[1]!.evidence.clipIds).toEqual(['s-c1', 's-c2']);
  });

  it('gaps within the tolerance, overlapping lead-ins and as-needed pauses are not findings', () => {
    const s = session('s', { start: 0, end: 10 * MIN });
    const clips = clipsFor(s, 2);
    clips[1]!.start += 4000; // 4 s < 5 s tolerance
    clips.push({ ...clips[0]!, clipId: 'lead', start: 0, end: 3 * MIN, leadIn: true });
    expect(checkSession(s, spansOf(clips), [], RULES).findings).toEqual([]);
    const asNeeded = { ...s, requirement: 'as-needed' as const };
    expect(checkSession(asNeeded, spansOf(clips.slice(0, 1)), [], RULES).findings).toEqual([]);
    expect(checkSession({ ...s, end: null }, [], [], RULES).findings).toEqual([]);
  });
});
