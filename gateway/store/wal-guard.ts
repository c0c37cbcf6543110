/**
 * A LevelDB write that fails for lack of space can leave a torn record in the write-ahead log;
 * LevelDB goes on appending after it, and at the next open it drops the torn block *and the
 * records after it* — writes it had acknowledged (seen: a login made after the space was freed,
 * gone after a restart). So after a failed write the log is rolled before anything else is written:
 * `compactRange` makes LevelDB write its memtable (everything acknowledged) to a table file and
 * start a new log, and the torn one is deleted. Until the roll, writes are refused — and it is only
 * tried when there is room for the table (`room`), since a roll that fails on a full disk would
 * leave LevelDB refusing every write until the gateway restarts.
 */
import type { Db } from '../db.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';

export interface WalGuardOptions {
  /** True when a roll may write (free space above the state reserve). */
  room: () => Promise<boolean>;
  log: Logger;
}

type WriteFn = (...args: unknown[]) => Promise<unknown>;
/** classic-level's, which `level`'s types do not declare. */
interface Compactable {
  compactRange(start: string, end: string): Promise<void>;
}

/** Matches LevelDB's IO errors (ENOSPC, EIO) as classic-level reports them. */
export function isWriteIoError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown } | undefined;
  return (
    e?.code === 'LEVEL_IO_ERROR' || e?.cause?.code === 'LEVEL_IO_ERROR' || /IO error/.test(String(e?.message))
  );
}

export class WalGuard {
  readonly #db: Db;
  readonly #o: WalGuardOptions;
  #torn = false;
  #rolling: Promise<void> | undefined;

  /** Wraps the root database's write paths (every sublevel writes through them). */
  constructor(db: Db, opts: WalGuardOptions) {
    this.#db = db;
    this.#o = opts;
    // biome-ignore lint/suspicious/noExplicitAny: classic-level's implementation methods, wrapped
    const raw = db as any;
    for (const m of ['_put', '_del', '_batch'] as const) raw[m] = this.#guarded(raw[m].bind(db));
    const chained = raw._chainedBatch.bind(db);
    raw._chainedBatch = () => {
      const batch = chained();
      batch._write = this.#guarded(batch._write.bind(batch));
      return batch;
    };
  }

  /** A failed write left the log torn and it is not rolled yet. */
  get torn(): boolean {
    return this.#torn;
  }

  #guarded(write: WriteFn): WriteFn {
    return async (...args) => {
      if (this.#torn) await this.#roll();
      try {
        return await write(...args);
      } catch (err) {
        if (isWriteIoError(err)) {
          if (!this.#torn)
            this.#o.log.error({ err }, 'index write failed; its log is rolled before the next write');
          this.#torn = true;
        }
        throw err;
      }
    };
  }

  #roll(): Promise<void> {
    this.#rolling ??= (async () => {
      if (!(await this.#o.room())) {
        throw new GatewayError(
          'DISK_RESERVE',
          "index writes refused: the gateway's disk is full and its index log must be rolled first",
        );
      }
      // Any range: LevelDB flushes the memtable and switches to a new log before compacting it.
      await (this.#db as unknown as Compactable).compactRange('\u0000', '\u0000');
      this.#torn = false;
      this.#o.log.warn('index log rolled after a failed write');
    })().finally(() => {
      this.#rolling = undefined;
    });
    return this.#rolling;
  }
}
