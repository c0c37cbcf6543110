/**
 * The recorder's side of the dock link (PROTOCOL.md §3): what the firmware does when the camera
 * sits in a dock. It sends HELLO until the gateway answers, then serves TIME_SYNC, PAIR/UNPAIR,
 * GET_STATUS, LIST_CLIPS, GET_CLIP, READ and RELEASE from the recorder model. A clip is freed only
 * on RELEASE (R22). A repeated request seq is answered from a cache, never executed twice.
 *
 * Fault hooks (`faults`, mutable while running) let tests break it on purpose: bit flips in DATA,
 * a lying CLIP_INFO hash, a reset or a stall mid-transfer.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import pino from 'pino';
import {
  type ClipInfo,
  crc32c,
  DOCK_VERSIONS,
  DockErrorCode,
  type DockFrame,
  type DockFrameInput,
  DockTiming,
  DockType,
  type DockTypeName,
  dockErrorName,
  encodeDataHeader,
  encodeFrame,
  encodeFrameParts,
  type FrameError,
  MAX_BODY_BYTES,
  MAX_CHUNK_BYTES,
  type Status,
  wireBytesMax,
} from '../../protocol/dock/index.js';
import type { DockPort } from '../../protocol/dock/link/binding.js';
import { FrameLink } from '../../protocol/dock/link/frame-link.js';
import { SerialPortBinding } from '../../protocol/dock/link/serialport-binding.js';
import { DeviceSimError } from './errors.js';
import type { Recorder } from './recorder.js';

export interface DockFaults {
  /** The next n DATA chunks get one bit flipped after their check was computed (the check catches it). */
  flipDataBits?: number;
  /** The next n DATA frames get a byte flipped on the wire (the frame check fails; the frame is lost). */
  corruptWireFrames?: number;
  /** CLIP_INFO claims a wrong SHA-256: for `times` answers to GET_CLIP, or always. */
  lieAboutHash?: { times: number | 'always'; clipId?: string };
  /** Once this many DATA bytes went out in total, the recorder resets (back to HELLO, queue lost). */
  resetAfterDataBytes?: number;
  /** Once this many DATA bytes went out in total, READs are left unanswered (a stalled transfer). */
  stallAfterDataBytes?: number;
  /** The next n requests are answered ERROR BUSY (flash busy). */
  busyReplies?: number;
  /** The next n LIST_CLIPS that carry a cursor are answered ERROR BAD_CURSOR (the cursor expired). */
  expireCursors?: number;
  /** Conformance-kit variant: frames with a good CRC that cannot be served get no ERROR (§3.11). */
  silentOnBadFrames?: boolean;
  /** Conformance-kit variant: a READ above maxRead gets a chunk cut to maxRead (1.0 ambiguity, §3.6.1). */
  truncateOverMaxRead?: boolean;
  /** Conformance-kit variant: RELEASE frees the clip whatever sha256 it carries (§3.9.4). */
  releaseIgnoresHash?: boolean;
}

export interface RecorderDockOptions {
  recorder: Recorder;
  port: DockPort;
  faults?: DockFaults;
  /** Largest READ served (HELLO maxRead). */
  maxRead?: number;
  /** READs queued at once (HELLO window). */
  window?: number;
  capabilities?: string[];
  /** Versions offered in HELLO. */
  versions?: number[];
  helloRetryMs?: number;
  /** HELLO period after a refusal (BAD_VERSION, NOT_REGISTERED): a person must act first (§3.9). */
  refusedHelloMs?: number;
  linkTimeoutMs?: number;
  logger?: Logger;
}

export interface RecorderDockEvents {
  /** The gateway accepted the HELLO. */
  ready: [];
  /** The gateway refused the HELLO (ERROR). */
  refused: [{ code: number; message: string }];
  read: [{ clipId: string; offset: number; length: number }];
  /** A GET_CLIP was answered (CLIP_INFO or NO_SUCH_CLIP). */
  'get-clip': [string];
  data: [{ clipId: string; offset: number; bytes: number; totalBytes: number }];
  released: [string];
  reset: [];
  closed: [];
}

type Phase = 'hello' | 'ready' | 'closed';

interface QueuedRead {
  seq: number;
  clipId: string;
  offset: number;
  length: number;
}

const CACHE_SIZE = 32;

/** HELLO period after a refusal (PROTOCOL.md §3.5, §3.9). */
const REFUSED_HELLO_MS = 30_000;
/** ERROR codes answering HELLO that a person must resolve (version, registration). */
/** Receive errors a request is answered with (PROTOCOL.md §3.11), as ERROR codes. */
const ANSWERED: Partial<Record<FrameError['code'], number>> = {
  BAD_VERSION: DockErrorCode.BAD_VERSION,
  UNKNOWN_TYPE: DockErrorCode.UNKNOWN_TYPE,
  BAD_BODY: DockErrorCode.BAD_BODY,
};

const REFUSALS: ReadonlySet<number> = new Set([DockErrorCode.BAD_VERSION, DockErrorCode.NOT_REGISTERED]);

export class RecorderDock extends EventEmitter<RecorderDockEvents> {
  readonly rec: Recorder;
  readonly link: FrameLink;
  faults: DockFaults;
  readonly stats = {
    helloSent: 0,
    dataBytes: 0,
    dataFrames: 0,
    reads: 0,
    releases: 0,
    resets: 0,
    badFrames: 0,
    /** LIST_CLIPS requests served (pages), and those refused BAD_CURSOR by the fault. */
    listPages: 0,
    expiredCursors: 0,
  };
  private readonly log: Logger;
  private readonly opts: RecorderDockOptions;
  private phase: Phase = 'hello';
  private version = 1;
  private helloSeq = 0;
  private helloTimer: NodeJS.Timeout | undefined;
  private helloEveryMs: number;
  #fault: string | null = null;
  /** `t0` of the last TIME_SYNC adjustment applied (§3.8: the same one is never applied twice). */
  private lastAdjustT0: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  /** Bumped on reset: reads queued before it are never answered. */
  private gen = 0;
  private readonly reads: QueuedRead[] = [];
  private serving = false;
  /** The DATA frame being written now. */
  private writing: Promise<void> = Promise.resolve();
  private readonly wireBufs: Uint8Array[] = [];
  private wireTurn = 0;
  private stalled: QueuedRead[] = [];
  private readonly cache = new Map<number, { type: DockTypeName; wire: Uint8Array }>();
  private readonly ordinals = new Map<string, number>();
  private nextOrdinal = 1;
  private readonly lies = new Map<string, number>();

  constructor(opts: RecorderDockOptions) {
    super();
    this.opts = opts;
    this.rec = opts.recorder;
    this.faults = opts.faults ?? {};
    this.log = (opts.logger ?? this.rec.log ?? pino({ level: 'silent' })).child({ dock: opts.port.path });
    this.link = new FrameLink(opts.port);
    this.helloEveryMs = opts.helloRetryMs ?? DockTiming.HELLO_RETRY_MS;
  }

  get isReady(): boolean {
    return this.phase === 'ready';
  }

  /** The dock fault the recorder shows (a refusal by the gateway), or null. */
  get fault(): string | null {
    return this.#fault;
  }

  /** How often HELLO is sent now (slower after a refusal). */
  get helloRetryMs(): number {
    return this.helloEveryMs;
  }

  /** Docked: power from the dock, charging; HELLO until the gateway answers. */
  start(): void {
    this.link.handle({
      frame: (f) => this.onFrame(f),
      error: (e) => {
        this.stats.badFrames++;
        this.log.debug({ code: e.code }, 'dock frame dropped');
        if (e.seq === undefined) return;
        // §3.9: a frame with a good CRC is link activity even when it cannot be served.
        this.lastHeard = Date.now();
        // §3.11: only a request (type < 0x80) is answered, with the code of what was wrong.
        const code = ANSWERED[e.code];
        if (code !== undefined && e.type !== undefined && e.type < 0x80 && !this.faults.silentOnBadFrames) {
          void this.send(this.error(e.seq, code, e.message.slice(0, 200)));
        }
      },
      close: () => this.onClose(),
    });
    try {
      this.rec.dock();
    } catch (err) {
      this.log.warn({ err }, 'recorder could not dock');
    }
    this.enterHello();
    this.watchdog = setInterval(() => this.checkLink(), 1000);
  }

  /** Taken out of the dock (our side closes the port). */
  async stop(): Promise<void> {
    this.onClose();
    await this.link.close().catch(() => {});
  }

  /** Simulates a firmware reset: queued work is lost, the link starts over with HELLO. */
  reset(): void {
    if (this.phase === 'closed') return;
    this.stats.resets++;
    this.log.info('dock link reset');
    this.gen++;
    this.reads.length = 0;
    this.stalled = [];
    this.cache.clear();
    this.link.resetParser();
    this.emit('reset');
    this.enterHello();
  }

  /** Lift a stall: answer the READs held back. */
  unstall(): void {
    this.faults.stallAfterDataBytes = undefined;
    this.reads.push(...this.stalled);
    this.stalled = [];
    void this.serve();
  }

  private enterHello(): void {
    this.phase = 'hello';
    clearTimeout(this.helloTimer);
    this.helloTick();
  }

  private helloTick(): void {
    if (this.phase !== 'hello') return;
    this.sendHello();
    this.rescheduleHello();
  }

  private rescheduleHello(): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = setTimeout(() => this.helloTick(), this.helloEveryMs);
  }

  private sendHello(): void {
    this.stats.helloSent++;
    this.helloSeq = (this.helloSeq + 1) & 0xffff;
    void this.send({
      type: 'HELLO',
      seq: this.helloSeq,
      body: {
        model: this.rec.profile.model.slice(0, 32),
        serial: this.rec.serial,
        firmware: this.rec.profile.firmware,
        versions: this.opts.versions ?? [...DOCK_VERSIONS],
        capabilities: this.opts.capabilities ?? ['pair', 'time-set', 'release'],
        deviceTime: this.rec.deviceNow(),
        maxRead: this.opts.maxRead ?? MAX_CHUNK_BYTES,
        window: this.opts.window ?? 32,
      },
    });
  }

  private checkLink(): void {
    if (this.phase !== 'ready') return;
    if (Date.now() - this.lastHeard > (this.opts.linkTimeoutMs ?? DockTiming.LINK_TIMEOUT_MS)) {
      this.log.info('gateway silent: back to HELLO');
      this.gen++;
      this.reads.length = 0;
      this.stalled = [];
      this.enterHello();
    }
  }

  private onClose(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.gen++;
    clearTimeout(this.helloTimer);
    clearInterval(this.watchdog);
    this.reads.length = 0;
    this.stalled = [];
    if (this.rec.state === 'docked') {
      try {
        this.rec.undock();
      } catch {}
    }
    this.emit('closed');
  }

  private send(f: DockFrameInput): Promise<void> {
    if (this.phase === 'closed') return Promise.resolve();
    return this.link.send(f).catch((err: Error) => this.log.debug({ err }, 'dock write failed'));
  }

  private reply(seq: number, type: DockTypeName, f: DockFrameInput): void {
    const wire = encodeFrame(f);
    this.cache.set(seq, { type, wire });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    if (this.phase !== 'closed') this.link.writeWire(wire).catch(() => {});
  }

  private error(seq: number, code: number, message: string): DockFrameInput {
    return { type: 'ERROR', seq, body: { code, message: message.slice(0, 1000) } };
  }

  private onFrame(f: DockFrame): void {
    this.lastHeard = Date.now();
    if (f.type === 'HELLO_ACK') {
      if (this.phase !== 'hello' || f.seq !== this.helloSeq) return;
      this.version = f.body.version;
      this.phase = 'ready';
      this.#fault = null;
      this.helloEveryMs = this.opts.helloRetryMs ?? DockTiming.HELLO_RETRY_MS;
      clearTimeout(this.helloTimer);
      this.log.info({ version: this.version, gateway: f.body.gatewayId }, 'dock link ready');
      this.emit('ready');
      return;
    }
    if (f.type === 'ERROR') {
      if (this.phase === 'hello' && f.seq === this.helloSeq) {
        // §3.5, §3.9: no common version, or a serial the gateway does not know -> a fault is shown
        // and HELLO is tried again slowly (every 30 s) until a person fixes it.
        if (REFUSALS.has(f.body.code)) {
          this.#fault = `${dockErrorName(f.body.code)}: ${f.body.message}`;
          this.helloEveryMs = this.opts.refusedHelloMs ?? REFUSED_HELLO_MS;
          this.log.warn({ fault: this.#fault }, 'dock refused');
          this.rescheduleHello();
        }
        this.emit('refused', f.body);
      }
      return;
    }
    if (this.phase !== 'ready') {
      void this.send(this.error(f.seq, DockErrorCode.NOT_READY, 'HELLO first'));
      if (this.phase === 'hello') this.sendHello();
      return;
    }
    if ((this.faults.busyReplies ?? 0) > 0) {
      this.faults.busyReplies!--;
      void this.send(this.error(f.seq, DockErrorCode.BUSY, 'flash busy'));
      return;
    }
    if (f.type === 'READ') {
      this.stats.reads++;

      this.emit('read', f.body);
      this.reads.push({ seq: f.seq, ...f.body });
      void this.serve();
      return;
    }
    const cached = this.cache.get(f.seq);
    if (cached && cached.type === f.type) {
      // A retransmission: the first answer was lost. Same answer, not done twice.
      this.link.writeWire(cached.wire).catch(() => {});
      return;
    }
    void this.answer(f).catch((err: unknown) => {
      this.log.warn({ err, type: f.type }, 'dock request failed');
      this.reply(f.seq, f.type, this.error(f.seq, DockErrorCode.INTERNAL, String(err)));
    });
  }

  private async answer(f: DockFrame): Promise<void> {
    const v = this.version;
    switch (f.type) {
      case 'TIME_SYNC': {
        let adjusted = false;
        if (f.body.adjustMs !== undefined && f.body.adjustMs !== 0 && f.body.t0 !== this.lastAdjustT0) {
          this.rec.hw.deviceClock.jump(f.body.adjustMs);
          this.lastAdjustT0 = f.body.t0;
          adjusted = true;
        }
        const body = { t0: f.body.t0, deviceTime: this.rec.deviceNow(), adjusted };
        this.reply(f.seq, f.type, { type: 'TIME_SYNC_ACK', seq: f.seq, version: v, body });
        return;
      }
      case 'PAIR':
        this.rec.pair(f.body.officer);
        this.reply(f.seq, f.type, { type: 'PAIR_ACK', seq: f.seq, version: v, body: this.status() });
        return;
      case 'UNPAIR':
        this.rec.pair(null);
        this.reply(f.seq, f.type, { type: 'UNPAIR_ACK', seq: f.seq, version: v, body: this.status() });
        return;
      case 'GET_STATUS':
        this.reply(f.seq, f.type, { type: 'STATUS', seq: f.seq, version: v, body: this.status() });
        return;
      case 'LIST_CLIPS': {
        this.stats.listPages++;
        const all = this.clipInfos();
        const after = f.body.cursor === undefined ? 0 : Number(f.body.cursor);
        if (f.body.cursor !== undefined && (this.faults.expireCursors ?? 0) > 0) {
          this.faults.expireCursors!--;
          this.stats.expiredCursors++;
          this.reply(
            f.seq,
            f.type,
            this.error(f.seq, DockErrorCode.BAD_CURSOR, `cursor ${f.body.cursor} expired`),
          );
          return;
        }
        if (!Number.isInteger(after) || after < 0) {
          this.reply(
            f.seq,
            f.type,
            this.error(f.seq, DockErrorCode.BAD_CURSOR, `bad cursor ${f.body.cursor}`),
          );
          return;
        }
        const rest = all.filter((c) => c.ordinal > after).sort((a, b) => a.ordinal - b.ordinal);
        const page = rest.slice(0, f.body.limit);
        const last = page[page.length - 1];
        const body = {
          clips: page.map((c) => this.claim(c.info)),
          next: rest.length > page.length && last ? String(last.ordinal) : null,
        };
        this.reply(f.seq, f.type, { type: 'CLIP_LIST', seq: f.seq, version: v, body });
        return;
      }
      case 'GET_CLIP': {
        this.emit('get-clip', f.body.clipId);
        const found = this.clipInfos().find((c) => c.info.clipId === f.body.clipId);
        if (!found) {
          this.reply(
            f.seq,
            f.type,
            this.error(f.seq, DockErrorCode.NO_SUCH_CLIP, `no such clip: ${f.body.clipId}`),
          );
          return;
        }
        this.reply(f.seq, f.type, {
          type: 'CLIP_INFO',
          seq: f.seq,
          version: v,
          body: this.claim(found.info),
        });
        return;
      }
      case 'RELEASE': {
        const rec = this.rec.clips().find((c) => c.clipId === f.body.clipId);
        let result: 'released' | 'unknown' = 'unknown';
        if (rec) {
          if (rec.sha256 !== f.body.sha256 && !this.faults.releaseIgnoresHash) {
            // The gateway verified other bytes than ours: keep the clip (R22).
            this.reply(
              f.seq,
              f.type,
              this.error(f.seq, DockErrorCode.HASH_MISMATCH, `RELEASE ${rec.clipId}: sha256 differs`),
            );
            return;
          }
          await this.rec.releaseClip(rec.clipId);
          result = 'released';
          this.stats.releases++;
          this.emit('released', rec.clipId);
        }
        this.reply(f.seq, f.type, {
          type: 'RELEASE_ACK',
          seq: f.seq,
          version: v,
          body: { clipId: f.body.clipId, result },
        });
        return;
      }
      default:
        this.reply(
          f.seq,
          f.type,
          this.error(f.seq, DockErrorCode.UNKNOWN_TYPE, `${f.type} is not a request`),
        );
    }
  }

  private status(): Status {
    const b = this.rec.hw.battery();
    const s = this.rec.hw.storage();
    return {
      state: this.rec.state,
      battery: { pct: Math.max(0, Math.min(100, b.pct)), charging: b.charging, voltageMv: b.voltageMv },
      storage: { totalBytes: s.totalBytes, freeBytes: s.freeBytes },
      officer: this.rec.officer,
      deviceTime: this.rec.deviceNow(),
      pendingClips: this.rec.clips().length,
    };
  }

  /** Clips oldest first with a stable ordinal (the LIST_CLIPS cursor survives releases). */
  private clipInfos(): { ordinal: number; info: ClipInfo }[] {
    // Clips enter the model as their content is made (not always in recording order).
    const clips = this.rec.clips().sort((a, b) => a.start - b.start || a.clipId.localeCompare(b.clipId));
    return clips.map((c) => {
      let ordinal = this.ordinals.get(c.clipId);
      if (ordinal === undefined) {
        ordinal = this.nextOrdinal++;
        this.ordinals.set(c.clipId, ordinal);
      }
      const info: ClipInfo = {
        clipId: c.clipId,
        sessionId: c.sessionId,
        start: c.start,
        end: c.end,
        bytes: c.bytes,
        sha256: c.sha256,
        markers: c.markers.slice(0, 64).map((m) => ({ marker: m.marker, at: m.at })),
        officer: c.officer ?? null,
        ...(c.activity ? { activity: c.activity } : {}),
        ...(c.caseNo ? { caseNo: c.caseNo } : {}),
      };
      return { ordinal, info };
    });
  }

  /** What the recorder claims about a clip; every claim served (CLIP_LIST entry or CLIP_INFO) counts. */
  private claim(info: ClipInfo): ClipInfo {
    return { ...info, sha256: this.lie(info.clipId, info.sha256) };
  }

  private lie(clipId: string, sha: string): string {
    const l = this.faults.lieAboutHash;
    if (!l || (l.clipId !== undefined && l.clipId !== clipId)) return sha;
    if (l.times !== 'always') {
      const told = this.lies.get(clipId) ?? 0;
      if (told >= l.times) return sha;
      this.lies.set(clipId, told + 1);
    }
    // Another hash, recognisably derived from the true one.
    return (sha[0] === 'f' ? '0' : 'f') + sha.slice(1);
  }

  /** READs are answered one after another, in order; the gateway keeps the queue full. */
  private async serve(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    try {
      while (this.reads.length > 0 && this.phase === 'ready') {
        const r = this.reads.shift()!;
        const stallAt = this.faults.stallAfterDataBytes;
        if (stallAt !== undefined && this.stats.dataBytes >= stallAt) {
          this.stalled.push(r);
          continue;
        }
        const gen = this.gen;
        const wire = await this.dataFrame(r);
        // The next frame was prepared while the previous one was still going out (double buffering).
        await this.writing;
        if (gen !== this.gen || this.phase !== 'ready') continue;
        this.writing = this.link.writeWire(wire).catch(() => {});
        const resetAt = this.faults.resetAfterDataBytes;
        if (resetAt !== undefined && this.stats.dataBytes >= resetAt) {
          this.faults.resetAfterDataBytes = undefined;
          this.reset();
        }
      }
    } finally {
      this.serving = false;
    }
  }

  private async dataFrame(r: QueuedRead): Promise<Uint8Array> {
    const v = this.version;
    let chunk: Buffer;
    let flipped = false;
    const maxRead = this.opts.maxRead ?? MAX_CHUNK_BYTES;
    if (r.length > maxRead && !this.faults.truncateOverMaxRead) {
      // §3.6.1: within the layout (<= 61 440) but above this recorder's HELLO maxRead.
      return encodeFrame(
        this.error(r.seq, DockErrorCode.OUT_OF_RANGE, `length ${r.length} > maxRead ${maxRead}`),
      );
    }
    try {
      chunk = await this.rec.readClip(r.clipId, r.offset, Math.min(r.length, maxRead));
    } catch (err) {
      const code =
        err instanceof DeviceSimError && err.code === 'UNKNOWN_CLIP'
          ? DockErrorCode.NO_SUCH_CLIP
          : err instanceof DeviceSimError && err.code === 'OUT_OF_RANGE'
            ? DockErrorCode.OUT_OF_RANGE
            : DockErrorCode.STORAGE_IO;
      return encodeFrame(this.error(r.seq, code, (err as Error).message));
    }
    const size = this.rec.clips().find((c) => c.clipId === r.clipId)?.bytes ?? 0;
    const eof = r.offset + chunk.length >= size;
    const chunkCrc = crc32c(chunk);
    if ((this.faults.flipDataBits ?? 0) > 0 && chunk.length > 0) {
      this.faults.flipDataBits!--;
      chunk = Buffer.from(chunk);
      const at = Math.floor(chunk.length / 2);
      chunk[at] = chunk[at]! ^ 0x10;
      flipped = true;
      this.log.info({ clipId: r.clipId, offset: r.offset }, 'fault: bit flipped in DATA');
    }
    this.stats.dataBytes += chunk.length;
    this.stats.dataFrames++;
    this.emit('data', {
      clipId: r.clipId,
      offset: r.offset,
      bytes: chunk.length,
      totalBytes: this.stats.dataBytes,
    });
    // The hot path: header and DATA layout built directly (the READ was validated on the way in),
    // the chunk copied once, into the wire buffer.
    const header = Uint8Array.of(v, DockType.DATA, r.seq & 0xff, r.seq >>> 8);
    const dataHeader = encodeDataHeader({ clipId: r.clipId, offset: r.offset, eof, chunkCrc });
    // Two wire buffers in turn: a DATA frame is built while the previous one is still going out,
    // and the one before that has been written (serve() waits for it) — no 60 KiB garbage per frame.
    this.wireTurn ^= 1;
    this.wireBufs[this.wireTurn] ??= new Uint8Array(wireBytesMax(MAX_BODY_BYTES));
    const into = this.wireBufs[this.wireTurn];
    const wire = encodeFrameParts(header, [dataHeader, chunk], into);
    if (!flipped && (this.faults.corruptWireFrames ?? 0) > 0) {
      this.faults.corruptWireFrames!--;
      // Flip a byte well inside the frame; never create a 0x00 (that would only cut it short).
      const at = Math.floor(wire.length / 2);
      wire[at] = wire[at] === 0x01 ? 0x02 : wire[at]! ^ 0x01 || 0x03;
    }
    return wire;
  }
}

/** Docks `recorder` on the device end of a serial port (a PTY pair's device path, a USB gadget...). */
export async function dockOnSerialPort(
  recorder: Recorder,
  path: string,
  opts: Omit<RecorderDockOptions, 'recorder' | 'port'> & { baudRate?: number; blockingWrites?: boolean } = {},
): Promise<RecorderDock> {
  const port = await new SerialPortBinding().open(path, {
    baudRate: opts.baudRate ?? 921600,
    ...(opts.blockingWrites ? { blockingWrites: true } : {}),
  });
  const dock = new RecorderDock({ ...opts, recorder, port });
  dock.start();
  return dock;
}
