/** De-duplication by (serial, id): persisted across a restart, bounded per recorder. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Db, openDb } from '../../gateway/db.js';
import { RECENT, SeenIds } from '../../gateway/fleet/seen.js';

let dir: string;
let db: Db;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seen-'));
  db = await openDb(join(dir, 'db'));
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const first = async (s: SeenIds, serial: string, id: string) => {
  const r = await s.firstTime(serial, id);
  await r.persisted;
  return r.first;
};

it('remembers ids per recorder across a restart', async () => {
  const s = new SeenIds(db);
  expect(await first(s, 'A', 'e1')).toBe(true);
  expect(await first(s, 'A', 'e1')).toBe(false);
  expect(await first(s, 'B', 'e1')).toBe(true);
  await db.close();
  db = await openDb(join(dir, 'db'));
  const again = new SeenIds(db);
  expect(await first(again, 'A', 'e1')).toBe(false);
  expect(await first(again, 'A', 'e2')).toBe(true);
});

it('keeps at most the newest ids per recorder, oldest dropped first', async () => {
  const s = new SeenIds(db, 8);
  for (let i = 0; i < 9; i++) expect(await first(s, 'A', `e${i}`)).toBe(true);
  // 9 > 8: the oldest quarter (2) went.
  expect(await first(s, 'A', 'e8')).toBe(false);
  expect(await first(s, 'A', 'e2')).toBe(false);
  let stored = 0;
  for await (const _ of db.sublevel('seen-events').keys()) stored++;
  expect(stored).toBe(7);
  const reloaded = new SeenIds(db, 8);
  expect(await first(reloaded, 'A', 'e0')).toBe(true);
  expect(await first(reloaded, 'A', 'e3')).toBe(false);
});

it('holds only the newest ids in memory and finds older ones on disk', async () => {
  const s = new SeenIds(db);
  for (const serial of ['A', 'B', 'C']) {
    for (let i = 0; i < 4 * RECENT; i++) expect(await first(s, serial, `e${i}`)).toBe(true);
  }
  expect(await s.held()).toBeLessThanOrEqual(3 * RECENT);
  // Older than the memory holds, still a duplicate; a new one is still new.
  expect(await first(s, 'B', 'e0')).toBe(false);
  expect(await first(s, 'B', `e${4 * RECENT}`)).toBe(true);
});
