/**
 * What central knows of each office (PROTOCOL.md §7.3): the latest health snapshot and status,
 * active alerts, recent events, the sequence state, the witness's held checkpoint and the archived
 * originals each office reported. It takes decoded messages in arrival order, each updating memory
 * at once; the sequence state, the held checkpoint and archived originals of every message taken in
 * one loop turn go to LevelDB in one synced batch (group-commit.ts), and a message is acknowledged
 * to the broker only once its batch is durable. The views follow at most `flushMs` later (a crash
 * loses at most that much of the recent-events list, never custody).
 */
import type { AlertService } from '../alerts/service.js';
import type { Db } from '../db.js';
import { GroupCommit } from '../group-commit.js';
import type { Logger } from '../log.js';
import { type BatchOp, keyPart } from '../store/keys.js';
import type { AlertBody, EventBody, HealthBody, OfficeStatus, UpstreamMessage } from '../uplink/messages.js';
import { ARCHIVED_EVENT, ArchivedOriginal, archivedFromEvent } from './originals.js';
import { type OfficeSequence, sequence } from './sequencer.js';
import { FORK_STATUSES, type HeldState, type WitnessOutcome, witness } from './witness.js';

export const RECENT_EVENTS = 100;
const MAX_ALERTS = 500;
export const FORK_RULE = 'office-fork';
export const UNPROVEN_RULE = 'office-checkpoint-unproven';
export const GAP_RULE = 'office-upstream-gap';
/** R25: a rewritten office history is told to the principal and legal affairs at once. */
const NOTIFY = ['principal', 'legal-affairs'] as const;

export interface OfficeView {
  office: string;
  online: boolean | null;
  statusAt: string | null;
  /** Central's clock when the last message arrived. */
  lastMessageAt: string | null;
  health: HealthBody | null;
  /** The office's clock when the snapshot was queued. */
  healthAt: string | null;
  alerts: (AlertBody & { at: string })[];
  events: { at: string; type: string; subject: string; details: Record<string, unknown> }[];
  /** `archived`: originals reported archived (absent in views stored before it was counted). */
  counts: { messages: number; events: number; alertsRaised: number; archived?: number };
  sequence: OfficeSequence | null;
  custody: {
    status: WitnessOutcome['status'];
    treeSize: number | null;
    rootHash: string | null;
    checkpointAt: string | null;
    checkedAt: string;
    reason: string | null;
  } | null;
}

export type Taken = 'taken' | 'duplicate';

export interface LedgerOptions {
  db: Db;
  alerts: AlertService;
  log: Logger;
  /** Fingerprints on paper, by office (config): the first checkpoint must match. */
  pinned?: Record<string, string>;
  flushMs?: number;
  now?: () => number;
}

export class Ledger {
  readonly #o: LedgerOptions;
  readonly #views;
  readonly #seqs;
  readonly #held;
  readonly #originals;
  readonly #commit: GroupCommit;
  readonly #offices = new Map<string, OfficeView>();
  readonly #heldMem = new Map<string, HeldState>();
  readonly #dirty = new Set<string>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  messages = 0;
  duplicates = 0;

  constructor(o: LedgerOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#views = o.db.sublevel<string, unknown>('central-views', { valueEncoding: 'json' });
    this.#seqs = o.db.sublevel<string, unknown>('central-seq', { valueEncoding: 'json' });
    this.#held = o.db.sublevel<string, unknown>('central-held', { valueEncoding: 'json' });
    this.#originals = o.db.sublevel<string, unknown>('central-originals', { valueEncoding: 'json' });
    this.#commit = new GroupCommit(async (ops, sync) => {
      // After a failed batch nothing later may land: its seq states would jump over the lost
      // messages, and the broker's re-delivery of them would be dropped as repeats.
      if (this.#broken) throw this.#broken;
      try {
        await o.db.batch(ops, sync);
      } catch (err) {
        this.#broken = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
    });
  }

  /**
   * Per office, the last seq taken into the views before a rollback: their re-delivery is written
   * again but not counted or listed twice.
   */
  readonly #replay = new Map<string, { epoch: string; upTo: number }>();

  /** The batch that failed, until rollback() (every take before it failed or fails too). */
  #broken: Error | undefined;

  /**
   * Back to what is durable after a failed batch: the sequence states and held checkpoints are read
   * again from LevelDB once every batch in flight settled, so the broker's re-delivery of the
   * unacknowledged messages is taken, not dropped as repeats (#replay keeps the views from
   * counting them twice).
   */
  async rollback(): Promise<void> {
    await this.#commit.drained();
    for (const v of this.#offices.values()) {
      if (v.sequence) this.#replay.set(v.office, { epoch: v.sequence.epoch, upTo: v.sequence.lastSeq });
      v.sequence = null;
    }
    for await (const [k, v] of this.#seqs.iterator()) this.#view(k).sequence = v as OfficeSequence;
    this.#heldMem.clear();
    for await (const [k, v] of this.#held.iterator()) this.#heldMem.set(k, v as HeldState);
    this.#broken = undefined;
  }

  /** Synced batches written so far (one per loop turn of messages). */
  get batches(): number {
    return this.#commit.batches;
  }

  async open(): Promise<void> {
    for await (const [k, v] of this.#views.iterator()) this.#offices.set(k, v as OfficeView);
    for await (const [k, v] of this.#seqs.iterator()) this.#view(k).sequence = v as OfficeSequence;
    for await (const [k, v] of this.#held.iterator()) this.#heldMem.set(k, v as HeldState);
    this.#timer = setInterval(() => void this.flush(), this.#o.flushMs ?? 1000);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#commit.drained();
    await this.flush();
  }

  list(): OfficeView[] {
    return [...this.#offices.values()].sort((a, b) => a.office.localeCompare(b.office));
  }

  get(office: string): OfficeView | undefined {
    return this.#offices.get(office);
  }

  held(office: string): HeldState | undefined {
    return this.#heldMem.get(office);
  }

  status(office: string, s: OfficeStatus): void {
    const v = this.#view(office);
    v.online = s.online;
    v.statusAt = new Date(this.#now()).toISOString();
    this.#dirty.add(office);
  }

  /**
   * One sequenced message from `office` (already checked to be its own). Memory changes at once, in
   * call order; the promise resolves when the message's writes are durable (acknowledge then).
   */
  take(m: UpstreamMessage): Promise<Taken> {
    const v = this.#view(m.office);
    const verdict = sequence(v.sequence ?? undefined, m.epoch, m.seq);
    v.sequence = verdict.state;
    const ops: BatchOp[] = [{ type: 'put', sublevel: this.#seqs, key: m.office, value: verdict.state }];
    if (!verdict.take) {
      this.duplicates++;
      return this.#commit.add(ops).then(() => 'duplicate');
    }
    const waits: Promise<unknown>[] = [];
    const r = this.#replay.get(m.office);
    const seen = r !== undefined && r.epoch === m.epoch && m.seq <= r.upTo;
    if (r && !seen) this.#replay.delete(m.office);
    const now = new Date(this.#now()).toISOString();
    v.lastMessageAt = now;
    if (!seen) {
      this.messages++;
      v.counts.messages++;
    }
    if (verdict.skipped > 0 && !verdict.newEpoch) {
      void this.#o.alerts
        .raise({
          rule: GAP_RULE,
          subject: m.office,
          severity: 'warning',
          message: `${verdict.skipped} upstream message(s) from ${m.office} never arrived (before #${m.seq})`,
        })
        .catch((err) => this.#o.log.error({ err }, 'gap alert failed'));
    }
    switch (m.kind) {
      case 'health':
        v.health = m.body;
        v.healthAt = m.at;
        break;
      case 'event':
        if (m.body.type === ARCHIVED_EVENT) {
          this.#archived(m.office, m.at, m.body, ops, !seen);
          if (!seen) v.counts.events++;
          break;
        }
        if (seen) break;
        v.counts.events++;
        v.events.unshift({ at: m.at, ...m.body });
        v.events.length = Math.min(v.events.length, RECENT_EVENTS);
        break;
      case 'alert': {
        if (seen) break;
        const same = (a: AlertBody) => a.rule === m.body.rule && a.subject === m.body.subject;
        v.alerts = v.alerts.filter((a) => !same(a));
        if (m.body.action === 'raised') {
          v.counts.alertsRaised++;
          v.alerts.unshift({ ...m.body, at: m.at });
          v.alerts.length = Math.min(v.alerts.length, MAX_ALERTS);
        }
        break;
      }
      case 'checkpoint': {
        const out = witness(m.office, this.#heldMem.get(m.office), m.body, this.#o.pinned?.[m.office]);
        const cp = m.body.checkpoint;
        const kept = 'held' in out ? out.held : this.#heldMem.get(m.office)?.checkpoint;
        v.custody = {
          status: out.status,
          treeSize: kept?.treeSize ?? null,
          rootHash: kept?.rootHash ?? null,
          checkpointAt: kept?.at ?? null,
          checkedAt: now,
          reason: 'reason' in out ? out.reason : null,
        };
        if ('held' in out && out.status !== 'same') {
          const h: HeldState = { checkpoint: out.held, fingerprint: m.body.key.fingerprint };
          this.#heldMem.set(m.office, h);
          ops.push({ type: 'put', sublevel: this.#held, key: m.office, value: h });
        }
        waits.push(this.#custodyAlert(m.office, out, cp.treeSize));
        break;
      }
    }
    this.#dirty.add(m.office);
    waits.push(this.#commit.add(ops));
    return Promise.all(waits).then(() => 'taken');
  }

  /** An office's archived originals in clip id order, from after `after`. */
  async originals(office: string, o: { after?: string; limit: number }): Promise<ArchivedOriginal[]> {
    const prefix = `${keyPart(office)}!`;
    const out: ArchivedOriginal[] = [];
    const gt = o.after === undefined ? undefined : `${prefix}${keyPart(o.after)}`;
    for await (const v of this.#originals.values({
      ...(gt === undefined ? { gte: prefix } : { gt }),
      lt: `${keyPart(office)}"`,
      limit: o.limit,
    }))
      out.push(ArchivedOriginal.parse(v));
    return out;
  }

  async original(office: string, clipId: string): Promise<ArchivedOriginal | undefined> {
    const v = await this.#originals.get(`${keyPart(office)}!${keyPart(clipId)}`);
    return v === undefined ? undefined : ArchivedOriginal.parse(v);
  }

  #archived(office: string, at: string, body: EventBody, ops: BatchOp[], count: boolean): void {
    const r = archivedFromEvent(office, at, body);
    if (!r.ok) {
      this.#o.log.warn({ office, reason: r.reason }, 'archived original report refused');
      return;
    }
    const v = this.#view(office);
    if (count) v.counts.archived = (v.counts.archived ?? 0) + 1;
    ops.push({
      type: 'put',
      sublevel: this.#originals,
      key: `${keyPart(office)}!${keyPart(r.value.clipId)}`,
      value: r.value,
    });
  }

  async flush(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const ops: BatchOp[] = [...this.#dirty].map((k) => ({
      type: 'put',
      sublevel: this.#views,
      key: k,
      value: { ...this.#offices.get(k), sequence: null },
    }));
    this.#dirty.clear();
    await this.#o.db.batch(ops);
  }

  async #custodyAlert(office: string, out: WitnessOutcome, treeSize: number): Promise<void> {
    if (FORK_STATUSES.includes(out.status) && 'reason' in out) {
      await this.#o.alerts.raise({
        rule: FORK_RULE,
        subject: office,
        severity: 'critical',
        message: `${office}: the audit log's history does not extend the checkpoint held (${out.status}: ${out.reason})`,
        notify: NOTIFY,
        details: { status: out.status, treeSize },
      });
      this.#o.log.error({ office, status: out.status, reason: out.reason }, 'office fork');
    } else if (out.status === 'unproven' || out.status === 'wrong-origin') {
      await this.#o.alerts.raise({
        rule: UNPROVEN_RULE,
        subject: office,
        severity: 'warning',
        message: `${office}: checkpoint of ${treeSize} entries could not be checked (${out.reason})`,
        notify: NOTIFY,
      });
    }
  }

  #view(office: string): OfficeView {
    let v = this.#offices.get(office);
    if (!v) {
      v = {
        office,
        online: null,
        statusAt: null,
        lastMessageAt: null,
        health: null,
        healthAt: null,
        alerts: [],
        events: [],
        counts: { messages: 0, events: 0, alertsRaised: 0, archived: 0 },
        sequence: null,
        custody: null,
      };
      this.#offices.set(office, v);
    }
    return v;
  }
}
