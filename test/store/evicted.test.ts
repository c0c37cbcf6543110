/**
 * Eviction on the store's side (store/evicted.ts), without an archive: the caller hands over a
 * verified archived version, the store records it with its audit entry and only then unlinks the
 * blob; a held clip is never moved (R23); bytes another clip still reads stay; a rebuilt index
 * knows where the bytes went; and reads of an evicted original go through the remote port and are
 * hashed as they stream (R25). The archive's own checks run against a real Ceph in
 * test/archive/replication.test.ts.
 */
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.js';
import { DiskWatch } from '../../gateway/store/disk-watch.js';
import type { RemoteOriginals } from '../../gateway/store/evicted.js';
import type { ArchivedAt } from '../../gateway/store/schema.js';
import { clipBytes, factsFor, ingest, makeStore, sha256, type TestStore } from './helpers.js';

const at = (key: string): ArchivedAt => ({
  at: '2026-12-07T10:00:00.000Z',
  bucket: 'originals',
  key,
  versionId: `v-${key}`,
  retainUntil: '2027-06-08T10:00:00.000Z',
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function drain(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('evicted originals in the store', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('records the eviction with its entry, then unlinks; held clips and shared bytes stay', async () => {
    const a = clipBytes(1, 40_000);
    await ingest(t.store, a, factsFor(a, { clipId: 'A' }));
    const blobA = t.store.layout.blobPath('blobs', sha256(a));
    expect(await t.store.evict('A', at('A'))).toBe(a.length);
    expect(await exists(blobA)).toBe(false);
    expect((await t.store.index.get('A'))?.evicted).toEqual(at('A'));
    const entry = (await t.store.audit.bySubject('clip:A')).find((e) => e.type === 'archive');
    expect(entry?.details).toMatchObject({ action: 'evicted', versionId: 'v-A', sha256: sha256(a) });
    expect(await t.store.evict('A', at('A'))).toBe(0); // idempotent, one entry
    expect((await t.store.audit.bySubject('clip:A')).filter((e) => e.type === 'archive')).toHaveLength(1);
    // A hold placed after the eviction does not make finishing it fail.
    await t.store.placeLegalHold('A', { exportId: 'X0', caseNo: 'K', at: at('A').at, by: 'principal' });
    expect(await t.store.evict('A', at('A'))).toBe(0);

    const h = clipBytes(2, 30_000);
    await ingest(t.store, h, factsFor(h, { clipId: 'H' }));
    await t.store.placeLegalHold('H', { exportId: 'X1', caseNo: 'K', at: at('H').at, by: 'principal' });
    await expect(t.store.evict('H', at('H'))).rejects.toMatchObject({ code: 'LEGAL_HOLD' });
    expect(await exists(t.store.layout.blobPath('blobs', sha256(h)))).toBe(true);

    // Two clips with identical bytes share one blob: it goes with the last of them.
    const s = clipBytes(3, 20_000);
    await ingest(t.store, s, factsFor(s, { clipId: 'S1' }));
    await ingest(t.store, s, factsFor(s, { clipId: 'S2' }));
    const blobS = t.store.layout.blobPath('blobs', sha256(s));
    expect(await t.store.evict('S1', at('S'))).toBe(0);
    expect(await exists(blobS)).toBe(true);
    expect(await t.store.evict('S2', at('S'))).toBe(s.length);
    expect(await exists(blobS)).toBe(false);

    // The sweep checks what is here and does not call the evicted ones missing.
    const report = await t.store.verify();
    expect(report.blobs.missing).toEqual([]);
    expect(report.blobs.orphans).toEqual([]);
    // A rebuilt index keeps where the bytes went.
    await t.store.index.clearAll();
    const r = await t.store.reindex();
    expect(r.sidecarsWithoutBlob).toEqual([]);
    for (const id of ['A', 'S1', 'S2']) expect((await t.store.index.get(id))?.evicted, id).toBeDefined();
    expect((await t.store.index.get('H'))?.evicted).toBeUndefined();
  });

  it('reads an evicted original from the archive port, hashed: altered bytes never complete', async () => {
    const a = clipBytes(4, 200_000);
    await ingest(t.store, a, factsFor(a, { clipId: 'A' }));
    await t.store.evict('A', at('A'));
    const access = { actor: 'legal', action: 'view' as const, reason: '复核' };
    await expect(t.store.openClip('A', access)).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    let served = a;
    const mismatches: unknown[] = [];
    const remote: RemoteOriginals = {
      open: async (_at, range) =>
        Readable.from([range ? served.subarray(range.start, range.end + 1) : served]),
      mismatch: (_at, _expected, found) => mismatches.push(found),
    };
    t.store.setRemote(remote);
    const opened = await t.store.openClip('A', access);
    expect(opened.area).toBe('archive');
    expect(opened.audit.details).toMatchObject({ area: 'archive', versionId: 'v-A' });
    expect(sha256(await drain(opened.stream))).toBe(sha256(a));
    expect(await drain(await t.store.readRange(opened, 10, 19))).toEqual(a.subarray(10, 20));

    served = Buffer.from(a);
    served[150_000] = (served[150_000] ?? 0) ^ 1;
    const bad = await t.store.openClip('A', access);
    await expect(drain(bad.stream)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    await expect(t.store.checkWhole(bad, 'serve')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    expect(mismatches.length).toBeGreaterThanOrEqual(1);

    // Restoring (an evidence disc needs the file): altered bytes never land under blobs/ ...
    const blob = t.store.layout.blobPath('blobs', sha256(a));
    await expect(t.store.restore('A')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    expect(await exists(blob)).toBe(false);
    expect((await t.store.index.get('A'))?.evicted).toBeDefined();
    // ... the archived bytes do, read-only, and the record forgets the eviction.
    served = a;
    const back = await t.store.restore('A', { actor: 'principal' });
    expect(back.evicted).toBeUndefined();
    expect(sha256(await drain((await t.store.openClip('A', access)).stream))).toBe(sha256(a));
    expect(((await stat(blob)).mode & 0o777).toString(8)).toBe('400');
    const restored = (await t.store.audit.bySubject('clip:A')).find((e) => e.details.action === 'restored');
    expect(restored).toMatchObject({ type: 'archive', actor: 'principal' });
    expect((await t.store.verify()).ok).toBe(true);
  });

  it('the disk watch asks for space to be reclaimed before it calls the disk low', async () => {
    let free = 1_000;
    const asked: number[] = [];
    const raised: string[] = [];
    const watch = new DiskWatch({
      path: t.root,
      workReserveBytes: 5_000,
      stateReserveBytes: 500,
      checkMs: 60_000,
      alerts: { raise: async (a) => raised.push(a.rule) as never, clear: async () => true },
      log: createLogger({ level: 'silent' }),
      freeBytes: async () => free,
      reclaim: async (bytes) => {
        asked.push(bytes);
        free += bytes;
        return bytes;
      },
    });
    expect((await watch.check()).level).toBe('ok');
    expect(asked).toEqual([4_000]);
    expect(raised).toEqual([]);
  });
});
