/**
 * The recorder registry (R5, R21): every recorder the gateway knows, by serial, with the hash of the
 * credential the gateway issued it. A recorder not in here cannot connect.
 */
import { z } from 'zod';
import { Serial } from '../../protocol/common.js';
import type { CredentialCheck } from '../broker/broker.js';
import { hashCredential, newCredential, verifyCredential } from '../broker/credentials.js';
import { type Db, SYNCED } from '../db.js';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { AuditSink } from '../integrity/admin-audit.js';

export const RecorderInfo = z.object({
  serial: Serial,
  model: z.string().trim().min(1).max(64).optional(),
  /** 处室 — the unit the recorder belongs to (R5). */
  unit: z.string().trim().min(1).max(64).optional(),
  /** Equipment manager responsible for it (R21). */
  custodian: z.string().trim().min(1).max(64).optional(),
});
export type RecorderInfo = z.infer<typeof RecorderInfo>;

export const RecorderRecord = RecorderInfo.extend({
  credentialHash: z.string(),
  credentialIssuedAt: z.string(),
  registeredAt: z.string(),
  registeredBy: z.string(),
  /**
   * Rebuilt from an audit entry that predates credential hashes in the log: the recorder cannot
   * connect until an equipment manager issues it a new credential (docs/STATE.md).
   */
  credentialNeedsRotation: z.boolean().optional(),
});
export type RecorderRecord = z.infer<typeof RecorderRecord>;
export type PublicRecorder = Omit<RecorderRecord, 'credentialHash'>;

export interface RegistryOptions {
  db: Db;
  now?: () => number;
  /** Registrations, credential rotations and changes are audited (`recorder-admin`, R21). */
  audit?: AuditSink;
}

export class RecorderRegistry implements Service {
  readonly name = 'recorder-registry';
  readonly #db;
  readonly #now: () => number;
  readonly #audit: AuditSink | undefined;
  /** Loaded at start: the broker checks credentials synchronously on every connect. */
  readonly #cache = new Map<string, RecorderRecord>();
  #loaded = false;

  constructor(opts: RegistryOptions) {
    this.#db = opts.db.sublevel<string, RecorderRecord>('recorders', { valueEncoding: 'json' });
    this.#now = opts.now ?? Date.now;
    this.#audit = opts.audit;
  }

  async start(): Promise<void> {
    await this.#load();
  }

  async stop(): Promise<void> {}

  /** Registers a recorder and returns its credential: shown once, stored only hashed. */
  async register(
    input: z.input<typeof RecorderInfo>,
    by: string,
  ): Promise<{ recorder: PublicRecorder; credential: string }> {
    await this.#load();
    const info = parseInfo(input);
    if (this.#cache.has(info.serial)) {
      throw new GatewayError('CONFLICT', `recorder ${info.serial} is already registered`);
    }
    const credential = newCredential();
    const at = new Date(this.#now()).toISOString();
    const rec: RecorderRecord = {
      ...info,
      credentialHash: hashCredential(credential),
      credentialIssuedAt: at,
      registeredAt: at,
      registeredBy: by,
    };
    // The hash of a 256-bit random token reveals nothing worth guessing: it goes in the log, so a
    // lost index row is rebuilt with the credential the recorder holds (docs/STATE.md).
    await this.#audited(by, rec.serial, 'register', {
      model: info.model,
      unit: info.unit,
      custodian: info.custodian,
      credentialHash: rec.credentialHash,
    });
    this.#cache.set(rec.serial, rec);
    await this.#db.put(rec.serial, rec, SYNCED);
    return { recorder: toPublic(rec), credential };
  }

  /** Issues a new credential; the old one stops working at once. */
  async rotateCredential(serial: string, by = 'gateway'): Promise<string> {
    const { credentialNeedsRotation: _, ...rec } = await this.#need(serial);
    const credential = newCredential();
    const next: RecorderRecord = {
      ...rec,
      credentialHash: hashCredential(credential),
      credentialIssuedAt: new Date(this.#now()).toISOString(),
    };
    await this.#audited(by, serial, 'rotate-credential', {
      previousIssuedAt: rec.credentialIssuedAt,
      issuedAt: next.credentialIssuedAt,
      credentialHash: next.credentialHash,
    });
    this.#cache.set(serial, next);
    await this.#db.put(serial, next, SYNCED);
    return credential;
  }

  async update(
    serial: string,
    patch: Partial<Omit<RecorderInfo, 'serial'>>,
    by = 'gateway',
  ): Promise<PublicRecorder> {
    const rec = await this.#need(serial);
    const info = parseInfo({ ...rec, ...patch, serial });
    await this.#audited(by, serial, 'update', {
      model: info.model,
      unit: info.unit,
      custodian: info.custodian,
    });
    const next: RecorderRecord = { ...rec, ...info };
    this.#cache.set(serial, next);
    await this.#db.put(serial, next, SYNCED);
    return toPublic(next);
  }

  /** Puts a row rebuilt from the audit log, unless the index has one (it is newer). */
  async restore(rec: RecorderRecord): Promise<boolean> {
    await this.#load();
    if (this.#cache.has(rec.serial)) return false;
    const parsed = RecorderRecord.parse(rec);
    this.#cache.set(parsed.serial, parsed);
    await this.#db.put(parsed.serial, parsed, SYNCED);
    return true;
  }

  async get(serial: string): Promise<PublicRecorder | undefined> {
    await this.#load();
    const r = this.#cache.get(serial);
    return r && toPublic(r);
  }

  has(serial: string): boolean {
    return this.#cache.has(serial);
  }

  async list(): Promise<PublicRecorder[]> {
    await this.#load();
    return [...this.#cache.values()].map(toPublic).sort((a, b) => (a.serial < b.serial ? -1 : 1));
  }

  /** For the broker's authenticate hook. */
  readonly verify: CredentialCheck = (serial, credential) => {
    const rec = this.#cache.get(serial);
    if (!rec) return 'unknown';
    return verifyCredential(credential, rec.credentialHash) ? 'ok' : 'bad';
  };

  async #audited(by: string, serial: string, action: string, details: Record<string, unknown>) {
    await this.#audit?.({
      type: 'recorder-admin',
      actor: by,
      subject: `recorder:${serial}`,
      details: { action, ...details },
    });
  }

  async #need(serial: string): Promise<RecorderRecord> {
    await this.#load();
    const rec = this.#cache.get(serial);
    if (!rec) throw new GatewayError('UNKNOWN_RECORDER', `no recorder ${serial}`);
    return rec;
  }

  async #load(): Promise<void> {
    if (this.#loaded) return;
    for await (const [k, v] of this.#db.iterator()) this.#cache.set(k, v);
    this.#loaded = true;
  }
}

function parseInfo(input: unknown): RecorderInfo {
  const r = RecorderInfo.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new GatewayError('BAD_REQUEST', `${i?.path.join('.') || 'recorder'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

function toPublic(r: RecorderRecord): PublicRecorder {
  const { credentialHash: _, ...pub } = r;
  return pub;
}
