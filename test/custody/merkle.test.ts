/**
 * RFC 9162 §2.1 Merkle tree: reference vectors from transparency-dev/merkle (proof/verify_test.go:
 * the eight leaves, their roots, inclusion and consistency proofs, and its corruption probes),
 * plus properties over random trees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  fromHex,
  type Hash,
  inclusionProof,
  leafHash,
  nodeHash,
  rootOfLeaves,
  subtreeOfLeaves,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from '../../gateway/custody/merkle.js';

const h = (hex: string): Hash => fromHex(hex)!;
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((x) => Buffer.from(x, 'hex'));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** [leaf index (0-based), tree size, proof]. */
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');
const leafHashes = LEAVES.map((l) => leafHash(l));

const flip = (x: Hash, bit: number): Hash => {
  const c = Buffer.from(x);
  c[0]! ^= 1 << bit;
  return c;
};

describe('RFC 9162 hashes and tree heads (reference vectors)', () => {
  it('empty tree, leaf and roots of the first 1..8 leaves', () => {
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(leafHash(LEAVES[0]!))).toBe(ROOTS[0]);
    for (let n = 1; n <= 8; n++) expect(toHex(rootOfLeaves(leafHashes.slice(0, n)))).toBe(ROOTS[n - 1]);
    expect(toHex(nodeHash(leafHashes[0]!, leafHashes[1]!))).toBe(ROOTS[1]);
  });
});

describe('inclusion proofs (reference vectors)', () => {
  for (const [index, size, hex] of INCLUSION) {
    it(`leaf ${index} of ${size}`, () => {
      const proof = hex.map(h);
      expect(inclusionProof(index, size, subtreeOfLeaves(leafHashes)).map(toHex)).toEqual(hex);
      const root = h(ROOTS[size - 1]!);
      const leaf = leafHashes[index]!;
      expect(verifyInclusion(index, size, leaf, proof, root)).toEqual({ ok: true });
      // The reference's corruption probes: each must fail with a reason.
      const probes: [number, number, Hash, Hash[], Hash][] = [
        [index - 1, size, leaf, proof, root],
        [index + 1, size, leaf, proof, root],
        [index ^ 2, size, leaf, proof, root],
        [index, size * 2, leaf, proof, root],
        [index, Math.floor(size / 2), leaf, proof, root],
        [index, size, Buffer.from('WrongLeaf'), proof, root],
        [index, size, leaf, proof, EMPTY_ROOT],
        [index, size, leaf, proof, SOME_HASH],
        [index, size, leaf, [...proof, Buffer.alloc(0)], root],
        [index, size, leaf, [...proof, root], root],
        [index, size, leaf, [Buffer.alloc(0), ...proof], root],
        [index, size, leaf, [root, ...proof], root],
        ...proof.map((_, i): [number, number, Hash, Hash[], Hash] => [
          index,
          size,
          leaf,
          proof.map((p, j) => (j === i ? flip(p, 3) : p)),
          root,
        ]),
      ];
      if (proof.length > 0) probes.push([index, size, leaf, proof.slice(0, -1), root]);
      if (proof.length > 1) probes.push([index, size, leaf, [proof[0]!, SOME_HASH, ...proof.slice(1)], root]);
      for (const [i, s, l, p, r] of probes) {
        const v = verifyInclusion(i, s, l, p, r);
        expect(v.ok, `probe ${i}/${s}`).toBe(false);
        if (!v.ok) expect(v.reason).toMatch(/\w/);
      }
    });
  }

  it('refuses degenerate trees', () => {
    for (const [i, s] of [
      [0, 0],
      [1, 0],
      [2, 1],
    ] as const) {
      expect(verifyInclusion(i, s, SOME_HASH, [], EMPTY_ROOT).ok).toBe(false);
    }
    expect(verifyInclusion(0, 1, SOME_HASH, [], Buffer.alloc(0)).ok).toBe(false);
    expect(() => inclusionProof(3, 3, subtreeOfLeaves(leafHashes))).toThrow(RangeError);
  });
});

describe('consistency proofs (reference vectors)', () => {
  for (const [m, n, hex] of CONSISTENCY) {
    it(`${m} -> ${n}`, () => {
      const proof = hex.map(h);
      expect(consistencyProof(m, n, subtreeOfLeaves(leafHashes)).map(toHex)).toEqual(hex);
      const r1 = h(ROOTS[m - 1]!);
      const r2 = h(ROOTS[n - 1]!);
      expect(verifyConsistency(m, n, r1, r2, proof)).toEqual({ ok: true });
      if (proof.length === 0) return;
      const probes: [number, number, Hash, Hash, Hash[]][] = [
        [m - 1, n, r1, r2, proof],
        [m + 1, n, r1, r2, proof],
        [m ^ 2, n, r1, r2, proof],
        [m, n * 2, r1, r2, proof],
        [m, Math.floor(n / 2), r1, r2, proof],
        [m, n, Buffer.from('WrongRoot'), r2, proof],
        [m, n, r1, Buffer.from('WrongRoot'), proof],
        [m, n, r2, r1, proof],
        [m, n, r1, r2, []],
        [m, n, r1, r2, [...proof, Buffer.alloc(0)]],
        [m, n, r1, r2, [...proof, r1]],
        [m, n, r1, r2, [...proof, r2]],
        [m, n, r1, r2, [Buffer.alloc(0), ...proof]],
        [m, n, r1, r2, [r1, ...proof]],
        [m, n, r1, r2, [r2, ...proof]],
        [m, n, r1, r2, [proof[0]!, ...proof]],
        [m, n, r1, r2, proof.slice(0, -1)],
        ...proof.map((_, i): [number, number, Hash, Hash, Hash[]] => [
          m,
          n,
          r1,
          r2,
          proof.map((p, j) => (j === i ? flip(p, 4) : p)),
        ]),
      ];
      for (const [a, b, x, y, p] of probes)
        expect(verifyConsistency(a, b, x, y, p).ok, `${a}->${b}`).toBe(false);
    });
  }

  it('edge sizes as the reference has them', () => {
    const r1 = SOME_HASH;
    const r2 = EMPTY_ROOT;
    expect(verifyConsistency(0, 0, r1, r2, []).ok).toBe(false);
    expect(verifyConsistency(1, 1, r1, r2, []).ok).toBe(false);
    expect(verifyConsistency(0, 0, r1, r1, []).ok).toBe(true);
    expect(verifyConsistency(0, 1, r1, r2, []).ok).toBe(true);
    expect(verifyConsistency(1, 1, r2, r2, []).ok).toBe(true);
    expect(verifyConsistency(1, 0, r1, r2, []).ok).toBe(false);
    expect(verifyConsistency(2, 1, r1, r2, []).ok).toBe(false);
    expect(verifyConsistency(1, 2, r1, r2, []).ok).toBe(false);
    expect(verifyConsistency(0, 0, r2, r2, [r2]).ok).toBe(false);
    expect(verifyConsistency(0, 1, r2, r2, [r2]).ok).toBe(false);
    expect(verifyConsistency(1, 1, r2, r2, [r2]).ok).toBe(false);
  });
});

describe('properties of random trees', () => {
  const tree = fc
    .array(fc.uint8Array({ maxLength: 24 }), { minLength: 1, maxLength: 70 })
    .map((inputs) => inputs.map((x) => leafHash(x)));

  it('every inclusion proof verifies; a flipped byte or another leaf fails', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), fc.nat(), (leaves, a, b, byte) => {
        const size = 1 + (a % leaves.length);
        const index = b % size;
        const sub = subtreeOfLeaves(leaves);
        const root = rootOfLeaves(leaves.slice(0, size));
        const proof = inclusionProof(index, size, sub);
        expect(verifyInclusion(index, size, leaves[index]!, proof, root).ok).toBe(true);
        const bad = Buffer.from(leaves[index]!);
        bad[byte % 32]! ^= 0x01;
        expect(verifyInclusion(index, size, bad, proof, root).ok).toBe(false);
        if (proof.length > 0) {
          const p = proof.map((x) => Buffer.from(x));
          p[byte % p.length]![byte % 32]! ^= 0x80;
          expect(verifyInclusion(index, size, leaves[index]!, p, root).ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every consistency proof verifies; a changed old leaf or a flipped proof byte fails', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), fc.nat(), (leaves, a, b, byte) => {
        const n = 1 + (a % leaves.length);
        const m = 1 + (b % n);
        const sub = subtreeOfLeaves(leaves);
        const proof = consistencyProof(m, n, sub);
        const r1 = rootOfLeaves(leaves.slice(0, m));
        const r2 = rootOfLeaves(leaves.slice(0, n));
        expect(verifyConsistency(m, n, r1, r2, proof)).toEqual({ ok: true });
        if (m < n) {
          // The forger's case: one of the first m leaves differs in the newer tree.
          const forged = leaves.slice(0, n).map((x) => Buffer.from(x));
          forged[byte % m]![byte % 32]! ^= 0x01;
          const fsub = subtreeOfLeaves(forged);
          const fr2 = rootOfLeaves(forged);
          expect(verifyConsistency(m, n, r1, fr2, consistencyProof(m, n, fsub)).ok).toBe(false);
          const p = proof.map((x) => Buffer.from(x));
          p[byte % p.length]![byte % 32]! ^= 0x80;
          expect(verifyConsistency(m, n, r1, r2, p).ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
