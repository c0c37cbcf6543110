/**
 * Chunk tables (R25): a byte range read in whole chunks, each checked against the table made from
 * bytes that matched the recorded hash. Real files in a temp dir; small chunks to reach the edges.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChunkTable, hashWithChunks, verifiedRange } from '../../gateway/clips/chunk-table.js';

const CHUNK = 1000;
let dir: string;
let path: string;
let bytes: Buffer;
let table: ChunkTable;

async function readRange(p: string, start: number, end: number, onMismatch = (_: number) => {}) {
  const parts: Buffer[] = [];
  let error: unknown = null;
  try {
    for await (const c of await verifiedRange(p, start, end, table, onMismatch)) parts.push(c as Buffer);
  } catch (err) {
    error = err;
  }
  return { bytes: Buffer.concat(parts), error };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chunk-table-'));
  path = join(dir, 'blob');
  bytes = randomBytes(10 * CHUNK + 337);
  await writeFile(path, bytes);
  table = await hashWithChunks(path, CHUNK);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('chunk tables', () => {
  it('hashes the whole file and each chunk in one read', () => {
    expect(table.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(table.bytes).toBe(bytes.length);
    expect(table.hashes.length).toBe(11 * 32);
    const last = createHash('sha256')
      .update(bytes.subarray(10 * CHUNK))
      .digest();
    expect(table.hashes.subarray(10 * 32).equals(last)).toBe(true);
  });

  it('serves exactly the bytes of any range of an intact file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length - 1), fc.nat(bytes.length - 1), async (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const r = await readRange(path, start, end);
        expect(r.error).toBeNull();
        expect(r.bytes.equals(bytes.subarray(start, end + 1))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a range whose first chunk is altered before a byte is streamed', async () => {
    const bad = join(dir, 'bad-first');
    const copy = Buffer.from(bytes);
    copy[2 * CHUNK + 3]! ^= 1;
    await writeFile(bad, copy);
    const seen: number[] = [];
    await expect(
      verifiedRange(bad, 2 * CHUNK + 500, 4 * CHUNK, table, (i) => seen.push(i)),
    ).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
    expect(seen).toEqual([2]);
  });

  it('ends the stream before the bytes of a later altered chunk', async () => {
    const bad = join(dir, 'bad-later');
    const copy = Buffer.from(bytes);
    copy[5 * CHUNK + 999]! ^= 0x80;
    await writeFile(bad, copy);
    const seen: number[] = [];
    const r = await readRange(bad, 3 * CHUNK + 10, 8 * CHUNK, (i) => seen.push(i));
    expect(r.error).toMatchObject({ code: 'STORE_CORRUPT' });
    expect(r.bytes.equals(bytes.subarray(3 * CHUNK + 10, 5 * CHUNK))).toBe(true);
    expect(seen).toEqual([5]);
  });

  it('refuses a file whose length is not the recorded one', async () => {
    const short = join(dir, 'short');
    await writeFile(short, bytes);
    await truncate(short, bytes.length - 1);
    await expect(verifiedRange(short, 0, 10, table, () => {})).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
  });
});
