/**
 * A transfer in progress: a partial file in the store's tmp dir that hashes as it is written and
 * can be resumed at a byte offset after an unplug, a recorder reset or a gateway crash (R22, #4
 * "Ingest"). Only `checkpoint()` makes progress durable: it fsyncs the data and then records the
 * offset in `<key>.state`, so the persisted offset never exceeds the bytes known to be on disk.
 * On resume the file is cut back to the persisted offset (anything after it was never synced and
 * may be garbage after a power loss) and the kept prefix is re-read to rebuild the hash.
 */
import { createHash, type Hash } from 'node:crypto';
import { chmod, type FileHandle, open, readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { isErrno, StoreError } from './errors.js';
import { unlinkIfExists } from './fsutil.js';

const TempState = z.object({ offset: z.number().int().min(0), updatedAt: z.string() });

export interface TempWriterPaths {
  part: string;
  state: string;
}

export interface FinishedTransfer {
  sha256: string;
  bytes: number;
}

const EMPTY = Buffer.alloc(0);
const HASH_SLICE = 128 * 1024;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const READ_CHUNK = 1024 * 1024;

export class TempWriter extends Writable {
  readonly key: string;
  readonly paths: TempWriterPaths;
  /** Offset the transfer resumed at (0 for a fresh one). Fetch from here. */
  readonly resumedAt: number;
  #fh: FileHandle | undefined;
  #hash: Hash;
  #offset: number;
  #finished: FinishedTransfer | undefined;
  #onClose: () => void;

  private constructor(
    key: string,
    paths: TempWriterPaths,
    fh: FileHandle,
    hash: Hash,
    offset: number,
    onClose: () => void,
  ) {
    super({ highWaterMark: 4 * 1024 * 1024 });
    this.key = key;
    this.paths = paths;
    this.#fh = fh;
    this.#hash = hash;
    this.#offset = offset;
    this.resumedAt = offset;
    this.#onClose = onClose;
  }

  /**
   * Open (or resume) the transfer at `paths`. Used by ClipStore.createTempWriter, which checks
   * disk room and that no other writer holds the same key.
   */
  static async open(
    key: string,
    paths: TempWriterPaths,
    onClose: () => void = () => {},
  ): Promise<TempWriter> {
    const persisted = await readPersistedOffset(paths.state);
    // A transfer that finished (0400) but was never committed, e.g. a crash in between.
    await chmod(paths.part, 0o600).catch((err) => {
      if (!isErrno(err, 'ENOENT')) throw err;
    });
    // a+: create if absent, never truncate on open; appends go to the end, which we set below.
    const fh = await open(paths.part, 'a+', 0o600);
    try {
      const { size } = await fh.stat();
      // The file can be shorter than the persisted offset only if something outside the store
      // truncated it; resume from what is really there rather than trust the number.
      const offset = Math.min(persisted, size);
      if (size !== offset) await fh.truncate(offset);
      const hash = createHash('sha256');
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(offset, 1)));
      let pos = 0;
      while (pos < offset) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, offset - pos), pos);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      return new TempWriter(key, paths, fh, hash, offset, onClose);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Bytes written and acknowledged so far (durable only up to the last checkpoint). */
  get offset(): number {
    return this.#offset;
  }

  get finished(): FinishedTransfer | undefined {
    return this.#finished;
  }

  /**
   * Append `chunk`. With `at`, the chunk must start exactly at the current end of the transfer
   * (counting queued writes); otherwise BAD_OFFSET — the ingest's window got out of step.
   */
  append(chunk: Uint8Array, at?: number): Promise<void> {
    const expected = this.#offset + this.writableLength;
    if (at !== undefined && at !== expected) {
      return Promise.reject(
        new StoreError('BAD_OFFSET', `chunk at ${at} but transfer ${this.key} is at ${expected}`, {
          key: this.key,
          at,
          expected,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.write(chunk, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Wait for queued writes, fsync the data, then persist the offset. Returns the durable offset. */
  async checkpoint(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.write(EMPTY, (err) => (err ? reject(err) : resolve()));
    });
    const fh = this.#requireOpen();
    await fh.datasync();
    const offset = this.#offset;
    await writeState(this.paths.state, offset);
    return offset;
  }

  /** End the transfer: fsync, make the file read-only, return its SHA-256 and length. Idempotent. */
  async finish(): Promise<FinishedTransfer> {
    if (this.#finished) return this.#finished;
    if (!this.writableEnded) this.end();
    await new Promise<void>((resolve, reject) => {
      if (this.writableFinished) return resolve();
      const onFinish = () => {
        this.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        this.off('finish', onFinish);
        reject(err);
      };
      this.once('finish', onFinish);
      this.once('error', onError);
    });
    if (!this.#finished) throw new StoreError('INTERNAL', `transfer ${this.key} did not finish`);
    return this.#finished;
  }

  /** Stop without losing anything: close the file, keep it and its offset for a later resume. */
  async abort(): Promise<void> {
    await this.#close();
    if (!this.destroyed) this.destroy();
  }

  /** Throw the partial away (e.g. to fetch again from 0 after a hash mismatch). */
  async discard(): Promise<void> {
    await this.abort();
    await unlinkIfExists(this.paths.part);
    await unlinkIfExists(this.paths.state);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (chunk.length === 0) {
      cb();
      return;
    }
    this.#writeAll([chunk]).then(() => cb(), cb);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    const bufs = chunks.map((c) => c.chunk).filter((b) => b.length > 0);
    if (bufs.length === 0) {
      cb();
      return;
    }
    this.#writeAll(bufs).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    (async () => {
      const fh = this.#requireOpen();
      await fh.datasync();
      // Read-only before it is ever linked into the store: the original never exists writable.
      await fh.chmod(0o400);
      // No offset write here: commit follows at once; after a crash in between, resuming at the
      // last checkpoint only refetches the tail.
      this.#finished = { sha256: this.#hash.digest('hex'), bytes: this.#offset };
      await this.#close();
    })().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#close().then(
      () => cb(err),
      (closeErr) => cb(err ?? closeErr),
    );
  }

  async #writeAll(bufs: Buffer[]): Promise<void> {
    const fh = this.#requireOpen();
    let total = 0;
    for (const b of bufs) total += b.length;
    let done = 0;
    try {
      while (done < total) {
        const { bytesWritten } =
          bufs.length === 1
            ? await fh.write(bufs[0]!, done, total - done)
            : await fh.writev(done === 0 ? bufs : rest(bufs, done));
        done += bytesWritten;
      }
    } catch (err) {
      // Cut back to the last whole chunk so a retry appends at a known offset.
      await fh.truncate(this.#offset).catch(() => {});
      if (isErrno(err, 'ENOSPC')) {
        throw new StoreError('DISK_RESERVE', `disk full while writing ${this.key}`, { key: this.key });
      }
      throw err;
    }
    // Hashed in slices with a turn of the event loop between them: a MiB at once would hold the
    // loop for ~0.6 ms, long enough for a dock link's kernel buffers to fill and the link to stall.
    for (const b of bufs) {
      for (let at = 0; at < b.length; at += HASH_SLICE) {
        if (at > 0) await yieldToLoop();
        this.#hash.update(at === 0 && b.length <= HASH_SLICE ? b : b.subarray(at, at + HASH_SLICE));
      }
    }
    this.#offset += total;
  }

  #requireOpen(): FileHandle {
    if (!this.#fh) throw new StoreError('CONFLICT', `transfer ${this.key} is closed`, { key: this.key });
    return this.#fh;
  }

  async #close(): Promise<void> {
    const fh = this.#fh;
    if (!fh) return;
    this.#fh = undefined;
    try {
      await fh.close();
    } finally {
      this.#onClose();
    }
  }
}

/** The buffers after the first `skip` bytes (a short `writev` goes on from there). */
function rest(bufs: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return out;
}

async function readPersistedOffset(statePath: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(statePath, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
  // A torn or garbled state file (crash during its write) only costs a refetch from 0.
  try {
    return TempState.parse(JSON.parse(text)).offset;
  } catch {
    return 0;
  }
}

/**
 * Rewritten in place (not temp+rename): one fsync instead of three per checkpoint; a torn write
 * is read back as offset 0, which is safe.
 */
async function writeState(statePath: string, offset: number): Promise<void> {
  const fh = await open(statePath, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify({ offset, updatedAt: new Date().toISOString() }));
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
