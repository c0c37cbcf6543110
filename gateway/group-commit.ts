/**
 * Group commit: every write queued in one loop turn goes to LevelDB in one synced batch, and batches
 * go one after another, so two writes of one row land in call order and a caller that acknowledges
 * after its promise resolves acknowledges something durable (docs/STATE.md). One fsync per write
 * queued bursts behind each other for seconds (bench/README.md, telemetry and central).
 */
import { SYNCED } from './db.js';
import type { BatchOp } from './store/keys.js';

export class GroupCommit {
  #queued: BatchOp[] = [];
  /** The commit the queued writes will go in; the one before it has finished. */
  #commit?: Promise<void>;
  #last: Promise<void> = Promise.resolve();
  /** Batches written (tests, metrics). */
  batches = 0;

  constructor(readonly write: (ops: BatchOp[], options: typeof SYNCED) => Promise<void>) {}

  /** Resolves when `ops` are durable (rejects when their batch failed). */
  add(ops: readonly BatchOp[]): Promise<void> {
    this.#queued.push(...ops);
    if (!this.#commit) {
      const after = this.#last;
      this.#commit = new Promise<void>((r) => setImmediate(r))
        .then(() => after)
        .then(() => {
          const ops = this.#queued;
          this.#queued = [];
          this.#commit = undefined;
          this.batches++;
          return this.write(ops, SYNCED);
        });
      this.#last = this.#commit.catch(() => undefined);
    }
    return this.#commit;
  }

  /** Resolves once everything queued so far was written (or failed). */
  drained(): Promise<void> {
    return this.#commit ? this.#commit.catch(() => undefined) : this.#last;
  }
}
