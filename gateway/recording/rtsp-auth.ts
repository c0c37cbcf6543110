/**
 * Client side of RTSP authentication as cameras do it (RFC 2326 §D.1 points to HTTP auth):
 * Digest (RFC 7616: MD5, MD5-sess, SHA-256, qop=auth or the RFC 2069 form without qop) preferred,
 * Basic (RFC 7617) only when the camera offers nothing else. One state per connection: the nonce
 * of the last challenge is reused with a growing nonce count, so requests after the first carry
 * their Authorization up front.
 */
import { createHash, randomBytes } from 'node:crypto';

interface DigestChallenge {
  scheme: 'digest';
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';
  qop: 'auth' | null;
}
type Challenge = DigestChallenge | { scheme: 'basic' };

/** `k=v, k="v"` parameters of a challenge. */
function params(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

/** The challenge we answer among a response's WWW-Authenticate values; null if none we speak. */
export function pickChallenge(values: readonly string[]): Challenge | null {
  let basic = false;
  let best: DigestChallenge | null = null;
  for (const v of values) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(v);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'basic') basic = true;
    if (scheme !== 'digest') continue;
    const p = params(m[2] ?? '');
    if (p.realm === undefined || !p.nonce) continue;
    const alg = (p.algorithm ?? 'MD5').toUpperCase();
    const algorithm =
      alg === 'MD5'
        ? 'MD5'
        : alg === 'MD5-SESS'
          ? 'MD5-sess'
          : alg === 'SHA-256'
            ? 'SHA-256'
            : alg === 'SHA-256-SESS'
              ? 'SHA-256-sess'
              : null;
    if (!algorithm) continue;
    const qops = (p.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
    if (p.qop !== undefined && !qops.includes('auth')) continue;
    const c: DigestChallenge = {
      scheme: 'digest',
      realm: p.realm,
      nonce: p.nonce,
      ...(p.opaque !== undefined ? { opaque: p.opaque } : {}),
      algorithm,
      qop: p.qop !== undefined ? 'auth' : null,
    };
    // SHA-256 over MD5 when a camera offers both.
    if (!best || (best.algorithm.startsWith('MD5') && algorithm.startsWith('SHA'))) best = c;
  }
  return best ?? (basic ? { scheme: 'basic' } : null);
}

export class RtspClientAuth {
  readonly #user: string;
  readonly #password: string;
  #challenge: Challenge | null = null;
  #nc = 0;

  constructor(user: string, password: string) {
    this.#user = user;
    this.#password = password;
  }

  get ready(): boolean {
    return this.#challenge !== null;
  }

  /** Takes the challenge of a 401; false when there is none we can answer. */
  challenge(values: readonly string[]): boolean {
    const c = pickChallenge(values);
    if (!c) return false;
    if (c.scheme !== 'digest' || this.#challenge?.scheme !== 'digest' || c.nonce !== this.#challenge.nonce)
      this.#nc = 0;
    this.#challenge = c;
    return true;
  }

  /** The Authorization value for a request, or undefined before any challenge. */
  authorization(method: string, uri: string): string | undefined {
    const c = this.#challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      return `Basic ${Buffer.from(`${this.#user}:${this.#password}`, 'utf8').toString('base64')}`;
    }
    const h = (s: string) =>
      createHash(c.algorithm.startsWith('SHA') ? 'sha256' : 'md5')
        .update(s, 'utf8')
        .digest('hex');
    const nc = (++this.#nc).toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    let ha1 = h(`${this.#user}:${c.realm}:${this.#password}`);
    if (c.algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${c.nonce}:${cnonce}`);
    const ha2 = h(`${method}:${uri}`);
    const response = c.qop
      ? h(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`)
      : h(`${ha1}:${c.nonce}:${ha2}`);
    const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
    return (
      `Digest username=${q(this.#user)}, realm=${q(c.realm)}, nonce=${q(c.nonce)}, uri=${q(uri)}, ` +
      `response="${response}", algorithm=${c.algorithm}` +
      (c.opaque !== undefined ? `, opaque=${q(c.opaque)}` : '') +
      (c.qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : '')
    );
  }
}
