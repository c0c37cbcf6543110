/**
 * Group commit: every write queued in one loop turn goes to LevelDB in one synced batch, and batches
 * go one after another, so two writes of one row land in call order and a caller that acknowledges
 * after its promise resolves acknowledges something durable (docs/STATE.md). One fsync per write
 * queued bursts behind each other for seconds (bench/README.md, telemetry and central).
 *
 * Two lanes: `urgent` writes go in the next batch, whatever waits in the routine lane; routine ones
 * go at most `routineOpsPerBatch` ops per batch, so a burst of them holds an urgent write back by
 * one bounded batch (R19: the principal is told "at once"). A row's writes must keep to one lane to
 * keep their order.
 */
import { SYNCED } from './db.js';
import type { BatchOp } from './store/keys.js';

interface Queued {
  ops: readonly BatchOp[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** Routine ops per batch (default: no bound). */
  routineOpsPerBatch?: number;
}

export class GroupCommit {
  readonly #urgent: Queued[] = [];
  readonly #routine: Queued[] = [];
  readonly #routineMax: number;
  /** Settles when the writer has nothing left to write. */
  #draining?: Promise<void>;
  /** Batches written (tests, metrics). */
  batches = 0;

  constructor(
    readonly write: (ops: BatchOp[], options: typeof SYNCED) => Promise<void>,
    opts: GroupCommitOptions = {},
  ) {
    this.#routineMax = opts.routineOpsPerBatch ?? Number.POSITIVE_INFINITY;
  }

  /** Resolves when `ops` are durable (rejects when their batch failed). */
  add(ops: readonly BatchOp[], o: { urgent?: boolean } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      (o.urgent ? this.#urgent : this.#routine).push({ ops, resolve, reject });
      // Writes of this loop turn join the batch: the writer starts on the next turn.
      this.#draining ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#drain());
    });
  }

  /** Resolves once everything queued so far was written (or failed). */
  async drained(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const entries = this.#urgent.length > 0 ? this.#urgent.splice(0) : this.#takeRoutine();
        if (entries.length === 0) return;
        this.batches++;
        try {
          await this.write(lastWriteWins(entries.flatMap((e) => e.ops)), SYNCED);
          for (const e of entries) e.resolve();
        } catch (err) {
          for (const e of entries) e.reject(err);
        }
        // Writes queued while this batch was on its way wait for company from the next loop turn,
        // unless an urgent one is among them.
        if (this.#urgent.length === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #takeRoutine(): Queued[] {
    let n = 0;
    let k = 0;
    while (k < this.#routine.length && (k === 0 || n + this.#routine[k]!.ops.length <= this.#routineMax)) {
      n += this.#routine[k]!.ops.length;
      k++;
    }
    return this.#routine.splice(0, k);
  }
}

const sublevelIds = new WeakMap<object, number>();
let nextSublevelId = 1;

/**
 * One operation per key, the last one queued: what the batch leaves behind is the same, and a row
 * written by every message (central's sequence state per office) is prepared once per batch, not
 * hundreds of times (abstract-level's batch preparation was ~10 % of central's CPU, bench/central).
 */
function lastWriteWins(ops: BatchOp[]): BatchOp[] {
  if (ops.length < 2) return ops;
  const last = new Map<string, number>();
  ops.forEach((op, i) => {
    const sub = (op as { sublevel?: object }).sublevel;
    let id = 0;
    if (sub) {
      id = sublevelIds.get(sub) ?? nextSublevelId++;
      sublevelIds.set(sub, id);
    }
    last.set(`${id}\u0000${String(op.key)}`, i);
  });
  if (last.size === ops.length) return ops;
  const keep = new Set(last.values());
  return ops.filter((_, i) => keep.has(i));
}
