/**
 * Naming the first difference (held-check.ts): against a held copy of the lines it says which
 * entry was removed, altered or inserted, or that the log was cut; with checkpoints alone, the
 * narrowest seq range; a copy whose tree does not give the signed root is not trusted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTree } from '../../gateway/custody/audit-tree.js';
import type { Checkpoint } from '../../gateway/custody/checkpoint.js';
import { checkHeld, firstDifference } from '../../gateway/custody/held-check.js';
import { toHex } from '../../gateway/custody/merkle.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'held-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (i: number, extra = '') =>
  JSON.stringify({
    actor: 'u',
    at: `2026-12-07T00:00:${String(i).padStart(2, '0')}.000Z`,
    details: { n: i, extra },
    subject: `clip:c${i}`,
    type: 'clip-access',
  });

async function treeOf(name: string, lines: string[]): Promise<AuditTree> {
  const file = join(dir, name);
  await writeFile(file, lines.map((l) => `${l}\n`).join(''));
  return (await AuditTree.fromFile(file)).tree;
}

/** An unsigned checkpoint (signatures are checkpoint.ts's business; here key = undefined). */
const cpOf = (tree: AuditTree, size: number): Checkpoint => ({
  v: 1,
  origin: 'gw',
  treeSize: size,
  rootHash: toHex(tree.root(size)),
  at: '2026-12-07T00:00:00.000Z',
  keyId: '0'.repeat(64),
  signature: `${'A'.repeat(86)}==`,
});

describe('first difference', () => {
  const original = Array.from({ length: 20 }, (_, i) => entry(i + 1));

  it('removed, altered, inserted, cut — exactly from a held copy', async () => {
    const held = await treeOf('held.jsonl', original);
    const cp = cpOf(held, 16);
    const cases: [string, string[], { fromSeq: number; kind: string }][] = [
      ['removed', original.filter((_, i) => i !== 6), { fromSeq: 7, kind: 'removed' }],
      ['altered', original.map((l, i) => (i === 9 ? entry(10, 'x') : l)), { fromSeq: 10, kind: 'altered' }],
      [
        'inserted',
        [...original.slice(0, 4), entry(99), ...original.slice(4)],
        { fromSeq: 5, kind: 'inserted' },
      ],
      ['cut', original.slice(0, 12), { fromSeq: 13, kind: 'removed' }],
    ];
    for (const [name, lines, want] of cases) {
      const today = await treeOf(`${name}.jsonl`, lines);
      const check = checkHeld(today, 'cp', cp, undefined);
      expect(check.ok, name).toBe(false);
      const d = await firstDifference(today, [check], [{ source: 'held', tree: held }]);
      expect(d, name).toMatchObject({ ...want, toSeq: want.fromSeq, exact: true });
      expect(d?.held?.subject, name).toBe(`clip:c${want.fromSeq}`);
    }
  });

  it('checkpoints alone give a range; an untrusted copy is ignored', async () => {
    const held = await treeOf('held2.jsonl', original);
    const today = await treeOf(
      'today2.jsonl',
      original.filter((_, i) => i !== 10),
    );
    const checks = [5, 9, 14, 18].map((n) => checkHeld(today, `cp-${n}`, cpOf(held, n), undefined));
    expect(checks.map((c) => c.ok)).toEqual([true, true, false, false]);
    expect(await firstDifference(today, checks)).toMatchObject({ fromSeq: 10, toSeq: 14, exact: false });
    // A "copy" that is really today's log (or any other) does not give the signed root: not used.
    const d = await firstDifference(today, checks, [{ source: 'fake', tree: today }]);
    expect(d).toMatchObject({ fromSeq: 10, toSeq: 14, exact: false });
    // Nothing fails: nothing to name.
    expect(await firstDifference(held, [checkHeld(held, 'cp', cpOf(held, 20), undefined)])).toBeUndefined();
  });
});
