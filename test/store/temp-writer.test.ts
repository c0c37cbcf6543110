import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clipBytes, factsFor, makeStore, sha256, type TestStore } from './helpers.js';

describe('temp writer: hash while writing, resume at a byte offset', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const source = { kind: 'recorder' as const, id: 'REC-9' };

  it('hashes what it writes and reports the durable offset at each checkpoint', async () => {
    const bytes = clipBytes(21, 200_000);
    const w = await t.store.createTempWriter({ clipId: 'w1', source, expectedBytes: bytes.length });
    expect(w.resumedAt).toBe(0);
    await w.append(bytes.subarray(0, 70_000), 0);
    expect(await w.checkpoint()).toBe(70_000);
    expect(JSON.parse(await readFile(w.paths.state, 'utf8')).offset).toBe(70_000);
    await w.append(bytes.subarray(70_000), 70_000);
    const done = await w.finish();
    expect(done).toEqual({ sha256: sha256(bytes), bytes: bytes.length });
    expect((await stat(w.paths.part)).mode & 0o777).toBe(0o400);
  });

  it('resumes after an unplug at the checkpointed offset and ends with the right hash', async () => {
    const bytes = clipBytes(22, 500_000);
    const facts = factsFor(bytes, { clipId: 'w2', source });
    const w = await t.store.createTempWriter({ clipId: 'w2', source });
    await w.append(bytes.subarray(0, 123_457), 0);
    await w.checkpoint();
    // More bytes arrive but the link drops before the next checkpoint: they do not count.
    await w.append(bytes.subarray(123_457, 200_000), 123_457);
    await w.abort();
    const w2 = await t.store.createTempWriter({ clipId: 'w2', source });
    expect(w2.resumedAt).toBe(123_457);
    expect((await stat(w2.paths.part)).size).toBe(123_457);
    await w2.append(bytes.subarray(w2.offset), w2.offset);
    const rec = await t.store.commit(w2, facts);
    expect(rec.sha256).toBe(sha256(bytes));
  });

  it('resumes from a partial file and persisted offset left by another process (restart)', async () => {
    const bytes = clipBytes(23, 64_000);
    const facts = factsFor(bytes, { clipId: 'w3', source });
    const w = await t.store.createTempWriter({ clipId: 'w3', source });
    await w.append(bytes.subarray(0, 40_000), 0);
    await w.checkpoint();
    await w.abort();
    // Garbage after the checkpoint, as unsynced data can look after a power loss.
    await appendFile(w.paths.part, Buffer.alloc(5000, 0xee));
    await t.close();
    await t.reopen();
    expect((await t.store.tempTransfers()).map((x) => [x.key, x.bytes])).toEqual([
      ['recorder_REC-9_w3', 45_000],
    ]);
    const w2 = await t.store.createTempWriter({ clipId: 'w3', source });
    expect(w2.resumedAt).toBe(40_000);
    await w2.append(bytes.subarray(40_000), 40_000);
    expect((await t.store.commit(w2, facts)).state).toBe('verified');
  });

  it('a garbled offset file costs a refetch from 0, never a wrong resume', async () => {
    const w = await t.store.createTempWriter({ clipId: 'w4', source });
    await w.append(clipBytes(24, 1000), 0);
    await w.checkpoint();
    await w.abort();
    await writeFile(w.paths.state, '{"offset":');
    const w2 = await t.store.createTempWriter({ clipId: 'w4', source });
    expect(w2.resumedAt).toBe(0);
    expect((await stat(w2.paths.part)).size).toBe(0);
    await w2.abort();
  });

  it('refuses a chunk at the wrong offset (BAD_OFFSET) and a second writer for the same clip', async () => {
    const w = await t.store.createTempWriter({ clipId: 'w5', source });
    await w.append(Buffer.alloc(100, 1), 0);
    await expect(w.append(Buffer.alloc(10), 50)).rejects.toMatchObject({
      code: 'BAD_OFFSET',
      details: { at: 50, expected: 100 },
    });
    await expect(t.store.createTempWriter({ clipId: 'w5', source })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await w.abort();
    const again = await t.store.createTempWriter({ clipId: 'w5', source });
    expect(again.resumedAt).toBe(0); // never checkpointed
    await again.abort();
  });

  it('is a Writable: a stream can be piped into it', async () => {
    const bytes = clipBytes(25, 3 * 1024 * 1024 + 11);
    const facts = factsFor(bytes, { clipId: 'w6', source });
    const w = await t.store.createTempWriter({ clipId: 'w6', source });
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
    await pipeline(Readable.from(chunks), w);
    expect(await w.finish()).toEqual({ sha256: facts.sha256, bytes: bytes.length });
    expect((await t.store.commit(w, facts)).state).toBe('verified');
  });

  it('a finished but uncommitted transfer (crash before commit) can be reopened and committed', async () => {
    const bytes = clipBytes(26, 10_000);
    const facts = factsFor(bytes, { clipId: 'w7', source });
    const w = await t.store.createTempWriter({ clipId: 'w7', source });
    await w.append(bytes.subarray(0, 6000), 0);
    await w.checkpoint();
    await w.append(bytes.subarray(6000), 6000);
    await w.finish();
    await t.close();
    await t.reopen();
    const w2 = await t.store.createTempWriter({ clipId: 'w7', source });
    expect(w2.resumedAt).toBe(6000); // the last checkpoint: only the tail is fetched again
    await w2.append(bytes.subarray(6000), 6000);
    expect((await t.store.commit(w2, facts)).state).toBe('verified');
  });
});
