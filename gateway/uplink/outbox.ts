/**
 * The bridge's durable outbox in LevelDB (store-and-forward): a message is numbered and written
 * before anything is sent, and deleted only once the central broker acknowledged it (PUBACK), so a
 * link down for a week or a restart only delays it. `seq` counts up from 1 within an `epoch` (a
 * random id made with the outbox); the far side drops what it has seen and keeps order by it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Db, SYNCED } from '../db.js';
import type { BatchOp } from '../store/keys.js';
import type { UpstreamMessage, UpstreamPayload } from './messages.js';

const Meta = z.object({
  epoch: z.string().regex(/^[0-9a-f]{16}$/),
  nextSeq: z.number().int().min(1),
  /** The tree size of the last checkpoint queued: the next one's consistency proof starts there. */
  checkpointTreeSize: z.number().int().min(0).nullable(),
});
type Meta = z.infer<typeof Meta>;

const seqKey = (seq: number) => String(seq).padStart(16, '0');

export interface OutboxStats {
  depth: number;
  oldestAgeMs: number;
  /** Snapshots not queued because the outbox was full (events, alerts, checkpoints never are). */
  dropped: number;
}

export class Outbox {
  readonly #items;
  readonly #meta;
  #m: Meta | undefined;
  #depth = 0;
  #dropped = 0;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly db: Db,
    readonly office: string,
    readonly maxDepth: number,
  ) {
    this.#items = db.sublevel<string, unknown>('uplink-outbox', { valueEncoding: 'json' });
    this.#meta = db.sublevel<string, unknown>('uplink-meta', { valueEncoding: 'json' });
  }

  #opened: Promise<void> | undefined;

  /** Reads the counter and the depth (once; the custody witness may call before start). */
  open(): Promise<void> {
    this.#opened ??= this.#open();
    return this.#opened;
  }

  async #open(): Promise<void> {
    const raw = await this.#meta.get('meta');
    this.#m = raw === undefined ? undefined : Meta.parse(raw);
    if (!this.#m) {
      this.#m = { epoch: randomBytes(8).toString('hex'), nextSeq: 1, checkpointTreeSize: null };
      await this.#meta.put('meta', this.#m);
    }
    this.#depth = 0;
    for await (const _ of this.#items.keys()) this.#depth++;
  }

  get epoch(): string {
    return this.#meta$().epoch;
  }

  get depth(): number {
    return this.#depth;
  }

  /** The last seq handed out (0: none yet). */
  get lastSeq(): number {
    return this.#meta$().nextSeq - 1;
  }

  get checkpointTreeSize(): number | null {
    return this.#meta$().checkpointTreeSize;
  }

  /**
   * Numbers and stores a message (one batch: the item and the counter). Health snapshots are
   * skipped when the outbox is full (a newer one says more); everything else is always kept.
   * `also`: the caller's own writes, made in the same batch, synced (the state the message reports).
   */
  add(
    payload: UpstreamPayload,
    now = Date.now(),
    also: BatchOp[] = [],
  ): Promise<UpstreamMessage | undefined> {
    return this.#serial(async () => {
      const m = this.#meta$();
      if (payload.kind === 'health' && this.#depth >= this.maxDepth) {
        this.#dropped++;
        return undefined;
      }
      const msg = {
        v: 1,
        office: this.office,
        epoch: m.epoch,
        seq: m.nextSeq,
        at: new Date(now).toISOString(),
        ...payload,
      } as UpstreamMessage;
      const next: Meta = {
        ...m,
        nextSeq: m.nextSeq + 1,
        ...(payload.kind === 'checkpoint' ? { checkpointTreeSize: payload.body.checkpoint.treeSize } : {}),
      };
      const ops: BatchOp[] = [
        { type: 'put', sublevel: this.#items, key: seqKey(msg.seq), value: msg },
        { type: 'put', sublevel: this.#meta, key: 'meta', value: next },
        ...also,
      ];
      await (also.length > 0 ? this.db.batch(ops, SYNCED) : this.db.batch(ops));
      this.#m = next;
      this.#depth++;
      return msg;
    });
  }

  /** Up to `limit` messages after `afterSeq`, in order. */
  async after(afterSeq: number, limit: number): Promise<UpstreamMessage[]> {
    const out: UpstreamMessage[] = [];
    for await (const v of this.#items.values({ gt: seqKey(afterSeq), limit })) out.push(v as UpstreamMessage);
    return out;
  }

  /** Acknowledged by the broker: gone. */
  done(seq: number): Promise<void> {
    return this.#serial(async () => {
      const key = seqKey(seq);
      if ((await this.#items.get(key)) === undefined) return;
      await this.#items.del(key);
      this.#depth--;
    });
  }

  async stats(now = Date.now()): Promise<OutboxStats> {
    const [first] = await this.after(0, 1);
    return {
      depth: this.#depth,
      oldestAgeMs: first ? Math.max(0, now - Date.parse(first.at)) : 0,
      dropped: this.#dropped,
    };
  }

  #meta$(): Meta {
    if (!this.#m) throw new Error('outbox not open');
    return this.#m;
  }

  /** Writes one at a time: the counter is read and advanced without a gap or a repeat. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => {});
    return run;
  }
}
