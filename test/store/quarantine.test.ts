import { readFile, stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clipBytes, factsFor, ingest, makeStore, sha256, type TestStore } from './helpers.js';

describe('quarantine: a recorder that keeps lying about a hash', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const lie = (clipId: string, bytes: Buffer) =>
    factsFor(bytes, { clipId, sha256: sha256(Buffer.from(`claimed-${clipId}`)) });

  async function transfer(clipId: string, bytes: Buffer) {
    const facts = lie(clipId, bytes);
    const w = await t.store.createTempWriter({ clipId, source: facts.source });
    await w.append(bytes, 0);
    return { w, facts };
  }

  it('keeps the bytes under their real hash, marks the clip, logs it, never releases it', async () => {
    const bytes = clipBytes(400, 30_000);
    await t.store.announce(lie('q1', bytes));
    const { w, facts } = await transfer('q1', bytes);
    await expect(t.store.commit(w, facts)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    const rec = await t.store.quarantine(w, facts, 'hash mismatch 3 times in a row');
    const actual = sha256(bytes);
    expect(rec).toMatchObject({
      clipId: 'q1',
      state: 'quarantined',
      sha256: facts.sha256,
      quarantine: {
        reason: 'hash mismatch 3 times in a row',
        held: [
          {
            sha256: actual,
            bytes: bytes.length,
            path: `quarantine/${actual.slice(0, 2)}/${actual.slice(2, 4)}/${actual}`,
          },
        ],
      },
    });
    const held = t.store.layout.blobPath('quarantine', actual);
    expect(sha256(await readFile(held))).toBe(actual);
    expect((await stat(held)).mode & 0o777).toBe(0o400);
    expect(JSON.parse(await readFile(`${held}.json`, 'utf8')).quarantine).toMatchObject({
      claimedSha256: facts.sha256,
      reason: 'hash mismatch 3 times in a row',
    });
    expect(await t.store.index.listByState('quarantined')).toEqual([rec]);
    expect(await t.store.index.overdue(Number.MAX_SAFE_INTEGER)).toEqual([]);
    await expect(t.store.recordRelease('q1')).rejects.toMatchObject({ code: 'NOT_VERIFIED' });
    const trail = await t.store.audit.bySubject('clip:q1');
    expect(trail.map((e) => e.type)).toEqual(['quarantine']);
    expect(trail[0]!.details).toMatchObject({ claimedSha256: facts.sha256, actualSha256: actual });
    expect(await t.store.tempTransfers()).toEqual([]);
    const report = await t.store.verify();
    expect(report.ok).toBe(true);
    expect(report.summary.blobsChecked).toBe(1);
  });

  it('holds every different copy once; the same copy again changes nothing', async () => {
    const a = clipBytes(401, 5000);
    const b = clipBytes(402, 5000);
    let x = await transfer('q2', a);
    await t.store.quarantine(x.w, x.facts, 'first');
    x = await transfer('q2', a);
    await t.store.quarantine(x.w, x.facts, 'first again');
    x = await transfer('q2', b);
    const rec = await t.store.quarantine(x.w, x.facts, 'second');
    expect(rec.quarantine?.held.map((h) => h.sha256).sort()).toEqual([sha256(a), sha256(b)].sort());
    expect((await t.store.audit.bySubject('clip:q2')).length).toBe(2);
    // Reindex rebuilds the same record from the quarantine sidecars.
    await t.store.index.clearAll();
    await t.store.reindex();
    expect(await t.store.index.get('q2')).toEqual(rec);
  });

  it('a quarantined clip that later arrives with the right hash becomes verified, history kept', async () => {
    const bad = clipBytes(403, 2000);
    const good = clipBytes(404, 2000);
    const q = await transfer('q3', bad);
    await t.store.quarantine(q.w, { ...q.facts, sha256: sha256(good) }, 'lied');
    const rec = await ingest(t.store, good, factsFor(good, { clipId: 'q3' }));
    expect(rec.state).toBe('verified');
    expect(rec.quarantine?.held.map((h) => h.sha256)).toEqual([sha256(bad)]);
    await t.store.index.clearAll();
    await t.store.reindex();
    expect(await t.store.index.get('q3')).toEqual(rec);
    // A verified clip is not quarantined afterwards.
    const again = await transfer('q3', bad);
    await expect(t.store.quarantine(again.w, factsFor(good, { clipId: 'q3' }), 'late')).rejects.toMatchObject(
      {
        code: 'CONFLICT',
      },
    );
    await again.w.discard();
  });
});
