/**
 * Reusable buffers for DATA chunks between the dock receiver and the disk. The receiver's own
 * buffers are reused at once (FrameLink `transientData`), so a chunk is copied out here when its
 * DATA is dispatched; the ingest hands it back once the bytes are in its disk queue. A chunk never
 * handed back is simply collected: only buffers given back are reused, so nothing in use is ever
 * overwritten.
 */
import { MAX_CHUNK_BYTES } from '../../protocol/dock/index.js';

export class ChunkPool {
  readonly #free: Uint8Array<ArrayBuffer>[] = [];
  /** The pool's own buffers: `give` ignores anything else. */
  readonly #mine = new WeakSet<ArrayBuffer>();

  constructor(private readonly keep = 64) {}

  /** A copy of `src` in a pooled buffer (a view of exactly its length). */
  copy(src: Uint8Array): Uint8Array {
    if (src.length > MAX_CHUNK_BYTES) return Uint8Array.from(src);
    let buf = this.#free.pop();
    if (!buf) {
      buf = new Uint8Array(MAX_CHUNK_BYTES);
      this.#mine.add(buf.buffer);
    }
    buf.set(src);
    return buf.subarray(0, src.length);
  }

  /** The caller is done with `chunk` (from `copy`) and keeps no reference to it. */
  give(chunk: Uint8Array): void {
    const ab = chunk.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.#mine.has(ab) || this.#free.length >= this.keep) return;
    this.#free.push(new Uint8Array(ab));
  }
}
