/**
 * Free space on the data dir's filesystem, watched so that new work is refused *before* the disk
 * is full rather than failing when it is (a full disk tore LevelDB's write-ahead log and lost
 * acknowledged state). Two thresholds:
 *   - the work reserve (`dock.reserveBytes`): below it, new work that fills the disk is refused —
 *     ingest (the docks pause, dock/disk-guard.ts), hearings started and recording (R19 "full
 *     storage": recording is held, each camera with an interruption), evidence discs built;
 *   - the state reserve (`storage.stateReserveBytes`, smaller): below it, even a small write an
 *     acknowledgement depends on (a login's session) is refused, so that what was acknowledged
 *     before, the audit log and LevelDB's own log and compactions always have room.
 * Crossing the work reserve raises one critical `disk-reserve` alert (the principal and legal
 * affairs are told, notify/) that clears when space is back.
 */
import { statfs } from 'node:fs/promises';
import type { AlertService } from '../alerts/service.js';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';

export const DISK_WATCH_RULE = 'disk-reserve';
export const DISK_WATCH_SUBJECT = 'data-dir';

export type DiskLevel = 'ok' | 'work-reserve' | 'state-reserve';

export interface DiskReading {
  level: DiskLevel;
  freeBytes: number;
  workReserveBytes: number;
  stateReserveBytes: number;
}

export interface DiskWatchOptions {
  /** A path on the watched filesystem (the data dir). */
  path: string;
  workReserveBytes: number;
  stateReserveBytes: number;
  checkMs: number;
  alerts: Pick<AlertService, 'raise' | 'clear'>;
  log: Logger;
  notify?: readonly string[];
  /** Called once each time the level falls below the work reserve (hearings are held, R19). */
  onLow?: (r: DiskReading) => Promise<unknown>;
  /** Bytes an unprivileged writer may still use; statfs by default. */
  freeBytes?: () => Promise<number>;
  /**
   * Frees up to the bytes asked for before the level drops (the archive evicts originals it holds
   * a verified, locked copy of: archive/eviction.ts); resolves to the bytes freed.
   */
  reclaim?: (bytes: number) => Promise<number>;
}

export class DiskWatch implements Service {
  readonly name = 'disk-watch';
  readonly #o: DiskWatchOptions;
  #free: () => Promise<number>;
  #timer: NodeJS.Timeout | undefined;
  #level: DiskLevel = 'ok';
  /** The largest job refused since the level was last ok: the alarm stays until it would fit. */
  #wanted = 0;
  #checking: Promise<DiskReading> | undefined;

  constructor(opts: DiskWatchOptions) {
    this.#o = opts;
    this.#free =
      opts.freeBytes ??
      (async () => {
        const s = await statfs(opts.path);
        return s.bavail * s.bsize;
      });
  }

  /** Replace where free space is read from (tests bring a full disk with this). */
  setFreeBytesSource(fn: () => Promise<number>): void {
    this.#free = fn;
  }

  get level(): DiskLevel {
    return this.#level;
  }

  async start(): Promise<void> {
    await this.check();
    this.#timer = setInterval(() => {
      this.check().catch((err: unknown) => this.#o.log.error({ err }, 'disk check failed'));
    }, this.#o.checkMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#checking?.catch(() => undefined);
  }

  /** Reads free space now; raises or clears the alarm on a change of level. One check at a time. */
  check(): Promise<DiskReading> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** DISK_RESERVE (507) when `what` would eat into the work reserve; the alarm is raised first. */
  async assertWork(what: string, neededBytes = 0): Promise<void> {
    const r = await this.check();
    if (r.freeBytes - neededBytes >= r.workReserveBytes) return;
    throw refusal(what, await this.refused(neededBytes), r.workReserveBytes, neededBytes);
  }

  /** Free space above the state reserve, read now; raises nothing and writes nothing. */
  async stateRoom(): Promise<boolean> {
    return (await this.#free()) >= this.#o.stateReserveBytes;
  }

  /** Work of `neededBytes` was refused (here or by the store's own check): the alarm is raised now. */
  async refused(neededBytes: number): Promise<DiskReading> {
    this.#wanted = Math.max(this.#wanted, neededBytes, 1);
    return this.check();
  }

  /** DISK_RESERVE when even a small acknowledged write (a login's session) would eat into the state reserve. */
  async assertState(what: string): Promise<void> {
    const r = await this.check();
    if (r.freeBytes >= r.stateReserveBytes) return;
    throw refusal(what, r, r.stateReserveBytes, 0);
  }

  async #check(): Promise<DiskReading> {
    const { workReserveBytes, stateReserveBytes } = this.#o;
    let freeBytes = await this.#free();
    const short = workReserveBytes + this.#wanted - freeBytes;
    if (short > 0 && this.#o.reclaim && (await this.#o.reclaim(short).catch(() => 0)) > 0)
      freeBytes = await this.#free();
    const level: DiskLevel =
      freeBytes < stateReserveBytes
        ? 'state-reserve'
        : freeBytes - this.#wanted < workReserveBytes
          ? 'work-reserve'
          : 'ok';
    if (level === 'ok') this.#wanted = 0;
    const r: DiskReading = { level, freeBytes, workReserveBytes, stateReserveBytes };
    const was = this.#level;
    this.#level = level;
    if (was === 'ok' && level !== 'ok') await this.#low(r);
    else if (was !== 'ok' && level === 'ok') await this.#back(r);
    return r;
  }

  async #low(r: DiskReading): Promise<void> {
    this.#o.log.warn(r, 'data dir below its reserve: new work refused');
    await this.#o.alerts
      .raise({
        rule: DISK_WATCH_RULE,
        subject: DISK_WATCH_SUBJECT,
        severity: 'critical',
        message: `The gateway's disk is nearly full: ${mb(r.freeBytes)} free, ${mb(r.workReserveBytes)} kept in reserve. New ingest, hearings and evidence discs are refused until space is freed; nothing recorded is lost.`,
        notify: this.#o.notify ?? ['principal', 'legal-affairs', 'equipment-manager'],
        details: { ...r },
      })
      .catch((err: unknown) => this.#o.log.error({ err }, 'disk alert failed'));
    await this.#o.onLow?.(r).catch((err: unknown) => this.#o.log.error({ err }, 'disk-low handler failed'));
  }

  async #back(r: DiskReading): Promise<void> {
    this.#o.log.info(r, 'data dir above its reserve again');
    await this.#o.alerts
      .clear(DISK_WATCH_RULE, DISK_WATCH_SUBJECT)
      .catch((err: unknown) => this.#o.log.error({ err }, 'clearing disk alert failed'));
  }
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function refusal(what: string, r: DiskReading, reserve: number, needed: number): GatewayError {
  return new GatewayError(
    'DISK_RESERVE',
    `${what} refused: the gateway's disk has ${mb(r.freeBytes)} free${needed ? `, ${mb(needed)} needed` : ''} and ${mb(reserve)} must stay free`,
    { freeBytes: r.freeBytes, reserveBytes: reserve, neededBytes: needed },
  );
}
