/** RTSP/1.0 message framing on a TCP connection that also carries `$`-interleaved data (RFC 2326 §10.12). */

export interface RtspRequest {
  method: string;
  url: string;
  version: string;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

export type RtspItem =
  | { kind: 'request'; request: RtspRequest }
  | { kind: 'interleaved'; channel: number; data: Buffer }
  | { kind: 'error'; reason: string };

const MAX_HEAD_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;

/** Incremental reader; after an `error` item the connection should be closed. */
export class RtspReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RtspItem[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: RtspItem[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) break;
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) break;
        out.push({ kind: 'interleaved', channel: this.buf[1]!, data: this.buf.subarray(4, 4 + len) });
        this.buf = this.buf.subarray(4 + len);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > MAX_HEAD_BYTES) out.push({ kind: 'error', reason: 'request head too large' });
        break;
      }
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^([A-Z_]{1,32}) (\S+) (RTSP\/\d\.\d)$/.exec(lines[0] ?? '');
      if (!m) {
        out.push({ kind: 'error', reason: `bad request line "${(lines[0] ?? '').slice(0, 80)}"` });
        break;
      }
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const c = line.indexOf(':');
        if (c <= 0) continue;
        const k = line.slice(0, c).trim().toLowerCase();
        const v = line.slice(c + 1).trim();
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
      const bodyLen = Number(headers['content-length'] ?? 0);
      if (!Number.isInteger(bodyLen) || bodyLen < 0 || bodyLen > MAX_BODY_BYTES) {
        out.push({ kind: 'error', reason: 'bad Content-Length' });
        break;
      }
      if (this.buf.length < end + 4 + bodyLen) break;
      const body = this.buf.subarray(end + 4, end + 4 + bodyLen);
      this.buf = this.buf.subarray(end + 4 + bodyLen);
      out.push({ kind: 'request', request: { method: m[1]!, url: m[2]!, version: m[3]!, headers, body } });
    }
    return out;
  }
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  406: 'Not Acceptable',
  451: 'Parameter Not Understood',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'RTSP Version Not Supported',
};

/** Serialises a response; header values that are arrays become repeated headers. */
export function rtspResponse(
  status: number,
  headers: Record<string, string | number | readonly string[] | undefined>,
  body?: Buffer | string,
): Buffer {
  const b = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  let head = `RTSP/1.0 ${status} ${REASONS[status] ?? 'Unknown'}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${one}\r\n`;
  }
  if (b) head += `Content-Length: ${b.length}\r\n`;
  head += '\r\n';
  return b ? Buffer.concat([Buffer.from(head, 'latin1'), b]) : Buffer.from(head, 'latin1');
}
