/**
 * Free space on the store's filesystem against a configured reserve (#4 "Ingest": disk nearly
 * full -> ingest pauses, alarm, nothing dropped or evicted; resumes when space is freed).
 * The ingest polls this; the store refuses to open a transfer that would eat into the reserve.
 * Before refusing it asks the reclaimer, if one is set (the archive evicts originals it holds a
 * verified, locked copy of); with nothing to reclaim the refusal stands: nothing is deleted.
 */
import { statfs } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from './errors.js';

export interface DiskStatus {
  /** True when `neededBytes` fit and `reserveBytes` would still be left free. */
  ok: boolean;
  freeBytes: number;
  reserveBytes: number;
  neededBytes: number;
}

/** Frees up to `bytes` (or tries to); resolves to the bytes it freed. */
export type Reclaimer = (bytes: number) => Promise<number>;

export class DiskReserve {
  readonly path: string;
  reserveBytes: number;
  /** Told of every refusal (the composition root raises the disk alarm with it). */
  onRefused: ((s: DiskStatus) => Promise<unknown>) | undefined;
  #freeBytes: (() => Promise<number>) | undefined;
  #reclaimer: Reclaimer | undefined;

  constructor(opts: { path: string; reserveBytes: number }) {
    this.path = opts.path;
    this.reserveBytes = opts.reserveBytes;
  }

  /** Bytes an unprivileged writer may still use (statfs bavail x bsize, or the source set). */
  async freeBytes(): Promise<number> {
    if (this.#freeBytes) return this.#freeBytes();
    const s = await statfs(this.path);
    return s.bavail * s.bsize;
  }

  /** Replace where free space is read from (a quota scheme; tests fill a "disk" with it). */
  setFreeBytesSource(fn: (() => Promise<number>) | undefined): void {
    this.#freeBytes = fn;
  }

  setReclaimer(fn: Reclaimer | undefined): void {
    this.#reclaimer = fn;
  }

  /** Asks the reclaimer for `bytes` (0 when there is none or it fails: nothing else is deleted). */
  async reclaim(bytes: number): Promise<number> {
    if (!this.#reclaimer || bytes <= 0) return 0;
    return this.#reclaimer(bytes).catch(() => 0);
  }

  async hasRoomFor(bytes: number, reserveBytes = this.reserveBytes): Promise<boolean> {
    return (await this.status(bytes, reserveBytes)).ok;
  }

  async status(neededBytes = 0, reserveBytes = this.reserveBytes): Promise<DiskStatus> {
    const freeBytes = await this.freeBytes();
    return { ok: freeBytes - neededBytes >= reserveBytes, freeBytes, reserveBytes, neededBytes };
  }

  /** Throws DISK_RESERVE with the numbers when `bytes` would not leave the reserve free. */
  async assertRoomFor(bytes: number): Promise<DiskStatus> {
    let s = await this.status(bytes);
    if (!s.ok && (await this.reclaim(s.neededBytes + s.reserveBytes - s.freeBytes)) > 0)
      s = await this.status(bytes);
    if (!s.ok) {
      await this.onRefused?.(s);
      throw new StoreError(
        'DISK_RESERVE',
        `disk reserve reached: ${s.freeBytes} bytes free, ${bytes} needed, ${s.reserveBytes} reserved`,
        { ...s },
      );
    }
    return s;
  }

  /** Resolves once `bytes` fit above the reserve; polls every `intervalMs`. Rejects on abort. */
  async waitForRoom(
    bytes: number,
    opts: { intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<DiskStatus> {
    for (;;) {
      opts.signal?.throwIfAborted();
      const s = await this.status(bytes);
      if (s.ok) return s;
      await sleep(opts.intervalMs ?? 1000, undefined, { signal: opts.signal });
    }
  }
}
