/**
 * A partial set aside just before a crash (moved into discarded/, not yet logged) is logged when
 * the store opens again, once (R25).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STRAY_DISCARD_SUBJECT } from '../../gateway/store/discarded.js';
import { clipBytes, makeStore, sha256, type TestStore } from './helpers.js';

describe('set-aside partials after a crash', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('logs a set-aside file that has no audit entry, once, with its hash', async () => {
    const dir = join(t.root, 'discarded');
    await mkdir(dir, { recursive: true });
    const withNote = clipBytes(7, 5_000);
    const noNote = clipBytes(8, 3_000);
    const a = join(dir, 'recorder_R1_c1.2026-11-27T10-00-00-000Z.part');
    const b = join(dir, 'recorder_R1_c2.2026-11-27T10-00-01-000Z.part');
    await writeFile(a, withNote);
    await writeFile(
      `${a}.json`,
      JSON.stringify({ v: 1, clipId: 'c1', reason: 'recorder reports c1 otherwise' }),
    );
    await writeFile(b, noNote);
    await t.close();
    await t.reopen();

    const c1 = (await t.store.audit.bySubject('clip:c1')).filter((e) => e.type === 'partial-discarded');
    expect(c1).toHaveLength(1);
    expect(c1[0]!.details).toMatchObject({
      recovered: true,
      reason: 'recorder reports c1 otherwise',
      keptSha256: sha256(withNote),
      keptBytes: withNote.length,
      path: 'discarded/recorder_R1_c1.2026-11-27T10-00-00-000Z.part',
    });
    const stray = await t.store.audit.bySubject(STRAY_DISCARD_SUBJECT);
    expect(stray.map((e) => e.details.keptSha256)).toEqual([sha256(noNote)]);

    // Logged once: the next open finds the entries.
    await t.close();
    await t.reopen();
    expect(
      (await t.store.audit.bySubject('clip:c1')).filter((e) => e.type === 'partial-discarded'),
    ).toHaveLength(1);
    expect(await t.store.audit.bySubject(STRAY_DISCARD_SUBJECT)).toHaveLength(1);
    expect((await t.store.verify()).ok).toBe(true);
  });
});
