/** Interruption records (R19): list, read, explain in writing, review and close. */
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { InterruptionQuery } from '../../interruptions/record.js';
import type { InterruptionService } from '../../interruptions/service.js';
import { ALL_ROLES, type Role } from '../roles.js';
import type { Api } from '../server.js';

/** Anyone who recorded (officer, hearing staff) or keeps or supervises may write the explanation. */
export const EXPLAINERS: readonly Role[] = [
  'officer',
  'hearing-staff',
  'equipment-manager',
  'legal-affairs',
  'principal',
];
/** Review and acceptance: the legal-affairs office or the principal (Art. 19, 22). */
export const REVIEWERS: readonly Role[] = ['legal-affairs', 'principal'];

const ExplainBody = z.object({ text: z.string().trim().min(1).max(4000) });
const CloseBody = z.object({ note: z.string().trim().max(2000).optional() });

export function interruptionRoutes(api: Api, interruptions: InterruptionService): void {
  api.route(
    { method: 'get', path: '/api/interruptions', roles: ALL_ROLES, query: InterruptionQuery },
    ({ query }) => interruptions.list(query),
  );

  api.route({ method: 'get', path: '/api/interruptions/:id', roles: ALL_ROLES }, async ({ params }) => {
    const r = await interruptions.get(params.id ?? '');
    if (!r) throw new GatewayError('NOT_FOUND', `no interruption ${params.id}`);
    return r;
  });

  api.route(
    { method: 'post', path: '/api/interruptions/:id/explain', roles: EXPLAINERS, body: ExplainBody },
    ({ params, body, user }) =>
      interruptions.explain(params.id ?? '', { text: body.text, author: user.username }),
  );

  api.route(
    { method: 'post', path: '/api/interruptions/:id/close', roles: REVIEWERS, body: CloseBody },
    ({ params, body, user }) =>
      interruptions.close(params.id ?? '', { by: user.username, ...(body.note ? { note: body.note } : {}) }),
  );
}
