/**
 * The audit log's Merkle tree (FORMATS.md §1): leaves are the exact line bytes, extended on every
 * append, rebuilt identically from the file, proofs of any size verify against recomputed roots.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditTree } from '../../gateway/custody/audit-tree.js';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootOfLeaves,
  subtreeOfLeaves,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '../../gateway/custody/merkle.js';
import { AuditLog } from '../../gateway/store/audit-log.js';
import { makeStore, type TestStore } from '../store/helpers.js';
import { logLines } from './helpers.js';

async function lines(file: string): Promise<Buffer[]> {
  return logLines(await readFile(file));
}

describe('audit log as a Merkle tree', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await makeStore();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('leaves are the exact line bytes; roots and proofs match a reference tree of every size', async () => {
    const n = 83;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        t.store.audit.append({
          type: 'clip-access',
          actor: `user:u${i}`,
          subject: `clip:c${i % 7}`,
          details: { action: 'view', reason: `案件 ${i}` },
        }),
      ),
    );
    const tree = t.store.audit.tree;
    const file = await lines(t.store.audit.file);
    expect(tree.size).toBe(n);
    expect(file).toHaveLength(n);
    const ref = file.map((l) => leafHash(l));
    const refSub = subtreeOfLeaves(ref);
    for (let size = 1; size <= n; size++) {
      expect(toHex(tree.root(size))).toBe(toHex(rootOfLeaves(ref.slice(0, size))));
    }
    for (const [idx, size] of [
      [0, 1],
      [31, 32],
      [32, 33],
      [40, 64],
      [63, 65],
      [82, 83],
      [5, 83],
    ] as const) {
      const proof = tree.inclusionProof(idx, size);
      expect(proof.map(toHex)).toEqual(inclusionProof(idx, size, refSub).map(toHex));
      expect(verifyInclusion(idx, size, ref[idx]!, proof, tree.root(size)).ok).toBe(true);
    }
    // Many proofs at once (an evidence disc) share their subtrees and equal the reference, each.
    for (const size of [33, 64, 83]) {
      const all = Array.from({ length: size }, (_, i) => i);
      const batch = tree.inclusionProofs(all, size);
      for (const i of all) expect(batch[i]!.map(toHex)).toEqual(inclusionProof(i, size, refSub).map(toHex));
    }
    expect(() => tree.inclusionProofs([0, 83], 83)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    for (const [m, size] of [
      [1, 83],
      [32, 83],
      [33, 64],
      [47, 83],
      [64, 65],
      [83, 83],
    ] as const) {
      const proof = tree.consistencyProof(m, size);
      expect(proof.map(toHex)).toEqual(consistencyProof(m, size, refSub).map(toHex));
      expect(verifyConsistency(m, size, tree.root(m), tree.root(size), proof).ok).toBe(true);
    }
    for (const seq of [1, 33, n]) expect((await tree.leafInput(seq)).equals(file[seq - 1]!)).toBe(true);
    const some = await tree.leafInputs([n, 2, 40]);
    expect(some.map((b) => b.toString())).toEqual([n, 2, 40].map((seq) => file[seq - 1]!.toString()));
    await expect(tree.leafInput(n + 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Rebuilt from the file (a restart) it is the same tree.
    const rebuilt = await AuditTree.fromFile(t.store.audit.file);
    expect(rebuilt.torn).toBeUndefined();
    expect(toHex(rebuilt.tree.root())).toBe(toHex(tree.root()));
    await t.close();
    await t.reopen();
    expect(toHex(t.store.audit.tree.root())).toBe(toHex(tree.root()));
    await t.store.audit.append({ type: 'verify', actor: 'gateway', subject: 'store:x' });
    expect(t.store.audit.tree.size).toBe(n + 1);
    expect(toHex(t.store.audit.tree.root(n))).toBe(toHex(tree.root(n)));
  });

  it('a read-only open reports a torn last line without cutting it, and refuses to append', async () => {
    for (let i = 0; i < 5; i++)
      await t.store.audit.append({ type: 'verify', actor: 'gateway', subject: 'store:x' });
    await t.close();
    await appendFile(`${t.root}/audit/audit.jsonl`, '{"seq":6,"at":"2025');
    const before = await readFile(`${t.root}/audit/audit.jsonl`);
    const { openDb } = await import('../../gateway/db.js');
    const db = await openDb(t.dbPath);
    try {
      const log = await AuditLog.openReadOnly({ db, file: `${t.root}/audit/audit.jsonl` });
      expect(log.tree.size).toBe(5);
      const r = await log.verify();
      expect(r.tornTail).toEqual({ offset: log.tree.endOffset, bytes: 19 });
      expect(r.malformed).toEqual([]);
      expect(r.entries).toBe(5);
      expect(r.ok).toBe(false);
      await expect(log.append({ type: 'verify', actor: 'x', subject: 'y' })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
    } finally {
      await db.close();
    }
    expect((await readFile(`${t.root}/audit/audit.jsonl`)).equals(before)).toBe(true);
  });
});
