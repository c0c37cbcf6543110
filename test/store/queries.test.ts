import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipState } from '../../gateway/store/records.js';
import type { ClipRecord } from '../../gateway/store/schema.js';
import { clipBytes, factsFor, HOUR, ingest, makeStore, T0, type TestStore } from './helpers.js';

const officerA = { id: 'off-a', name: 'Zhang San', certNo: 'C-1' };
const officerB = { id: 'off!b%', name: 'Li Si', certNo: 'C-2' }; // separator chars must not leak into keys
const officerAB = { id: 'off', name: 'Prefix', certNo: 'C-3' }; // a prefix of another officer id

const ids = (rs: ClipRecord[]) => rs.map((r) => r.clipId);

describe('index queries', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await makeStore();
    const s = t.store;
    // Verified clips
    const v = [
      { clipId: 'v1', officer: officerA, start: T0, rec: 'REC-1', caseNo: 'K-1', sessionId: 's1' },
      { clipId: 'v2', officer: officerA, start: T0 + HOUR, rec: 'REC-1', caseNo: 'K-2', sessionId: 's1' },
      { clipId: 'v3', officer: officerB, start: T0 + 2 * HOUR, rec: 'REC-2', caseNo: 'K-1', sessionId: 's2' },
    ];
    for (const [i, c] of v.entries()) {
      const bytes = clipBytes(100 + i, 1000 + i);
      await ingest(
        s,
        bytes,
        factsFor(bytes, {
          clipId: c.clipId,
          officer: c.officer,
          start: c.start,
          end: c.start + 600_000,
          source: { kind: 'recorder', id: c.rec },
          caseNo: c.caseNo,
          sessionId: c.sessionId,
        }),
      );
    }
    // Known but not uploaded (each 10 min long): p1 ends T0+30min (deadline T0+24.5h), p2 ends
    // T0+3h, p3 ends T0+4h and is uploading.
    const announce = async (
      clipId: string,
      end: number,
      officer = officerA,
      rec = 'REC-1',
      start = end - 600_000,
    ) => {
      const bytes = clipBytes(clipId.length, 10);
      await s.announce(
        factsFor(bytes, {
          clipId,
          officer,
          start,
          end,
          bytes: 5_000_000,
          source: { kind: 'recorder', id: rec },
          sessionId: 's3',
          caseNo: 'K-3',
        }),
      );
    };
    await announce('p1', T0 + HOUR / 2);
    await announce('p2', T0 + 3 * HOUR, officerB, 'REC-2');
    await announce('p3', T0 + 4 * HOUR, officerAB, 'REC-3');
    await s.markUploading('p3', 1_250_000);
    // A camera segment (no officer)
    const cam = clipBytes(200, 777);
    await ingest(
      s,
      cam,
      factsFor(cam, {
        clipId: 'cam1',
        source: { kind: 'camera', id: 'hear-1' },
        officer: undefined,
        caseNo: 'K-1',
        sessionId: 'h1',
        start: T0 + 5 * HOUR,
        end: T0 + 6 * HOUR,
      }),
    );
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('lists by state, earliest deadline first, with progress for uploads', async () => {
    const ix = t.store.index;
    expect(ids(await ix.listByState('verified'))).toEqual(['v1', 'v2', 'v3', 'cam1']);
    expect(ids(await ix.listByState('on-recorder'))).toEqual(['p1', 'p2']);
    const up = await ix.listByState('uploading');
    expect(up.map((r) => [r.clipId, r.uploadedBytes, r.bytes])).toEqual([['p3', 1_250_000, 5_000_000]]);
  });

  it('computes overdue at a given now: deadline = end + 24 h, strictly after', async () => {
    const ix = t.store.index;
    const p1Deadline = T0 + HOUR / 2 + 24 * HOUR;
    expect((await ix.get('p1'))?.deadline).toBe(p1Deadline);
    expect(ids(await ix.overdue(p1Deadline))).toEqual([]);
    expect(ids(await ix.overdue(p1Deadline + 1))).toEqual(['p1']);
    expect(ids(await ix.overdue(T0 + 100 * HOUR))).toEqual(['p1', 'p2', 'p3']);
    expect(ids(await ix.listByState('overdue', { now: p1Deadline + 1 }))).toEqual(['p1']);
    // With now, on-recorder excludes what is overdue.
    expect(ids(await ix.listByState('on-recorder', { now: p1Deadline + 1 }))).toEqual(['p2']);
    const p1 = (await ix.get('p1'))!;
    expect(clipState(p1, p1Deadline)).toBe('on-recorder');
    expect(clipState(p1, p1Deadline + 1)).toBe('overdue');
    // Verified clips are never overdue, however late.
    expect(clipState((await ix.get('v1'))!, T0 + 1000 * HOUR)).toBe('verified');
  });

  it('lists by officer (ids escaped, no prefix bleed), with a time range', async () => {
    const ix = t.store.index;
    expect(ids(await ix.listByOfficer('off-a'))).toEqual(['v1', 'p1', 'v2']);
    expect(ids(await ix.listByOfficer('off!b%'))).toEqual(['v3', 'p2']);
    expect(ids(await ix.listByOfficer('off'))).toEqual(['p3']);
    expect(ids(await ix.listByOfficer('off-a', { from: T0 + 1, to: T0 + 2 * HOUR }))).toEqual(['p1', 'v2']);
    expect(ids(await ix.listByOfficer('off-a', { limit: 1 }))).toEqual(['v1']);
  });

  it('lists by recorder, camera, session, case and time range', async () => {
    const ix = t.store.index;
    expect(ids(await ix.listByRecorder('REC-1'))).toEqual(['v1', 'p1', 'v2']);
    expect(ids(await ix.listByRecorder('REC-2', { from: T0 + 2 * HOUR }))).toEqual(['v3', 'p2']);
    expect(ids(await ix.listBySource('camera', 'hear-1'))).toEqual(['cam1']);
    expect(ids(await ix.listBySession('s1'))).toEqual(['v1', 'v2']);
    expect(ids(await ix.listByCase('K-1'))).toEqual(['v1', 'v3', 'cam1']);
    expect(ids(await ix.listByTime({ from: T0 + HOUR, to: T0 + 3 * HOUR }))).toEqual(['v2', 'v3', 'p2']);
    expect(ids(await ix.listByTime())).toHaveLength(7);
  });

  it('searches by recorder, officer, date range, case no and state together', async () => {
    const ix = t.store.index;
    expect(ids(await ix.search({ caseNo: 'K-1', from: T0 + HOUR }))).toEqual(['v3', 'cam1']);
    expect(ids(await ix.search({ recorder: 'REC-1', caseNo: 'K-2' }))).toEqual(['v2']);
    expect(ids(await ix.search({ officerId: 'off-a', state: 'verified' }))).toEqual(['v1', 'v2']);
    expect(ids(await ix.search({ state: 'overdue', now: T0 + 100 * HOUR }))).toEqual(['p1', 'p2', 'p3']);
    expect(ids(await ix.search({ camera: 'hear-1', from: T0, to: T0 + 5 * HOUR }))).toEqual([]);
    expect(ids(await ix.search({ from: T0 + 3 * HOUR, limit: 1 }))).toEqual(['p3']);
    expect(ids(await ix.search({ recorder: 'REC-404' }))).toEqual([]);
  });

  it('a recorder re-announcing a pending clip updates its facts, not its keys count', async () => {
    const before = await t.store.index.countKeys();
    const p2 = (await t.store.index.get('p2'))!;
    await t.store.announce({ ...p2, end: p2.end + 1000 });
    expect((await t.store.index.get('p2'))?.deadline).toBe(p2.deadline + 1000);
    expect(await t.store.index.countKeys()).toEqual(before);
    // Announcing a verified clip again changes nothing.
    const v1 = (await t.store.index.get('v1'))!;
    expect(await t.store.announce(v1)).toEqual(v1);
    await expect(t.store.markUploading('never-announced', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
