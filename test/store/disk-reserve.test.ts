import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskReserve } from '../../gateway/store/disk-reserve.js';
import { makeStore, type TestStore } from './helpers.js';

describe('disk reserve', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('reads free bytes with statfs and compares against the reserve', async () => {
    const d = new DiskReserve({ path: t.root, reserveBytes: 0 });
    const free = await d.freeBytes();
    expect(free).toBeGreaterThan(0);
    expect(await d.hasRoomFor(1)).toBe(true);
    expect(await d.hasRoomFor(1, Number.MAX_SAFE_INTEGER)).toBe(false);
    const s = await d.status(10, 20);
    expect(s).toMatchObject({ neededBytes: 10, reserveBytes: 20 });
  });

  it('refuses a transfer that would eat into the reserve, and lets it through once there is room', async () => {
    t.store.disk.reserveBytes = Number.MAX_SAFE_INTEGER;
    const req = { clipId: 'big', source: { kind: 'recorder' as const, id: 'R' }, expectedBytes: 1_000_000 };
    const err = await t.store.createTempWriter(req).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DISK_RESERVE', details: { neededBytes: 1_000_000 } });
    expect(await t.store.tempTransfers()).toEqual([]);
    // The ingest waits (polling); space is "freed" by lowering the reserve.
    const waiting = t.store.disk.waitForRoom(1_000_000, { intervalMs: 20 });
    let resolved = false;
    void waiting.then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 60));
    expect(resolved).toBe(false);
    t.store.disk.reserveBytes = 0;
    expect((await waiting).ok).toBe(true);
    const w = await t.store.createTempWriter(req);
    await w.abort();
  });

  it('stops waiting when aborted', async () => {
    const d = new DiskReserve({ path: t.root, reserveBytes: Number.MAX_SAFE_INTEGER });
    const ac = new AbortController();
    const p = d.waitForRoom(1, { intervalMs: 10, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow();
  });
});
