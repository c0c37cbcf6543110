import { chmod, mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClipRecord } from '../../gateway/store/schema.js';
import { clipBytes, factsFor, ingest, makeStore, sha256, type TestStore } from './helpers.js';

describe('verify: re-hash every blob, check the chain, name each problem', () => {
  let t: TestStore;
  let recs: ClipRecord[];
  beforeEach(async () => {
    t = await makeStore();
    recs = [];
    for (let i = 0; i < 4; i++) {
      const bytes = clipBytes(300 + i, 40_000 + i * 1000);
      recs.push(
        await ingest(
          t.store,
          bytes,
          factsFor(bytes, { clipId: `vc${i}`, start: i * 1000, end: i * 1000 + 1 }),
        ),
      );
    }
    await t.store.recordRelease('vc0', { actor: 'dock:/dev/ttyACM0' });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('is clean on an untouched store', async () => {
    const r = await t.store.verify();
    expect(r.ok).toBe(true);
    expect(r.summary).toMatchObject({
      clips: 4,
      blobsChecked: 4,
      auditEntries: 5,
      altered: 0,
      missing: 0,
      orphans: 0,
    });
    expect(r.blobs.bytes).toBe(40_000 + 41_000 + 42_000 + 43_000);
  });

  it('catches an edited blob (made writable, one byte changed): path, expected and actual hash', async () => {
    const path = join(t.root, recs[1]!.blob!);
    await chmod(path, 0o644);
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from([0x5a]), 0, 1, 1000);
    await fh.close();
    const actual = sha256(await readFile(path));
    const r = await t.store.verify();
    expect(r.ok).toBe(false);
    expect(r.blobs.altered).toEqual([
      { clipId: 'vc1', area: 'blobs', path, expected: recs[1]!.sha256, actual, bytes: 41_000 },
    ]);
    expect(r.blobs.writable).toEqual([{ path, mode: '644' }]);
    expect(r.blobs.missing).toEqual([]);
  });

  it('catches a removed blob and names it', async () => {
    const path = join(t.root, recs[2]!.blob!);
    await unlink(path);
    const r = await t.store.verify();
    expect(r.blobs.missing).toEqual([{ clipId: 'vc2', area: 'blobs', path, expected: recs[2]!.sha256 }]);
    // Its sidecar is still there and accounted for (the clip is indexed).
    expect(r.blobs.orphans).toEqual([]);
    expect(r.ok).toBe(false);
  });

  it('finds orphan blobs the index does not know, and a blob swapped for another file', async () => {
    const stray = t.store.layout.blobPath('blobs', sha256(Buffer.from('stray')));
    await writeFile(join(t.store.layout.blobsDir, 'README'), 'x');
    await mkdir(t.store.layout.dirFor('blobs', sha256(Buffer.from('stray'))), { recursive: true });
    await writeFile(stray, 'stray');
    // Swap vc3's blob with vc0's bytes (renamed over): altered, not missing.
    const p0 = join(t.root, recs[0]!.blob!);
    const p3 = join(t.root, recs[3]!.blob!);
    await writeFile(`${p3}.tmp`, await readFile(p0));
    await rename(`${p3}.tmp`, p3);
    const r = await t.store.verify();
    expect(r.blobs.orphans).toEqual(
      expect.arrayContaining([
        { path: join(t.store.layout.blobsDir, 'README'), kind: 'other' },
        { path: stray, kind: 'blob' },
      ]),
    );
    expect(r.blobs.altered.map((a) => [a.clipId, a.actual])).toEqual([['vc3', recs[0]!.sha256]]);
  });

  it('catches an edited sidecar manifest (officer changed)', async () => {
    const side = `${join(t.root, recs[0]!.blob!)}.json`;
    const m = JSON.parse(await readFile(side, 'utf8'));
    m.officer.certNo = 'FORGED';
    await chmod(side, 0o644);
    await writeFile(side, JSON.stringify(m));
    const r = await t.store.verify();
    expect(r.blobs.sidecarMismatches).toEqual([{ clipId: 'vc0', path: side, fields: ['officer'] }]);
    expect(r.ok).toBe(false);
  });

  it('catches a removed audit entry (middle line deleted) and a modified one, with their seqs', async () => {
    const file = t.store.layout.auditFile;
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(5);
    const e3 = JSON.parse(lines[3]!);
    e3.details.bytes = 1; // tamper with vc3's ingest entry
    await writeFile(file, `${[lines[0], lines[2], JSON.stringify(e3), lines[4]].join('\n')}\n`);
    const r = await t.store.verify();
    expect(r.ok).toBe(false);
    expect(r.audit.missing).toEqual([{ fromSeq: 2, toSeq: 2, reason: 'gap' }]);
    expect(r.audit.brokenLinks.map((b) => b.seq)).toEqual([3]);
    // Its content no longer hashes to its hash, nor matches the copy indexed when it was appended.
    expect(r.audit.modified.map((m) => [m.seq, m.reason])).toEqual([
      [4, 'hash-mismatch'],
      [4, 'differs-from-index'],
    ]);
    expect(r.summary).toMatchObject({ auditMissing: 1, auditBrokenLinks: 1, auditModified: 2 });
  });

  it('can record its own run in the audit log', async () => {
    const r = await t.store.verify({ actor: 'user:legal-1', record: true });
    const [last] = await t.store.audit.recent(1);
    expect(last).toMatchObject({ type: 'verify', actor: 'user:legal-1', details: { ok: r.ok } });
  });
});
