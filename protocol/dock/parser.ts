/**
 * Incremental dock-link receiver (PROTOCOL.md §3.2, §3.11). Pure: bytes in, events out.
 *
 * - Fed arbitrary chunks; returns decoded frames and typed errors as values; never throws.
 * - COBS-decodes straight into a slab, so each payload byte is copied once; a DATA chunk is
 *   handed out as a view of the slab, and that slab region is never reused — unless the caller
 *   asks for `transientData`: then a DATA chunk is valid only until the next `feed()` (the caller
 *   copies what it keeps during dispatch), and two slabs are used in turn, so a busy link
 *   allocates nothing per frame (fresh slabs per 256 KiB drove V8's full collections).
 * - Resynchronises at the next 0x00 after anything bad.
 * - Never holds more than MAX_FRAME_BYTES of an unfinished frame (`buffered`).
 */
import { DOCK_VERSIONS, MAX_FRAME_BYTES } from './constants.js';
import { decodeFrame, type ParseEvent } from './frame.js';

export interface DockParserOptions {
  /** Header versions accepted for versioned types (default: DOCK_VERSIONS). */
  versions?: readonly number[];
  /** DATA chunks are valid only until the next `feed()`; slabs are reused. */
  transientData?: boolean;
}

/** Room for several frames, so small frames rarely cause an allocation. */
const SLAB_BYTES = 4 * MAX_FRAME_BYTES;

export class DockParser {
  private readonly versions: ReadonlySet<number>;
  private readonly transient: boolean;
  private slab = new Uint8Array(SLAB_BYTES);
  /** transientData: the other slab, and the feed that last handed out a DATA view of each. */
  private spare: Uint8Array<ArrayBuffer> | undefined;
  private spareDataFeed = -1;
  private slabDataFeed = -1;
  private feeds = 0;
  /** Start of the frame being decoded in `slab`. */
  private start = 0;
  /** Next write position in `slab`. */
  private pos = 0;
  /** Data bytes left in the current COBS block; 0 = the next byte is a code byte or 0x00. */
  private left = 0;
  /** A 0x00 is owed before the next block's data (previous code was < 0xFF). */
  private owed = false;
  /** Any non-delimiter byte seen since the last 0x00. */
  private started = false;
  /** After OVERSIZE: drop bytes until the next 0x00. */
  private skipping = false;

  constructor(opts: DockParserOptions = {}) {
    this.versions = new Set(opts.versions ?? DOCK_VERSIONS);
    this.transient = opts.transientData ?? false;
  }

  /** Bytes of the unfinished frame held now; never exceeds MAX_FRAME_BYTES. */
  get buffered(): number {
    return this.pos - this.start;
  }

  /** Forgets any partial frame (e.g. after reopening the port). */
  reset(): void {
    this.pos = this.start;
    this.left = 0;
    this.owed = false;
    this.started = false;
    this.skipping = false;
  }

  feed(input: Uint8Array): ParseEvent[] {
    this.feeds++;
    const events: ParseEvent[] = [];
    try {
      this.run(input, events);
    } catch (e) {
      // Unreachable by design; kept so a defect cannot escape into the caller's I/O loop.
      this.reset();
      events.push({ ok: false, error: { code: 'INTERNAL', message: String(e) } });
    }
    return events;
  }

  private run(input: Uint8Array, events: ParseEvent[]): void {
    const n = input.length;
    const isBuffer = Buffer.isBuffer(input);
    let i = 0;
    let nz = -1;
    while (i < n) {
      if (this.skipping) {
        const z = input.indexOf(0, i);
        if (z < 0) return;
        i = z + 1;
        this.reset();
        continue;
      }
      if (this.left === 0) {
        const code = input[i++]!;
        if (code === 0) {
          if (this.started) this.finish(events);
          continue;
        }
        this.started = true;
        if (this.owed) {
          if (this.pos - this.start >= MAX_FRAME_BYTES) {
            this.oversize(events);
            continue;
          }
          this.slab[this.pos++] = 0;
        }
        this.owed = code !== 0xff;
        this.left = code - 1;
        continue;
      }
      // Inside a block: copy data bytes up to the block end, the chunk end or the frame limit.
      const slab = this.slab;
      let pos = this.pos;
      const room = this.start + MAX_FRAME_BYTES - pos;
      const blockEnd = Math.min(i + this.left, n);
      const end = Math.min(blockEnd, i + room);
      if (nz < i) {
        nz = input.indexOf(0, i);
        if (nz < 0) nz = n;
      }
      const j = Math.min(nz, end);
      // Buffer#copy takes offsets: no view object per COBS block (~4000 per MiB of garbage).
      if (isBuffer) (input as Buffer).copy(slab, pos, i, j);
      else slab.set(input.subarray(i, j), pos);
      pos += j - i;
      this.left -= j - i;
      this.pos = pos;
      i = j;
      if (j < end || (end < blockEnd && input[j] === 0)) {
        // 0x00 inside a block: the frame was cut short (lost byte, unplug). Resync here.
        i = j + 1;
        this.reset();
        events.push({ ok: false, error: { code: 'BAD_COBS', message: 'delimiter inside a COBS block' } });
      } else if (end < blockEnd) {
        this.oversize(events);
      }
    }
  }

  private oversize(events: ParseEvent[]): void {
    this.reset();
    this.skipping = true;
    events.push({
      ok: false,
      error: { code: 'OVERSIZE', message: `frame exceeds ${MAX_FRAME_BYTES} B; skipping to next 0x00` },
    });
  }

  private finish(events: ParseEvent[]): void {
    const frame = this.slab.subarray(this.start, this.pos);
    const ev = decodeFrame(frame, this.versions);
    events.push(ev);
    // Only DATA hands out a view of the slab; keep its bytes, reuse the space otherwise.
    if (ev.ok && ev.frame.type === 'DATA') {
      this.start = this.pos;
      this.slabDataFeed = this.feeds;
    }
    this.reset();
    if (this.slab.length - this.start < MAX_FRAME_BYTES) this.nextSlab();
  }

  private nextSlab(): void {
    const full = this.slab;
    const fullDataFeed = this.slabDataFeed;
    // The spare's views are from an earlier feed (dispatched and copied by now) unless this very
    // feed filled both slabs: then a new one.
    if (this.transient && this.spare && this.spareDataFeed !== this.feeds) this.slab = this.spare;
    else this.slab = new Uint8Array(SLAB_BYTES);
    if (this.transient) {
      this.spare = full;
      this.spareDataFeed = fullDataFeed;
    }
    this.slabDataFeed = -1;
    this.start = 0;
    this.pos = 0;
  }
}
