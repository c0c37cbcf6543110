/**
 * Per-chunk SHA-256 of an original, so a byte range (a <video> seek) is checked before it leaves
 * without first re-hashing the whole file (R25: never serve altered bytes under the original's
 * hash). A table is made in the same single read that hashes the whole file, and kept only when
 * that whole-file SHA-256 and length are the ones recorded at ingest: it holds nothing the recorded
 * hash does not vouch for. Keyed by the original's SHA-256 (content-addressed), in the LevelDB
 * sublevel `chunks` beside the index that holds the recorded hash itself.
 *
 * What it does not stop: someone who can write LevelDB and the blob could forge both. The
 * whole-file check that runs in the background of every viewing (clips/service.ts), and the
 * scheduled sweep, compare against the recorded hash and catch that within one pass.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Db } from '../db.js';
import { StoreError } from '../store/errors.js';
import { identityOf } from '../store/fsutil.js';
import type { HashFileOptions } from '../store/hash-file.js';

export const CHUNK_BYTES = 1024 * 1024;
const HASH_BYTES = 32;

export interface ChunkTable {
  sha256: string;
  bytes: number;
  chunkBytes: number;
  /** SHA-256 of chunk i at [i × 32, i × 32 + 32). */
  hashes: Buffer;
  /**
   * The file's identity (fileIdentity) while it was hashed, unchanged from before the first read
   * to after the last; absent when it changed meanwhile.
   */
  identity?: string;
}

const Stored = z.object({
  v: z.literal(1),
  bytes: z.number().int().min(0),
  chunkBytes: z.number().int().positive(),
  hashes: z.string().max(8 * 1024 * 1024),
  identity: z.string().max(200).optional(),
});

export class ChunkTables {
  readonly #sub;

  constructor(db: Db) {
    this.#sub = db.sublevel<string, unknown>('chunks', { valueEncoding: 'json' });
  }

  async get(sha256: string): Promise<ChunkTable | undefined> {
    const parsed = Stored.safeParse(await this.#sub.get(sha256));
    if (!parsed.success) return undefined;
    const t = { sha256, ...parsed.data, hashes: Buffer.from(parsed.data.hashes, 'base64') };
    return t.hashes.length === chunkCount(t.bytes, t.chunkBytes) * HASH_BYTES ? t : undefined;
  }

  async put(t: ChunkTable): Promise<void> {
    const { bytes, chunkBytes, identity } = t;
    const hashes = t.hashes.toString('base64');
    await this.#sub.put(t.sha256, { v: 1, bytes, chunkBytes, hashes, ...(identity ? { identity } : {}) });
  }

  async delete(sha256: string): Promise<void> {
    await this.#sub.del(sha256);
  }

  /**
   * True when `identity` (fileIdentity of an original now) is that of the very file whose whole
   * hash matched `expected` when its table was made: its bytes are the recorded ones unless
   * someone wrote them without changing its ctime (root writing the raw device, or a changed
   * clock) or the medium decayed, which the scheduled sweep and a disc's own verifier see.
   */
  async unchangedSinceHashed(
    expected: { sha256: string; bytes: number },
    identity: string,
  ): Promise<boolean> {
    const t = await this.get(expected.sha256);
    return t?.identity !== undefined && t.bytes === expected.bytes && t.identity === identity;
  }
}

function chunkCount(bytes: number, chunkBytes: number): number {
  return Math.ceil(bytes / chunkBytes);
}

/**
 * One read of `path`: its SHA-256 and length, and the table of its chunks. `limit` holds the read
 * to a rate (a background pass), `signal` stops it.
 */
export async function hashWithChunks(
  path: string,
  chunkBytes = CHUNK_BYTES,
  opts: HashFileOptions = {},
): Promise<ChunkTable> {
  const whole = createHash('sha256');
  const parts: Buffer[] = [];
  const buf = Buffer.allocUnsafe(chunkBytes);
  const fh = await open(path, 'r');
  let bytes = 0;
  let identity: string | undefined;
  try {
    const before = identityOf(await fh.stat({ bigint: true }));
    for (;;) {
      opts.signal?.throwIfAborted();
      const n = await readFull(fh, buf, bytes);
      if (n === 0) break;
      await opts.limit?.take(n, opts.signal);
      const chunk = buf.subarray(0, n);
      whole.update(chunk);
      parts.push(createHash('sha256').update(chunk).digest());
      bytes += n;
      if (n < chunkBytes) break;
    }
    if (identityOf(await fh.stat({ bigint: true })) === before) identity = before;
  } finally {
    await fh.close();
  }
  const t = { sha256: whole.digest('hex'), bytes, chunkBytes, hashes: Buffer.concat(parts) };
  return identity ? { ...t, identity } : t;
}

type Handle = Awaited<ReturnType<typeof open>>;

/** Reads until `buf` is full or the file ends; returns the bytes read. */
async function readFull(fh: Handle, buf: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/**
 * Bytes [start, end] (inclusive) of the original, read in whole chunks and each chunk checked
 * against the table before any of it is passed on. The first chunk is checked before this
 * resolves, so an altered start is refused before a status line goes out; a later bad chunk ends
 * the stream with STORE_CORRUPT before its bytes. `onMismatch` is called once, on the first.
 */
export async function verifiedRange(
  path: string,
  start: number,
  end: number,
  table: ChunkTable,
  onMismatch: (chunk: number) => void,
): Promise<Readable> {
  const fh = await open(path, 'r');
  const size = (await fh.stat()).size;
  const cb = table.chunkBytes;
  const buf = Buffer.allocUnsafe(cb);
  const corrupt = (i: number) => {
    onMismatch(i);
    return new StoreError('STORE_CORRUPT', 'stored original does not match its recorded hash; not served', {
      expected: table.sha256,
      chunk: i,
    });
  };
  /** Chunk i, checked; a copy of the part inside [start, end]. */
  const chunk = async (i: number): Promise<Buffer> => {
    const at = i * cb;
    const want = Math.min(cb, table.bytes - at);
    const n = await readFull(fh, buf.subarray(0, want), at);
    const got = buf.subarray(0, n);
    const ok =
      n === want &&
      createHash('sha256')
        .update(got)
        .digest()
        .equals(table.hashes.subarray(i * 32, i * 32 + 32));
    if (!ok) throw corrupt(i);
    return Buffer.from(got.subarray(Math.max(0, start - at), Math.min(n, end + 1 - at)));
  };
  try {
    if (size !== table.bytes) throw corrupt(Math.floor(Math.min(size, table.bytes) / cb));
    const first = Math.floor(start / cb);
    const last = Math.floor(end / cb);
    const head = await chunk(first);
    async function* rest(): AsyncGenerator<Buffer> {
      yield head;
      for (let i = first + 1; i <= last; i++) yield await chunk(i);
    }
    const out = Readable.from(rest(), { objectMode: false });
    // On 'close', however it ends (done, failed, or the client went away before the first read).
    out.once('close', () => void fh.close().catch(() => {}));
    return out;
  } catch (err) {
    await fh.close();
    throw err;
  }
}
