import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { digestAuthorization } from '../../device-sim/camera/http-auth.js';
import { usernameTokenHeader } from '../../device-sim/camera/wsse.js';
import { waitFor } from '../helpers/wait.js';

export const run = promisify(execFile);

export const NSDECL =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ' +
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:timg="http://www.onvif.org/ver20/imaging/wsdl" ' +
  'xmlns:tt="http://www.onvif.org/ver10/schema"';

export interface SoapReply {
  status: number;
  headers: Headers;
  text: string;
  /** Envelope parsed by fast-xml-parser, independently of the camera's own parser. */
  doc: Record<string, unknown>;
  /** Qualified name of the first child of the Body, e.g. `tds:GetHostnameResponse`. */
  op: string;
  body: Record<string, unknown>;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });

export function parseEnvelope(text: string): Pick<SoapReply, 'doc' | 'op' | 'body'> {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`response is not well formed: ${valid.err.msg}`);
  const doc = parser.parse(text) as Record<string, unknown>;
  const env = doc['env:Envelope'] as Record<string, unknown> | undefined;
  if (!env) throw new Error(`no env:Envelope in ${text.slice(0, 200)}`);
  const body = env['env:Body'] as Record<string, unknown>;
  const op = Object.keys(body).find((k) => !k.startsWith('@_'));
  if (!op) throw new Error('empty body');
  return { doc, op, body: (body[op] ?? {}) as Record<string, unknown> };
}

/** Posts one SOAP 1.2 request; `auth` adds a PasswordDigest UsernameToken. */
export async function soap(
  url: string,
  bodyXml: string,
  auth?: { user: string; password: string; createdMs?: number },
): Promise<SoapReply> {
  const header = auth ? usernameTokenHeader(auth.user, auth.password, auth.createdMs) : '';
  const envelope = `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${NSDECL}><s:Header>${header}</s:Header><s:Body>${bodyXml}</s:Body></s:Envelope>`;
  return post(url, envelope);
}

export async function post(url: string, raw: string): Promise<SoapReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ...parseEnvelope(text) };
}

/** Fault subcodes (`ter:...`) of a fault reply, outermost first. */
export function faultSubcodes(r: SoapReply): string[] {
  const out: string[] = [];
  let sub = (r.body['env:Code'] as Record<string, unknown> | undefined)?.['env:Subcode'] as
    | Record<string, unknown>
    | undefined;
  while (sub) {
    out.push(String(sub['env:Value']));
    sub = sub['env:Subcode'] as Record<string, unknown> | undefined;
  }
  return out;
}

export interface RtspReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A bare RTSP/1.0 client over one TCP connection: counts interleaved bytes, answers digest challenges. */
export class RtspTestClient {
  private socket!: Socket;
  private buf = Buffer.alloc(0);
  private cseq = 0;
  private pending: ((r: RtspReply) => void) | undefined;
  interleavedBytes = 0;
  interleavedPackets = 0;
  closed = false;
  session: string | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly creds?: { user: string; password: string },
  ) {}

  async connect(): Promise<void> {
    this.socket = connect(this.port, this.host);
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
    });
    this.socket.on('data', (d) => this.onData(d));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) return;
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) return;
        this.interleavedBytes += len;
        this.interleavedPackets++;
        this.buf = this.buf.subarray(4 + len);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        const k = l.slice(0, c).trim().toLowerCase();
        const v = l.slice(c + 1).trim();
        headers[k] = headers[k] ? `${headers[k]}\n${v}` : v;
      }
      const len = Number(headers['content-length'] ?? 0);
      if (this.buf.length < end + 4 + len) return;
      const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 4 + len);
      const status = Number(lines[0]?.split(' ')[1]);
      const p = this.pending;
      this.pending = undefined;
      p?.({ status, headers, body });
    }
  }

  private send(method: string, url: string, headers: Record<string, string>): Promise<RtspReply> {
    const reply = new Promise<RtspReply>((resolve) => {
      this.pending = resolve;
    });
    let head = `${method} ${url} RTSP/1.0\r\nCSeq: ${++this.cseq}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    this.socket.write(`${head}\r\n`);
    return reply;
  }

  /** Sends a request; on 401 retries once with Digest credentials. */
  async request(method: string, url: string, headers: Record<string, string> = {}): Promise<RtspReply> {
    const h = { ...headers, ...(this.session ? { Session: this.session } : {}) };
    let r = await this.send(method, url, h);
    if (r.status === 401 && this.creds) {
      const challenge = (r.headers['www-authenticate'] ?? '').split('\n').find((c) => c.startsWith('Digest'));
      if (challenge) {
        const authorization = digestAuthorization({ challenge, method, uri: url, ...this.creds });
        r = await this.send(method, url, { ...h, Authorization: authorization });
      }
    }
    if (r.headers.session) this.session = r.headers.session.split(';')[0];
    return r;
  }

  /** DESCRIBE, SETUP (TCP interleaved), PLAY. */
  async play(url: string): Promise<void> {
    const d = await this.request('DESCRIBE', url, { Accept: 'application/sdp' });
    if (d.status !== 200) throw new Error(`DESCRIBE ${d.status}`);
    const s = await this.request('SETUP', `${d.headers['content-base']}trackID=0`, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
    });
    if (s.status !== 200) throw new Error(`SETUP ${s.status}`);
    const p = await this.request('PLAY', d.headers['content-base'] ?? url, { Range: 'npt=0.000-' });
    if (p.status !== 200) throw new Error(`PLAY ${p.status}`);
  }
}

/** Polls `cond` every 50 ms until true; throws after `ms` (a guard against hangs, not a timing assertion). */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  await waitFor(cond, what, ms, 50);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
