/**
 * Chunk tables for the originals that have none: stored before tables existed, or whose table
 * after ingest was cut off by a restart. Without one, the first seek of a viewing waits for a
 * whole pass over the file (clips/service.ts); with one it is served at once, checked per chunk
 * (R25). One pass in the background some time after start, at the integrity sweep's capped read
 * rate (ingest and recording keep their speed), one original at a time.
 *
 * A table is kept only when the whole file matches its recorded hash (chunk-table.ts). An original
 * that does not goes to the store's whole check, which quarantines it and alerts as the sweep would.
 * The pass is one `verify` entry (subject `store:chunk-tables`) saying what it made and what
 * failed, written only when it made or found something, so restarts do not fill the log.
 */
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import type { ClipStore } from '../store/index.js';
import { RateLimit } from '../store/index.js';
import { CHUNK_BYTES, type ChunkTables, hashWithChunks } from './chunk-table.js';

export interface ChunkBackfillOptions {
  store: Pick<ClipStore, 'index' | 'layout' | 'checkWhole' | 'audit'>;
  chunks: Pick<ChunkTables, 'get' | 'put'>;
  log: Logger;
  /** Read-rate cap, bytes per second. */
  bytesPerS: number;
  /** The pass starts this long after start (ms; default 10 min): start-up work goes first. Negative: only when run() is called. */
  delayMs?: number;
}

export interface BackfillResult {
  /** Tables made. */
  made: number;
  /** Bytes read to make them. */
  bytes: number;
  /** Originals that did not match their recorded hash, or were missing (at most 100 named). */
  failed: { clipId: string; error: string }[];
  seconds: number;
}

export const BACKFILL_SUBJECT = 'store:chunk-tables';
const NAMED_FAILURES = 100;
const DEFAULT_DELAY_MS = 10 * 60_000;

export class ChunkBackfill implements Service {
  readonly name = 'chunk-backfill';
  readonly #o: ChunkBackfillOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<BackfillResult> | undefined;
  readonly #abort = new AbortController();

  constructor(opts: ChunkBackfillOptions) {
    this.#o = opts;
  }

  async start(): Promise<void> {
    const delay = this.#o.delayMs ?? DEFAULT_DELAY_MS;
    if (delay < 0) return;
    this.#timer = setTimeout(() => {
      this.run().catch((err: unknown) => {
        if (!this.#abort.signal.aborted) this.#o.log.error({ err }, 'chunk table back-fill failed');
      });
    }, delay);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running?.catch(() => {});
  }

  /** The pass (one at a time: a second call while one runs gets that one's result). */
  run(): Promise<BackfillResult> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<BackfillResult> {
    const t0 = performance.now();
    const { store, chunks, log } = this.#o;
    const signal = this.#abort.signal;
    const limit = new RateLimit(this.#o.bytesPerS);
    const result: BackfillResult = { made: 0, bytes: 0, failed: [], seconds: 0 };
    let failures = 0;
    const seen = new Set<string>();
    for await (const r of store.index.all()) {
      signal.throwIfAborted();
      // An evicted original is read from the archive, checked whole per viewing: no table.
      if (r.state !== 'verified' || r.evicted || seen.has(r.sha256)) continue;
      seen.add(r.sha256);
      if (await chunks.get(r.sha256)) continue;
      const path = store.layout.blobPath('blobs', r.sha256);
      const t = await hashWithChunks(path, CHUNK_BYTES, { limit, signal }).catch((err: unknown) => {
        if (signal.aborted) throw err;
        return undefined;
      });
      if (t && t.sha256 === r.sha256 && t.bytes === r.bytes) {
        await chunks.put(t);
        result.made++;
        result.bytes += t.bytes;
        continue;
      }
      // Not the recorded bytes (or gone): the store's whole check quarantines and alerts.
      const ref = { area: 'blobs' as const, path, sha256: r.sha256, bytes: r.bytes };
      const error = await store.checkWhole(ref, 'chunk-table back-fill').then(
        () => 'changed while it was read',
        (err: unknown) => (err as Error).message,
      );
      failures++;
      if (result.failed.length < NAMED_FAILURES) result.failed.push({ clipId: r.clipId, error });
      log.warn({ clipId: r.clipId, error }, 'no chunk table: the original does not match its recorded hash');
    }
    result.seconds = Math.round((performance.now() - t0) / 100) / 10;
    if (result.made > 0 || failures > 0) {
      await store.audit.append({
        type: 'verify',
        actor: 'gateway',
        subject: BACKFILL_SUBJECT,
        details: {
          pass: 'chunk-table back-fill',
          made: result.made,
          bytes: result.bytes,
          failures,
          failed: result.failed,
          seconds: result.seconds,
        },
      });
      log.info({ made: result.made, failures, seconds: result.seconds }, 'chunk tables back-filled');
    }
    return result;
  }
}
