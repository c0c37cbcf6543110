/**
 * The archive's durable queue in LevelDB: an item stays until its copy is written and read back,
 * so a crash, a power cut or a week offline only delays it. Keys sort by enqueue time (FIFO).
 */
import { z } from 'zod';
import { type Db, timeKey } from '../db.js';

export const ArchiveJob = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('clip'), clipId: z.string().min(1).max(128) }),
  z.object({ kind: z.literal('hold'), clipId: z.string().min(1).max(128) }),
  z.object({
    kind: z.literal('checkpoint'),
    treeSize: z.number().int().min(0),
    json: z.string().max(65_536),
  }),
]);
export type ArchiveJob = z.infer<typeof ArchiveJob>;

export const QueuedJob = z.object({
  key: z.string(),
  job: ArchiveJob,
  enqueuedAt: z.number(),
  attempts: z.number().int().min(0),
  lastError: z.string().max(500).optional(),
  notBefore: z.number().default(0),
  /** Set before the item's first request to the archive (some of its writes may be there). */
  started: z.boolean().optional(),
});
export type QueuedJob = z.infer<typeof QueuedJob>;

export class ArchiveQueue {
  readonly #q;
  #seq = 0;

  constructor(db: Db) {
    this.#q = db.sublevel<string, unknown>('archive-queue', { valueEncoding: 'json' });
  }

  async add(job: ArchiveJob, now = Date.now()): Promise<void> {
    const key = `${timeKey(now)}!${String(this.#seq++).padStart(6, '0')}`;
    await this.#q.put(key, { key, job, enqueuedAt: now, attempts: 0, notBefore: 0 } satisfies QueuedJob);
  }

  /** The first item due now, in enqueue order, other than those in `skip` (being worked on). */
  async next(now = Date.now(), skip?: { has(key: string): boolean }): Promise<QueuedJob | undefined> {
    for await (const v of this.#q.values()) {
      const item = QueuedJob.parse(v);
      if (item.notBefore <= now && !skip?.has(item.key)) return item;
    }
    return undefined;
  }

  async done(key: string): Promise<void> {
    await this.#q.del(key);
  }

  async started(item: QueuedJob): Promise<void> {
    await this.#q.put(item.key, { ...item, started: true });
  }

  async failed(item: QueuedJob, err: string, retryMs: number, now = Date.now()): Promise<void> {
    const attempts = item.attempts + 1;
    const wait = retryMs * 2 ** Math.min(attempts - 1, 5);
    await this.#q.put(item.key, { ...item, attempts, lastError: err.slice(0, 500), notBefore: now + wait });
  }

  /** The item enqueued first (keys sort by enqueue time), whether due or not. */
  async oldest(): Promise<QueuedJob | undefined> {
    const [v] = await this.#q.values({ limit: 1 }).all();
    return v === undefined ? undefined : QueuedJob.parse(v);
  }

  async *items(): AsyncGenerator<QueuedJob> {
    for await (const v of this.#q.values()) yield QueuedJob.parse(v);
  }

  async stats(now = Date.now()): Promise<{ depth: number; oldestAgeMs: number; lastError?: string }> {
    let depth = 0;
    let oldest: number | undefined;
    let lastError: string | undefined;
    for await (const v of this.#q.values()) {
      const item = QueuedJob.parse(v);
      depth++;
      oldest ??= item.enqueuedAt;
      lastError ??= item.lastError;
    }
    return { depth, oldestAgeMs: oldest === undefined ? 0 : now - oldest, lastError };
  }
}
