/**
 * Dock time sync (PROTOCOL.md §3.9.2): measure the recorder's clock offset from the midpoint of
 * the round trip (offset = deviceTime - (t0 + t1) / 2, best of a few samples), step the clock by
 * -offset when it is beyond tolerance, measure again. Every sync is kept per recorder (drift
 * history: how far the clock wandered since the last sync, in ppm) and audited ('time-sync', R3).
 */
import { z } from 'zod';
import { DockTiming } from '../../protocol/dock/index.js';
import type { Db } from '../db.js';
import type { AuditLog } from '../store/index.js';
import type { DockClient } from './client.js';
import { DockLinkError } from './errors.js';

export const ClockSample = z.object({
  serial: z.string(),
  /** Gateway time of the sync (ms). */
  at: z.number(),
  /** Device clock minus gateway clock before any step (ms, positive: device ahead). */
  offsetMs: z.number(),
  rttMs: z.number(),
  /** Net step applied to the recorder's clock (ms), 0 when it was within tolerance. */
  adjustMs: z.number(),
  /** Offset measured after the step. */
  residualMs: z.number(),
  /** Drift since the previous sync, parts per million; null on the first sync. */
  driftPpm: z.number().nullable(),
});
export type ClockSample = z.infer<typeof ClockSample>;

export interface TimeSyncOptions {
  db: Db;
  /** The audit log, looked up when needed (the store opens it at start). */
  audit?: () => AuditLog;
  now?: () => number;
  /** Samples per measurement (the lowest round trip wins). */
  samples?: number;
  toleranceMs?: number;
  /** History kept per recorder. */
  keep?: number;
}

interface Measurement {
  offsetMs: number;
  rttMs: number;
}

/** §3.9.2: samples slower than this are not trusted; a measurement takes up to 2 x samples tries. */
const MAX_RTT_MS = DockTiming.MAX_SYNC_RTT_MS;

const pad = (n: number) => Math.trunc(n).toString().padStart(16, '0');

export class TimeSync {
  readonly #history;
  readonly #audit: (() => AuditLog) | undefined;
  readonly #now: () => number;
  readonly #samples: number;
  readonly #tolerance: number;
  readonly #keep: number;

  constructor(opts: TimeSyncOptions) {
    this.#history = opts.db.sublevel<string, ClockSample>('dock-clock', { valueEncoding: 'json' });
    this.#audit = opts.audit;
    this.#now = opts.now ?? Date.now;
    this.#samples = opts.samples ?? 3;
    this.#tolerance = opts.toleranceMs ?? DockTiming.SYNC_TOLERANCE_MS;
    this.#keep = opts.keep ?? 500;
  }

  /** Measure, step if needed, record. `actor` is the dock slot, for the audit entry. */
  async sync(client: DockClient, serial: string, actor: string): Promise<ClockSample> {
    const before = await this.#measure(client);
    let residual = before;
    // §3.9.2: an offset measured only through round trips over 200 ms is recorded, never acted on
    // (its error is up to rtt/2): no step.
    const trusted = before.rttMs <= MAX_RTT_MS;
    for (
      let attempt = 0;
      trusted && Math.abs(residual.offsetMs) > this.#tolerance && attempt < 3;
      attempt++
    ) {
      try {
        // Never repeated (§3.8): if the answer is lost, measuring again tells whether it applied.
        await client.request(
          'TIME_SYNC',
          { t0: this.#now(), adjustMs: -Math.round(residual.offsetMs) },
          { once: true },
        );
      } catch (err) {
        if (!(err instanceof DockLinkError) || err.code !== 'NO_ANSWER') throw err;
      }
      residual = await this.#measure(client);
    }
    // The step that really happened, whatever answers were lost.
    const adjustMs = Math.round(residual.offsetMs - before.offsetMs);
    const last = await this.last(serial);
    const at = this.#now();
    // The last sync left the clock at its residual; what it gained since is drift.
    const driftPpm =
      last && at > last.at
        ? Math.round(((before.offsetMs - last.residualMs) / (at - last.at)) * 1e6 * 10) / 10
        : null;
    const sample: ClockSample = {
      serial,
      at,
      offsetMs: Math.round(before.offsetMs),
      rttMs: before.rttMs,
      adjustMs,
      residualMs: Math.round(residual.offsetMs),
      driftPpm,
    };
    await this.#history.put(`${serial}!${pad(at)}`, sample);
    await this.#trim(serial);
    await this.#audit?.().append({
      type: 'time-sync',
      actor,
      subject: `recorder:${serial}`,
      details: { ...sample },
    });
    return sample;
  }

  /** Newest first. */
  async history(serial: string, limit = 100): Promise<ClockSample[]> {
    return this.#history.values({ gte: `${serial}!`, lt: `${serial}"`, reverse: true, limit }).all();
  }

  async last(serial: string): Promise<ClockSample | undefined> {
    return (await this.history(serial, 1))[0];
  }

  /** §3.9.2: the sample with the smallest round trip; samples slower than 200 ms are not trusted. */
  async #measure(client: DockClient): Promise<Measurement> {
    let best: Measurement | undefined;
    let good = 0;
    for (let i = 0; i < this.#samples * 2 && good < this.#samples; i++) {
      const t0 = this.#now();
      const ack = await client.request('TIME_SYNC', { t0 });
      const t1 = this.#now();
      const m = { offsetMs: ack.deviceTime - (t0 + t1) / 2, rttMs: t1 - t0 };
      if (m.rttMs <= MAX_RTT_MS) good++;
      if (!best || m.rttMs < best.rttMs) best = m;
    }
    return best!;
  }

  async #trim(serial: string): Promise<void> {
    const old = await this.#history
      .keys({ gte: `${serial}!`, lt: `${serial}"`, reverse: true })
      .all()
      .then((keys) => keys.slice(this.#keep));
    if (old.length > 0) await this.#history.batch(old.map((key) => ({ type: 'del' as const, key })));
  }
}
