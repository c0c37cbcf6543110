/**
 * Password guessing limits for `/api/login`: exponential backoff per account and per address, an
 * account lock after `lockAfter` consecutive failures that only an audited unlock lifts (R24: legal
 * affairs administer access rights), a temporary lock per address. Every checked wrong password is
 * a `login-failed` audit entry and every lock a `login-locked` one (R25); attempts refused during a
 * backoff or a lock never reach the password check and are `login-failed` entries in summary (see
 * `check`), so a flood cannot flood the audit log.
 *
 * Unknown usernames are limited exactly like known ones (the answers do not reveal which exist);
 * only known accounts' locks are persisted, so a lock survives a restart and the offline CLI can
 * lift it.
 */
import { z } from 'zod';
import type { LoginConfig } from '../config.js';
import { type Db, SYNCED } from '../db.js';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import type { AuditInput } from '../store/schema.js';
import { Username } from '../users.js';

/** Failure states kept in memory per account and per address (oldest forgotten first). */
const MAX_TRACKED = 10_000;
/** Refusals without a password check are audited at most this often per account or address. */
const REFUSAL_AUDIT_MS = 60_000;

const LockRecord = z.object({ lockedAt: z.number(), failures: z.number().int() });
type LockRecord = z.infer<typeof LockRecord>;

interface Failures {
  /** Consecutive failures (account) or failures within the window (address). */
  n: number;
  first: number;
  last: number;
  /** Attempts refused without a password check since the last audit entry. */
  refused: number;
  /** When a refusal was last audited, and why it was refused. */
  refusedAuditAt?: number;
  refusedReason?: string;
  lockedUntil?: number;
}

export interface LoginLocks {
  accounts: { username: string; lockedAt: string; failures: number }[];
  addresses: { address: string; until: string; failures: number }[];
}

export interface LoginGuardOptions {
  config: z.infer<typeof LoginConfig>;
  db: Db;
  audit: () => { append(e: AuditInput): Promise<unknown> };
  log: Logger;
  now?: () => number;
}

export class LoginGuard implements Service {
  readonly name = 'login-guard';
  readonly #o: LoginGuardOptions;
  readonly #now: () => number;
  readonly #locks;
  readonly #accounts = new Map<string, Failures>();
  readonly #addresses = new Map<string, Failures>();
  /** Persisted account locks, loaded at start. */
  readonly #locked = new Map<string, LockRecord>();

  constructor(o: LoginGuardOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#locks = o.db.sublevel<string, LockRecord>('login-locks', { valueEncoding: 'json' });
  }

  async start(): Promise<void> {
    this.#locked.clear();
    for await (const [k, v] of this.#locks.iterator()) {
      const r = LockRecord.safeParse(v);
      if (r.success) this.#locked.set(k, r.data);
    }
  }

  async stop(): Promise<void> {}

  /**
   * Throws ACCOUNT_LOCKED or TOO_MANY_ATTEMPTS when this attempt may not even be checked. Such
   * refusals are failed logins too: audited as `login-failed` with their reason, one entry per
   * account or address when the reason changes and at most one per REFUSAL_AUDIT_MS otherwise,
   * carrying how many were refused since the last.
   */
  async check(username: string, address: string): Promise<void> {
    const t = this.#now();
    const key = accountKey(username);
    const addr = this.#addresses.get(address);
    if (addr?.lockedUntil !== undefined) {
      if (addr.lockedUntil > t) {
        const retryAfterS = Math.ceil((addr.lockedUntil - t) / 1000);
        return this.#refuse(addr, `address:${address}`, address, 'address-locked', t, () => {
          throw new GatewayError('TOO_MANY_ATTEMPTS', 'too many failed logins from this address', {
            retryAfterS,
          });
        });
      }
      this.#addresses.delete(address);
    }
    const acct = this.#accounts.get(key);
    if (this.#locked.has(key) || acct?.lockedUntil !== undefined) {
      return this.#refuse(
        acct ?? track(this.#accounts, key, t),
        `user:${key}`,
        address,
        'account-locked',
        t,
        () => {
          throw new GatewayError(
            'ACCOUNT_LOCKED',
            'account locked after failed logins; ask legal affairs to unlock it',
          );
        },
      );
    }
    const candidates: [Failures | undefined, string][] = [
      [acct, `user:${key}`],
      [this.#addresses.get(address), `address:${address}`],
    ];
    for (const [f, subject] of candidates) {
      const wait = f ? this.#backoffUntil(f) - t : 0;
      if (f && wait > 0) {
        return this.#refuse(f, subject, address, 'backoff', t, () => {
          throw new GatewayError('TOO_MANY_ATTEMPTS', 'too many failed logins; wait before trying again', {
            retryAfterS: Math.ceil(wait / 1000),
          });
        });
      }
    }
  }

  async #refuse(
    f: Failures,
    subject: string,
    address: string,
    reason: string,
    t: number,
    fail: () => never,
  ): Promise<never> {
    f.refused++;
    if (reason !== f.refusedReason || t - (f.refusedAuditAt ?? 0) >= REFUSAL_AUDIT_MS) {
      f.refusedAuditAt = t;
      f.refusedReason = reason;
      const refused = f.refused;
      f.refused = 0;
      await this.#audit({
        type: 'login-failed',
        actor: `address:${address}`,
        subject,
        details: { address, reason, refused },
      });
    }
    return fail();
  }

  /** A wrong password (or unknown user): counted, audited, and locks once over the limit. */
  async failed(username: string, address: string, known: boolean): Promise<void> {
    const t = this.#now();
    const cfg = this.#o.config;
    const key = accountKey(username);
    const acct = bump(this.#accounts, key, t, Number.POSITIVE_INFINITY);
    const addr = bump(this.#addresses, address, t, cfg.addressWindowS * 1000);
    await this.#audit({
      type: 'login-failed',
      actor: `address:${address}`,
      subject: `user:${key}`,
      details: {
        address,
        reason: 'bad-credentials',
        failures: acct.n,
        addressFailures: addr.n,
        refusedBefore: acct.refused,
      },
    });
    acct.refused = 0;
    if (acct.n >= cfg.lockAfter && acct.lockedUntil === undefined) {
      acct.lockedUntil = Number.POSITIVE_INFINITY;
      if (known) {
        const rec = { lockedAt: t, failures: acct.n };
        await this.#locks.put(key, rec, SYNCED);
        this.#locked.set(key, rec);
      }
      this.#o.log.warn({ username: key, address }, 'account locked after failed logins');
      await this.#audit({
        type: 'login-locked',
        actor: 'gateway',
        subject: `user:${key}`,
        details: { address, failures: acct.n },
      });
    }
    if (addr.n >= cfg.addressLockAfter && addr.lockedUntil === undefined) {
      addr.lockedUntil = t + cfg.addressLockS * 1000;
      this.#o.log.warn({ address }, 'address locked out after failed logins');
      await this.#audit({
        type: 'login-locked',
        actor: 'gateway',
        subject: `address:${address}`,
        details: { failures: addr.n, until: new Date(addr.lockedUntil).toISOString() },
      });
    }
  }

  /** A right password: the account's count starts again (the address keeps its window). */
  succeeded(username: string): void {
    this.#accounts.delete(accountKey(username));
  }

  locks(): LoginLocks {
    const t = this.#now();
    const accounts = new Map<string, { username: string; lockedAt: string; failures: number }>();
    for (const [username, r] of this.#locked) {
      accounts.set(username, {
        username,
        lockedAt: new Date(r.lockedAt).toISOString(),
        failures: r.failures,
      });
    }
    for (const [username, f] of this.#accounts) {
      if (f.lockedUntil !== undefined && !accounts.has(username)) {
        accounts.set(username, { username, lockedAt: new Date(f.last).toISOString(), failures: f.n });
      }
    }
    const addresses = [...this.#addresses]
      .filter(([, f]) => f.lockedUntil !== undefined && f.lockedUntil > t)
      .map(([address, f]) => ({
        address,
        until: new Date(f.lockedUntil as number).toISOString(),
        failures: f.n,
      }));
    return { accounts: [...accounts.values()], addresses };
  }

  /** Lifts an account's lock (and its backoff); audited. False when it was not locked. */
  async unlockAccount(username: string, actor: string): Promise<boolean> {
    const key = accountKey(username);
    const f = this.#accounts.get(key);
    const was = this.#locked.get(key) ?? (f?.lockedUntil !== undefined ? { failures: f.n } : undefined);
    this.#accounts.delete(key);
    if (!was) return false;
    this.#locked.delete(key);
    await this.#locks.del(key, SYNCED);
    await this.#audit({
      type: 'user-admin',
      actor,
      subject: `user:${key}`,
      details: { action: 'login-unlock', failures: was.failures, refusedSinceLastEntry: f?.refused ?? 0 },
    });
    return true;
  }

  /** Lifts an address's lockout and backoff; audited. False when it had none. */
  async unlockAddress(address: string, actor: string): Promise<boolean> {
    const f = this.#addresses.get(address);
    if (!f) return false;
    this.#addresses.delete(address);
    await this.#audit({
      type: 'user-admin',
      actor,
      subject: `address:${address}`,
      details: { action: 'login-unlock', failures: f.n, refusedSinceLastEntry: f.refused },
    });
    return true;
  }

  #backoffUntil(f: Failures): number {
    const { backoffAfter, backoffBaseMs, backoffMaxMs } = this.#o.config;
    if (f.n < backoffAfter) return 0;
    return f.last + Math.min(backoffMaxMs, backoffBaseMs * 2 ** (f.n - backoffAfter));
  }

  async #audit(e: AuditInput): Promise<void> {
    try {
      await this.#o.audit().append(e);
    } catch (err) {
      this.#o.log.error({ err, type: e.type }, 'login audit entry not written');
    }
  }
}

/** Login names are outside text: only well-formed ones are recorded as such (bounded, no markup). */
function accountKey(username: string): string {
  return Username.safeParse(username).success ? username : '(malformed)';
}

/** The state under `key`, made when absent; the map's order is least recently touched first. */
function track(map: Map<string, Failures>, key: string, t: number, fresh = false): Failures {
  const old = map.get(key);
  const f = old && !fresh ? old : { n: 0, first: t, last: t, refused: old?.refused ?? 0 };
  map.delete(key);
  map.set(key, f);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value as string);
  return f;
}

/** Counts one failure under `key`; a window restarts the count when the first failure is older. */
function bump(map: Map<string, Failures>, key: string, t: number, windowMs: number): Failures {
  const old = map.get(key);
  const f = track(map, key, t, !!old && old.lockedUntil === undefined && t - old.first > windowMs);
  f.n++;
  f.last = t;
  return f;
}
