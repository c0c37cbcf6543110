/**
 * R24 from the dashboard's side: every API route refuses each role it does not name (403) and every
 * caller without a session (401), and each page the navigation gives a role calls only routes that
 * role may call (so no page shows a role an error it cannot fix). Real gateway, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAV, type PageId } from '../../dashboard/src/nav.js';
import { ALL_ROLES, type Role } from '../../gateway/roles.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

/** The routes each page calls (dashboard/src/api/client.ts), as the gateway declares them. */
const PAGE_CALLS: Record<PageId, string[]> = {
  // The bulk acknowledge (POST /api/alerts/ack) is offered only to legal affairs and the principal.
  summary: [
    'GET /api/compliance/summary',
    'GET /api/compliance/report',
    'GET /api/compliance/report.pdf',
    'GET /api/compliance/report.xlsx',
    'GET /api/alerts',
  ],
  fleet: ['GET /api/recorders', 'GET /api/recorders/:serial', 'POST /api/recorders/:serial/maintenance'],
  alerts: ['GET /api/alerts', 'POST /api/alerts/:id/ack', 'POST /api/alerts/ack'],
  dock: [
    'GET /api/pairings/docked',
    'POST /api/pairings',
    'GET /api/pairings',
    'POST /api/pairings/:serial/check-in',
    'GET /api/clips',
  ],
  hearings: [
    'GET /api/rooms',
    'GET /api/cameras',
    'GET /api/cameras/:id/snapshot',
    'GET /api/hearings',
    'GET /api/hearings/:id',
    'GET /api/hearings/:id/segments',
    'POST /api/hearings',
    'POST /api/hearings/:id/stop',
    // The case picker of the start form.
    'GET /api/cases',
  ],
  interruptions: ['GET /api/interruptions', 'POST /api/interruptions/:id/explain'],
  overdue: ['GET /api/clips'],
  clips: ['GET /api/clips', 'GET /api/clips/:clipId/content'],
  audit: [
    'GET /api/audit',
    'GET /api/users/names',
    'GET /api/custody/key',
    'GET /api/custody/checkpoints',
    'GET /api/custody/checkpoints/:treeSize/receipt',
  ],
  exports: ['GET /api/exports'],
  cases: ['GET /api/cases', 'GET /api/cases/:caseNo', 'GET /api/cases/:caseNo/timeline'],
  mine: ['GET /api/my/recordings', 'POST /api/interruptions/:id/explain', 'POST /api/cases/:caseNo/links'],
  registry: ['GET /api/recorders', 'POST /api/recorders', 'POST /api/recorders/:serial/credential'],
  cameras: [
    'GET /api/cameras',
    'GET /api/rooms',
    'POST /api/cameras/discover',
    'POST /api/cameras',
    'PUT /api/cameras/:id/room',
    'PUT /api/cameras/:id/password',
    'POST /api/cameras/:id/health',
    'POST /api/cameras/:id/sync-clock',
    'DELETE /api/cameras/:id',
    'GET /api/cameras/:id/snapshot',
  ],
  users: [
    'GET /api/users',
    'POST /api/users',
    'POST /api/users/:username/disabled',
    'POST /api/users/:username/roles',
    'POST /api/users/:username/password',
  ],
  // Served by `gateway central`, not by an office (its roles: test/uplink/uplink.test.ts).
  province: [],
};

/**
 * Actions a page shows only to some of its roles (ExportsPage, ClipsPage): each role shown the
 * action may call its route.
 */
const ROLE_GATED_CALLS: { page: PageId; call: string; shownTo: Role[] }[] = [
  { page: 'clips', call: 'POST /api/exports', shownTo: ['legal-affairs'] },
  { page: 'exports', call: 'POST /api/exports', shownTo: ['officer'] },
  { page: 'exports', call: 'GET /api/clips', shownTo: ['officer'] },
  { page: 'exports', call: 'POST /api/exports/:id/approve', shownTo: ['principal'] },
  { page: 'exports', call: 'POST /api/exports/:id/refuse', shownTo: ['principal'] },
  ...['GET /api/exports/:id/image', 'GET /api/exports/:id/receipt', 'GET /api/exports/:id/manifest.pdf'].map(
    (call) => ({ page: 'exports' as const, call, shownTo: ['legal-affairs', 'principal'] as Role[] }),
  ),
  { page: 'exports', call: 'POST /api/exports/:id/handover', shownTo: ['legal-affairs', 'principal'] },
  { page: 'audit', call: 'POST /api/custody/checkpoints', shownTo: ['legal-affairs', 'principal'] },
  { page: 'interruptions', call: 'POST /api/interruptions/:id/review', shownTo: ['legal-affairs'] },
  { page: 'cases', call: 'POST /api/cases', shownTo: ['legal-affairs', 'officer'] },
  { page: 'cases', call: 'PATCH /api/cases/:caseNo', shownTo: ['legal-affairs', 'officer'] },
  { page: 'cases', call: 'POST /api/cases/:caseNo/stage', shownTo: ['legal-affairs', 'officer'] },
  { page: 'cases', call: 'POST /api/cases/import', shownTo: ['legal-affairs'] },
  { page: 'interruptions', call: 'POST /api/interruptions/:id/close', shownTo: ['principal'] },
];

describe('API roles as the dashboard relies on them', () => {
  let gw: TestGateway;
  const clients = new Map<Role, ApiClient>();
  beforeAll(async () => {
    gw = await startGateway();
    for (const r of ALL_ROLES) clients.set(r, await gw.as(r));
  });
  afterAll(() => gw?.stop());

  const routeRoles = (call: string): readonly Role[] | 'any' | undefined => {
    const [method, path] = call.split(' ');
    return gw.app.api.routes.find((r) => r.method === method!.toLowerCase() && r.path === path)?.roles;
  };

  it('each page of a role calls routes that exist and that role may call', () => {
    const problems: string[] = [];
    for (const page of NAV) {
      for (const call of PAGE_CALLS[page.id]) {
        const roles = routeRoles(call);
        if (!roles) {
          problems.push(`${page.id}: ${call} is not a route`);
          continue;
        }
        for (const role of page.roles) {
          if (roles !== 'any' && !roles.includes(role)) problems.push(`${page.id}: ${role} may not ${call}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('actions shown to some roles of a page are routes those roles may call', () => {
    const problems: string[] = [];
    for (const g of ROLE_GATED_CALLS) {
      const roles = routeRoles(g.call);
      if (!roles) problems.push(`${g.page}: ${g.call} is not a route`);
      for (const role of g.shownTo) {
        if (!NAV.find((n) => n.id === g.page)!.roles.includes(role))
          problems.push(`${g.page}: not for ${role}`);
        if (roles && roles !== 'any' && !roles.includes(role))
          problems.push(`${g.page}: ${role} may not ${g.call}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every route refuses the roles it does not name, and callers without a session', async () => {
    const routes = gw.app.api.routes.filter((r) => r.roles !== 'any');
    expect(routes.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const r of routes) {
      const path = r.path.replace(/:[A-Za-z]+/g, 'x');
      const method = r.method.toUpperCase();
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const anon = await fetch(`${gw.url}${path}`, {
        method,
        ...(body ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      });
      if (anon.status !== 401) wrong.push(`anonymous ${method} ${r.path} -> ${anon.status}`);
      for (const role of ALL_ROLES) {
        if ((r.roles as readonly Role[]).includes(role)) continue;
        const res = await clients.get(role)!.request(method, path, body);
        if (res.status !== 403 || res.body?.error?.code !== 'FORBIDDEN') {
          wrong.push(`${role} ${method} ${r.path} -> ${res.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
