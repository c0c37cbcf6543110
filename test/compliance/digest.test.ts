/**
 * The clip digest the monthly report reads (R7, R26): the report from compacted clips is the
 * report from every clip one by one, and the digest follows every change of the clip index
 * (through its journal), a reindex and a missing digest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { detectBreaches } from '../../gateway/compliance/breaches.js';
import { addParts, ClipDigest, type DigestPart, digestClips } from '../../gateway/compliance/clip-digest.js';
import { checkAll } from '../../gateway/compliance/completeness.js';
import { type ComplianceFacts, DAY, emptyFacts, groupBy, HOUR } from '../../gateway/compliance/facts.js';
import { monthPeriod } from '../../gateway/compliance/period.js';
import { computeStats, dayKey } from '../../gateway/compliance/stats.js';
import { clipBytes, factsFor, ingest, makeStore, type TestStore } from '../store/helpers.js';
import { cleanFacts, clipsFor, interruption, MIN, RULES, session, T0, WANG } from './scenario.js';

/** The same facts with every clip compacted as the gateway reads them (digest parts). */
function compacted(f: ComplianceFacts): ComplianceFacts {
  const out = { ...emptyFacts(f.from, f.to, f.now), ...f, clips: [] };
  out.recorded = { spans: new Map(), uploadDelaysMs: [] };
  const parts = [...groupBy(f.clips, (c) => c.sessionId).values()].flatMap((cs) => [
    ...digestClips(cs).values(),
  ]);
  parts.sort((a, b) => a.day.localeCompare(b.day) || a.sessionId.localeCompare(b.sessionId));
  for (const p of parts) addParts(out, p, f.from - 2 * DAY);
  return out;
}

/** A period with a bit of everything the clip rules read. */
function mixedFacts(): ComplianceFacts {
  const f = cleanFacts();
  // The gateway's periods are whole office days (calendar months in UTC+8).
  f.from = monthPeriod('2026-11').from;
  f.to = monthPeriod('2026-11').to;
  // Stored late, still on the recorder, quarantined: listed singly.
  const u = session('s-u', { start: T0 + 4 * DAY, end: T0 + 4 * DAY + 30 * MIN, officer: WANG });
  const uc = clipsFor(u, 3);
  uc[0]!.ingestedAt = uc[0]!.deadline + 5 * HOUR;
  uc[1]!.state = 'on-recorder';
  uc[1]!.ingestedAt = null;
  uc[2]!.state = 'quarantined';
  // Across office midnight (16:00 UTC), with a gap and an interruption in it.
  const m = session('s-m', {
    start: T0 + 5 * DAY + 15 * HOUR + 40 * MIN,
    end: T0 + 5 * DAY + 16 * HOUR + 40 * MIN,
  });
  const mc = clipsFor(m, 4);
  mc[2]!.start += 5 * MIN;
  // Overlapping segments and a lead-in before arrival; one still running.
  const o = session('s-o', { start: T0 + 6 * DAY, end: T0 + 6 * DAY + 20 * MIN });
  const oc = clipsFor(o, 2).map((c, i) => (i === 1 ? { ...c, start: c.start - MIN } : c));
  oc.push({ ...oc[0]!, clipId: 's-o-pre', start: o.start - 2 * MIN, end: o.start + 10_000 });
  const r = session('s-r', { start: f.now - HOUR, end: null });
  const rc = clipsFor({ ...r, end: f.now - 10 * MIN }, 2);
  // Reaching into the period from the month before.
  const e = session('s-e', { start: f.from - HOUR, end: f.from + HOUR });
  f.sessions.push(u, m, o, r, e);
  f.clips.push(...uc, ...mc, ...oc, ...rc, ...clipsFor(e, 4));
  f.interruptions.push(interruption('i-m', m, { start: mc[1]!.end, end: mc[2]!.start, explainedAt: null }));
  f.audit.push({
    seq: 50,
    at: T0 + 4 * DAY + HOUR,
    type: 'quarantine',
    actor: 'dock',
    subject: `clip:${uc[2]!.clipId}`,
    details: { reason: 'sha256 mismatch' },
  });
  return f;
}

describe('the report from the clip digest', () => {
  it('is the report from every clip (completeness, the five breaches, statistics)', () => {
    for (const f of [cleanFacts(), mixedFacts()]) {
      const c = compacted(f);
      expect(c.clips.length).toBeLessThan(f.clips.length);
      expect(checkAll(c, RULES)).toEqual(checkAll(f, RULES));
      expect(detectBreaches(c, RULES)).toEqual(detectBreaches(f, RULES));
      expect(computeStats(c, RULES)).toEqual(computeStats(f, RULES));
    }
    // Not by accident: the mixed period has findings, breaches of several kinds and late uploads.
    const b = detectBreaches(mixedFacts(), RULES).map((x) => x.rule);
    expect(b).toEqual(expect.arrayContaining(['upload-late', 'upload-overdue', 'quarantined-at-ingest']));
    expect(computeStats(mixedFacts(), RULES).uploadDelay.maxH).toBeGreaterThan(24);
  });

  it('keeps only the clips a rule reads singly, one part per session and office day', () => {
    const f = mixedFacts();
    const parts = digestClips(f.clips.filter((c) => c.sessionId === 's-m'));
    expect([...parts.keys()]).toEqual(['2026-11-06', '2026-11-07']);
    expect([...parts.values()].flatMap((p) => p.clips)).toEqual([]);
    const u = [...digestClips(f.clips.filter((c) => c.sessionId === 's-u')).values()];
    expect(u.flatMap((p) => p.clips.map((c) => c.clipId))).toEqual(['s-u-c1', 's-u-c2', 's-u-c3']);
  });
});

describe('ClipDigest on a real store', () => {
  let t: TestStore | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });
  // Recorded an hour ago (stored in time), the next session a day later.
  const STORE_T0 = Date.now() - HOUR;
  const day = dayKey(STORE_T0);
  const next = dayKey(STORE_T0 + DAY);
  const all = async (d: ClipDigest): Promise<DigestPart[]> => {
    const out: DigestPart[] = [];
    for await (const p of d.parts(day, next)) out.push(p);
    return out;
  };

  it('follows announce and ingest through the journal, and survives a reindex', async () => {
    t = await makeStore();
    const digest = new ClipDigest({ db: t.db, index: t.store.index });
    const a = clipBytes(1, 40_000);
    const b = clipBytes(2, 30_000);
    const fa = factsFor(a, { clipId: 'c-a', start: STORE_T0, end: STORE_T0 + 10 * MIN });
    const fb = factsFor(b, { clipId: 'c-b', start: STORE_T0 + 10 * MIN, end: STORE_T0 + 20 * MIN });
    await t.store.announce(fa);
    await t.store.announce(fb);
    await digest.refresh();
    let [p] = await all(digest);
    expect(p!.clips.map((c) => [c.clipId, c.state])).toEqual([
      ['c-a', 'on-recorder'],
      ['c-b', 'on-recorder'],
    ]);
    expect(p!.spans).toEqual([{ from: STORE_T0, to: STORE_T0 + 20 * MIN, first: 'c-a', last: 'c-b' }]);

    await ingest(t.store, a, fa);
    await digest.refresh();
    [p] = await all(digest);
    expect(p!.clips.map((c) => c.clipId)).toEqual(['c-b']);
    expect(p!.delaysMs).toHaveLength(1);
    expect((await t.store.index.changedSessions(10)).keys).toEqual([]);

    // Another session on the next office day; then the index rebuilt from the blobs.
    await t.store.announce({
      ...fb,
      clipId: 'c-c',
      sessionId: 'sess-2',
      start: STORE_T0 + DAY,
      end: STORE_T0 + DAY + MIN,
    });
    await digest.refresh();
    const before = await all(digest);
    expect(before.map((x) => [x.day, x.sessionId])).toEqual([
      [day, 'sess-1'],
      [next, 'sess-2'],
    ]);
    await t.store.reindex();
    expect((await t.store.index.changedSessions(10)).all).toBe(true);
    await digest.refresh();
    expect(await all(digest)).toEqual(before);
    expect((await t.store.index.changedSessions(10)).keys).toEqual([]);
  });
});
