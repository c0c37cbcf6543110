/**
 * Disk reserve for the ingest (#4 "Ingest"): when the gateway's disk would fall below the reserve,
 * every dock pauses (nothing is dropped), one alarm is raised, and the transfers resume by
 * themselves once space is freed. Before pausing, and at every look while paused, `reclaim` may
 * free space: the archive evicts originals it holds a verified, locked copy of, nothing else. The free-space source is injectable so tests (and an
 * operator's quota scheme) can drive it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertService } from '../alerts/service.js';
import type { Logger } from '../log.js';

export type FreeBytesSource = () => Promise<number>;

export interface DiskGuardOptions {
  freeBytes: FreeBytesSource;
  reserveBytes: number;
  alerts?: Pick<AlertService, 'raise' | 'clear'>;
  log: Logger;
  /** How often a paused ingest looks again (ms). */
  pollMs?: number;
  /** Roles told when ingest stops for lack of space. */
  notify?: readonly string[];
  /** Frees up to the bytes asked for; resolves to the bytes freed (store.disk.reclaim). */
  reclaim?: (bytes: number) => Promise<number>;
}

export interface RoomStatus {
  ok: boolean;
  freeBytes: number;
  reserveBytes: number;
  neededBytes: number;
}

export const DISK_ALERT_RULE = 'disk-reserve';
export const DISK_ALERT_SUBJECT = 'gateway-store';

export class DiskGuard {
  #freeBytes: FreeBytesSource;
  reserveBytes: number;
  pollMs: number;
  readonly #alerts: DiskGuardOptions['alerts'];
  readonly #log: Logger;
  readonly #notify: readonly string[];
  readonly #reclaim: DiskGuardOptions['reclaim'];
  /** Slots waiting for room now. */
  readonly #waiting = new Set<string>();

  constructor(opts: DiskGuardOptions) {
    this.#freeBytes = opts.freeBytes;
    this.reserveBytes = opts.reserveBytes;
    this.pollMs = opts.pollMs ?? 2000;
    this.#alerts = opts.alerts;
    this.#log = opts.log;
    this.#notify = opts.notify ?? ['equipment-manager', 'legal-affairs'];
    this.#reclaim = opts.reclaim;
  }

  /** Replace where free space is read from (tests simulate a full disk with this). */
  setFreeBytesSource(fn: FreeBytesSource): void {
    this.#freeBytes = fn;
  }

  get paused(): string[] {
    return [...this.#waiting];
  }

  async check(neededBytes: number): Promise<RoomStatus> {
    const freeBytes = await this.#freeBytes();
    return {
      ok: freeBytes - neededBytes >= this.reserveBytes,
      freeBytes,
      reserveBytes: this.reserveBytes,
      neededBytes,
    };
  }

  /**
   * Resolves once `neededBytes` fit above the reserve. While it waits the alarm stays raised;
   * `onPause` is called once with the numbers. Rejects when `signal` aborts (the dock went away).
   */
  async waitForRoom(
    who: string,
    neededBytes: number,
    opts: { signal?: AbortSignal; onPause?: (s: RoomStatus) => void } = {},
  ): Promise<RoomStatus> {
    let s = await this.#checkReclaiming(neededBytes);
    if (s.ok) return s;
    this.#waiting.add(who);
    opts.onPause?.(s);
    this.#log.warn({ slot: who, ...s }, 'disk reserve reached: ingest paused');
    await this.#raise(s);
    try {
      while (!s.ok) {
        await sleep(this.pollMs, undefined, opts.signal ? { signal: opts.signal } : {});
        s = await this.#checkReclaiming(neededBytes);
      }
      this.#log.info({ slot: who, ...s }, 'disk space back: ingest resumes');
      return s;
    } finally {
      this.#waiting.delete(who);
      if (this.#waiting.size === 0)
        await this.#alerts?.clear(DISK_ALERT_RULE, DISK_ALERT_SUBJECT).catch(() => false);
    }
  }

  async #checkReclaiming(neededBytes: number): Promise<RoomStatus> {
    const s = await this.check(neededBytes);
    if (s.ok || !this.#reclaim) return s;
    const freed = await this.#reclaim(s.neededBytes + s.reserveBytes - s.freeBytes).catch(() => 0);
    return freed > 0 ? this.check(neededBytes) : s;
  }

  async #raise(s: RoomStatus): Promise<void> {
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    await this.#alerts
      ?.raise({
        rule: DISK_ALERT_RULE,
        subject: DISK_ALERT_SUBJECT,
        severity: 'critical',
        message: `Clip ingest paused: ${mb(s.freeBytes)} free on the gateway store, ${mb(s.neededBytes)} needed, ${mb(s.reserveBytes)} must stay free. Nothing is dropped; free space to resume.`,
        notify: this.#notify,
        details: { ...s },
      })
      .catch((err: unknown) => this.#log.error({ err }, 'disk alert failed'));
  }
}
