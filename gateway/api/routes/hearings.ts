/**
 * Hearing sessions: hearing-room staff start recording (R14); the staff member who started a
 * hearing stops it, or the legal-affairs office or the principal (they answer for it); the
 * legal-affairs office, the principal and auditors read sessions, live stats and coverage (R7,
 * R18). A session's segment list is read as its clips are (clips/access.ts, R24).
 */
import { assertMayReadHearing } from '../../clips/access.js';
import { GatewayError } from '../../errors.js';
import { HearingQuery, StartHearingInput } from '../../hearings/schemas.js';
import type { HearingService } from '../../hearings/service.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

export const HEARING_CONTROL: readonly Role[] = ['hearing-staff'];
/** May stop any hearing, not only one they started. */
export const HEARING_OVERSIGHT: readonly Role[] = ['legal-affairs', 'principal'];
export const HEARING_STOPPERS: readonly Role[] = [...HEARING_CONTROL, ...HEARING_OVERSIGHT];
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

  api.route(
    { method: 'get', path: '/api/hearings/:id/segments', roles: HEARING_READERS },
    async ({ params, user }) => {
      const id = params.id ?? '';
      const startedBy = await hearings.startedBy(id);
      await assertMayReadHearing(user, id, async () => startedBy);
      return hearings.segments(id);
    },
  );

  api.route(
    { method: 'post', path: '/api/hearings/:id/stop', roles: HEARING_STOPPERS },
    async ({ params, user }) => {
      const id = params.id ?? '';
      const startedBy = await hearings.startedBy(id);
      if (startedBy !== user.username && !user.roles.some((r) => HEARING_OVERSIGHT.includes(r))) {
        throw new GatewayError(
          'FORBIDDEN',
          `hearing ${id} was started by ${startedBy}: only they, legal affairs or the principal stop it`,
          { sessionId: id },
        );
      }
      return hearings.stopSession(id, user.username);
    },
  );
}
