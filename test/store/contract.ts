/**
 * The custody contract every way into the store must keep (recorder clips over the dock, camera
 * segments from files): verified, content-addressed, read-only, sidecar, indexed, audited,
 * idempotent, nothing stored on a bad hash, verifiable, rebuildable.
 */
import { readFile, stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClipStore } from '../../gateway/store/clip-store.js';
import { StoreError } from '../../gateway/store/errors.js';
import type { ClipFactsInput, ClipRecord, ClipSource } from '../../gateway/store/schema.js';
import { clipBytes, factsFor, makeStore, sha256, type TestStore } from './helpers.js';

export type PutClip = (
  t: TestStore,
  bytes: Buffer,
  facts: ClipFactsInput & { clipId: string },
) => Promise<ClipRecord>;

export function describeStoreContract(name: string, source: ClipSource, put: PutClip) {
  describe(`store contract: ${name}`, () => {
    let t: TestStore;
    let store: ClipStore;
    beforeEach(async () => {
      t = await makeStore();
      store = t.store;
    });
    afterEach(async () => {
      await t.cleanup();
    });

    it('stores the bytes under blobs/ab/cd/<sha256>, read-only, with a sidecar, indexed and audited', async () => {
      const bytes = clipBytes(1, 300_000);
      const facts = factsFor(bytes, { clipId: `${source.kind}-c1`, source });
      const rec = await put(t, bytes, facts);
      const sha = sha256(bytes);
      expect(rec.state).toBe('verified');
      expect(rec.blob).toBe(`blobs/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`);
      const path = `${t.root}/${rec.blob}`;
      expect(sha256(await readFile(path))).toBe(sha);
      expect((await stat(path)).mode & 0o777).toBe(0o400);
      const sidecar = JSON.parse(await readFile(`${path}.json`, 'utf8'));
      expect(sidecar).toMatchObject({
        v: 1,
        clipId: facts.clipId,
        source,
        sessionId: 'sess-1',
        officer: { id: 'off-7', certNo: 'ZJ-0007' },
        caseNo: 'CASE-2025-001',
        activity: 'inspection',
        start: facts.start,
        end: facts.end,
        bytes: bytes.length,
        sha256: sha,
        markers: [{ marker: 'notice-given', at: facts.start + 1000 }],
      });
      expect(typeof sidecar.ingestedAt).toBe('string');
      expect(await store.index.get(facts.clipId)).toEqual(rec);
      const trail = await store.audit.bySubject(`clip:${facts.clipId}`);
      expect(trail.map((e) => e.type)).toEqual(['ingest']);
      expect(trail[0]!.details).toMatchObject({
        sha256: sha,
        bytes: bytes.length,
        source: `${source.kind}:${source.id}`,
      });
      expect(await store.tempTransfers()).toEqual([]);
    });

    it('is idempotent: the same clip again adds no index row, no audit entry, no file', async () => {
      const bytes = clipBytes(2, 100_000);
      const facts = factsFor(bytes, { clipId: `${source.kind}-c2`, source });
      const first = await put(t, bytes, facts);
      const keys = await store.index.countKeys();
      const head = store.audit.head.seq;
      const again = await put(t, bytes, facts);
      expect(again).toEqual(first);
      expect(await store.index.countKeys()).toEqual(keys);
      expect(store.audit.head.seq).toBe(head);
      expect((await store.verify()).ok).toBe(true);
    });

    it('rejects bytes that do not match the expected SHA-256 and stores nothing', async () => {
      const bytes = clipBytes(3, 50_000);
      const facts = factsFor(bytes, {
        clipId: `${source.kind}-c3`,
        source,
        sha256: sha256(clipBytes(4, 50_000)),
      });
      const err = await put(t, bytes, facts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('HASH_MISMATCH');
      expect((err as StoreError).details).toMatchObject({ expected: facts.sha256, actual: sha256(bytes) });
      expect(await store.index.get(facts.clipId)).toBeUndefined();
      expect(await store.index.countKeys()).toMatchObject({ clips: 0, time: 0 });
      expect(store.audit.head.seq).toBe(0);
      const report = await store.verify();
      expect(report.summary.blobsChecked).toBe(0);
      expect(report.blobs.orphans).toEqual([]);
    });

    it('passes verify and survives a reindex with identical records', async () => {
      const recs: ClipRecord[] = [];
      for (let i = 0; i < 3; i++) {
        const bytes = clipBytes(10 + i, 20_000 + i);
        recs.push(
          await put(
            t,
            bytes,
            factsFor(bytes, { clipId: `${source.kind}-r${i}`, source, start: 1000 * i, end: 1000 * i + 500 }),
          ),
        );
      }
      const report = await store.verify();
      expect(report.ok).toBe(true);
      expect(report.summary).toMatchObject({ clips: 3, blobsChecked: 3 });
      await store.index.clearAll();
      await store.reindex();
      for (const r of recs) expect(await store.index.get(r.clipId)).toEqual(r);
    });
  });
}
