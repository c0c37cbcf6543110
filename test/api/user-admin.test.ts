/**
 * Accounts over the API (R24): legal affairs add, disable, re-enable, reset and re-role accounts;
 * everyone changes their own password. Each change is a `user-admin` entry naming who made it,
 * with no password in it; a disabled account cannot sign in and its sessions end at once; the
 * last account that administers accounts cannot be disabled or lose the role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw?.stop());

const login = (username: string, password: string) =>
  fetch(`${gw.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  }).then((r) => r.status);

describe('account administration', () => {
  it('legal affairs add, disable, reset and re-role; each audited without the password', async () => {
    const legal = await gw.as('legal-affairs');
    const added = await legal.post('/api/users', {
      username: 'zhang.wei',
      displayName: '张伟',
      roles: ['officer'],
      password: 'first-password',
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(JSON.stringify(added.body)).not.toMatch(/password|scrypt/);
    const zhang = await apiClient(gw.url, 'zhang.wei', 'first-password');

    expect((await legal.post('/api/users/zhang.wei/disabled', { disabled: true })).status).toBe(200);
    expect((await zhang.get('/api/me')).status).toBe(401);
    expect(await login('zhang.wei', 'first-password')).toBe(403);
    expect(await login('zhang.wei', 'wrong-password')).toBe(401);
    expect((await legal.post('/api/users/zhang.wei/disabled', { disabled: false })).status).toBe(200);

    const again = await apiClient(gw.url, 'zhang.wei', 'first-password');
    expect((await legal.post('/api/users/zhang.wei/password', { password: 'reset-password' })).status).toBe(
      200,
    );
    expect((await again.get('/api/me')).status).toBe(401);
    expect(await login('zhang.wei', 'first-password')).toBe(401);

    const roles = await legal.post('/api/users/zhang.wei/roles', { roles: ['officer', 'hearing-staff'] });
    expect(roles.body).toMatchObject({ roles: ['officer', 'hearing-staff'] });
    const list = await legal.get('/api/users');
    expect(list.body.find((u: { username: string }) => u.username === 'zhang.wei')).toMatchObject({
      displayName: '张伟',
      roles: ['officer', 'hearing-staff'],
    });

    const entries = (await gw.app.store.audit.bySubject('user:zhang.wei', { limit: 100 })).filter(
      (e) => e.type === 'user-admin', // (the refused logins are login-failed entries)
    );
    expect(entries.map((e) => [e.type, e.actor, e.details.action])).toEqual([
      ['user-admin', legal.username, 'add'],
      ['user-admin', legal.username, 'disable'],
      ['user-admin', legal.username, 'enable'],
      ['user-admin', legal.username, 'password-reset'],
      ['user-admin', legal.username, 'roles'],
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/first-password|reset-password|scrypt/);
  });

  it('everyone changes their own password with the current one; other sessions end', async () => {
    const officer = await gw.as('officer');
    const password = `pw-${officer.username}-secret`;
    const other = await apiClient(gw.url, officer.username, password);
    const wrong = await officer.post('/api/me/password', { current: 'not-it', password: 'my-new-password' });
    expect(wrong.status).toBe(401);
    const ok = await officer.post('/api/me/password', { current: password, password: 'my-new-password' });
    expect(ok.status).toBe(200);
    expect((await officer.get('/api/me')).status).toBe(200);
    expect((await other.get('/api/me')).status).toBe(401);
    expect(await login(officer.username, 'my-new-password')).toBe(200);
    const entries = await gw.app.store.audit.bySubject(`user:${officer.username}`, { limit: 100 });
    expect(entries.at(-1)).toMatchObject({ actor: officer.username, details: { action: 'password-change' } });
    // Not an administrator: the route refuses before the handler.
    expect((await officer.post('/api/users/zhang.wei/disabled', { disabled: true })).status).toBe(403);
  });

  it('keeps one account that administers accounts', async () => {
    // Only the legal-affairs accounts made so far: disable all but one, then the last is refused.
    const list = (await (await gw.as('legal-affairs')).get('/api/users')).body as {
      username: string;
      roles: string[];
      disabled?: boolean;
    }[];
    const admins = list.filter((u) => u.roles.includes('legal-affairs') && !u.disabled);
    const last = await gw.as('legal-affairs');
    for (const a of admins) {
      expect((await last.post(`/api/users/${a.username}/disabled`, { disabled: true })).status).toBe(200);
    }
    expect((await last.post(`/api/users/${last.username}/disabled`, { disabled: true })).body).toMatchObject({
      error: { code: 'CONFLICT' },
    });
    expect((await last.post(`/api/users/${last.username}/roles`, { roles: ['officer'] })).status).toBe(409);
  });
});
