/**
 * The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2), pure: hashes, tree heads,
 * inclusion proofs (§2.1.3) and consistency proofs (§2.1.4), and their verifiers. FORMATS.md §1
 * says how the audit log maps onto it. Hashes are 32-byte Uint8Arrays here; hex only at the edges.
 *
 * Proof builders take a `SubtreeHash`: the MTH of leaves [start, start + size). A caller with a
 * cache of perfect subtrees (AuditTree) answers each call in O(log n); `subtreeOfLeaves` is the
 * plain recursive one for small trees and tests.
 */
import { createHash } from 'node:crypto';

export type Hash = Uint8Array;
/** MTH(D[start : start + size]), size >= 1. */
export type SubtreeHash = (start: number, size: number) => Hash;
/** A verifier's answer: never throws on hostile input, says why it failed. */
export type Verdict = { ok: true } | { ok: false; reason: string };

export const HASH_BYTES = 32;
/** MTH({}) = SHA-256 of the empty string (§2.1.1). */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/** SHA-256(0x00 ‖ leaf input) (§2.1.1). */
export function leafHash(input: Uint8Array | string): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(input).digest();
}

/** SHA-256(0x01 ‖ left ‖ right) (§2.1.1). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** The largest power of two strictly below n (n >= 2): the size of MTH's left subtree. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && splitPoint(n + 1) === n;
}

/** The tree head over `size` leaves. */
export function rootHash(size: number, subtree: SubtreeHash): Hash {
  return size === 0 ? EMPTY_ROOT : subtree(0, size);
}

/** MTH over a list of leaf hashes, recursively (O(n) per call): for small trees and tests. */
export function subtreeOfLeaves(leafHashes: readonly Hash[]): SubtreeHash {
  const mth = (start: number, size: number): Hash => {
    if (size === 1) return leafHashes[start]!;
    const k = splitPoint(size);
    return nodeHash(mth(start, k), mth(start + k, size - k));
  };
  return mth;
}

/** Root over a list of leaf hashes. */
export function rootOfLeaves(leafHashes: readonly Hash[]): Hash {
  return rootHash(leafHashes.length, subtreeOfLeaves(leafHashes));
}

/** PATH(m, D[n]) of §2.1.3.1, leaf to root. Throws RangeError on an index outside the tree. */
export function inclusionProof(index: number, size: number, subtree: SubtreeHash): Hash[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  }
  const out: Hash[] = [];
  const path = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, k);
      out.push(subtree(start + k, n - k));
    } else {
      path(m - k, start + k, n - k);
      out.push(subtree(start, k));
    }
  };
  path(index, 0, size);
  return out;
}

/** PROOF(m, D[n]) of §2.1.4.1 (SUBPROOF with b = true); empty when m = n or m = 0. */
export function consistencyProof(m: number, n: number, subtree: SubtreeHash): Hash[] {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) {
    throw new RangeError(`no consistency proof from ${m} to ${n}`);
  }
  const out: Hash[] = [];
  if (m === 0 || m === n) return out;
  const sub = (mm: number, start: number, nn: number, b: boolean): void => {
    if (mm === nn) {
      if (!b) out.push(subtree(start, nn));
      return;
    }
    const k = splitPoint(nn);
    if (mm <= k) {
      sub(mm, start, k, b);
      out.push(subtree(start + k, nn - k));
    } else {
      sub(mm - k, start + k, nn - k, false);
      out.push(subtree(start, k));
    }
  };
  sub(m, 0, n, true);
  return out;
}

/** §2.1.3.2: does `proof` lead from `leaf` at `index` to `root` of a tree of `size`? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): Verdict {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return fail(`leaf index ${index} is not in a tree of ${size}`);
  }
  const bad = badHash({ leaf, root }) ?? badProof(proof);
  if (bad) return fail(bad);
  let fn = index;
  let sn = size - 1;
  let r: Hash = leaf;
  for (const p of proof) {
    if (sn === 0) return fail('proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return fail('proof is shorter than the tree is deep');
  if (!equalHash(r, root)) return fail('proof does not lead to the root');
  return { ok: true };
}

/** §2.1.4.2: is the tree of `second` leaves an append-only extension of the one of `first`? */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: readonly Hash[],
): Verdict {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || second < 0) {
    return fail('tree sizes must be whole numbers');
  }
  if (first > second) return fail(`tree shrank from ${first} to ${second} leaves`);
  const bad = badHash({ firstRoot, secondRoot }) ?? badProof(proof);
  if (bad) return fail(bad);
  if (first === second) {
    if (proof.length > 0) return fail('proof between equal sizes must be empty');
    return equalHash(firstRoot, secondRoot) ? { ok: true } : fail('roots of the same size differ');
  }
  if (first === 0) {
    // Every tree extends the empty one.
    return proof.length === 0 ? { ok: true } : fail('proof from the empty tree must be empty');
  }
  if (proof.length === 0) return fail('empty proof');
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Hash = path[0]!;
  let sr: Hash = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return fail('proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return fail('proof is shorter than the tree is deep');
  if (!equalHash(fr, firstRoot)) return fail(`the first ${first} leaves are not the ones of the older tree`);
  if (!equalHash(sr, secondRoot)) return fail('proof does not lead to the newer root');
  return { ok: true };
}

export function toHex(h: Hash): string {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex');
}

/** Hex (64 lowercase or uppercase digits) to a hash; undefined for anything else. */
export function fromHex(hex: string): Hash | undefined {
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

export function equalHash(a: Hash, b: Hash): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function fail(reason: string): Verdict {
  return { ok: false, reason };
}

function badHash(named: Record<string, Hash>): string | undefined {
  for (const [name, h] of Object.entries(named)) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) return `${name} is not a 32-byte hash`;
  }
  return undefined;
}

function badProof(proof: readonly Hash[]): string | undefined {
  if (!Array.isArray(proof)) return 'proof is not a list';
  const i = proof.findIndex((h) => !(h instanceof Uint8Array) || h.length !== HASH_BYTES);
  return i >= 0 ? `proof element ${i} is not a 32-byte hash` : undefined;
}
