import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

describe('API authentication and roles', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.stop());

  it('refuses unauthenticated calls', async () => {
    const r = await fetch(`${gw.url}/api/me`);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a wrong password and a malformed login body', async () => {
    await gw.as('auditor');
    const bad = await fetch(`${gw.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: 'wrong-password' }),
    });
    expect(bad.status).toBe(401);
    const malformed = await fetch(`${gw.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
  });

  it('signs in and returns the user with roles, never the hash', async () => {
    const c = await gw.as(['officer']);
    const me = await c.get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual(['officer']);
    expect(me.body.passwordHash).toBeUndefined();
  });

  it('rejects short passwords and duplicate users', async () => {
    await expect(
      gw.app.users.add({ username: 'shorty', displayName: 'x', roles: ['officer'], password: 'short' }),
    ).rejects.toThrow(/at least 8/);
    await gw.app.users.add({
      username: 'dupe',
      displayName: 'x',
      roles: ['officer'],
      password: 'long-enough',
    });
    await expect(
      gw.app.users.add({ username: 'dupe', displayName: 'x', roles: ['officer'], password: 'long-enough' }),
    ).rejects.toThrow(/exists/);
  });

  it('every route declares roles', () => {
    for (const r of gw.app.api.routes) expect(r.roles === 'any' || r.roles.length > 0).toBe(true);
  });
});
