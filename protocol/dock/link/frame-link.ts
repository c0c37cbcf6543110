/**
 * Frames over a DockPort, for either end of the dock link (PROTOCOL.md §3): bytes in through the
 * incremental parser, decoded frames and frame errors out; frames in, wire bytes out. No
 * request/response logic here (that is `DockClient` on the gateway, `RecorderDock` on the device).
 */
import {
  type DockFrame,
  type DockFrameInput,
  DockParser,
  encodeFrame,
  encodeFrameParts,
  type FrameError,
} from '../index.js';
import type { CloseInfo, DockPort } from './binding.js';

export interface FrameLinkHandlers {
  frame(f: DockFrame): void;
  /** A frame was dropped (bad check, bad body...); `seq` is set when its header was intact. */
  error?(e: FrameError): void;
  close?(info: CloseInfo): void;
}

export class FrameLink {
  readonly #parser: DockParser;
  #handlers: FrameLinkHandlers | undefined;
  /** Frames received and dropped, for status and tests. */
  readonly stats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, errors: 0 };

  /**
   * `transientData`: a DATA frame's chunk is valid only during the `frame()` call (the handler
   * copies what it keeps); the receiver then reuses its buffers instead of allocating per frame.
   */
  constructor(
    readonly port: DockPort,
    opts: { versions?: readonly number[]; transientData?: boolean } = {},
  ) {
    this.#parser = new DockParser({
      ...(opts.versions ? { versions: opts.versions } : {}),
      transientData: opts.transientData ?? false,
    });
    port.onData((chunk) => this.#feed(chunk));
    port.onClose((info) => this.#handlers?.close?.(info));
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  /** One set of handlers at a time; a later call replaces the earlier ones. */
  handle(h: FrameLinkHandlers): void {
    this.#handlers = h;
  }

  /** Forget a partial frame (after the peer reset). */
  resetParser(): void {
    this.#parser.reset();
  }

  send(f: DockFrameInput): Promise<void> {
    return this.writeWire(encodeFrame(f));
  }

  /** Header + body parts already built (the DATA fast path). */
  sendParts(header: Uint8Array, parts: readonly Uint8Array[]): Promise<void> {
    return this.writeWire(encodeFrameParts(header, parts));
  }

  writeWire(bytes: Uint8Array): Promise<void> {
    this.stats.framesOut++;
    this.stats.bytesOut += bytes.length;
    return this.port.write(bytes);
  }

  close(): Promise<void> {
    return this.port.close();
  }

  #feed(chunk: Uint8Array): void {
    this.stats.bytesIn += chunk.length;
    for (const ev of this.#parser.feed(chunk)) {
      if (ev.ok) {
        this.stats.framesIn++;
        this.#handlers?.frame(ev.frame);
      } else {
        this.stats.errors++;
        this.#handlers?.error?.(ev.error);
      }
    }
  }
}
