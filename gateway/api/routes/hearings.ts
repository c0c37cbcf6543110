/**
 * Hearing sessions: hearing-room staff start and stop recording (R14); the legal-affairs office,
 * the principal and auditors read sessions, live stats and coverage (R7, R18).
 */
import { HearingQuery, StartHearingInput } from '../../hearings/schemas.js';
import type { HearingService } from '../../hearings/service.js';
import { type Role, SUPERVISORS } from '../roles.js';
import type { Api } from '../server.js';

export const HEARING_CONTROL: readonly Role[] = ['hearing-staff'];
export const HEARING_READERS: readonly Role[] = ['hearing-staff', ...SUPERVISORS];

export function hearingRoutes(api: Api, hearings: HearingService): void {
  api.route(
    { method: 'get', path: '/api/hearings', roles: HEARING_READERS, query: HearingQuery },
    ({ query }) => hearings.list(query),
  );

  api.route(
    { method: 'post', path: '/api/hearings', roles: HEARING_CONTROL, body: StartHearingInput },
    ({ body, user }) => hearings.startSession(body, user.username),
  );

  api.route({ method: 'get', path: '/api/hearings/:id', roles: HEARING_READERS }, ({ params }) =>
    hearings.get(params.id ?? ''),
  );

  api.route({ method: 'get', path: '/api/hearings/:id/segments', roles: HEARING_READERS }, ({ params }) =>
    hearings.segments(params.id ?? ''),
  );

  api.route({ method: 'post', path: '/api/hearings/:id/stop', roles: HEARING_CONTROL }, ({ params, user }) =>
    hearings.stopSession(params.id ?? '', user.username),
  );
}
