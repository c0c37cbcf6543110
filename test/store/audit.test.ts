import { appendFile, readFile, truncate, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryHash, GENESIS_HASH } from '../../gateway/store/audit-log.js';
import { canonicalJson, sha256Hex } from '../../gateway/store/canonical.js';
import type { AuditEntry } from '../../gateway/store/schema.js';
import { makeStore, type TestStore } from './helpers.js';

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
}

describe('audit log: append-only hash chain', () => {
  let t: TestStore;
  let now = Date.UTC(2025, 0, 6, 9, 0, 0);
  beforeEach(async () => {
    t = await makeStore({ now: () => now });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const fill = async (n: number) => {
    for (let i = 1; i <= n; i++) {
      await t.store.audit.append({
        type: i % 2 ? 'pairing' : 'check-in',
        actor: 'user:equip-1',
        subject: `recorder:REC-${i % 3}`,
        details: { officerId: `off-${i}`, note: undefined, when: new Date(now) },
      });
    }
  };

  it('chains each entry to the previous one with a SHA-256 over its canonical form', async () => {
    const a = await t.store.audit.append({
      type: 'time-sync',
      actor: 'gateway',
      subject: 'recorder:R1',
      details: { offsetMs: -42 },
    });
    now += 1000;
    const b = await t.store.audit.append({
      type: 'clip-access',
      actor: 'user:legal-2',
      subject: 'clip:c1',
      details: { action: 'view', reason: 'case review' },
    });
    expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, at: '2025-01-06T09:00:00.000Z' });
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash, at: '2025-01-06T09:00:01.000Z' });
    const { hash, ...body } = b;
    expect(hash).toBe(sha256Hex(canonicalJson(body)));
    expect(entryHash(b)).toBe(hash);
    // The file holds exactly the canonical lines.
    expect(await lines(t.store.audit.file)).toEqual([canonicalJson(a), canonicalJson(b)]);
    expect((await t.store.audit.verify()).ok).toBe(true);
  });

  it('serialises concurrent appends into one gap-free chain', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.store.audit.append({ type: 'export', actor: `u${i}`, subject: `clip:x${i % 4}` }),
      ),
    );
    expect(results.map((e) => e.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const report = await t.store.audit.verify();
    expect(report).toMatchObject({ ok: true, entries: 40, lastSeq: 40, headSeq: 40 });
  });

  it('answers recent entries (newest first) and entries by subject (oldest first)', async () => {
    await fill(9);
    expect((await t.store.audit.recent(3)).map((e) => e.seq)).toEqual([9, 8, 7]);
    expect((await t.store.audit.bySubject('recorder:REC-1')).map((e) => e.seq)).toEqual([1, 4, 7]);
    expect(
      (await t.store.audit.bySubject('recorder:REC-1', { reverse: true, limit: 1 })).map((e) => e.seq),
    ).toEqual([7]);
    expect(await t.store.audit.bySubject('recorder:REC')).toEqual([]);
    expect((await t.store.audit.get(4))?.details).toEqual({
      officerId: 'off-4',
      when: new Date(now).toISOString(),
    });
  });

  it('rejects an unknown type or an empty actor with BAD_REQUEST', async () => {
    await expect(
      t.store.audit.append({ type: 'delete-clip' as 'export', actor: 'x', subject: 'clip:c' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      t.store.audit.append({ type: 'export', actor: '', subject: 'clip:c' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(t.store.audit.head.seq).toBe(0);
  });

  it('verify names a removed middle entry: the seq gap and the broken link after it', async () => {
    await fill(6);
    const ls = await lines(t.store.audit.file);
    await writeFile(t.store.audit.file, `${[...ls.slice(0, 3), ...ls.slice(4)].join('\n')}\n`);
    const r = await t.store.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([{ fromSeq: 4, toSeq: 4, reason: 'gap' }]);
    expect(r.brokenLinks).toEqual([
      { seq: 5, line: 4, prevHash: JSON.parse(ls[4]!).prevHash, expectedPrevHash: JSON.parse(ls[2]!).hash },
    ]);
    expect(r.modified).toEqual([]);
  });

  it('verify names a modified entry, even one re-hashed to hide it', async () => {
    await fill(5);
    const ls = await lines(t.store.audit.file);
    const e3 = JSON.parse(ls[2]!) as AuditEntry;
    // (a) details changed, hash left: hash mismatch at seq 3.
    const forged = { ...e3, details: { ...e3.details, officerId: 'someone-else' } };
    await writeFile(
      t.store.audit.file,
      `${[...ls.slice(0, 2), canonicalJson(forged), ...ls.slice(3)].join('\n')}\n`,
    );
    let r = await t.store.audit.verify();
    expect(r.modified).toContainEqual(
      expect.objectContaining({ seq: 3, line: 3, reason: 'hash-mismatch', recordedHash: e3.hash }),
    );
    expect(r.ok).toBe(false);
    // (b) hash recomputed too: the next entry's link breaks, and the index copy disagrees.
    const rehashed = { ...forged, hash: entryHash(forged) };
    await writeFile(
      t.store.audit.file,
      `${[...ls.slice(0, 2), canonicalJson(rehashed), ...ls.slice(3)].join('\n')}\n`,
    );
    r = await t.store.audit.verify();
    expect(r.brokenLinks.map((b) => b.seq)).toEqual([4]);
    expect(r.modified).toEqual([
      { seq: 3, line: 3, reason: 'differs-from-index', recordedHash: rehashed.hash, expectedHash: e3.hash },
    ]);
  });

  it('verify notices a cut-off tail through the head kept in LevelDB', async () => {
    await fill(5);
    const ls = await lines(t.store.audit.file);
    await writeFile(t.store.audit.file, `${ls.slice(0, 3).join('\n')}\n`);
    const r = await t.store.audit.verify();
    expect(r.missing).toEqual([{ fromSeq: 4, toSeq: 5, reason: 'truncated-tail' }]);
    expect(r.brokenLinks).toEqual([]);
  });

  it('verify reports a line that is not an entry', async () => {
    await fill(3);
    await appendFile(t.store.audit.file, 'hello\n');
    const r = await t.store.audit.verify();
    expect(r.malformed).toEqual([{ line: 4, error: expect.stringContaining('not JSON') }]);
  });

  it('after a crash mid-write, cuts the torn line, records it, and the chain stays valid', async () => {
    await fill(3);
    const head = t.store.audit.head;
    await t.close();
    await appendFile(t.store.layout.auditFile, '{"seq":4,"at":"2025-01-0');
    await t.reopen({ now: () => now });
    const r = await t.store.audit.verify();
    expect(r.ok).toBe(true);
    const [rec] = await t.store.audit.recent(1);
    expect(rec).toMatchObject({
      seq: 4,
      prevHash: head.hash,
      type: 'store-recovery',
      details: { text: '{"seq":4,"at":"2025-01-0' },
    });
  });

  it('rolls the index forward from entries that reached the file but not LevelDB', async () => {
    await fill(2);
    const head = t.store.audit.head;
    await t.close();
    // As if the process died after the fsync and before the LevelDB batch.
    const body = {
      seq: 3,
      at: '2025-01-06T10:00:00.000Z',
      type: 'release' as const,
      actor: 'dock:/dev/ttyACM0',
      subject: 'clip:c-9',
      details: { sha256: 'ab'.repeat(32) },
      prevHash: head.hash,
    };
    await appendFile(t.store.layout.auditFile, `${canonicalJson({ ...body, hash: entryHash(body) })}\n`);
    await t.reopen({ now: () => now });
    expect(t.store.audit.head.seq).toBe(3);
    expect((await t.store.audit.bySubject('clip:c-9')).map((e) => e.type)).toEqual(['release']);
    const next = await t.store.audit.append({ type: 'export', actor: 'u', subject: 'clip:c-9' });
    expect(next.seq).toBe(4);
    expect((await t.store.audit.verify()).ok).toBe(true);
  });

  it('keeps appending after tampering, so verify can still name it', async () => {
    await fill(4);
    await truncate(t.store.audit.file, 0);
    await t.close();
    await t.reopen({ now: () => now });
    const e = await t.store.audit.append({ type: 'export', actor: 'u', subject: 'clip:z' });
    expect(e.seq).toBe(5);
    const r = await t.store.audit.verify();
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([{ fromSeq: 1, toSeq: 4, reason: 'gap' }]);
  });
});
