/**
 * Login limits over real HTTP: 300 wrong passwords lock the account (the right one is then refused
 * too) until legal affairs unlock it (R24), audited; failures from one address lock that address
 * out while others still sign in; a lock survives a restart; login takes JSON only (a cross-site
 * form posts text/plain or urlencoded bodies).
 */
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../gateway/store/schema.js';
import { apiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

const LOGIN = { lockAfter: 10, backoffAfter: 3, backoffBaseMs: 5, backoffMaxMs: 20, addressLockAfter: 25 };
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ http: { login: LOGIN } });
  await gw.app.users.add({
    username: 'zhang.wei',
    displayName: '张伟',
    roles: ['officer'],
    password: 'right-password',
  });
  await gw.app.users.add({
    username: 'li.na',
    displayName: '李娜',
    roles: ['officer'],
    password: 'right-password',
  });
});
afterAll(() => gw.stop());

/** POST /api/login from a chosen local address (127.0.0.0/8 is all loopback on Linux). */
function login(
  body: string,
  opts: { from?: string; type?: string } = {},
): Promise<{ status: number; code?: string; cookie?: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: gw.app.httpPort,
        path: '/api/login',
        method: 'POST',
        localAddress: opts.from ?? '127.0.0.1',
        headers: { 'content-type': opts.type ?? 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = JSON.parse(text).error?.code;
          } catch {}
          const cookie = res.headers['set-cookie']?.join('; ');
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            code,
            ...(cookie ? { cookie } : {}),
            ...(retryAfter ? { retryAfter } : {}),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const creds = (username: string, password: string) => JSON.stringify({ username, password });

async function auditOf(subject: string): Promise<AuditEntry[]> {
  return gw.app.store.audit.bySubject(subject, { limit: 1000 });
}

describe('login backoff and lockout', () => {
  it('300 wrong passwords lock the account; the right one is then refused; every failure and the lock are audited', async () => {
    const statuses = new Map<number, number>();
    const retryAfter = new Set<string | undefined>();
    for (let i = 0; i < 300; i++) {
      const r = await login(creds('zhang.wei', `wrong-${i}`));
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 429) retryAfter.add(r.retryAfter);
    }
    // A backoff answer says when to come back (whole seconds, at least 1).
    for (const v of retryAfter) expect(Number(v)).toBeGreaterThanOrEqual(1);
    const right = await login(creds('zhang.wei', 'right-password'));
    expect(right.status).toBe(423);
    expect(right.code).toBe('ACCOUNT_LOCKED');
    expect(right.cookie).toBeUndefined();
    // Exactly lockAfter passwords were checked (401); the rest waited out a backoff (429) or hit the lock (423).
    expect(statuses.get(401)).toBe(LOGIN.lockAfter);
    expect((statuses.get(429) ?? 0) + (statuses.get(423) ?? 0)).toBe(300 - LOGIN.lockAfter);

    const entries = await auditOf('user:zhang.wei');
    const failed = entries.filter((e) => e.type === 'login-failed');
    const checked = failed.filter((e) => e.details.reason === 'bad-credentials');
    expect(checked).toHaveLength(LOGIN.lockAfter);
    expect(checked[0]?.details).toMatchObject({ address: '127.0.0.1' });
    // Refused attempts are failed logins too, summarised: an entry when the reason changes, else at
    // most one a minute, each with the count since the last.
    const locked = failed.filter((e) => e.details.reason === 'account-locked');
    expect(locked.length).toBeGreaterThanOrEqual(1);
    expect(locked[0]?.details).toMatchObject({ refused: 1, address: '127.0.0.1' });
    expect(entries.filter((e) => e.type === 'login-locked')).toHaveLength(1);
  });

  it('only legal affairs unlock it; the unlock is audited and the right password works again', async () => {
    const principal = await gw.as('principal');
    expect((await principal.post('/api/login-locks/unlock', { username: 'zhang.wei' })).status).toBe(403);
    const legal = await gw.as('legal-affairs');
    const locks = await legal.get('/api/login-locks');
    expect(locks.body.accounts.map((a: { username: string }) => a.username)).toContain('zhang.wei');
    const r = await legal.post('/api/login-locks/unlock', { username: 'zhang.wei' });
    expect(r.status).toBe(200);
    expect(r.body.account).toBe(true);
    const ok = await login(creds('zhang.wei', 'right-password'));
    expect(ok.status).toBe(200);
    expect(ok.cookie).toMatch(/gw_session=/);
    const unlock = (await auditOf('user:zhang.wei')).filter(
      (e) => e.type === 'user-admin' && e.details.action === 'login-unlock',
    );
    expect(unlock).toHaveLength(1);
    expect(unlock[0]).toMatchObject({ actor: legal.username, details: { action: 'login-unlock' } });
  });

  it('locks out an address guessing across accounts; other addresses still sign in', async () => {
    let last = { status: 0 } as { status: number; code?: string };
    for (let i = 0; i < 200 && last.status !== 429; i++) {
      // Many names, so no single account reaches its own lock.
      last = await login(creds(`guess${i % 40}`, 'wrong-password'), { from: '127.0.0.2' });
      if (last.status === 429) {
        // A backoff wait, not yet the lockout: wait it out and go on.
        await new Promise((r) => setTimeout(r, LOGIN.backoffMaxMs));
        const locks = await gw.app.loginGuard.locks();
        if (locks.addresses.some((a) => a.address === '127.0.0.2')) break;
        last = { status: 0 };
      }
    }
    expect(gw.app.loginGuard.locks().addresses.map((a) => a.address)).toContain('127.0.0.2');
    const refused = await login(creds('li.na', 'right-password'), { from: '127.0.0.2' });
    expect(refused.status).toBe(429);
    expect((await login(creds('li.na', 'right-password'), { from: '127.0.0.1' })).status).toBe(200);
    const locked = await auditOf('address:127.0.0.2');
    expect(locked.filter((e) => e.type === 'login-locked')).toHaveLength(1);
    // Refusals since the entry before (backoff ones included) are counted into this one.
    expect(locked.at(-1)?.details).toMatchObject({ reason: 'address-locked' });
    expect(locked.at(-1)?.details.refused).toBeGreaterThanOrEqual(1);
    const legal = await gw.as('legal-affairs');
    expect((await legal.post('/api/login-locks/unlock', { address: '127.0.0.2' })).status).toBe(200);
    expect((await login(creds('li.na', 'right-password'), { from: '127.0.0.2' })).status).toBe(200);
  });

  it('keeps an account lock across a restart', async () => {
    const dataDir = gw.dataDir;
    for (let i = 0; i < 100 && (await login(creds('li.na', 'wrong'))).status !== 423; i++) {
      await new Promise((r) => setTimeout(r, LOGIN.backoffMaxMs));
    }
    await gw.app.stop();
    const again = await startGateway({ dataDir, http: { login: LOGIN } });
    try {
      const r = await fetch(`${again.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: creds('li.na', 'right-password'),
      });
      expect(r.status).toBe(423);
    } finally {
      await again.stop();
      await rm(dataDir, { recursive: true, force: true });
      gw = await startGateway({ http: { login: LOGIN } });
    }
  });
});

describe('login takes JSON only', () => {
  it('refuses text/plain and form bodies with 415, even with the right password', async () => {
    await gw.app.users.add({
      username: 'wang.fang',
      displayName: '王芳',
      roles: ['officer'],
      password: 'right-password',
    });
    const body = creds('wang.fang', 'right-password');
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await login(body, { type });
      expect(r.status, type).toBe(415);
      expect(r.cookie).toBeUndefined();
    }
    expect((await login(body, { type: 'application/json; charset=utf-8' })).status).toBe(200);
    await expect(apiClient(gw.url, 'wang.fang', 'right-password')).resolves.toBeDefined();
  });
});
