/**
 * The gateway's Ed25519 signing key (FORMATS.md §2): a PKCS#8 PEM file under the data dir, made on
 * first start (directory 0700, file 0600, created exclusively and fsynced). The key signs
 * checkpoints; it is not what protects the log — a checkpoint that has left the box is (whoever
 * holds this file can sign a forged history, but not make it agree with a held checkpoint).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { isErrno } from '../store/errors.js';
import { fsyncDir } from '../store/fsutil.js';

/** `gateway-key.json` (FORMATS.md §2). */
export const GatewayKeyJson = z.object({
  v: z.literal(1),
  alg: z.literal('Ed25519'),
  publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of 32 bytes'),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});
export type GatewayKeyJson = z.infer<typeof GatewayKeyJson>;

/** A public key to check signatures with. */
export class PublicKey {
  readonly raw: Buffer;
  readonly key: KeyObject;

  private constructor(key: KeyObject) {
    this.key = key;
    const jwk = key.export({ format: 'jwk' });
    this.raw = Buffer.from(jwk.x ?? '', 'base64url');
    if (jwk.crv !== 'Ed25519' || this.raw.length !== 32) {
      throw new GatewayError('BAD_REQUEST', 'not an Ed25519 public key');
    }
  }

  static fromRaw(raw: Uint8Array): PublicKey {
    if (raw.length !== 32) throw new GatewayError('BAD_REQUEST', 'an Ed25519 public key is 32 bytes');
    return new PublicKey(
      createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
        format: 'jwk',
      }),
    );
  }

  static fromKeyObject(key: KeyObject): PublicKey {
    return new PublicKey(key.type === 'private' ? createPublicKey(key) : key);
  }

  /**
   * A key as someone holds it: `gateway-key.json` (whose fingerprint must match its key), a public
   * key PEM, or the gateway's private key PEM. Bounded: a key file is small.
   */
  static parse(text: string): PublicKey {
    const t = text.slice(0, 16_384).trim();
    if (t.startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(t);
      } catch {
        throw new GatewayError('BAD_REQUEST', 'key file is not valid JSON');
      }
      const r = GatewayKeyJson.safeParse(json);
      if (!r.success)
        throw new GatewayError('BAD_REQUEST', 'key file is not a gateway-key.json (FORMATS.md §2)');
      const key = PublicKey.fromRaw(Buffer.from(r.data.publicKey, 'base64'));
      if (key.fingerprint !== r.data.fingerprint) {
        throw new GatewayError('BAD_REQUEST', 'key file fingerprint does not match its public key');
      }
      return key;
    }
    try {
      return PublicKey.fromKeyObject(t.includes('PRIVATE KEY') ? createPrivateKey(t) : createPublicKey(t));
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new GatewayError('BAD_REQUEST', 'key file is neither gateway-key.json nor an Ed25519 PEM');
    }
  }

  /** Hex SHA-256 of the raw 32-byte key (FORMATS.md §2). */
  get fingerprint(): string {
    return createHash('sha256').update(this.raw).digest('hex');
  }

  toJson(): GatewayKeyJson {
    return { v: 1, alg: 'Ed25519', publicKey: this.raw.toString('base64'), fingerprint: this.fingerprint };
  }

  toPem(): string {
    return this.key.export({ format: 'pem', type: 'spki' }).toString();
  }
}

/** The fingerprint in groups of four, for writing down on paper. */
export function groupFingerprint(hex: string): string {
  return (hex.match(/.{1,4}/g) ?? []).join(' ');
}

export class SigningKey {
  readonly public: PublicKey;
  readonly #private: KeyObject;

  private constructor(priv: KeyObject) {
    this.#private = priv;
    this.public = PublicKey.fromKeyObject(priv);
  }

  /** Load the key at `file`, or create it there (0600 in a 0700 directory) if there is none. */
  static async loadOrCreate(file: string): Promise<{ key: SigningKey; created: boolean }> {
    const existing = await SigningKey.load(file);
    if (existing) return { key: existing, created: false };
    const dir = dirname(file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(file, 'wx', 0o600);
    } catch (err) {
      // Another process made it first: use theirs.
      if (isErrno(err, 'EEXIST')) return { key: (await SigningKey.load(file))!, created: false };
      throw err;
    }
    try {
      await fh.writeFile(pem);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(dir);
    return { key: new SigningKey(privateKey), created: true };
  }

  /** The key at `file`, or undefined if there is none (never creates: `gateway verify` is read-only). */
  static async load(file: string): Promise<SigningKey | undefined> {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch {
      throw new GatewayError('CONFIG_INVALID', `signing key ${file} is not a PEM private key`);
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new GatewayError('CONFIG_INVALID', `signing key ${file} is not an Ed25519 key`);
    }
    return new SigningKey(key);
  }

  /** Ed25519 (RFC 8032, pure) signature, base64. */
  sign(message: string): string {
    return sign(null, Buffer.from(message, 'utf8'), this.#private).toString('base64');
  }
}
