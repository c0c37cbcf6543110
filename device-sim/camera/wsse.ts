import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NS, PASSWORD_DIGEST_TYPE, PASSWORD_TEXT_TYPE } from './namespaces.js';
import { attr, child, childText, escapeXml, type XmlElement } from './xml.js';

/** Why a WS-UsernameToken was refused (kept for logs; the client only sees ter:NotAuthorized). */
export type TokenRefusal =
  | 'missing-security'
  | 'missing-token'
  | 'unknown-user'
  | 'bad-digest'
  | 'bad-password'
  | 'stale-created'
  | 'replayed-nonce'
  | 'unsupported-password-type';

export interface TokenCheck {
  user: string;
  password: string;
  /** The camera's clock, ms since the epoch. */
  nowMs: number;
  /** Accepted |Created - camera clock|. */
  maxSkewMs: number;
  /** Nonces seen recently, for replay detection (WSS UsernameToken Profile 1.0 §3.1). */
  nonces: NonceCache;
}

/** Base64(SHA1(nonce + created + password)), WSS UsernameToken Profile 1.0 §3.1. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** Returns undefined when the header carries a valid token for `check.user`, else why not. */
export function verifyUsernameToken(
  header: XmlElement | undefined,
  check: TokenCheck,
): TokenRefusal | undefined {
  const security = child(header, NS.wsse, 'Security');
  if (!security) return 'missing-security';
  const token = child(security, NS.wsse, 'UsernameToken');
  if (!token) return 'missing-token';
  const username = childText(token, NS.wsse, 'Username');
  const passwordEl = child(token, NS.wsse, 'Password');
  if (username !== check.user || !passwordEl) return 'unknown-user';
  const type = attr(passwordEl, 'Type') ?? PASSWORD_TEXT_TYPE;
  const given = passwordEl.text.trim();
  if (type === PASSWORD_TEXT_TYPE) {
    return safeEqual(given, check.password) ? undefined : 'bad-password';
  }
  if (type !== PASSWORD_DIGEST_TYPE) return 'unsupported-password-type';
  const nonceB64 = childText(token, NS.wsse, 'Nonce') ?? '';
  const created = childText(token, NS.wsu, 'Created') ?? '';
  const createdMs = Date.parse(created);
  if (!nonceB64 || !Number.isFinite(createdMs)) return 'bad-digest';
  if (Math.abs(createdMs - check.nowMs) > check.maxSkewMs) return 'stale-created';
  const nonce = Buffer.from(nonceB64, 'base64');
  if (!safeEqual(given, passwordDigest(nonce, created, check.password))) return 'bad-digest';
  if (!check.nonces.add(`${nonceB64}|${created}`)) return 'replayed-nonce';
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Bounded set of recently used nonces; `add` is false for a repeat. */
export class NonceCache {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 4096) {}

  add(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}

/** Client side: a wsse:Security header with a PasswordDigest token (for tests and tools). */
export function usernameTokenHeader(user: string, password: string, createdMs = Date.now()): string {
  const nonce = randomBytes(16);
  const created = new Date(createdMs).toISOString();
  return (
    `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(user)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${passwordDigest(nonce, created, password)}</wsse:Password>` +
    `<wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce><wsu:Created>${created}</wsu:Created>` +
    '</wsse:UsernameToken></wsse:Security>'
  );
}
