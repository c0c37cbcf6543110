/**
 * Recorder credentials: the gateway issues each recorder its own random token at registration
 * (no default passwords anywhere) and keeps only a salted hash.
 *
 * A salted SHA-256 is enough here, unlike for people's passwords (scrypt in api/users.ts): the
 * token is 256 random bits, so there is nothing for a slow hash to protect against brute force,
 * and a fleet of 5000 recorders reconnecting at once must not cost 5000 scrypt runs.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newCredential(): string {
  return randomBytes(32).toString('base64url');
}

/** `sha256$<salt hex>$<hash hex>` */
export function hashCredential(credential: string): string {
  const salt = randomBytes(16);
  return `sha256$${salt.toString('hex')}$${digest(salt, credential).toString('hex')}`;
}

export function verifyCredential(credential: string | Buffer | undefined, stored: string): boolean {
  if (credential === undefined) return false;
  const [kind, saltHex, hashHex] = stored.split('$');
  if (kind !== 'sha256' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = digest(Buffer.from(saltHex, 'hex'), credential);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function digest(salt: Buffer, credential: string | Buffer): Buffer {
  return createHash('sha256').update(salt).update(credential).digest();
}
