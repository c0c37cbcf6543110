import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clipBytes, factsFor, ingest, makeStore, type TestStore } from './helpers.js';

describe('custody after storage: release and audited access (R22, R24)', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('logs a release only for a verified clip', async () => {
    const bytes = clipBytes(500, 1000);
    const facts = factsFor(bytes, { clipId: 'a1' });
    await t.store.announce(facts);
    await expect(t.store.recordRelease('a1', { actor: 'dock:1' })).rejects.toMatchObject({
      code: 'NOT_VERIFIED',
      details: { state: 'on-recorder' },
    });
    await expect(t.store.recordRelease('nope')).rejects.toMatchObject({ code: 'NOT_VERIFIED' });
    await ingest(t.store, bytes, facts);
    const e = await t.store.recordRelease('a1', { actor: 'dock:1', details: { slot: '/dev/ttyACM0' } });
    expect(e).toMatchObject({
      type: 'release',
      actor: 'dock:1',
      subject: 'clip:a1',
      details: { sha256: facts.sha256, slot: '/dev/ttyACM0' },
    });
  });

  it('opens a clip only after logging who and why; refuses without a reason', async () => {
    const bytes = Buffer.from('the original recording');
    await ingest(t.store, bytes, factsFor(bytes, { clipId: 'a2' }));
    await expect(
      t.store.openClip('a2', { actor: 'user:legal-1', action: 'view', reason: '' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const opened = await t.store.openClip('a2', {
      actor: 'user:legal-1',
      action: 'download',
      reason: 'hearing 2025-17 evidence review',
      role: 'legal',
    });
    expect(await text(opened.stream)).toBe('the original recording');
    expect(opened.audit).toMatchObject({
      type: 'clip-access',
      actor: 'user:legal-1',
      subject: 'clip:a2',
      details: { action: 'download', reason: 'hearing 2025-17 evidence review', role: 'legal' },
    });
    expect((await t.store.audit.bySubject('clip:a2')).map((e) => e.type)).toEqual(['ingest', 'clip-access']);
    await expect(
      t.store.openClip('missing', { actor: 'u', action: 'view', reason: 'r' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
