/**
 * Reading an original for someone (R25: never serve altered bytes under the original's hash): the
 * bytes are hashed as they stream and at least the last 64 KiB are held back until the digest and
 * length match what was recorded at ingest. On a mismatch the stream fails before the reader has
 * the whole file, so a client that was promised `x-content-sha256` gets a short, failed response,
 * never the altered file complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { StoreError } from './errors.js';

export interface Expected {
  sha256: string;
  bytes: number;
}

/**
 * At least this much stays held back until the digest is known, however small the last read: an
 * HTTP server that writes an error text after a failed body must not be able to fill it up.
 */
const HOLD_BYTES = 64 * 1024;

/** Called once when the bytes on disk are not the recorded ones (length or digest). */
export type OnMismatch = (found: { sha256: string | null; bytes: number }) => void;

export class HashCheck extends Transform {
  readonly #hash = createHash('sha256');
  readonly #expected: Expected;
  readonly #onMismatch: OnMismatch;
  #bytes = 0;
  #held: Buffer[] = [];
  #heldBytes = 0;

  readonly #what: string;

  /** `what` names the bytes in the error (`stored original`, `export image`). */
  constructor(expected: Expected, onMismatch: OnMismatch, what = 'stored original') {
    super();
    this.#expected = expected;
    this.#onMismatch = onMismatch;
    this.#what = what;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.#expected.bytes) {
      this.#fail(null, cb);
      return;
    }
    this.#hash.update(chunk);
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    while (this.#heldBytes - this.#held[0]!.length >= HOLD_BYTES) {
      const out = this.#held.shift()!;
      this.#heldBytes -= out.length;
      this.push(out);
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const sha256 = this.#hash.digest('hex');
    if (sha256 !== this.#expected.sha256 || this.#bytes !== this.#expected.bytes) {
      this.#fail(sha256, cb);
      return;
    }
    for (const b of this.#held.splice(0)) this.push(b);
    this.#heldBytes = 0;
    cb();
  }

  #fail(sha256: string | null, cb: TransformCallback): void {
    this.#held = [];
    this.#heldBytes = 0;
    try {
      this.#onMismatch({ sha256, bytes: this.#bytes });
    } finally {
      cb(
        new StoreError('STORE_CORRUPT', `${this.#what} does not match its recorded hash; not served`, {
          expected: this.#expected.sha256,
          ...(sha256 ? { actual: sha256 } : {}),
        }),
      );
    }
  }
}

/** The whole file at `path`, checked against `expected` while it streams. */
export function checkedReadStream(path: string, expected: Expected, onMismatch: OnMismatch): HashCheck {
  const check = new HashCheck(expected, onMismatch);
  pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), check, () => {});
  return check;
}
