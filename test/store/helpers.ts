import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDb } from '../../gateway/db.js';
import { ClipStore, type ClipStoreOptions } from '../../gateway/store/clip-store.js';
import type { ClipFactsInput } from '../../gateway/store/schema.js';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);

export interface TestStore {
  dir: string;
  root: string;
  dbPath: string;
  db: Db;
  store: ClipStore;
  /** Close the store and the DB (the dir stays until `cleanup`). */
  close(): Promise<void>;
  /** Reopen store + DB on the same directories (as after a restart). */
  reopen(opts?: Partial<ClipStoreOptions>): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeStore(opts: Partial<ClipStoreOptions> = {}): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), 'store-test-'));
  const root = join(dir, 'store');
  const dbPath = join(dir, 'index');
  const t: TestStore = {
    dir,
    root,
    dbPath,
    db: undefined as unknown as Db,
    store: undefined as unknown as ClipStore,
    async close() {
      await t.store.stop();
      await t.db.close();
    },
    async reopen(more = {}) {
      t.db = await openDb(dbPath);
      t.store = await ClipStore.open({ root, db: t.db, ...opts, ...more });
    },
    async cleanup() {
      if (t.db.status === 'open') await t.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await t.reopen();
  return t;
}

/** Deterministic pseudo-random bytes (xorshift32), as the simulator's volume clips. */
export function clipBytes(seed: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function factsFor(
  bytes: Buffer,
  over: Partial<ClipFactsInput> & { clipId: string },
): ClipFactsInput & { clipId: string } {
  return {
    source: { kind: 'recorder', id: 'REC-001' },
    sessionId: 'sess-1',
    officer: { id: 'off-7', name: 'Li Wei', certNo: 'ZJ-0007' },
    caseNo: 'CASE-2025-001',
    activity: 'inspection',
    start: T0,
    end: T0 + 10 * 60_000,
    markers: [{ marker: 'notice-given', at: T0 + 1000 }],
    bytes: bytes.length,
    sha256: sha256(bytes),
    ...over,
  };
}

/** Stream `bytes` into a fresh transfer in uneven chunks (like dock READ replies) and commit. */
export async function ingest(
  store: ClipStore,
  bytes: Buffer,
  facts: ClipFactsInput & { clipId: string },
  chunk = 48 * 1024 + 7,
) {
  const w = await store.createTempWriter({
    clipId: facts.clipId,
    source: facts.source,
    expectedBytes: bytes.length,
  });
  for (let at = w.offset; at < bytes.length; at += chunk) {
    await w.append(bytes.subarray(at, Math.min(bytes.length, at + chunk)), at);
  }
  return store.commit(w, facts);
}
