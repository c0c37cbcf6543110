/**
 * The gateway's side of the dock link as request/response (PROTOCOL.md §3.8, §3.9):
 * - every request gets a fresh seq and its response echoes it; a late answer to a request already
 *   retransmitted matches nothing and is dropped;
 * - unanswered after RESPONSE_TIMEOUT_MS: sent again with a new seq; after MAX_RETRIES the link is
 *   dead. READs time out only when no DATA at all came for that long (a deep window is not late);
 * - a request marked `once` (TIME_SYNC with adjustMs) is never retransmitted: it fails NO_ANSWER
 *   and the caller measures again;
 * - ERROR BUSY: asked again after 500 ms, not counted as a retry;
 * - a DATA whose chunk check fails is re-read at once (§3.11);
 * - many requests may be in flight (pipelined READs); requests made in the same tick leave in one
 *   write;
 * - an unsolicited HELLO means the recorder (re)started: the owner abandons what is in flight.
 */
import {
  type DockBody,
  DockErrorCode,
  type DockFrame,
  DockTiming,
  DockType,
  type DockTypeName,
  dockTypeName,
  encodeFrame,
  type FrameError,
  type Hello,
} from '../../protocol/dock/index.js';
import type { CloseInfo } from '../../protocol/dock/link/binding.js';
import type { FrameLink } from '../../protocol/dock/link/frame-link.js';
import type { Logger } from '../log.js';
import { ChunkPool } from './chunk-pool.js';
import { DockLinkError } from './errors.js';

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
  /** Not idempotent: never retransmitted; fails NO_ANSWER on timeout (PROTOCOL.md §3.8). */
  once?: boolean;
}

/** Receive errors a request is answered with (PROTOCOL.md §3.11), as ERROR codes. */
const ANSWERED: Partial<Record<FrameError['code'], number>> = {
  BAD_VERSION: DockErrorCode.BAD_VERSION,
  UNKNOWN_TYPE: DockErrorCode.UNKNOWN_TYPE,
  BAD_BODY: DockErrorCode.BAD_BODY,
};

/** Wait before asking again after ERROR BUSY (PROTOCOL.md §3.8). */
const BUSY_RETRY_MS = 500;

interface Pending {
  seq: number;
  type: RequestType;
  body: unknown;
  tries: number;
  badChunks: number;
  sentAt: number;
  timeoutMs: number;
  retries: number;
  once: boolean;
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
  /** Last DATA received: outstanding READs are not late while DATA keeps coming. */
  #lastDataAt = 0;
  /** Last time any frame went out (keepalive bookkeeping). */
  lastSentAt = 0;
  readonly stats = { retransmits: 0, badChunks: 0, droppedFrames: 0, busy: 0 };
  /** DATA chunks are copied out of the receiver during dispatch (see FrameLink `transientData`). */
  readonly #chunks = new ChunkPool();

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
    return new Promise((resolve, reject) => {
      const p: Pending = {
        seq: -1,
        type,
        body,
        tries: 0,
        badChunks: 0,
        sentAt: 0,
        timeoutMs: opts.timeoutMs ?? this.#timeoutMs,
        retries: opts.retries ?? this.#retries,
        once: opts.once ?? false,
        timer: undefined,
        resolve: resolve as (b: unknown) => void,
        reject,
      };
      try {
        this.#send(p);
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  /** Sends a frame that expects no answer (HELLO_ACK, ERROR), or a bare 0x00 to resync the peer. */
  async notify(frame: Parameters<typeof encodeFrame>[0] | 'delimiter'): Promise<void> {
    if (this.#down) throw this.#down;
    this.lastSentAt = Date.now();
    await this.link.writeWire(frame === 'delimiter' ? Uint8Array.of(0) : encodeFrame(frame));
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

  /** (Re)sends `p` under a fresh seq; the old seq, if any, is forgotten (its late answer is dropped). */
  #send(p: Pending): void {
    if (p.seq >= 0 && this.#pending.get(p.seq) === p) this.#pending.delete(p.seq);
    p.seq = this.#nextSeq();
    const wire = encodeFrame({ type: p.type, seq: p.seq, body: p.body, version: this.version } as Parameters<
      typeof encodeFrame
    >[0]);
    this.#pending.set(p.seq, p);
    p.tries++;
    p.sentAt = Date.now();
    clearTimeout(p.timer);
    p.timer = setTimeout(() => this.#onTimeout(p), p.timeoutMs);
    this.lastSentAt = p.sentAt;
    this.#outbox.push(wire);
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
    if (p.type === 'READ') {
      // §3.8: a READ is late only when no DATA at all arrived for the timeout.
      const quiet = Date.now() - Math.max(this.#lastDataAt, p.sentAt);
      if (quiet < p.timeoutMs) {
        p.timer = setTimeout(() => this.#onTimeout(p), p.timeoutMs - quiet);
        return;
      }
    }
    if (p.once) {
      this.#settle(p, new DockLinkError('NO_ANSWER', `${p.type} seq ${p.seq}: no answer (not repeated)`));
      return;
    }
    if (p.tries > p.retries) {
      const err = new DockLinkError('LINK_TIMEOUT', `${p.type}: no answer after ${p.tries} tries`);
      this.#log.warn({ seq: p.seq, type: p.type }, err.message);
      this.#fail(err);
      return;
    }
    this.stats.retransmits++;
    this.#log.debug({ seq: p.seq, type: p.type, tries: p.tries }, 'dock request retransmitted');
    this.#send(p);
  }

  #onFrame(f: DockFrame): void {
    if (f.type === 'HELLO') {
      this.#opts.onHello(f.body, f.seq);
      return;
    }
    if (f.type === 'DATA') this.#lastDataAt = Date.now();
    const p = this.#pending.get(f.seq);
    if (!p) {
      // A late answer to a request already sent again under another seq, or noise (§3.8).
      if (f.type !== 'DATA') this.#log.debug({ seq: f.seq, type: f.type }, 'dock frame without a request');
      return;
    }
    if (f.type === 'ERROR') {
      if (f.body.code === DockErrorCode.BUSY && !p.once) {
        this.stats.busy++;
        clearTimeout(p.timer);
        // Stays pending under its old seq (abortAll still sees it) until asked again.
        p.timer = setTimeout(() => {
          if (this.#down || this.#pending.get(p.seq) !== p) return;
          p.tries--;
          this.#send(p);
        }, BUSY_RETRY_MS);
        return;
      }
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
    if (f.type === 'DATA') this.#settle(p, undefined, { ...f.body, chunk: this.#chunks.copy(f.body.chunk) });
    else this.#settle(p, undefined, f.body);
  }

  /** The caller of a READ is done with its DATA chunk: the buffer can take another. */
  recycle(chunk: Uint8Array): void {
    this.#chunks.give(chunk);
  }

  #onFrameError(e: FrameError): void {
    this.stats.droppedFrames++;
    const p = e.seq === undefined ? undefined : this.#pending.get(e.seq);
    if (p && e.code === 'BAD_CHUNK_CHECK') {
      // The frame arrived whole but its chunk is not what the recorder read: read it again at once.
      this.#lastDataAt = Date.now();
      this.stats.badChunks++;
      p.badChunks++;
      this.#log.info({ seq: p.seq, err: e.message }, 'DATA chunk check failed: re-reading');
      if (p.badChunks > this.#maxBadChunks) {
        this.#settle(p, new DockLinkError('BAD_CHUNKS', `${e.message} (${p.badChunks} times)`));
      } else {
        p.tries = 0;
        this.#send(p);
      }
      return;
    }
    // §3.5, §3.9: a request from the recorder (HELLO, type < 0x80) that arrived whole but cannot
    // be served is answered ERROR with the matching code, echoing its seq; responses never are.
    const answer =
      e.seq !== undefined && e.type !== undefined && e.type < 0x80 ? ANSWERED[e.code] : undefined;
    if (answer !== undefined && e.seq !== undefined && !this.#down) {
      void this.notify({
        type: 'ERROR',
        seq: e.seq,
        body: { code: answer, message: e.message.slice(0, 200) },
      }).catch(() => {});
    }
    // Bad frame check or cut frame: the request's timer sends it again.
    this.#log.debug({ code: e.code, err: e.message }, 'dock frame dropped');
  }

  #settle(p: Pending, err?: Error, body?: unknown): void {
    clearTimeout(p.timer);
    if (this.#pending.get(p.seq) === p) this.#pending.delete(p.seq);
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
