/**
 * The gateway's side of the dock link as request/response (PROTOCOL.md §3.8): every request gets a
 * fresh seq, its response echoes it; a request unanswered after RESPONSE_TIMEOUT_MS is sent again
 * with the same seq (the recorder answers a repeated seq from its cache, so TIME_SYNC with an
 * adjustment is never applied twice), and after MAX_RETRIES the link is declared dead. Many
 * requests may be in flight at once (pipelined READs). A DATA whose chunk check fails is re-read at
 * once. An unsolicited HELLO means the recorder (re)started: everything in flight fails PEER_RESET.
 */
import {
  type DockBody,
  type DockFrame,
  DockTiming,
  DockType,
  type DockTypeName,
  dockTypeName,
  encodeFrame,
  type FrameError,
  type Hello,
} from '../../protocol/dock/index.js';
import type { Logger } from '../log.js';
import type { CloseInfo } from './binding.js';
import { DockLinkError } from './errors.js';
import type { FrameLink } from './frame-link.js';

/** Request -> the response type it expects (code | 0x80). */
export interface ResponseOf {
  TIME_SYNC: 'TIME_SYNC_ACK';
  PAIR: 'PAIR_ACK';
  UNPAIR: 'UNPAIR_ACK';
  GET_STATUS: 'STATUS';
  LIST_CLIPS: 'CLIP_LIST';
  GET_CLIP: 'CLIP_INFO';
  READ: 'DATA';
  RELEASE: 'RELEASE_ACK';
}
export type RequestType = keyof ResponseOf;

export interface RequestOptions {
  timeoutMs?: number;
  retries?: number;
}

interface Pending {
  seq: number;
  type: RequestType;
  wire: Uint8Array;
  tries: number;
  badChunks: number;
  timeoutMs: number;
  retries: number;
  timer: NodeJS.Timeout | undefined;
  resolve(body: unknown): void;
  reject(err: Error): void;
}

export interface DockClientOptions {
  link: FrameLink;
  log: Logger;
  /** Dock version negotiated in HELLO (header byte 0 of versioned frames). */
  version?: number;
  timeoutMs?: number;
  retries?: number;
  /** A DATA failing its chunk check is re-read this many times before the READ fails. */
  maxBadChunks?: number;
  /** The recorder sent HELLO (first, or again after a reset). */
  onHello(hello: Hello, seq: number): void;
  /** The link closed or died; called once. */
  onDown(err: DockLinkError, info?: CloseInfo): void;
}

export class DockClient {
  readonly link: FrameLink;
  version: number;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #maxBadChunks: number;
  readonly #opts: DockClientOptions;
  #seq = Math.floor(Math.random() * 0xffff);
  #down: DockLinkError | undefined;
  /** Last time any frame went out (keepalive bookkeeping). */
  lastSentAt = 0;
  readonly stats = { retransmits: 0, badChunks: 0, droppedFrames: 0 };

  constructor(opts: DockClientOptions) {
    this.#opts = opts;
    this.link = opts.link;
    this.#log = opts.log;
    this.version = opts.version ?? 1;
    this.#timeoutMs = opts.timeoutMs ?? DockTiming.RESPONSE_TIMEOUT_MS;
    this.#retries = opts.retries ?? DockTiming.MAX_RETRIES;
    this.#maxBadChunks = opts.maxBadChunks ?? 16;
    opts.link.handle({
      frame: (f) => this.#onFrame(f),
      error: (e) => this.#onFrameError(e),
      close: (info) =>
        this.#fail(
          new DockLinkError(
            'LINK_CLOSED',
            info.intended ? 'port closed' : `link lost${info.error ? `: ${info.error.message}` : ''}`,
          ),
          info,
        ),
    });
  }

  get down(): DockLinkError | undefined {
    return this.#down;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  request<K extends RequestType>(
    type: K,
    body: DockBody<K>,
    opts: RequestOptions = {},
  ): Promise<DockBody<ResponseOf[K]>> {
    if (this.#down) return Promise.reject(this.#down);
    const seq = this.#nextSeq();
    const wire = encodeFrame({ type, seq, body, version: this.version } as Parameters<typeof encodeFrame>[0]);
    return new Promise((resolve, reject) => {
      const p: Pending = {
        seq,
        type,
        wire,
        tries: 0,
        badChunks: 0,
        timeoutMs: opts.timeoutMs ?? this.#timeoutMs,
        retries: opts.retries ?? this.#retries,
        timer: undefined,
        resolve: resolve as (b: unknown) => void,
        reject,
      };
      this.#pending.set(seq, p);
      this.#transmit(p);
    });
  }

  /** Sends a frame that expects no answer (HELLO_ACK, ERROR). */
  async notify(frame: Parameters<typeof encodeFrame>[0]): Promise<void> {
    if (this.#down) throw this.#down;
    this.lastSentAt = Date.now();
    await this.link.writeWire(encodeFrame(frame));
  }

  /** Fails everything in flight with `err` (the session is being abandoned), link stays up. */
  abortAll(err: DockLinkError): void {
    for (const p of [...this.#pending.values()]) this.#settle(p, err);
  }

  /** Closes the port; everything in flight fails LINK_CLOSED. */
  async close(): Promise<void> {
    this.#fail(new DockLinkError('LINK_CLOSED', 'port closed'));
    await this.link.close().catch(() => {});
  }

  #nextSeq(): number {
    do this.#seq = (this.#seq + 1) & 0xffff;
    while (this.#pending.has(this.#seq));
    return this.#seq;
  }

  #transmit(p: Pending): void {
    p.tries++;
    clearTimeout(p.timer);
    p.timer = setTimeout(() => this.#onTimeout(p), p.timeoutMs);
    this.lastSentAt = Date.now();
    this.#outbox.push(p.wire);
    if (this.#outbox.length === 1) queueMicrotask(() => this.#flush());
  }

  /**
   * Requests made in the same tick leave in one write: every write to a serial port costs a
   * syscall and wake-ups at both ends, and small frames going back against the DATA stream slow
   * the link down (pipelined READs are issued in batches for that reason).
   */
  readonly #outbox: Uint8Array[] = [];
  #flush(): void {
    const frames = this.#outbox.splice(0);
    if (frames.length === 0) return;
    const wire = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    this.link.writeWire(wire).catch((err: Error) => {
      // The close handler fails the requests; only log other write errors.
      if (this.link.isOpen) this.#log.warn({ err, frames: frames.length }, 'dock write failed');
    });
  }

  #onTimeout(p: Pending): void {
    if (this.#pending.get(p.seq) !== p) return;
    if (p.tries > p.retries) {
      const err = new DockLinkError(
        'LINK_TIMEOUT',
        `${p.type} seq ${p.seq}: no answer after ${p.tries} tries`,
      );
      this.#log.warn({ seq: p.seq, type: p.type }, err.message);
      this.#fail(err);
      return;
    }
    this.stats.retransmits++;
    this.#log.debug({ seq: p.seq, type: p.type, tries: p.tries }, 'dock request retransmitted');
    this.#transmit(p);
  }

  #onFrame(f: DockFrame): void {
    if (f.type === 'HELLO') {
      this.#opts.onHello(f.body, f.seq);
      return;
    }
    const p = this.#pending.get(f.seq);
    if (!p) {
      // A late answer to a request already answered (after a retransmission), or noise.
      if (f.type !== 'DATA') this.#log.debug({ seq: f.seq, type: f.type }, 'dock frame without a request');
      return;
    }
    if (f.type === 'ERROR') {
      this.#settle(
        p,
        new DockLinkError('REMOTE_ERROR', `${p.type} refused by recorder: ${f.body.message}`, f.body.code),
      );
      return;
    }
    const want = dockTypeName(DockType[p.type] | 0x80) as DockTypeName;
    if (f.type !== want) {
      this.#settle(p, new DockLinkError('PROTOCOL', `${p.type} seq ${p.seq} answered with ${f.type}`));
      return;
    }
    this.#settle(p, undefined, f.body);
  }

  #onFrameError(e: FrameError): void {
    this.stats.droppedFrames++;
    const p = e.seq === undefined ? undefined : this.#pending.get(e.seq);
    if (p && e.code === 'BAD_CHUNK_CHECK') {
      // The frame arrived whole but its chunk is not what the recorder read: ask again at once.
      this.stats.badChunks++;
      p.badChunks++;
      this.#log.info({ seq: p.seq, err: e.message }, 'DATA chunk check failed: re-reading');
      if (p.badChunks > this.#maxBadChunks) {
        this.#settle(p, new DockLinkError('BAD_CHUNKS', `${e.message} (${p.badChunks} times)`));
      } else {
        p.tries = 0;
        this.#transmit(p);
      }
      return;
    }
    // Bad frame check or cut frame: the request's timer retransmits it.
    this.#log.debug({ code: e.code, err: e.message }, 'dock frame dropped');
  }

  #settle(p: Pending, err?: Error, body?: unknown): void {
    clearTimeout(p.timer);
    this.#pending.delete(p.seq);
    if (err) p.reject(err);
    else p.resolve(body);
  }

  #fail(err: DockLinkError, info?: CloseInfo): void {
    if (this.#down) return;
    this.#down = err;
    this.abortAll(err);
    this.#opts.onDown(err, info);
  }
}
