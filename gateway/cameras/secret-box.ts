/**
 * Camera passwords at rest: AES-256-GCM with a key kept in a file of its own in the data dir
 * (created 0600 on first start), so a copy of the LevelDB index alone does not give away the
 * cameras' credentials. Each sealed value is bound to its record (associated data), so a sealed
 * password cannot be moved to another camera's record.
 *
 * Format: `enc:v1:` + base64(iv 12 bytes | tag 16 bytes | ciphertext).
 */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { GatewayError } from '../errors.js';

const PREFIX = 'enc:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /**
   * Reads the key file, or creates it (0600, never overwritten). A key file others can read is
   * narrowed to 0600; `narrowed` says so (for the log).
   */
  static async load(path: string): Promise<{ box: SecretBox; created: boolean; narrowed: boolean }> {
    let created = false;
    try {
      await writeFile(path, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const key = await readFile(path);
    if (key.length !== KEY_BYTES) {
      throw new GatewayError('CONFIG_INVALID', `camera secret key ${path} is not ${KEY_BYTES} bytes`);
    }
    let narrowed = false;
    if (((await stat(path)).mode & 0o077) !== 0) {
      await chmod(path, 0o600);
      narrowed = true;
    }
    return { box: new SecretBox(key), created, narrowed };
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  /** `context`: what the value belongs to (e.g. `camera:<id>`); opening needs the same. */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  /** Throws STORE_CORRUPT for a value that was altered, moved, or sealed with another key. */
  open(sealed: string, context: string): string {
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    if (!SecretBox.isSealed(sealed) || raw.length < IV_BYTES + TAG_BYTES) {
      throw new GatewayError('STORE_CORRUPT', `not a sealed secret (${context})`);
    }
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      d.setAAD(Buffer.from(context, 'utf8'));
      d.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([d.update(raw.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      throw new GatewayError(
        'STORE_CORRUPT',
        `sealed secret of ${context} does not open with this key (altered, or another key file)`,
      );
    }
  }
}
