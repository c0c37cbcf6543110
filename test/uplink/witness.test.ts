/** The province's checkpoint witness (FORMATS.md §4), pure: real keys, real RFC 9162 trees and proofs. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { sequence } from '../../gateway/central/sequencer.js';
import { witness } from '../../gateway/central/witness.js';
import { signCheckpoint } from '../../gateway/custody/checkpoint.js';
import {
  consistencyProof,
  leafHash,
  rootOfLeaves,
  subtreeOfLeaves,
  toHex,
} from '../../gateway/custody/merkle.js';
import { SigningKey } from '../../gateway/custody/signing-key.js';
import type { CheckpointBody } from '../../gateway/uplink/messages.js';

const dir = await mkdtemp(join(tmpdir(), 'witness-'));
const key = (await SigningKey.loadOrCreate(join(dir, 'a.pem'))).key;
const other = (await SigningKey.loadOrCreate(join(dir, 'b.pem'))).key;
afterAll(() => rm(dir, { recursive: true, force: true }));
const log = (n: number, tag = '') => Array.from({ length: n }, (_, i) => leafHash(`{"seq":${i + 1}${tag}}`));

function body(leaves: Uint8Array[], from: number | null, k = key, proofLeaves = leaves): CheckpointBody {
  const cp = signCheckpoint(
    {
      origin: 'o1',
      treeSize: leaves.length,
      rootHash: toHex(rootOfLeaves(leaves)),
      at: '2026-12-07T08:00:00.000Z',
    },
    k,
  );
  const consistency =
    from === null ? [] : consistencyProof(from, leaves.length, subtreeOfLeaves(proofLeaves)).map(toHex);
  return { checkpoint: cp, key: k.public.toJson(), fromTreeSize: from, consistency };
}
const held = (leaves: Uint8Array[]) => ({
  checkpoint: body(leaves, null).checkpoint,
  fingerprint: key.public.fingerprint,
});

describe('checkpoint witness', () => {
  it('accepts every append-only extension and calls any rewritten entry a fork', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        fc.nat(),
        (m, extra, at) => {
          const n = m + extra;
          const leaves = log(n);
          expect(witness('o1', held(leaves.slice(0, m)), body(leaves, m))).toMatchObject({
            status: 'consistent',
          });
          const rewritten = [...leaves];
          rewritten[at % m] = leafHash('{"rewritten":true}');
          expect(witness('o1', held(leaves.slice(0, m)), body(rewritten, m))).toMatchObject({
            status: 'fork',
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('pins the first key, refuses another, a shrunk log, two roots for one size, an unprovable start', () => {
    const leaves = log(10);
    const h = held(leaves.slice(0, 6));
    expect(witness('o1', undefined, body(leaves, null))).toMatchObject({ status: 'first' });
    expect(witness('o1', undefined, body(leaves, null, key), 'ab'.repeat(32))).toMatchObject({
      status: 'key-changed',
    });
    expect(witness('o1', h, body(log(12), 6, other))).toMatchObject({ status: 'key-changed' });
    expect(witness('o1', h, body(log(4), null))).toMatchObject({ status: 'fork', reason: /shrank/ });
    expect(witness('o1', h, body(log(6, ',"x":1'), null))).toMatchObject({
      status: 'fork',
      reason: /two roots/,
    });
    expect(witness('o1', h, body(log(6), null))).toMatchObject({ status: 'same' });
    expect(witness('o1', h, body(leaves, 3))).toMatchObject({ status: 'unproven' });
    expect(witness('o2', h, body(leaves, 6))).toMatchObject({ status: 'wrong-origin' });
    const forged = body(leaves, 6);
    forged.checkpoint = { ...forged.checkpoint, treeSize: 11 };
    expect(witness('o1', h, forged)).toMatchObject({ status: 'bad-signature' });
  });

  it('sequences: duplicates dropped, gaps counted, a new epoch starts over', () => {
    let s = sequence(undefined, 'e1', 1);
    expect(s).toMatchObject({ take: true, skipped: 0 });
    s = sequence(s.state, 'e1', 2);
    expect(sequence(s.state, 'e1', 2)).toMatchObject({ take: false, state: { duplicates: 1 } });
    expect(sequence(s.state, 'e1', 1).take).toBe(false);
    expect(sequence(s.state, 'e1', 5)).toMatchObject({
      take: true,
      skipped: 2,
      state: { missing: 2, lastSeq: 5 },
    });
    expect(sequence(s.state, 'e2', 1)).toMatchObject({
      take: true,
      newEpoch: true,
      state: { lastSeq: 1, epochs: 2 },
    });
  });
});
