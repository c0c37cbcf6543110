/**
 * LoginGuard's arithmetic on a fake clock (a real LevelDB for its persisted locks; the audit log is
 * a list): the backoff doubles from `backoffAfter` up to its cap, a success clears an account's
 * count, an address's count restarts after its window and its lock expires.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { LoginGuard } from '../../gateway/api/login-guard.js';
import { LoginConfig } from '../../gateway/config.js';
import { type Db, openDb } from '../../gateway/db.js';
import { silentLogger } from '../../gateway/log.js';
import type { AuditInput } from '../../gateway/store/schema.js';

let dir: string;
let db: Db;
let now: number;
let audit: AuditInput[];

function guard(config: z.input<typeof LoginConfig> = {}): LoginGuard {
  return new LoginGuard({
    config: LoginConfig.parse(config),
    db,
    audit: () => ({ append: async (e: AuditInput) => void audit.push(e) }),
    log: silentLogger,
    now: () => now,
  });
}

const refusal = async (g: LoginGuard, user: string, addr = '10.0.0.1') => {
  try {
    await g.check(user, addr);
    return null;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'login-guard-'));
  db = await openDb(join(dir, 'db'));
  now = 1_000_000;
  audit = [];
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('LoginGuard', () => {
  it('backs off 1 s, 2 s, 4 s … from the third failure, capped', async () => {
    const g = guard({
      backoffAfter: 3,
      backoffBaseMs: 1000,
      backoffMaxMs: 4000,
      lockAfter: 100,
      addressLockAfter: 100,
    });
    for (let i = 0; i < 2; i++) {
      expect(await refusal(g, 'a.b')).toBeNull();
      await g.failed('a.b', '10.0.0.1', true);
    }
    expect(await refusal(g, 'a.b')).toBeNull(); // two failures: no wait yet
    await g.failed('a.b', '10.0.0.1', true);
    for (const wait of [1000, 2000, 4000, 4000]) {
      expect(await refusal(g, 'a.b')).toBe('TOO_MANY_ATTEMPTS');
      now += wait - 1;
      expect(await refusal(g, 'a.b')).toBe('TOO_MANY_ATTEMPTS');
      now += 1;
      expect(await refusal(g, 'a.b', '10.0.0.2')).toBeNull();
      await g.failed('a.b', '10.0.0.2', true);
    }
    g.succeeded('a.b');
    expect(await refusal(g, 'a.b', '10.0.0.3')).toBeNull();
    const failed = audit.filter((e) => e.type === 'login-failed');
    expect(failed.filter((e) => e.details?.reason === 'bad-credentials')).toHaveLength(7);
    // The refusals in between: audited at most once a minute per account, with a count.
    const refused = failed.filter((e) => e.details?.reason === 'backoff');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThan(8);
    expect(refused[0]?.details).toMatchObject({ refused: 1, address: '10.0.0.1' });
  });

  it('locks an account at lockAfter, persisted for known accounts only', async () => {
    const g = guard({ lockAfter: 3, backoffAfter: 10 });
    for (const user of ['known.one', 'ghost']) {
      for (let i = 0; i < 3; i++) await g.failed(user, '10.0.0.1', user === 'known.one');
      expect(await refusal(g, user, '10.0.0.9')).toBe('ACCOUNT_LOCKED');
    }
    const fresh = guard();
    await fresh.start();
    expect(await refusal(fresh, 'known.one')).toBe('ACCOUNT_LOCKED');
    expect(await refusal(fresh, 'ghost')).toBeNull();
    expect(audit.filter((e) => e.type === 'login-locked').map((e) => e.subject)).toEqual([
      'user:known.one',
      'user:ghost',
    ]);
    expect(await fresh.unlockAccount('known.one', 'legal.zhao')).toBe(true);
    expect(await refusal(fresh, 'known.one')).toBeNull();
    expect(await fresh.unlockAccount('known.one', 'legal.zhao')).toBe(false);
  });

  it('locks an address for addressLockS; its count restarts after the window', async () => {
    const g = guard({ addressLockAfter: 3, addressWindowS: 60, addressLockS: 600, backoffAfter: 10 });
    await g.failed('u1', '10.0.0.5', false);
    await g.failed('u2', '10.0.0.5', false);
    now += 61_000; // the window passed: these two no longer count
    await g.failed('u3', '10.0.0.5', false);
    await g.failed('u4', '10.0.0.5', false);
    expect(await refusal(g, 'u5', '10.0.0.5')).toBeNull();
    await g.failed('u5', '10.0.0.5', false);
    expect(await refusal(g, 'anyone', '10.0.0.5')).toBe('TOO_MANY_ATTEMPTS');
    expect(await refusal(g, 'anyone', '10.0.0.6')).toBeNull();
    now += 600_000;
    expect(await refusal(g, 'anyone', '10.0.0.5')).toBeNull();
    expect(audit.filter((e) => e.subject === 'address:10.0.0.5').map((e) => e.type)).toEqual([
      'login-locked',
      'login-failed',
    ]);
    expect(audit.at(-1)?.details).toMatchObject({ reason: 'address-locked', refused: 1 });
  });

  it('records a malformed login name as such, never the raw text', async () => {
    const g = guard();
    await g.failed('<script>alert(1)</script>', '10.0.0.1', false);
    expect(audit[0]?.subject).toBe('user:(malformed)');
    expect(JSON.stringify(audit)).not.toContain('<script>');
  });
});
