/**
 * Local eviction: when the gateway's disk is short (the store's reserve, R22's designated storage),
 * originals the central archive holds are evicted, oldest recording first. A clip qualifies only
 * when it is verified, not on legal hold (R23: never moved), archived with these very bytes, and
 * its archived version, read back and hashed now, is under a COMPLIANCE lock that outlives the
 * clip's retention. Each eviction is an `archive` audit entry (store/evicted.ts); the clip stays
 * playable and downloadable from the archive. When nothing qualifies the disk stays full, ingest
 * refuses (DISK_RESERVE) and a critical alert says why: nothing is ever deleted to make room.
 */
import type { AlertService } from '../alerts/service.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import { type ClipStore, isOnHold } from '../store/index.js';
import type { ArchiveService } from './service.js';

export const NOTHING_EVICTABLE_RULE = 'disk-full-nothing-evictable';
const SUBJECT = 'gateway-store';

export interface EvictorOptions {
  store: Pick<ClipStore, 'index' | 'evict' | 'disk'>;
  archive: Pick<ArchiveService, 'copyOf' | 'verifyCopy' | 'requiredUntil'>;
  alerts: Pick<AlertService, 'raise' | 'clear'>;
  log: Logger;
  /** How often a raised alert looks whether space came back (ms). */
  recheckMs?: number;
  /** How long after a pass that fell short the next one waits (ms). */
  retryMs?: number;
}

export interface ReclaimReport {
  wanted: number;
  freed: number;
  evicted: string[];
  /** Clips passed over, by why (held, not archived, copy failed its check...). */
  skipped: Record<string, number>;
}

export class Evictor implements Service {
  readonly name = 'evictor';
  readonly #o: EvictorOptions;
  #running: Promise<ReclaimReport> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #alerted = false;
  /** After a pass that could not free enough, the next full pass waits this long (ms since epoch). */
  #quietUntil = 0;
  #last: ReclaimReport | undefined;

  constructor(opts: EvictorOptions) {
    this.#o = opts;
  }

  async start(): Promise<void> {
    this.#o.store.disk.setReclaimer(async (bytes) => (await this.reclaim(bytes)).freed);
    this.#timer = setInterval(() => void this.#recheck(), this.#o.recheckMs ?? 60_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#o.store.disk.setReclaimer(undefined);
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /**
   * Evicts until `bytes` are freed or nothing else qualifies; one pass at a time. A pass that fell
   * short is not repeated for `retryMs` (every disk check and refused write would otherwise walk
   * the whole index again): meanwhile the refusal and its alert stand.
   */
  reclaim(bytes: number): Promise<ReclaimReport> {
    if (Date.now() < this.#quietUntil && this.#last)
      return Promise.resolve({ wanted: bytes, freed: 0, evicted: [], skipped: this.#last.skipped });
    this.#running ??= this.#reclaim(bytes).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #reclaim(wanted: number): Promise<ReclaimReport> {
    const { store, archive, log } = this.#o;
    const report: ReclaimReport = { wanted, freed: 0, evicted: [], skipped: {} };
    const skip = (why: string) => {
      report.skipped[why] = (report.skipped[why] ?? 0) + 1;
    };
    for await (const rec of store.index.eachByTime()) {
      if (report.freed >= wanted) break;
      if (rec.state !== 'verified') continue;
      if (rec.evicted) {
        // Finishes an eviction cut short after its entry (the blob is still here).
        report.freed += await store.evict(rec.clipId, rec.evicted).catch(() => 0);
        continue;
      }
      if (isOnHold(rec)) {
        skip('legal-hold');
        continue;
      }
      const copy = await archive.copyOf(rec.clipId);
      if (!copy || copy.sha256 !== rec.sha256 || copy.bytes !== rec.bytes) {
        skip('not-archived');
        continue;
      }
      const until = archive.requiredUntil(rec);
      if (Date.parse(copy.retainUntil) < until.getTime() - 1000) {
        skip('lock-too-short');
        continue;
      }
      let at: Awaited<ReturnType<typeof archive.verifyCopy>>;
      try {
        at = await archive.verifyCopy(copy, until);
      } catch (err) {
        log.warn({ clipId: rec.clipId, err: (err as Error).message }, 'archive copy failed its check: kept');
        skip('copy-unverified');
        continue;
      }
      try {
        report.freed += await store.evict(rec.clipId, at);
        report.evicted.push(rec.clipId);
      } catch (err) {
        // A hold placed meanwhile (LEGAL_HOLD) or a clip that changed: it stays.
        log.warn({ clipId: rec.clipId, err: (err as Error).message }, 'not evicted');
        skip('refused');
      }
    }
    this.#last = report;
    this.#quietUntil = report.freed < wanted ? Date.now() + (this.#o.retryMs ?? 60_000) : 0;
    if (report.freed < wanted) await this.#raise(report);
    else await this.#clear();
    log.info(report, 'eviction pass');
    return report;
  }

  async #raise(r: ReclaimReport): Promise<void> {
    this.#alerted = true;
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const why = Object.entries(r.skipped)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    await this.#o.alerts.raise({
      rule: NOTHING_EVICTABLE_RULE,
      subject: SUBJECT,
      severity: 'critical',
      message: `The gateway store is full and nothing more can be evicted: ${mb(r.freed)} freed of ${mb(r.wanted)} needed (${why || 'no archived originals'}). Ingest refuses until space is freed; nothing is deleted.`,
      notify: ['equipment-manager', 'legal-affairs'],
      details: { ...r, evicted: r.evicted.length },
    });
  }

  async #clear(): Promise<void> {
    if (!this.#alerted) return;
    this.#alerted = false;
    await this.#o.alerts.clear(NOTHING_EVICTABLE_RULE, SUBJECT);
  }

  async #recheck(): Promise<void> {
    if (!this.#alerted) return;
    try {
      if ((await this.#o.store.disk.status()).ok) await this.#clear();
    } catch (err) {
      this.#o.log.warn({ err }, 'disk recheck failed');
    }
  }
}
