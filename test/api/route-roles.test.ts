/**
 * R24 (issues #3, #6 "API role refusals tested for each role"): one hand-written table of every API
 * route and the roles the product means to let call it (REQUIREMENTS "Who uses it", issues #3-#6),
 * checked against a real gateway over HTTP. The table is NOT derived from the routes' own
 * declarations, so a wrongly declared role fails here: a role outside a row must get 403 FORBIDDEN
 * from the route's declaration, a role inside it must get through (any status but 401/403: sample
 * params may well give 400/404/409), and a caller without a session gets 401. A route the gateway
 * serves without a row here fails too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROLES, type Role } from '../../gateway/roles.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const EM: Role = 'equipment-manager';
const OFFICER: Role = 'officer';
const HEARING: Role = 'hearing-staff';
const LEGAL: Role = 'legal-affairs';
const PRINCIPAL: Role = 'principal';
const AUDITOR: Role = 'auditor';
/** Legal-affairs office, principal, and the outside bodies that may retrieve (Art. 22, 24). */
const SUP: Role[] = [LEGAL, PRINCIPAL, AUDITOR];
const EVERYONE: Role[] = [EM, OFFICER, HEARING, ...SUP];
/** Every signed-in user, the provincial role (of `gateway central`) included. */
const SIGNED_IN: Role[] = [...EVERYONE, 'provincial'];

interface Row {
  /** `METHOD /path/:param`, exactly as the gateway declares it. */
  route: string;
  roles: Role[];
  /** Appended to the sample path (required query params). */
  query?: string;
  /**
   * Roles the route lets through but whose handler narrows per record (R24), so that with sample
   * params they may get the handler's 403 (never the route's own refusal).
   */
  scoped?: Role[];
  /** Body sent; `{}` for POST/PUT/PATCH by default. */
  body?: unknown;
}

/** Sample path params; `{me}` is the caller's user name. */
const PARAMS: Record<string, string> = {
  serial: 'REC-NOPE',
  sessionId: 'nope-session',
  id: 'nope',
  clipId: 'nope-clip',
  officerId: '{me}',
  treeSize: '1',
  caseNo: 'nope-case',
  month: '2026-01',
  ext: 'pdf',
  username: 'nope-user',
};

const TABLE: Row[] = [
  // Any signed-in user: who am I, and the live stream the dashboard's pages all listen to.
  { route: 'GET /api/me', roles: SIGNED_IN },
  { route: 'GET /api/events', roles: SIGNED_IN },

  // Fleet (R5, R21): the equipment manager keeps the recorders; supervisors read.
  { route: 'GET /api/recorders', roles: [EM, ...SUP] },
  { route: 'POST /api/recorders', roles: [EM] },
  { route: 'GET /api/recorders/:serial', roles: [EM, ...SUP] },
  { route: 'PATCH /api/recorders/:serial', roles: [EM] },
  { route: 'POST /api/recorders/:serial/credential', roles: [EM] },
  { route: 'GET /api/recorders/:serial/maintenance', roles: [EM, ...SUP] },
  { route: 'POST /api/recorders/:serial/maintenance', roles: [EM] },
  { route: 'POST /api/recorders/:serial/commands', roles: [EM] },
  // Recorder sessions with compliance flags (R16, R18): keepers and supervisors.
  { route: 'GET /api/sessions', roles: [EM, ...SUP] },
  { route: 'GET /api/sessions/:serial/:sessionId', roles: [EM, ...SUP] },

  // Interruptions (R19): everyone whose recording can stop, or who keeps or supervises, reads; the
  // one who recorded (or keeps the device, or the office taking the written note) explains; only
  // legal affairs review the written explanation, only the principal closes. Auditors read only.
  { route: 'GET /api/interruptions', roles: EVERYONE },
  { route: 'GET /api/interruptions/:id', roles: EVERYONE },
  { route: 'POST /api/interruptions/:id/explain', roles: [OFFICER, HEARING, EM, LEGAL, PRINCIPAL] },
  { route: 'POST /api/interruptions/:id/review', roles: [LEGAL], body: { accept: true } },
  { route: 'POST /api/interruptions/:id/close', roles: [PRINCIPAL] },

  // Alerts: the people told (manager, hearing staff for stream loss, principal for R19) and
  // supervisors; auditors read but do not acknowledge.
  { route: 'GET /api/alerts', roles: [EM, HEARING, ...SUP] },
  { route: 'POST /api/alerts/:id/ack', roles: [EM, HEARING, LEGAL, PRINCIPAL] },
  { route: 'POST /api/alerts/ack', roles: [EM, HEARING, LEGAL, PRINCIPAL], body: { ids: ['nope'] } },

  // Compliance (R26) and statistics (R7): the principal's and legal affairs' summary and report;
  // auditors read; archiving a month's report is the office's act.
  { route: 'GET /api/compliance/summary', roles: SUP },
  { route: 'GET /api/compliance/report', roles: SUP },
  { route: 'GET /api/compliance/report.pdf', roles: SUP },
  { route: 'GET /api/compliance/report.xlsx', roles: SUP },
  { route: 'GET /api/compliance/archive', roles: SUP },
  { route: 'POST /api/compliance/archive', roles: [LEGAL, PRINCIPAL], body: { month: '2026-01' } },
  { route: 'GET /api/compliance/archive/:month/:ext', roles: SUP },

  // Docks: the officer at the dock (upload progress, R22), the keeper, supervisors.
  { route: 'GET /api/docks', roles: [EM, OFFICER, ...SUP] },
  { route: 'GET /api/docks/clock/:serial', roles: [EM, OFFICER, ...SUP] },

  // Pairing (R5, R21): officers take a recorder for themselves; the keeper checks in by hand.
  { route: 'GET /api/pairings/docked', roles: [OFFICER, EM] },
  { route: 'POST /api/pairings', roles: [OFFICER] },
  { route: 'POST /api/pairings/:serial/check-in', roles: [OFFICER, EM] },
  { route: 'GET /api/pairings', roles: [EM, ...SUP, OFFICER] },
  { route: 'GET /api/pairings/at', roles: [EM, ...SUP], query: '?serial=REC-NOPE&at=1' },
  { route: 'GET /api/pairings/recorders/:serial', roles: [EM, ...SUP] },
  { route: 'GET /api/pairings/officers/:officerId', roles: [EM, ...SUP, OFFICER] },
  // A lost recorder's assignment is closed without a dock by its keeper or the principal (R21).
  { route: 'POST /api/recorders/:serial/lost', roles: [EM, PRINCIPAL], body: { reason: 'not returned' } },

  // Hearing-room cameras: the keeper administers (R21); hearing staff and supervisors see them.
  { route: 'GET /api/rooms', roles: [EM, HEARING, ...SUP] },
  { route: 'GET /api/cameras', roles: [EM, HEARING, ...SUP] },
  // A timeout below the minimum: the admin gets 400 and no probe is multicast.
  { route: 'POST /api/cameras/discover', roles: [EM], body: { timeoutMs: 1 } },
  { route: 'GET /api/cameras/discovered', roles: [EM] },
  { route: 'POST /api/cameras', roles: [EM] },
  { route: 'GET /api/cameras/:id', roles: [EM, HEARING, ...SUP] },
  { route: 'PUT /api/cameras/:id/room', roles: [EM] },
  { route: 'PUT /api/cameras/:id/password', roles: [EM] },
  { route: 'DELETE /api/cameras/:id', roles: [EM] },
  { route: 'POST /api/cameras/:id/health', roles: [EM] },
  { route: 'POST /api/cameras/:id/sync-clock', roles: [EM] },
  // Live pictures of a hearing: those who run, keep or answer for it; not outside auditors.
  { route: 'GET /api/cameras/:id/snapshot', roles: [EM, HEARING, LEGAL, PRINCIPAL] },

  // Hearing sessions (R14): hearing staff start; the one who started a hearing stops it, or legal
  // affairs or the principal (they answer for it); supervisors read. Segment lists as clips: hearing
  // staff only their own hearings' (test/hearings/ownership.test.ts).
  { route: 'GET /api/hearings', roles: [HEARING, ...SUP] },
  { route: 'POST /api/hearings', roles: [HEARING] },
  { route: 'GET /api/hearings/:id', roles: [HEARING, ...SUP] },
  { route: 'GET /api/hearings/:id/segments', roles: [HEARING, ...SUP] },
  { route: 'POST /api/hearings/:id/stop', roles: [HEARING, LEGAL, PRINCIPAL] },

  // Recordings (R22, R24, R25): supervisors all; officers their own clips; hearing staff the clips
  // of hearings they started. Equipment managers keep devices, not recordings: never.
  { route: 'GET /api/clips', roles: [...SUP, OFFICER, HEARING], scoped: [HEARING] },
  { route: 'GET /api/clips/summary', roles: [...SUP, OFFICER, HEARING], scoped: [HEARING] },
  { route: 'GET /api/clips/:clipId', roles: [...SUP, OFFICER, HEARING] },
  {
    route: 'GET /api/clips/:clipId/content',
    roles: [...SUP, OFFICER, HEARING],
    query: '?reason=role-check',
  },

  // Evidence discs (R23, R24, R25): legal affairs request for any clip, officers for their own
  // (and see only their own requests); only the principal decides; the disc itself goes to the
  // office that keeps the storage and to the principal; supervisors read receipts and manifests.
  { route: 'POST /api/exports', roles: [LEGAL, OFFICER] },
  { route: 'GET /api/exports', roles: [...SUP, OFFICER] },
  { route: 'GET /api/exports/:id', roles: [...SUP, OFFICER] },
  { route: 'POST /api/exports/:id/approve', roles: [PRINCIPAL] },
  { route: 'POST /api/exports/:id/refuse', roles: [PRINCIPAL], body: { reason: 'role check' } },
  { route: 'GET /api/exports/:id/image', roles: [LEGAL, PRINCIPAL] },
  { route: 'GET /api/exports/:id/receipt', roles: SUP },
  { route: 'GET /api/exports/:id/manifest.pdf', roles: SUP },
  { route: 'POST /api/exports/:id/handover', roles: [LEGAL, PRINCIPAL], body: { to: 'court clerk' } },

  // Cases (R9–R13): legal affairs register, edit, move and import; officers the cases naming them
  // (the handler narrows); hearing staff read the list to pick a case and tag the hearings they
  // started; supervisors read every case and its timeline; equipment managers never.
  { route: 'GET /api/cases', roles: [OFFICER, HEARING, ...SUP] },
  { route: 'POST /api/cases', roles: [LEGAL, OFFICER] },
  { route: 'POST /api/cases/import', roles: [LEGAL] },
  { route: 'GET /api/cases/:caseNo', roles: [OFFICER, HEARING, ...SUP] },
  { route: 'PATCH /api/cases/:caseNo', roles: [LEGAL, OFFICER] },
  { route: 'POST /api/cases/:caseNo/stage', roles: [LEGAL, OFFICER] },
  { route: 'GET /api/cases/:caseNo/links', roles: [OFFICER, HEARING, ...SUP] },
  { route: 'POST /api/cases/:caseNo/links', roles: [LEGAL, OFFICER, HEARING] },
  { route: 'GET /api/cases/:caseNo/timeline', roles: [OFFICER, ...SUP] },
  // "My recordings" (R19, R22): those who record see their own clips, interruptions and sessions.
  { route: 'GET /api/my/recordings', roles: [OFFICER, HEARING] },

  // The audit log (R3, R25): supervisors only.
  { route: 'GET /api/audit', roles: SUP },
  { route: 'POST /api/audit/verify', roles: SUP },

  // Login locks: legal affairs administer access rights (R24).
  { route: 'GET /api/login-locks', roles: [LEGAL] },
  { route: 'POST /api/login-locks/unlock', roles: [LEGAL] },
  // Accounts: legal affairs set access rights (R24); everyone changes their own password.
  { route: 'GET /api/users', roles: [LEGAL] },
  { route: 'GET /api/users/names', roles: SUP },
  { route: 'POST /api/users', roles: [LEGAL] },
  { route: 'POST /api/users/:username/disabled', roles: [LEGAL] },
  { route: 'POST /api/users/:username/roles', roles: [LEGAL] },
  { route: 'POST /api/users/:username/password', roles: [LEGAL] },
  { route: 'POST /api/me/password', roles: SIGNED_IN },

  // Custody of the log (R25): supervisors read checkpoints, receipts and the key; the principal
  // and the legal-affairs office issue a checkpoint on demand.
  { route: 'GET /api/custody/checkpoints', roles: SUP },
  { route: 'GET /api/custody/checkpoints/latest', roles: SUP },
  { route: 'POST /api/custody/checkpoints', roles: [PRINCIPAL, LEGAL] },
  { route: 'GET /api/custody/checkpoints/:treeSize/receipt', roles: SUP },
  { route: 'GET /api/custody/key', roles: SUP },

  // Integrity of the originals (R25): supervisors see the sweep and open failures; the principal
  // or legal affairs close a failure with a note.
  { route: 'GET /api/integrity', roles: SUP },
  { route: 'POST /api/integrity/failures/:id/resolve', roles: [LEGAL, PRINCIPAL], body: { note: 'n' } },

  // The central archive (S3 Object Lock): supervisors see the queue and each clip's copy; the
  // principal or legal affairs run a read-back audit.
  { route: 'GET /api/archive', roles: SUP },
  { route: 'GET /api/archive/clips/:id', roles: SUP },
  { route: 'POST /api/archive/audit', roles: [LEGAL, PRINCIPAL] },
];

/** Handled by the server itself, outside the role-checked routes. */
const UNCHECKED = new Set(['POST /api/login', 'POST /api/logout']);

/** The message of the route-level refusal (server.ts), as opposed to a handler's per-record 403. */
const ROUTE_REFUSAL = /^requires one of: /;

interface Reply {
  status: number;
  code?: string;
  message?: string;
}

let gw: TestGateway;
const users = new Map<Role, { token: string; username: string }>();

beforeAll(async () => {
  gw = await startGateway();
  for (const r of ALL_ROLES) users.set(r, await gw.as(r));
});

afterAll(async () => {
  await gw?.stop();
});

function samplePath(row: Row, me: string): { method: string; path: string } {
  const [method, pattern] = row.route.split(' ') as [string, string];
  const path = pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const v = PARAMS[name];
    if (v === undefined) throw new Error(`no sample for :${name} in ${row.route}`);
    return v.replace('{me}', me);
  });
  return { method, path: path + (row.query ?? '') };
}

async function call(row: Row, token?: string, me = 'nobody'): Promise<Reply> {
  const { method, path } = samplePath(row, me);
  const hasBody = method !== 'GET' && method !== 'DELETE';
  const ac = new AbortController();
  const res = await fetch(`${gw.url}${path}`, {
    method,
    signal: ac.signal,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
    },
    ...(hasBody ? { body: JSON.stringify(row.body ?? {}) } : {}),
  });
  // The live stream never ends: its status is all we need.
  if (!res.headers.get('content-type')?.includes('application/json')) {
    ac.abort();
    return { status: res.status };
  }
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  return { status: res.status, code: body.error?.code, message: body.error?.message };
}

describe('API route roles, from an independent table (R24)', () => {
  it('the table names each route once and only known roles', () => {
    const seen = new Set<string>();
    for (const row of TABLE) {
      expect(seen.has(row.route), row.route).toBe(false);
      seen.add(row.route);
      for (const r of [...row.roles, ...(row.scoped ?? [])]) expect(ALL_ROLES).toContain(r);
      for (const r of row.scoped ?? []) expect(row.roles).toContain(r);
    }
  });

  it('covers every route the gateway serves (a new route needs a row here)', () => {
    const served = gw.app.api.routes
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .filter((r) => !UNCHECKED.has(r));
    const rows = TABLE.map((r) => r.route);
    expect({ missingRows: served.filter((r) => !rows.includes(r)) }).toEqual({ missingRows: [] });
    expect({ noSuchRoute: rows.filter((r) => !served.includes(r)) }).toEqual({ noSuchRoute: [] });
  });

  it('refuses every route to a caller without a session (401)', async () => {
    const wrong: string[] = [];
    for (const row of TABLE) {
      const r = await call(row);
      if (r.status !== 401 || r.code !== 'UNAUTHENTICATED') wrong.push(`${row.route} -> ${r.status}`);
    }
    expect(wrong).toEqual([]);
  });

  for (const row of TABLE) {
    it(row.route, async () => {
      const wrong: string[] = [];
      for (const role of ALL_ROLES) {
        const u = users.get(role)!;
        const r = await call(row, u.token, u.username);
        const routeRefused = r.status === 403 && ROUTE_REFUSAL.test(r.message ?? '');
        if (!row.roles.includes(role)) {
          if (!(routeRefused && r.code === 'FORBIDDEN')) {
            wrong.push(`${role} should be refused, got ${r.status} ${r.code ?? ''} ${r.message ?? ''}`);
          }
        } else if (r.status === 401 || routeRefused) {
          wrong.push(`${role} should get through, got ${r.status} ${r.message ?? ''}`);
        } else if (r.status === 403 && !row.scoped?.includes(role)) {
          wrong.push(`${role} should get through, got the handler's 403 ${r.message ?? ''}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
