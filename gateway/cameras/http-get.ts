/**
 * A bounded HTTP GET with Digest (RFC 7616, MD5, qop=auth) or Basic authentication, for camera
 * snapshots. Bounded like SOAP calls (soap-guard.ts): deadline and size limit.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { boundedHttp, type HttpAnswer, type SoapLimits } from './soap-guard.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(' ');
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header
    .slice(sp + 1)
    .matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { scheme, params };
}

/** The Authorization header answering a Digest challenge for `GET uri`. */
export function digestAuthorization(
  challenge: Record<string, string>,
  cred: { user: string; password: string },
  method: string,
  uri: string,
  cnonce = randomBytes(8).toString('hex'),
): string {
  const realm = challenge.realm ?? '';
  const nonce = challenge.nonce ?? '';
  const qop = (challenge.qop ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const ha1 = md5(`${cred.user}:${realm}:${cred.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${cred.user}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `response="${response}"`,
    'algorithm=MD5',
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (challenge.opaque) parts.push(`opaque="${challenge.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

export async function authGet(
  url: URL,
  cred: { user: string; password: string },
  limits: SoapLimits,
): Promise<HttpAnswer> {
  const clean = new URL(url);
  clean.username = '';
  clean.password = '';
  const first = await boundedHttp(clean, { method: 'GET', limits });
  if (first.status !== 401) return first;
  const challenges = first.rawHeaders
    .filter((_, i) => i % 2 === 0)
    .map((name, i) => ({ name: name.toLowerCase(), value: first.rawHeaders[i * 2 + 1] ?? '' }))
    .filter((h) => h.name === 'www-authenticate')
    .map((h) => parseChallenge(h.value));
  const digest = challenges.find((c) => c.scheme === 'digest');
  const basic = challenges.find((c) => c.scheme === 'basic');
  let authorization: string;
  if (digest) {
    authorization = digestAuthorization(digest.params, cred, 'GET', clean.pathname + clean.search);
  } else if (basic) {
    authorization = `Basic ${Buffer.from(`${cred.user}:${cred.password}`).toString('base64')}`;
  } else {
    throw new GatewayError('CAMERA_AUTH', `${url.host} asks for an authentication scheme we do not speak`);
  }
  const second = await boundedHttp(clean, { method: 'GET', headers: { authorization }, limits });
  if (second.status === 401 || second.status === 403) {
    throw new GatewayError('CAMERA_AUTH', `${url.host} refused the credentials for ${clean.pathname}`, {
      host: url.host,
    });
  }
  return second;
}
