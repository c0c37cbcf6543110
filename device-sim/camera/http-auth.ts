import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** HTTP authentication (RFC 7616 Digest with MD5 and qop=auth, RFC 7617 Basic) for RTSP and snapshots. */

export type AuthSchemes = 'digest' | 'basic' | 'digest+basic';
export type AuthResult = 'ok' | 'missing' | 'denied' | 'stale';

export interface HttpAuthOptions {
  realm: string;
  user: string;
  password: string;
  schemes?: AuthSchemes;
  /** Nonce lifetime; an expired nonce with a right password gets a `stale=true` challenge. */
  nonceTtlMs?: number;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parses `k=v, k="v"` auth parameters. */
export function parseAuthParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

export class HttpAuth {
  readonly realm: string;
  private readonly user: string;
  private readonly password: string;
  private readonly schemes: AuthSchemes;
  private readonly nonceTtlMs: number;
  // Stateless nonces: expiry time plus an HMAC of it, so no per-client state is kept.
  private readonly secret = randomBytes(16);

  constructor(opts: HttpAuthOptions) {
    this.realm = opts.realm;
    this.user = opts.user;
    this.password = opts.password;
    this.schemes = opts.schemes ?? 'digest';
    this.nonceTtlMs = opts.nonceTtlMs ?? 300_000;
  }

  private nonce(): string {
    const exp = (Date.now() + this.nonceTtlMs).toString(16);
    return exp + createHmac('sha256', this.secret).update(exp).digest('hex').slice(0, 32);
  }

  private nonceState(nonce: string): 'valid' | 'expired' | 'forged' {
    const exp = nonce.slice(0, -32);
    const mac = createHmac('sha256', this.secret).update(exp).digest('hex').slice(0, 32);
    if (!/^[0-9a-f]{1,12}$/.test(exp) || !safeEqual(mac, nonce.slice(-32))) return 'forged';
    return Number.parseInt(exp, 16) < Date.now() ? 'expired' : 'valid';
  }

  /** WWW-Authenticate values; Digest first (realm first: some clients parse it positionally). */
  challenges(stale = false): string[] {
    const out: string[] = [];
    if (this.schemes !== 'basic') {
      out.push(
        `Digest realm="${this.realm}", nonce="${this.nonce()}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`,
      );
    }
    if (this.schemes !== 'digest') out.push(`Basic realm="${this.realm}"`);
    return out;
  }

  check(method: string, authorization: string | undefined): AuthResult {
    if (!authorization) return 'missing';
    const sp = authorization.indexOf(' ');
    const scheme = (sp < 0 ? authorization : authorization.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : authorization.slice(sp + 1).trim();
    if (scheme === 'basic' && this.schemes !== 'digest') {
      const given = Buffer.from(rest, 'base64').toString('utf8');
      return safeEqual(given, `${this.user}:${this.password}`) ? 'ok' : 'denied';
    }
    if (scheme !== 'digest' || this.schemes === 'basic') return 'denied';
    const p = parseAuthParams(rest);
    if (p.username !== this.user || p.realm !== this.realm || !p.nonce || !p.uri || !p.response)
      return 'denied';
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5') return 'denied';
    const ha1 = md5(`${this.user}:${this.realm}:${this.password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    let expected: string;
    if (p.qop === 'auth') {
      if (!p.nc || !p.cnonce) return 'denied';
      expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    } else if (p.qop === undefined) {
      expected = md5(`${ha1}:${p.nonce}:${ha2}`);
    } else {
      return 'denied';
    }
    if (!safeEqual(expected, p.response.toLowerCase())) return 'denied';
    const state = this.nonceState(p.nonce);
    return state === 'valid' ? 'ok' : state === 'expired' ? 'stale' : 'denied';
  }
}

/** Client side: a Digest Authorization value answering `challenge` (for tests and tools). */
export function digestAuthorization(opts: {
  challenge: string;
  method: string;
  uri: string;
  user: string;
  password: string;
}): string {
  const c = parseAuthParams(opts.challenge.replace(/^Digest\s+/i, ''));
  const ha1 = md5(`${opts.user}:${c.realm}:${opts.password}`);
  const ha2 = md5(`${opts.method}:${opts.uri}`);
  const nc = '00000001';
  const cnonce = randomBytes(8).toString('hex');
  const response = c.qop
    ? md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : md5(`${ha1}:${c.nonce}:${ha2}`);
  return (
    `Digest username="${opts.user}", realm="${c.realm}", nonce="${c.nonce}", uri="${opts.uri}", ` +
    `response="${response}", algorithm=MD5` +
    (c.qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : '')
  );
}
