/** Recorder sessions with their compliance flags (R16 no notice, R18 gaps, R19 interruptions). */
import { GatewayError } from '../../errors.js';
import { SessionQuery, type SessionTracker } from '../../interruptions/sessions.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';
import { serialParam } from './recorders.js';

export const SESSION_VIEWERS: readonly Role[] = ['equipment-manager', ...SUPERVISORS];

export function sessionRoutes(api: Api, sessions: SessionTracker): void {
  api.route(
    { method: 'get', path: '/api/sessions', roles: SESSION_VIEWERS, query: SessionQuery },
    ({ query }) => sessions.list(query),
  );
  api.route(
    { method: 'get', path: '/api/sessions/:serial/:sessionId', roles: SESSION_VIEWERS },
    async ({ params }) => {
      const s = await sessions.get(serialParam(params), params.sessionId ?? '');
      if (!s) throw new GatewayError('NOT_FOUND', `no session ${params.sessionId}`);
      return s;
    },
  );
}
