/**
 * The RTSP 1.0 byte stream of one TCP connection (RFC 2326 §4, §10.12): messages (requests or
 * responses: start line, headers, CRLF CRLF, Content-Length body) interleaved with binary frames
 * (`$`, channel, 16-bit length, data). The relay passes frames through untouched and without
 * copying (runs of frames in a chunk leave as one slice; a frame split across chunks is passed on
 * as it arrives) and hands each whole message to its caller to rewrite. Messages are bounded.
 */

export interface RtspMessage {
  /** `DESCRIBE rtsp://... RTSP/1.0` or `RTSP/1.0 200 OK`. */
  startLine: string;
  /** In order, names as sent. */
  headers: [string, string][];
  body: Buffer;
}

export type WireItem = { kind: 'raw'; data: Buffer } | { kind: 'message'; message: RtspMessage };

export class RtspWireError extends Error {}

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n');

export class RtspWire {
  readonly #maxMessage: number;
  /** Bytes of an interleaved frame still to pass through. */
  #frameLeft = 0;
  /** A partial frame header or message carried to the next chunk. */
  #held: Buffer | null = null;

  constructor(maxMessage = 64 * 1024) {
    this.#maxMessage = maxMessage;
  }

  /** Splits a chunk into pass-through runs and whole messages, in order. Throws RtspWireError. */
  push(chunk: Buffer, out: (item: WireItem) => void): void {
    const data = this.#held ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = null;
    let pos = 0;
    let rawStart = 0;
    const flush = (end: number) => {
      if (end > rawStart) out({ kind: 'raw', data: data.subarray(rawStart, end) });
    };
    while (pos < data.length) {
      if (this.#frameLeft > 0) {
        const take = Math.min(this.#frameLeft, data.length - pos);
        pos += take;
        this.#frameLeft -= take;
        continue;
      }
      const b = data[pos]!;
      if (b === DOLLAR) {
        if (data.length - pos < 4) {
          flush(pos);
          this.#held = Buffer.from(data.subarray(pos));
          return;
        }
        this.#frameLeft = 4 + data.readUInt16BE(pos + 2);
        continue;
      }
      flush(pos);
      // Stray line ends between messages are tolerated (and dropped).
      if (b === CR || b === LF) {
        pos++;
        rawStart = pos;
        continue;
      }
      const headEnd = data.indexOf(HEAD_END, pos);
      if (headEnd < 0) {
        if (data.length - pos > this.#maxMessage) throw new RtspWireError('RTSP header too long');
        this.#held = Buffer.from(data.subarray(pos));
        return;
      }
      const head = data.subarray(pos, headEnd).toString('latin1');
      const msg = parseHead(head);
      const length = contentLength(msg.headers);
      const end = headEnd + 4 + length;
      if (end - pos > this.#maxMessage) throw new RtspWireError('RTSP message too long');
      if (end > data.length) {
        this.#held = Buffer.from(data.subarray(pos));
        return;
      }
      out({ kind: 'message', message: { ...msg, body: Buffer.from(data.subarray(headEnd + 4, end)) } });
      pos = end;
      rawStart = pos;
    }
    flush(pos);
  }
}

function parseHead(head: string): Omit<RtspMessage, 'body'> {
  const lines = head.split('\r\n');
  const startLine = lines.shift() ?? '';
  if (!/^(RTSP\/1\.0 \d{3}\b|[A-Z_]{1,32} \S+ RTSP\/1\.0$)/.test(startLine))
    throw new RtspWireError('not an RTSP message');
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new RtspWireError('bad RTSP header line');
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers };
}

function contentLength(headers: [string, string][]): number {
  const v = header(headers, 'content-length');
  if (v === undefined) return 0;
  if (!/^\d{1,7}$/.test(v)) throw new RtspWireError('bad Content-Length');
  return Number(v);
}

export function header(headers: readonly [string, string][], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function headerAll(headers: readonly [string, string][], name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

/** The headers without `name`, then `name: value` appended when a value is given. */
export function withHeader(
  headers: readonly [string, string][],
  name: string,
  value?: string,
): [string, string][] {
  const n = name.toLowerCase();
  const out = headers.filter(([k]) => k.toLowerCase() !== n);
  if (value !== undefined) out.push([name, value]);
  return out;
}

export function encodeMessage(m: RtspMessage): Buffer {
  const headers = withHeader(
    m.headers,
    'Content-Length',
    m.body.length > 0 ? String(m.body.length) : undefined,
  );
  for (const [k, v] of headers) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new RtspWireError('line break in an RTSP header');
  }
  const head = `${m.startLine}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return m.body.length > 0
    ? Buffer.concat([Buffer.from(head, 'latin1'), m.body])
    : Buffer.from(head, 'latin1');
}
