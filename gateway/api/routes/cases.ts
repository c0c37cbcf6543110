/**
 * The case registry (R9–R13): legal affairs register, edit, move and import cases; officers do so
 * for cases naming them and tag their own recorder sessions; hearing staff tag the hearings they
 * started; supervisors read every case and its timeline, officers those naming them (R24).
 * `:caseNo` is the case number or its registry key (CaseRecord.key), URL-encoded.
 */
import type { CaseImporter } from '../../cases/import.js';
import type { MyRecordings } from '../../cases/my-recordings.js';
import { CaseFilter, CaseInput, CasePatch, StageBody, TagBody } from '../../cases/schema.js';
import type { CaseService } from '../../cases/service.js';
import type { CaseTimelines } from '../../cases/timeline-source.js';
import { GatewayError } from '../../errors.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { PublicUser } from '../../users.js';
import type { Api } from '../server.js';

/** Who reads cases: supervisors, officers (their own), hearing staff (to pick one for a hearing). */
export const CASE_READERS: readonly Role[] = ['officer', 'hearing-staff', ...SUPERVISORS];
export const CASE_EDITORS: readonly Role[] = ['legal-affairs', 'officer'];
export const CASE_TAGGERS: readonly Role[] = ['legal-affairs', 'officer', 'hearing-staff'];
export const TIMELINE_READERS: readonly Role[] = ['officer', ...SUPERVISORS];
/** Those who record: their clips, interruptions to explain and recordings to tag (R19, R22). */
export const RECORDING_PEOPLE: readonly Role[] = ['officer', 'hearing-staff'];

export interface CaseRouteDeps {
  cases: CaseService;
  importer: CaseImporter;
  timelines: CaseTimelines;
  /** "My recordings" of the caller (my-recordings.ts). */
  mine: (user: PublicUser) => Promise<MyRecordings>;
}

export function caseRoutes(api: Api, d: CaseRouteDeps): void {
  const { cases } = d;
  const visible = async (caseNo: string, user: PublicUser) => {
    const c = await cases.get(caseNo);
    // Out of scope reads as absent (R24): no hint that the case exists.
    if (!c || !cases.canSee(user, c)) throw new GatewayError('NOT_FOUND', `no case ${caseNo.slice(0, 64)}`);
    return c;
  };

  api.route(
    { method: 'get', path: '/api/cases', roles: CASE_READERS, query: CaseFilter },
    async ({ query, user }) => (await cases.list(query)).filter((c) => cases.canSee(user, c)),
  );
  api.route({ method: 'post', path: '/api/cases', roles: CASE_EDITORS, body: CaseInput }, ({ body, user }) =>
    cases.create(user, body),
  );
  // Before /:caseNo so `import` is never read as a case number.
  api.route({ method: 'post', path: '/api/cases/import', roles: ['legal-affairs'] }, async ({ c, user }) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const unit = c.req.query('unit');
    const dryRun = c.req.query('dryRun') === 'true';
    return d.importer.importFile(user, bytes, { unit, dryRun, contentType: c.req.header('content-type') });
  });
  api.route({ method: 'get', path: '/api/my/recordings', roles: RECORDING_PEOPLE }, ({ user }) =>
    d.mine(user),
  );
  api.route({ method: 'get', path: '/api/cases/:caseNo', roles: CASE_READERS }, ({ params, user }) =>
    visible(params.caseNo ?? '', user),
  );
  api.route(
    { method: 'patch', path: '/api/cases/:caseNo', roles: CASE_EDITORS, body: CasePatch },
    async ({ params, body, user }) => {
      await visible(params.caseNo ?? '', user);
      return cases.update(user, params.caseNo ?? '', body);
    },
  );
  api.route(
    { method: 'post', path: '/api/cases/:caseNo/stage', roles: CASE_EDITORS, body: StageBody },
    async ({ params, body, user }) => {
      await visible(params.caseNo ?? '', user);
      return cases.moveStage(user, params.caseNo ?? '', body);
    },
  );
  api.route(
    { method: 'get', path: '/api/cases/:caseNo/links', roles: CASE_READERS },
    async ({ params, user }) => {
      const c = await visible(params.caseNo ?? '', user);
      return cases.linksOf(c.caseNo);
    },
  );
  api.route(
    { method: 'post', path: '/api/cases/:caseNo/links', roles: CASE_TAGGERS, body: TagBody },
    async ({ params, body, user }) => {
      const c = await cases.get(params.caseNo ?? '');
      if (!c) throw new GatewayError('NOT_FOUND', `no case ${(params.caseNo ?? '').slice(0, 64)}`);
      return cases.tag(user, c.caseNo, body);
    },
  );
  api.route(
    { method: 'get', path: '/api/cases/:caseNo/timeline', roles: TIMELINE_READERS },
    async ({ params, user }) => {
      const c = await visible(params.caseNo ?? '', user);
      return d.timelines.of(c, user);
    },
  );
}
