/**
 * Integrity of the originals (R25): the state of the scheduled sweep (last run, result, next run)
 * and the open integrity failures, for the principal, legal affairs and auditors; the principal
 * or legal affairs close a failure with a note saying what was done (audited).
 */
import { z } from 'zod';
import type { IntegrityMonitor } from '../../integrity/monitor.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

export const INTEGRITY_READERS: readonly Role[] = SUPERVISORS;
export const INTEGRITY_RESOLVERS: readonly Role[] = ['legal-affairs', 'principal'];

const ResolveBody = z.object({
  note: z.string().trim().min(1, 'note: say what was done about it').max(1000),
});

export function integrityRoutes(api: Api, monitor: IntegrityMonitor): void {
  api.route({ method: 'get', path: '/api/integrity', roles: INTEGRITY_READERS }, async () => ({
    sweep: monitor.state(),
    failures: await monitor.failures(),
  }));

  api.route(
    {
      method: 'post',
      path: '/api/integrity/failures/:id/resolve',
      roles: INTEGRITY_RESOLVERS,
      body: ResolveBody,
    },
    ({ params, body, user }) => monitor.resolve(params.id ?? '', user.username, body.note),
  );
}
