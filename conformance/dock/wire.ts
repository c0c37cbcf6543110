/**
 * The kit's end of the dock link: frames out and in over one DockPort, with a transcript of both
 * directions so every check can show the frames that proved it.
 */

import {
  type DockFrame,
  type DockFrameInput,
  encodeFrame,
  type FrameError,
  hex32,
} from '../../protocol/dock/index.js';
import type { DockPort } from '../../protocol/dock/link/binding.js';
import { FrameLink } from '../../protocol/dock/link/frame-link.js';

export type Rx = { ok: true; frame: DockFrame } | { ok: false; error: FrameError };

/** One line of a transcript: `> ` sent by the kit, `< ` received from the recorder. */
export function describeFrame(f: DockFrame): string {
  const head = `${f.type} v${f.version} seq ${f.seq}`;
  if (f.type === 'DATA') {
    const b = f.body;
    return `${head} ${b.clipId}@${b.offset} ${b.chunk.length} B${b.eof ? ' EOF' : ''} crc ${hex32(b.chunkCrc)}`;
  }
  if (f.type === 'ERROR')
    return `${head} code 0x${f.body.code.toString(16).padStart(4, '0')} "${f.body.message.slice(0, 80)}"`;
  const json = JSON.stringify(f.body);
  return `${head} ${json.length > 160 ? `${json.slice(0, 160)}…` : json}`;
}

export class KitWire {
  readonly link: FrameLink;
  readonly #queue: Rx[] = [];
  #waiters: (() => void)[] = [];
  #seq = 0x4000;
  #transcript: string[] = [];
  closed = false;

  constructor(readonly port: DockPort) {
    this.link = new FrameLink(port);
    this.link.handle({
      frame: (f) => this.#push({ ok: true, frame: f }, `< ${describeFrame(f)}`),
      error: (e) =>
        this.#push(
          { ok: false, error: e },
          `< dropped ${e.code}${e.seq !== undefined ? ` seq ${e.seq}` : ''}`,
        ),
      close: () => {
        this.closed = true;
        this.#wake();
      },
    });
  }

  nextSeq(): number {
    this.#seq = (this.#seq + 1) & 0xffff;
    return this.#seq;
  }

  /** Lines recorded since the last call. */
  takeTranscript(): string[] {
    const t = this.#transcript;
    this.#transcript = [];
    return t;
  }

  note(line: string): void {
    this.#transcript.push(line);
  }

  async send(f: DockFrameInput): Promise<void> {
    const wire = encodeFrame(f);
    this.#transcript.push(`> ${describeFrame({ version: 1, ...f } as DockFrame)}`);
    await this.link.writeWire(wire);
  }

  async sendRaw(bytes: Uint8Array, what: string): Promise<void> {
    this.#transcript.push(`> ${what} (${bytes.length} B)`);
    await this.link.writeWire(bytes);
  }

  /** Sends a request with a fresh seq and waits for the answer echoing it. */
  async request(f: Omit<DockFrameInput, 'seq'>, timeoutMs = 2000): Promise<DockFrame | undefined> {
    const seq = this.nextSeq();
    await this.send({ ...f, seq } as DockFrameInput);
    return this.answer(seq, timeoutMs);
  }

  async answer(seq: number, timeoutMs = 2000): Promise<DockFrame | undefined> {
    const rx = await this.next((r) => r.ok && r.frame.type !== 'HELLO' && r.frame.seq === seq, timeoutMs);
    return rx?.ok ? rx.frame : undefined;
  }

  /** The next received event matching `pred` (events before it that do not match are dropped). */
  async next(pred: (r: Rx) => boolean, timeoutMs: number): Promise<Rx | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#queue.length > 0) {
        const r = this.#queue.shift()!;
        if (pred(r)) return r;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Everything received within `ms` (for "nothing is answered" checks). */
  async collect(ms: number): Promise<Rx[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.#queue.splice(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.link.close().catch(() => {});
  }

  #push(r: Rx, line: string): void {
    this.#transcript.push(line);
    this.#queue.push(r);
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}
