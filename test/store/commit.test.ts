import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../gateway/store/errors.js';
import { clipBytes, factsFor, ingest, makeStore, sha256, type TestStore } from './helpers.js';

describe('commit: write, verify, link into place', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('writes every index key for a clip in one go, and moves keys when the state changes', async () => {
    const bytes = clipBytes(7, 10_000);
    const facts = factsFor(bytes, { clipId: 'c-keys' });
    await t.store.announce(facts);
    expect(await t.store.index.countKeys()).toEqual({
      clips: 1,
      time: 1,
      source: 1,
      officer: 1,
      session: 1,
      case: 1,
      state: 1,
      pending: 1,
    });
    expect((await t.store.index.listByState('on-recorder')).map((r) => r.clipId)).toEqual(['c-keys']);
    await t.store.markUploading('c-keys', 4096);
    expect((await t.store.index.listByState('uploading')).map((r) => r.uploadedBytes)).toEqual([4096]);
    expect(await t.store.index.listByState('on-recorder')).toEqual([]);
    await ingest(t.store, bytes, facts);
    // pending key gone (no longer a candidate for overdue), state key moved to verified.
    expect(await t.store.index.countKeys()).toEqual({
      clips: 1,
      time: 1,
      source: 1,
      officer: 1,
      session: 1,
      case: 1,
      state: 1,
      pending: 0,
    });
    expect(await t.store.index.listByState('uploading')).toEqual([]);
    const [v] = await t.store.index.listByState('verified');
    expect(v).toMatchObject({ clipId: 'c-keys', state: 'verified', uploadedBytes: bytes.length });
  });

  it('rejects a wrong length with SIZE_MISMATCH and keeps the temp for a decision', async () => {
    const bytes = clipBytes(8, 5000);
    const facts = factsFor(bytes, { clipId: 'c-size', bytes: 4999 });
    const err = await ingest(t.store, bytes, facts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SIZE_MISMATCH', details: { expected: 4999, actual: 5000 } });
    const facts2 = factsFor(bytes, { clipId: 'c-size2', bytes: 5001 });
    const err2 = await ingest(t.store, bytes, facts2).catch((e: unknown) => e);
    expect((err2 as StoreError).code).toBe('SIZE_MISMATCH');
    expect((await t.store.tempTransfers()).map((x) => x.key).sort()).toEqual([
      'recorder_REC-001_c-size',
      'recorder_REC-001_c-size2',
    ]);
    expect(await readdir(t.store.layout.blobsDir)).toEqual([]);
  });

  it('a mismatched transfer can be discarded and fetched again from 0', async () => {
    const bytes = clipBytes(9, 70_000);
    const facts = factsFor(bytes, { clipId: 'c-refetch' });
    const bad = Buffer.from(bytes);
    bad[1234] = (bad[1234] ?? 0) ^ 0x01;
    const w = await t.store.createTempWriter({ clipId: facts.clipId, source: facts.source });
    await w.append(bad, 0);
    await expect(t.store.commit(w, facts)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    await w.discard();
    const w2 = await t.store.createTempWriter({ clipId: facts.clipId, source: facts.source });
    expect(w2.resumedAt).toBe(0);
    await w2.append(bytes, 0);
    expect((await t.store.commit(w2, facts)).state).toBe('verified');
  });

  it('never overwrites an existing blob that holds other bytes (BLOB_EXISTS_DIFFERENT)', async () => {
    const bytes = clipBytes(10, 8000);
    const facts = factsFor(bytes, { clipId: 'c-planted' });
    const dest = t.store.layout.blobPath('blobs', facts.sha256);
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, 'not the clip');
    const err = await ingest(t.store, bytes, facts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({
      code: 'BLOB_EXISTS_DIFFERENT',
      details: { path: dest, expected: facts.sha256, actual: sha256(Buffer.from('not the clip')) },
    });
    expect(await readFile(dest, 'utf8')).toBe('not the clip');
    expect(await t.store.index.get('c-planted')).toBeUndefined();
  });

  it('two clips with identical bytes share the blob and each get a sidecar', async () => {
    const bytes = clipBytes(11, 4000);
    await ingest(t.store, bytes, factsFor(bytes, { clipId: 'c-a' }));
    await ingest(t.store, bytes, factsFor(bytes, { clipId: 'c-b', start: 5, end: 6 }));
    const dir = t.store.layout.dirFor('blobs', sha256(bytes));
    expect((await readdir(dir)).sort()).toEqual(
      [sha256(bytes), `${sha256(bytes)}.json`, `${sha256(bytes)}~c-b.json`].sort(),
    );
    expect((await t.store.verify()).ok).toBe(true);
    await t.store.index.clearAll();
    await t.store.reindex();
    expect((await t.store.index.get('c-b'))?.start).toBe(5);
    expect((await t.store.index.get('c-a'))?.state).toBe('verified');
  });

  it('refuses a second clip with the same id from another source, or another hash', async () => {
    const bytes = clipBytes(12, 3000);
    const facts = factsFor(bytes, { clipId: 'c-dup' });
    await ingest(t.store, bytes, facts);
    const other = clipBytes(13, 3000);
    await expect(ingest(t.store, other, factsFor(other, { clipId: 'c-dup' }))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      ingest(t.store, bytes, factsFor(bytes, { clipId: 'c-dup', source: { kind: 'camera', id: 'cam-1' } })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(t.store.announce(factsFor(other, { clipId: 'c-dup' }))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('rejects bad facts with BAD_REQUEST before touching anything', async () => {
    const bytes = clipBytes(14, 100);
    await expect(t.store.announce({ ...factsFor(bytes, { clipId: 'bad id!' }) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(
      t.store.announce(factsFor(bytes, { clipId: 'c-times', start: 2000, end: 1000 })),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      t.store.createTempWriter({ clipId: 'ok', source: { kind: 'drone' as 'camera', id: 'x' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('finishes a clip whose blob landed before a crash, without a new transfer (commitExisting)', async () => {
    const bytes = clipBytes(15, 9000);
    const facts = factsFor(bytes, { clipId: 'c-crash' });
    // As after a crash between link and sidecar/index: only the blob is there.
    const dest = t.store.layout.blobPath('blobs', facts.sha256);
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, bytes);
    await chmod(dest, 0o444);
    expect(
      await t.store.commitExisting(factsFor(bytes, { clipId: 'c-none', sha256: sha256(clipBytes(1, 1)) })),
    ).toBe(undefined);
    const rec = await t.store.commitExisting(facts);
    expect(rec?.state).toBe('verified');
    expect((await t.store.verify()).ok).toBe(true);
    expect((await t.store.audit.bySubject('clip:c-crash')).map((e) => e.type)).toEqual(['ingest']);
  });

  it('does not log a second ingest when the audit entry landed but the index rows did not', async () => {
    const bytes = clipBytes(16, 6000);
    const facts = factsFor(bytes, { clipId: 'c-half' });
    const rec = await ingest(t.store, bytes, facts);
    // Lose the clip's index rows only (as if the batch after the audit fsync never happened).
    await t.store.index.clearAll();
    const again = await t.store.commitExisting(facts);
    expect(again).toEqual(rec);
    expect((await t.store.audit.bySubject('clip:c-half')).map((e) => e.type)).toEqual(['ingest']);
  });

  it('blobs are linked, not copied: the temp inode becomes the original', async () => {
    const bytes = clipBytes(17, 2000);
    const facts = factsFor(bytes, { clipId: 'c-inode' });
    const w = await t.store.createTempWriter({ clipId: facts.clipId, source: facts.source });
    await w.append(bytes, 0);
    const { ino } = await stat(w.paths.part);
    await t.store.commit(w, facts);
    const st = await stat(t.store.layout.blobPath('blobs', facts.sha256));
    expect(st.ino).toBe(ino);
    expect(st.nlink).toBe(1);
  });
});
