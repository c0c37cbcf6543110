import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clipBytes, factsFor, HOUR, ingest, makeStore, T0, type TestStore } from './helpers.js';

describe('reindex: rebuild the index from blobs + sidecars', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function snapshot() {
    const ix = t.store.index;
    return {
      verified: await ix.listByState('verified'),
      byOfficer: await ix.listByOfficer('off-7'),
      byRecorder: await ix.listByRecorder('REC-2'),
      bySession: await ix.listBySession('sess-b'),
      byTime: await ix.listByTime({ from: T0 + HOUR, to: T0 + 5 * HOUR }),
      search: await ix.search({ caseNo: 'K-2', from: T0 }),
      keys: await ix.countKeys(),
    };
  }

  it('gives the same query results from a brand-new LevelDB', async () => {
    for (let i = 0; i < 8; i++) {
      const bytes = clipBytes(600 + i, 3000 + i);
      await ingest(
        t.store,
        bytes,
        factsFor(bytes, {
          clipId: `r${i}`,
          start: T0 + i * HOUR,
          end: T0 + i * HOUR + 60_000,
          source: { kind: 'recorder', id: `REC-${i % 3}` },
          sessionId: i < 4 ? 'sess-a' : 'sess-b',
          caseNo: `K-${(i % 2) + 1}`,
        }),
      );
    }
    const before = await snapshot();
    const auditHead = t.store.audit.head;
    await t.close();
    await rm(t.dbPath, { recursive: true, force: true }); // the index is lost entirely
    await t.reopen();
    // The audit index is rebuilt from the log file on open, and with it the clip rows whose
    // ingest entries it rolled forward (from the sidecars).
    expect(t.store.audit.head).toEqual(auditHead);
    expect(await snapshot()).toEqual(before);
    // reindex gives the same from the sidecars alone.
    await t.store.index.clearAll();
    expect(await t.store.index.get('r0')).toBeUndefined();
    const report = await t.store.reindex({ actor: 'user:admin' });
    expect(report.summary).toEqual({
      verified: 8,
      quarantined: 0,
      pendingKept: 0,
      invalidSidecars: 0,
      sidecarsWithoutBlob: 0,
      conflicts: 0,
    });
    expect(await snapshot()).toEqual(before);
    expect((await t.store.verify()).ok).toBe(true);
  });

  it('keeps clips that are only announced (no sidecar yet)', async () => {
    const bytes = clipBytes(610, 100);
    await t.store.announce(factsFor(bytes, { clipId: 'pending-1' }));
    await ingest(t.store, bytes, factsFor(bytes, { clipId: 'done-1' }));
    const r = await t.store.reindex();
    expect(r.summary).toMatchObject({ verified: 1, pendingKept: 1 });
    expect((await t.store.index.get('pending-1'))?.state).toBe('on-recorder');
  });
});
