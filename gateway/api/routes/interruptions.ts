/** Interruption records (R19): list, read, explain in writing, review and close. */
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { InterruptionQuery, type InterruptionRecord } from '../../interruptions/record.js';
import type { InterruptionService } from '../../interruptions/service.js';
import { ALL_ROLES, type Role } from '../roles.js';
import type { Api } from '../server.js';
import type { PublicUser } from '../users.js';

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

/**
 * R24: an officer sees and explains only interruptions of recordings made while they held the
 * recorder; hearing staff only those of the hearing-room cameras. Keepers and supervisors see all.
 */
export function inScope(user: PublicUser, r: InterruptionRecord): boolean {
  if (user.roles.some((role) => role !== 'officer' && role !== 'hearing-staff')) return true;
  if (user.roles.includes('hearing-staff') && r.source === 'camera') return true;
  return user.roles.includes('officer') && r.officer?.id === user.username;
}

const ExplainBody = z.object({ text: z.string().trim().min(1).max(4000) });
const CloseBody = z.object({ note: z.string().trim().max(2000).optional() });

export function interruptionRoutes(api: Api, interruptions: InterruptionService): void {
  api.route(
    { method: 'get', path: '/api/interruptions', roles: ALL_ROLES, query: InterruptionQuery },
    async ({ query, user }) => (await interruptions.list(query)).filter((r) => inScope(user, r)),
  );

  const visible = async (id: string, user: PublicUser) => {
    const r = await interruptions.get(id);
    // Out of scope reads as absent: no hint that the record exists.
    if (!r || !inScope(user, r)) throw new GatewayError('NOT_FOUND', `no interruption ${id}`);
    return r;
  };

  api.route({ method: 'get', path: '/api/interruptions/:id', roles: ALL_ROLES }, ({ params, user }) =>
    visible(params.id ?? '', user),
  );

  api.route(
    { method: 'post', path: '/api/interruptions/:id/explain', roles: EXPLAINERS, body: ExplainBody },
    async ({ params, body, user }) => {
      await visible(params.id ?? '', user);
      return interruptions.explain(params.id ?? '', { text: body.text, author: user.username });
    },
  );

  api.route(
    { method: 'post', path: '/api/interruptions/:id/close', roles: REVIEWERS, body: CloseBody },
    ({ params, body, user }) =>
      interruptions.close(params.id ?? '', { by: user.username, ...(body.note ? { note: body.note } : {}) }),
  );
}
