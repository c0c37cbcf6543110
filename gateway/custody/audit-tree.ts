/**
 * The audit log as an RFC 9162 Merkle tree (FORMATS.md §1): leaf i is line i + 1 of
 * `audit/audit.jsonl` (entry seq i + 1), its bytes without the '\n'.
 *
 * Kept in memory so tree heads and proofs of any size are cheap for a log of ~1M entries: the
 * leaf hashes (32 B each), the hashes of aligned perfect subtrees of 2^5, 2^10, 2^15... leaves
 * (1/31 more), and each line's byte offset (8 B) so `leafInput` reads one line from the file.
 * Any perfect subtree is then at most 31 node hashes away, any tree head or proof O(log² n).
 * Built once by streaming the file (`fromFile`), extended by the log's one writer on every append.
 *
 * Methods: `size`, `root(size)`, `subtree(start, size)`, `leafHash(index)`,
 * `inclusionProof(index, size)` and `inclusionProofs(indices, size)`, `consistencyProof(m, n)`,
 * `leafInput(seq)` and `leafInputs(seqs)`; `append(line)` for the writer only.
 */
import { open } from 'node:fs/promises';
import { StoreError } from '../store/errors.js';
import {
  consistencyProof,
  HASH_BYTES,
  type Hash,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
  splitPoint,
} from './merkle.js';

/** Every STEP-th level of perfect subtrees is stored; the ones between are recomputed (≤ 2^STEP - 1 hashes). */
const STEP = 5;
const READ_CHUNK = 1024 * 1024;

/** A growable array of 32-byte hashes in one buffer. */
class HashArray {
  #buf = Buffer.alloc(HASH_BYTES * 1024);
  length = 0;

  push(h: Hash): void {
    if ((this.length + 1) * HASH_BYTES > this.#buf.length) {
      const next = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(next, 0, 0, this.length * HASH_BYTES);
      this.#buf = next;
    }
    this.#buf.set(h, this.length * HASH_BYTES);
    this.length++;
  }

  at(i: number): Hash {
    return this.#buf.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }
}

export interface TornTail {
  /** Byte offset where the incomplete last line starts. */
  offset: number;
  bytes: number;
}

export class AuditTree {
  readonly file: string;
  /** levels[j] holds perfect subtrees of 2^(j·STEP) leaves; levels[0] the leaf hashes. */
  readonly #levels: HashArray[] = [new HashArray()];
  /** offsets[i] = byte offset of line i; offsets[size] = end of the last complete line. */
  #offsets = new Float64Array(1024);

  constructor(file: string, startOffset = 0) {
    this.file = file;
    this.#offsets[0] = startOffset;
  }

  /**
   * Stream the file's complete lines into a tree. A last line without '\n' (a torn write, never
   * acknowledged) is not a leaf; it is reported so the caller can say so. Reads only.
   */
  static async fromFile(file: string): Promise<{ tree: AuditTree; torn: TornTail | undefined }> {
    const tree = new AuditTree(file);
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tree, torn: undefined };
      throw err;
    }
    try {
      const buf = Buffer.alloc(READ_CHUNK);
      let carry: Buffer[] = [];
      let pos = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const chunk = buf.subarray(0, bytesRead);
        let from = 0;
        for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
          const part = chunk.subarray(from, nl);
          tree.append(carry.length > 0 ? Buffer.concat([...carry, part]) : part);
          carry = [];
          from = nl + 1;
        }
        if (from < bytesRead) carry.push(Buffer.from(chunk.subarray(from)));
      }
      const end = tree.#offsets[tree.size]!;
      return { tree, torn: pos > end ? { offset: end, bytes: pos - end } : undefined };
    } finally {
      await fh.close();
    }
  }

  get size(): number {
    return this.#levels[0]!.length;
  }

  /** Byte length of the complete lines the tree covers. */
  get endOffset(): number {
    return this.#offsets[this.size]!;
  }

  /** Byte length of the first `count` lines ('\n' included). */
  offsetOf(count: number): number {
    this.#checkSize(count);
    return this.#offsets[count]!;
  }

  /** How many whole lines end exactly at byte `offset`; undefined if it is not a line boundary. */
  countAtOffset(offset: number): number | undefined {
    let lo = 0;
    let hi = this.size;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.#offsets[mid]!;
      if (at === offset) return mid;
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Add the next line (its bytes without '\n'). Only the log's writer calls this, after the fsync. */
  append(line: Uint8Array): void {
    const leaves = this.#levels[0]!;
    const i = leaves.length;
    leaves.push(leafHash(line));
    if (i + 2 > this.#offsets.length) {
      const next = new Float64Array(this.#offsets.length * 2);
      next.set(this.#offsets);
      this.#offsets = next;
    }
    this.#offsets[i + 1] = this.#offsets[i]! + line.byteLength + 1;
    // Complete every stored perfect subtree this leaf closes.
    const n = i + 1;
    for (let j = 1; n % 2 ** (j * STEP) === 0; j++) {
      this.#levels[j] ??= new HashArray();
      const width = 2 ** (j * STEP);
      this.#levels[j]!.push(this.#perfect(n - width, j * STEP, j - 1));
    }
  }

  leafHash(index: number): Hash {
    this.#checkIndex(index, this.size);
    return this.#levels[0]!.at(index);
  }

  /** Tree head over the first `size` leaves (default: all). */
  root(size = this.size): Hash {
    this.#checkSize(size);
    return rootHash(size, this.subtree);
  }

  /** MTH(D[start : start + size]) for any subtree the RFC's recursion asks for. */
  readonly subtree = (start: number, size: number): Hash => {
    if (size === 1) return this.#levels[0]!.at(start);
    const k = Math.log2(size);
    if (Number.isInteger(k) && start % size === 0) {
      return this.#perfect(start, k, Math.min(Math.floor(k / STEP), this.#levels.length - 1));
    }
    const left = splitPoint(size);
    return nodeHash(this.subtree(start, left), this.subtree(start + left, size - left));
  };

  /** Audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1). */
  inclusionProof(index: number, size: number): Hash[] {
    this.#checkSize(size);
    this.#checkIndex(index, size);
    return inclusionProof(index, size, this.subtree);
  }

  /**
   * Audit paths of many leaves in one tree of `size` leaves. The proofs of an evidence disc's
   * entries share most of their upper siblings, so each subtree hash is computed once for all.
   */
  inclusionProofs(indices: readonly number[], size: number): Hash[][] {
    this.#checkSize(size);
    const memo = new Map<string, Hash>();
    const shared = (start: number, n: number): Hash => {
      if (n < 2 ** STEP) return this.subtree(start, n);
      const key = `${start}/${n}`;
      let h = memo.get(key);
      if (!h) {
        h = this.subtree(start, n);
        memo.set(key, h);
      }
      return h;
    };
    return indices.map((index) => {
      this.#checkIndex(index, size);
      return inclusionProof(index, size, shared);
    });
  }

  /** Proof that the tree of `n` leaves extends the one of `m` (RFC 9162 §2.1.4.1). */
  consistencyProof(m: number, n: number): Hash[] {
    this.#checkSize(n);
    if (!Number.isSafeInteger(m) || m < 0 || m > n) {
      throw new StoreError('BAD_REQUEST', `no consistency proof from ${m} to ${n}`);
    }
    return consistencyProof(m, n, this.subtree);
  }

  /** The exact bytes of entry `seq`'s line (the leaf input), read from the file. */
  async leafInput(seq: number): Promise<Buffer> {
    return (await this.leafInputs([seq]))[0]!;
  }

  /** The lines of many entries, in the order asked, through one open file. */
  async leafInputs(seqs: readonly number[]): Promise<Buffer[]> {
    for (const seq of seqs) this.#checkIndex(seq - 1, this.size);
    const fh = await open(this.file, 'r');
    try {
      const out: Buffer[] = [];
      for (const seq of seqs) {
        const from = this.#offsets[seq - 1]!;
        const length = this.#offsets[seq]! - from - 1;
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, from);
        if (bytesRead !== length) {
          throw new StoreError('STORE_CORRUPT', `audit log is shorter than entry ${seq}`, { seq });
        }
        out.push(buf);
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  /** Perfect subtree of 2^k leaves at `start`, from the stored level `j` (j·STEP ≤ k) below it. */
  #perfect(start: number, k: number, j: number): Hash {
    const base = j * STEP;
    if (k === base) return this.#levels[j]!.at(start / 2 ** k);
    const half = 2 ** (k - 1);
    return nodeHash(this.#perfect(start, k - 1, j), this.#perfect(start + half, k - 1, j));
  }

  #checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new StoreError('BAD_REQUEST', `tree size ${size} is not in 0..${this.size}`);
    }
  }

  #checkIndex(index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new StoreError('NOT_FOUND', `entry ${index + 1} is not in a tree of ${size}`);
    }
  }
}
