import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrno } from './errors.js';

export interface HashFileOptions {
  /** Shared read-rate cap (a background sweep must leave the disk to ingest). */
  limit?: RateLimit;
  signal?: AbortSignal;
}

/** SHA-256 and length of a file, streamed in 1 MiB reads. */
export async function hashFile(
  path: string,
  opts: HashFileOptions = {},
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    opts.signal?.throwIfAborted();
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    await opts.limit?.take((chunk as Buffer).length, opts.signal);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** As hashFile; undefined when there is no file at `path`. */
export async function hashFileIfExists(
  path: string,
  opts: HashFileOptions = {},
): Promise<{ sha256: string; bytes: number } | undefined> {
  try {
    return await hashFile(path, opts);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Holds a reader to `bytesPerS` on average across every file it reads. Time spent elsewhere
 * (index lookups, sidecars) is not saved up as a burst beyond one second.
 */
export class RateLimit {
  #start = performance.now();
  #taken = 0;

  constructor(readonly bytesPerS: number) {}

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    // Behind by more than a second (idle time): start a new window rather than burst.
    if ((this.#taken / this.bytesPerS) * 1000 < now - this.#start - 1000) {
      this.#start = now;
      this.#taken = 0;
    }
    this.#taken += bytes;
    const due = this.#start + (this.#taken / this.bytesPerS) * 1000 - now;
    if (due > 1) await sleep(due, undefined, signal ? { signal } : undefined);
  }
}
