/** Alerts: list and acknowledge. */
import { z } from 'zod';
import type { AlertService } from '../../alerts/service.js';
import { type Role, SUPERVISORS } from '../roles.js';
import { QueryBool } from '../schemas.js';
import type { Api } from '../server.js';

export const ALERT_VIEWERS: readonly Role[] = ['equipment-manager', 'hearing-staff', ...SUPERVISORS];
export const ALERT_ACKERS: readonly Role[] = [
  'equipment-manager',
  'hearing-staff',
  'legal-affairs',
  'principal',
];

const AlertQuery = z.object({
  active: QueryBool,
  rule: z.string().max(64).optional(),
  subject: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export function alertRoutes(api: Api, alerts: AlertService): void {
  api.route({ method: 'get', path: '/api/alerts', roles: ALERT_VIEWERS, query: AlertQuery }, ({ query }) =>
    alerts.list(query),
  );
  api.route({ method: 'post', path: '/api/alerts/:id/ack', roles: ALERT_ACKERS }, ({ params, user }) =>
    alerts.acknowledge(params.id ?? '', user.username),
  );
}
