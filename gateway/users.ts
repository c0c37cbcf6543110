/** Dashboard/API users: scrypt-hashed passwords, opaque session tokens stored hashed. No default accounts. */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { type Db, SYNCED } from './db.js';
import { GatewayError } from './errors.js';
import type { AuditSink } from './integrity/admin-audit.js';
import { Role } from './roles.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

export const Username = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, 'username: 2-32 of [a-z0-9._-]');

export const UserRecord = z.object({
  username: Username,
  displayName: z.string().min(1).max(64),
  roles: z.array(Role).min(1),
  /** scrypt$<salt hex>$<hash hex> */
  passwordHash: z.string(),
  createdAt: z.string(),
  /** A disabled account cannot sign in and its sessions end; it is kept (the log names it). */
  disabled: z.boolean().optional(),
  /**
   * Rebuilt from the audit log after its row was lost: the log never holds a password hash, so
   * the account has none and cannot sign in until an administrator resets it (docs/STATE.md).
   */
  passwordLost: z.boolean().optional(),
});
export type UserRecord = z.infer<typeof UserRecord>;
export type PublicUser = Omit<UserRecord, 'passwordHash'>;

const SessionRecord = z.object({
  username: Username,
  expiresAt: z.number(),
  /** Last request made with the session (idle timeout); written at most once a minute. */
  lastSeen: z.number().optional(),
});
/** How stale a session's lastSeen may get before a request writes it again (at most a quarter of the idle timeout). */
const LAST_SEEN_RESOLUTION_MS = 60_000;

export const MIN_PASSWORD = 8;

/** Longest password accepted (the login body's bound). */
export const MAX_PASSWORD = 256;

function checkLength(password: string): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new GatewayError(
      'BAD_REQUEST',
      `password must be at least ${MIN_PASSWORD} characters (at most ${MAX_PASSWORD})`,
    );
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [kind, saltHex, hashHex] = stored.split('$');
  if (kind !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = await scrypt(password, Buffer.from(saltHex, 'hex'), expected.length);
  return timingSafeEqual(expected, actual);
}

let dummyHash: Promise<string> | undefined;
const unknownUserHash = () => {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
};

const tokenKey = (token: string) => createHash('sha256').update(token).digest('hex');

export class UserStore {
  readonly #users;
  readonly #sessions;

  constructor(
    db: Db,
    private readonly sessionHours = 12,
    private readonly idleMinutes = Number.POSITIVE_INFINITY,
    /** Account changes are audited (`user-admin`, R24). */
    private readonly audit?: AuditSink,
  ) {
    this.#users = db.sublevel<string, UserRecord>('users', { valueEncoding: 'json' });
    this.#sessions = db.sublevel<string, z.infer<typeof SessionRecord>>('sessions', {
      valueEncoding: 'json',
    });
  }

  /** `by`: who adds the account (a user name, `cli`, `demo`), for the audit log. */
  async add(
    input: {
      username: string;
      displayName: string;
      roles: Role[];
      password: string;
    },
    by = 'gateway',
  ): Promise<PublicUser> {
    const username = Username.parse(input.username);
    checkLength(input.password);
    if ((await this.#users.get(username)) !== undefined) {
      throw new GatewayError('CONFLICT', `user ${username} exists`);
    }
    const rec = UserRecord.parse({
      username,
      displayName: input.displayName,
      roles: input.roles,
      passwordHash: await hashPassword(input.password),
      createdAt: new Date().toISOString(),
    });
    await this.audit?.({
      type: 'user-admin',
      actor: by,
      subject: `user:${username}`,
      details: { action: 'add', displayName: rec.displayName, roles: rec.roles },
    });
    await this.#users.put(username, rec, SYNCED);
    const { passwordHash: _, ...pub } = rec;
    return pub;
  }

  /** Puts a row rebuilt from the audit log, unless the index has one (it is newer). */
  async restore(rec: UserRecord): Promise<boolean> {
    if ((await this.#users.get(rec.username)) !== undefined) return false;
    await this.#users.put(rec.username, UserRecord.parse(rec), SYNCED);
    return true;
  }

  async get(username: string): Promise<PublicUser | undefined> {
    const rec = await this.#users.get(username);
    if (!rec) return undefined;
    const { passwordHash: _, ...pub } = rec;
    return pub;
  }

  async list(): Promise<PublicUser[]> {
    const out: PublicUser[] = [];
    for await (const rec of this.#users.values()) {
      const { passwordHash: _, ...pub } = rec;
      out.push(pub);
    }
    return out;
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.#users.keys()) n++;
    return n;
  }

  /** Returns a new session token, or throws BAD_CREDENTIALS (same message for unknown user and wrong password). */
  async login(
    username: string,
    password: string,
  ): Promise<{ token: string; user: PublicUser; expiresAt: number }> {
    const rec = Username.safeParse(username).success ? await this.#users.get(username) : undefined;
    // An unknown name costs the same scrypt as a known one: the time taken does not tell them apart.
    const ok = await checkPassword(password, rec?.passwordHash ?? (await unknownUserHash()));
    if (!rec || !ok) {
      throw new GatewayError('BAD_CREDENTIALS', 'wrong username or password');
    }
    // Said only to someone who knows the password.
    if (rec.disabled) throw new GatewayError('FORBIDDEN', 'this account is disabled');
    const token = randomBytes(32).toString('base64url');
    const expiresAt = Date.now() + this.sessionHours * 3600_000;
    await this.#sessions.put(
      tokenKey(token),
      { username: rec.username, expiresAt, lastSeen: Date.now() },
      SYNCED,
    );
    const { passwordHash: _, ...user } = rec;
    return { token, user, expiresAt };
  }

  async session(token: string): Promise<PublicUser | undefined> {
    const key = tokenKey(token);
    const s = await this.#sessions.get(key);
    if (!s) return undefined;
    const now = Date.now();
    if (this.#ended(s, now)) {
      await this.#sessions.del(key);
      return undefined;
    }
    const resolution = Math.min(LAST_SEEN_RESOLUTION_MS, (this.idleMinutes * 60_000) / 4);
    const user = await this.get(s.username);
    if (!user || user.disabled) {
      await this.#sessions.del(key);
      return undefined;
    }
    if (now - (s.lastSeen ?? 0) > resolution) await this.#sessions.put(key, { ...s, lastSeen: now });
    return user;
  }

  // ---- account administration (routes in routes/users.ts; who may: USER_ADMINS, R24) ----------

  /** Disables or re-enables an account; disabling ends its sessions. */
  async setDisabled(username: string, disabled: boolean, by: string): Promise<PublicUser> {
    return this.#change(username, by, { action: disabled ? 'disable' : 'enable' }, (rec) => ({
      ...rec,
      disabled,
    }));
  }

  async setRoles(username: string, roles: Role[], by: string): Promise<PublicUser> {
    const next = z
      .array(Role)
      .min(1)
      .parse([...new Set(roles)]);
    return this.#change(username, by, { action: 'roles', roles: next }, (rec) => ({ ...rec, roles: next }));
  }

  /** A new password set by an administrator; the account's sessions end. */
  async resetPassword(username: string, password: string, by: string): Promise<PublicUser> {
    checkLength(password);
    const hash = await hashPassword(password);
    return this.#change(username, by, { action: 'password-reset' }, ({ passwordLost: _, ...rec }) => ({
      ...rec,
      passwordHash: hash,
    }));
  }

  /** The user's own change: the current password first; other sessions end, `keepToken`'s stays. */
  async changeOwnPassword(
    username: string,
    current: string,
    next: string,
    keepToken?: string,
  ): Promise<PublicUser> {
    checkLength(next);
    const rec = await this.#users.get(username);
    if (!rec || !(await checkPassword(current, rec.passwordHash))) {
      throw new GatewayError('BAD_CREDENTIALS', 'the current password is wrong');
    }
    const hash = await hashPassword(next);
    return this.#change(
      username,
      username,
      { action: 'password-change' },
      (r) => ({ ...r, passwordHash: hash }),
      keepToken,
    );
  }

  /**
   * One audited change. The entry is written before the row (as `add`): a change that is in the
   * index is always in the log. Password hashes never go into the entry.
   */
  async #change(
    username: string,
    by: string,
    details: Record<string, unknown>,
    apply: (rec: UserRecord) => UserRecord,
    keepToken?: string,
  ): Promise<PublicUser> {
    const rec = Username.safeParse(username).success ? await this.#users.get(username) : undefined;
    if (!rec) throw new GatewayError('NOT_FOUND', `no user ${username}`);
    const next = UserRecord.parse(apply(rec));
    await this.audit?.({ type: 'user-admin', actor: by, subject: `user:${username}`, details });
    await this.#users.put(username, next, SYNCED);
    if (next.disabled || next.passwordHash !== rec.passwordHash) await this.#endSessions(username, keepToken);
    const { passwordHash: _, ...pub } = next;
    return pub;
  }

  async #endSessions(username: string, keepToken?: string): Promise<void> {
    const keep = keepToken ? tokenKey(keepToken) : undefined;
    const ended: string[] = [];
    for await (const [k, s] of this.#sessions.iterator())
      if (s.username === username && k !== keep) ended.push(k);
    if (ended.length)
      await this.#sessions.batch(
        ended.map((key) => ({ type: 'del' as const, key })),
        SYNCED,
      );
  }

  /** Deletes expired and idle sessions; returns how many. */
  async pruneSessions(now = Date.now()): Promise<number> {
    const ended: string[] = [];
    for await (const [k, s] of this.#sessions.iterator()) if (this.#ended(s, now)) ended.push(k);
    if (ended.length) await this.#sessions.batch(ended.map((key) => ({ type: 'del' as const, key })));
    return ended.length;
  }

  async sessionCount(): Promise<number> {
    let n = 0;
    for await (const _ of this.#sessions.keys()) n++;
    return n;
  }

  #ended(s: z.infer<typeof SessionRecord>, now: number): boolean {
    return s.expiresAt < now || now - (s.lastSeen ?? s.expiresAt) > this.idleMinutes * 60_000;
  }

  async logout(token: string): Promise<void> {
    await this.#sessions.del(tokenKey(token), SYNCED);
  }
}
