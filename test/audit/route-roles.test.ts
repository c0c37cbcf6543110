/**
 * R24: every pairing, clip and audit route refuses the roles it does not name (403 FORBIDDEN,
 * before any input is read) and lets the named ones through. Real gateway, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROLES, type Role } from '../../gateway/roles.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
const clients = new Map<Role, ApiClient>();

beforeAll(async () => {
  gw = await startGateway();
  for (const r of ALL_ROLES) clients.set(r, await gw.as(r));
});

afterAll(async () => {
  await gw?.stop();
});

const SUPERVISORS: Role[] = ['legal-affairs', 'principal', 'auditor'];

/** method, path (`{me}` = the caller's user name), roles let through. */
const TABLE: [string, string, Role[]][] = [
  ['GET', '/api/pairings/docked', ['officer', 'equipment-manager']],
  ['POST', '/api/pairings', ['officer']],
  ['POST', '/api/pairings/NOPE/check-in', ['officer', 'equipment-manager']],
  ['GET', '/api/pairings', ['equipment-manager', ...SUPERVISORS, 'officer']],
  ['GET', '/api/pairings/at?serial=NOPE&at=1', ['equipment-manager', ...SUPERVISORS]],
  ['GET', '/api/pairings/recorders/NOPE', ['equipment-manager', ...SUPERVISORS]],
  ['GET', '/api/pairings/officers/{me}', ['equipment-manager', ...SUPERVISORS, 'officer']],
  // Hearing staff may search only a hearing session they started.
  ['GET', '/api/clips', [...SUPERVISORS, 'officer']],
  ['GET', '/api/clips/summary', [...SUPERVISORS, 'officer']],
  ['GET', '/api/clips/NOPE', [...SUPERVISORS, 'officer', 'hearing-staff']],
  ['GET', '/api/clips/NOPE/content?reason=check', [...SUPERVISORS, 'officer', 'hearing-staff']],
  ['GET', '/api/audit', SUPERVISORS],
  ['POST', '/api/audit/verify', SUPERVISORS],
];

describe('route roles', () => {
  for (const [method, path, allowed] of TABLE) {
    it(`${method} ${path}`, async () => {
      for (const role of ALL_ROLES) {
        const c = clients.get(role)!;
        const r = await c.request(
          method,
          path.replace('{me}', c.username),
          method === 'POST' ? {} : undefined,
        );
        if (allowed.includes(role)) {
          expect([role, r.status]).not.toEqual([role, 403]);
          expect(r.status).not.toBe(401);
        } else {
          expect([role, r.status, r.body?.error?.code]).toEqual([role, 403, 'FORBIDDEN']);
        }
      }
    });
  }

  it('refuses everyone without a session', async () => {
    for (const [method, path] of TABLE) {
      const r = await fetch(`${gw.url}${path.replace('{me}', 'x')}`, { method });
      expect([path, r.status]).toEqual([path, 401]);
    }
  });

  it('declares roles on every route of these areas, none of them open to any signed-in user', () => {
    const mine = gw.app.api.routes.filter((r) => /^\/api\/(pairings|clips|audit)(\/|$)/.test(r.path));
    expect(mine.length).toBe(TABLE.length);
    for (const r of mine) expect(r.roles).not.toBe('any');
  });
});
