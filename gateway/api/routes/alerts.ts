/** Alerts: list and acknowledge. */
import { z } from 'zod';
import type { AlertService } from '../../alerts/service.js';
import { QueryBool } from '../../query-params.js';
import { type Role, SUPERVISORS } from '../../roles.js';
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

/** Bulk acknowledge (the summary page's grouped alerts): at most this many ids at once. */
const BulkAck = z.object({ ids: z.array(z.string().min(1).max(64)).min(1).max(500) });

export function alertRoutes(api: Api, alerts: AlertService): void {
  api.route({ method: 'get', path: '/api/alerts', roles: ALERT_VIEWERS, query: AlertQuery }, ({ query }) =>
    alerts.list(query),
  );
  api.route({ method: 'post', path: '/api/alerts/:id/ack', roles: ALERT_ACKERS }, ({ params, user }) =>
    alerts.acknowledge(params.id ?? '', user.username),
  );
  api.route(
    { method: 'post', path: '/api/alerts/ack', roles: ALERT_ACKERS, body: BulkAck },
    async ({ body, user }) => {
      // At once: the acknowledgements' audit entries and rows share group commits (one fsync each
      // way for the lot, not two per alert).
      const ids = [...new Set(body.ids)];
      const ok = await Promise.all(
        ids.map((id) =>
          alerts.acknowledge(id, user.username).then(
            () => true,
            () => false,
          ),
        ),
      );
      return { acked: ids.filter((_, i) => ok[i]), missing: ids.filter((_, i) => !ok[i]) };
    },
  );
}
