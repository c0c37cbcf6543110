/**
 * One RTSP DESCRIBE (RFC 2326 §10.2) on its own short connection, authenticated as the relay does
 * it (rtsp-auth.ts): what the recording needs to know of a stream before ffmpeg starts (its
 * tracks, sdp.ts). Bounded in time and size; the camera's words never leave this module unparsed.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { RtspClientAuth } from './rtsp-auth.js';
import { encodeMessage, header, headerAll, type RtspMessage, RtspWire } from './rtsp-wire.js';
import { type SdpTrack, sdpTracks } from './sdp.js';

export type DescribeResult =
  | { ok: true; tracks: SdpTrack[]; authorized: boolean }
  | { ok: false; status: number | null; reason: 'auth' | 'status' | 'unreachable' | 'timeout' };

const MAX_ANSWER = 64 * 1024;

export function describeStream(
  target: { url: string; username?: string; password?: string },
  timeoutMs = 3000,
): Promise<DescribeResult> {
  const u = new URL(target.url);
  const tls = u.protocol === 'rtsps:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (tls ? 322 : 554));
  const auth =
    target.username !== undefined ? new RtspClientAuth(target.username, target.password ?? '') : null;
  return new Promise((resolve) => {
    const sock: Socket = tls
      ? tlsConnect({
          host,
          port,
          rejectUnauthorized: false,
          ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }),
        })
      : netConnect({ host, port });
    const wire = new RtspWire(MAX_ANSWER);
    let cseq = 0;
    let retried = false;
    let authorized = false;
    const done = (r: DescribeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, status: null, reason: 'timeout' }), timeoutMs);
    const send = () => {
      const authorization = auth?.authorization('DESCRIBE', target.url);
      authorized = authorization !== undefined;
      const headers: [string, string][] = [
        ['CSeq', String(++cseq)],
        ['Accept', 'application/sdp'],
        ['User-Agent', 'gateway-probe'],
      ];
      if (authorization) headers.push(['Authorization', authorization]);
      sock.write(
        encodeMessage({ startLine: `DESCRIBE ${target.url} RTSP/1.0`, headers, body: Buffer.alloc(0) }),
      );
    };
    const answer = (m: RtspMessage) => {
      if (header(m.headers, 'CSeq') !== String(cseq)) return;
      const status = Number(m.startLine.split(' ')[1]);
      if (status === 401 && auth && !retried && auth.challenge(headerAll(m.headers, 'WWW-Authenticate'))) {
        retried = true;
        send();
        return;
      }
      if (status === 401 || status === 403) done({ ok: false, status, reason: 'auth' });
      else if (status !== 200) done({ ok: false, status, reason: 'status' });
      else done({ ok: true, tracks: sdpTracks(m.body.toString('utf8')), authorized });
    };
    sock.once(tls ? 'secureConnect' : 'connect', send);
    sock.on('data', (chunk: Buffer) => {
      try {
        wire.push(chunk, (item) => {
          if (item.kind === 'message') answer(item.message);
        });
      } catch {
        done({ ok: false, status: null, reason: 'status' });
      }
    });
    sock.on('error', () => done({ ok: false, status: null, reason: 'unreachable' }));
    sock.on('close', () => done({ ok: false, status: null, reason: 'unreachable' }));
  });
}
