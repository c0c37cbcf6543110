/**
 * The recorder's event log: every event gets its id, seq and device time when it happens, is kept
 * until the broker acknowledged it (PUBACK), and is sent in seq order. While the link is down
 * events wait here with their original times and go out in order on reconnect (PROTOCOL.md §2.2).
 * An event whose content is still being made (a segment's hash) holds back those behind it, so
 * the order on the wire is the order things happened.
 */
import { EventEmitter } from 'node:events';
import type { RecorderEvent } from '../../protocol/mqtt/messages.js';
import { PROTOCOL_VERSION } from '../../protocol/mqtt/messages.js';

type Envelope = 'v' | 'id' | 'seq' | 'at';
/** An event without its envelope, as the firmware produces it. */
export type EventBody = RecorderEvent extends infer E
  ? E extends RecorderEvent
    ? Omit<E, Envelope>
    : never
  : never;

interface Entry {
  id: string;
  seq: number;
  at: number;
  event: RecorderEvent | null;
  inFlight: boolean;
}

export interface OutboxStats {
  /** Events waiting (not yet acknowledged), including those in flight. */
  queued: number;
  inFlight: number;
  acked: number;
  /** Events dropped because the outbox was full while the link was down. */
  dropped: number;
  nextSeq: number;
}

export class EventOutbox extends EventEmitter<{
  ready: [];
  event: [RecorderEvent];
  drained: [];
  dropped: [RecorderEvent | null];
}> {
  private readonly entries: Entry[] = [];
  private readonly capacity: number;
  private readonly idPrefix: string;
  private seq: number;
  private acked = 0;
  private dropped = 0;

  constructor(opts: { idPrefix: string; capacity?: number; seqStart?: number }) {
    super();
    this.idPrefix = opts.idPrefix;
    this.capacity = opts.capacity ?? 10_000;
    this.seq = opts.seqStart ?? 0;
  }

  /**
   * Records an event that happened at device time `at`. The body may still be in the making;
   * if that fails, `onFail` gives the body to send in its place.
   */
  add(
    at: number,
    body: EventBody | Promise<EventBody>,
    onFail?: (err: unknown) => EventBody,
  ): RecorderEvent | null {
    const seq = this.seq++;
    const entry: Entry = { id: `${this.idPrefix}-${seq}`, seq, at, event: null, inFlight: false };
    this.entries.push(entry);
    this.trim();
    const fill = (b: EventBody) => {
      entry.event = {
        ...b,
        v: PROTOCOL_VERSION,
        id: entry.id,
        seq: entry.seq,
        at: entry.at,
      } as RecorderEvent;
      this.emit('event', entry.event);
    };
    if (body instanceof Promise) {
      body
        .then(fill, (err) => {
          if (!onFail) throw err;
          fill(onFail(err));
        })
        .then(() => this.emit('ready'));
      return null;
    }
    fill(body);
    this.emit('ready');
    return entry.event;
  }

  /** The next events to send: in seq order, ready, not in flight, stopping at the first one not ready. */
  take(max: number): RecorderEvent[] {
    const out: RecorderEvent[] = [];
    for (const e of this.entries) {
      if (out.length >= max) break;
      if (e.inFlight) continue;
      if (!e.event) break;
      e.inFlight = true;
      out.push(e.event);
    }
    return out;
  }

  /** The broker acknowledged `id`: it is never sent again. */
  ack(id: string): void {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.acked++;
    if (this.entries.length === 0) this.emit('drained');
  }

  /** The connection went away: whatever was in flight unacknowledged goes out again, in order. */
  requeueInFlight(): void {
    for (const e of this.entries) e.inFlight = false;
  }

  get inFlightCount(): number {
    let n = 0;
    for (const e of this.entries) if (e.inFlight) n++;
    return n;
  }

  get size(): number {
    return this.entries.length;
  }

  stats(): OutboxStats {
    return {
      queued: this.entries.length,
      inFlight: this.inFlightCount,
      acked: this.acked,
      dropped: this.dropped,
      nextSeq: this.seq,
    };
  }

  /** Resolves when every event so far has been acknowledged. */
  drained(): Promise<void> {
    if (this.entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('drained', resolve));
  }

  private trim(): void {
    while (this.entries.length > this.capacity) {
      // Oldest first; never one in flight (its PUBACK may still come).
      const i = this.entries.findIndex((e) => !e.inFlight);
      if (i < 0) return;
      const [gone] = this.entries.splice(i, 1);
      this.dropped++;
      this.emit('dropped', gone?.event ?? null);
    }
  }
}
