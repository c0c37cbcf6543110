/** The province's read-only view (PROTOCOL.md §7.3): every office's summary, one office in full. */
import { OfficeId } from '../../protocol/upstream/topics.js';
import type { AlertService } from '../alerts/service.js';
import type { Api } from '../api/server.js';
import { GatewayError } from '../errors.js';
import type { Role } from '../roles.js';
import type { Ledger } from './ledger.js';
import type { CentralSubscriber } from './subscriber.js';
import { summarize } from './summary.js';

export const CENTRAL_VIEWERS: readonly Role[] = ['provincial'];

export function centralRoutes(
  api: Api,
  o: { ledger: Ledger; alerts: AlertService; link: CentralSubscriber },
): void {
  api.route({ method: 'get', path: '/api/central/offices', roles: CENTRAL_VIEWERS }, async () => ({
    connected: o.link.connected,
    messages: o.ledger.messages,
    duplicates: o.ledger.duplicates,
    rejected: o.link.rejected,
    offices: o.ledger.list().map(summarize),
    alerts: await o.alerts.list({ active: true, limit: 500 }),
  }));
  api.route({ method: 'get', path: '/api/central/offices/:office', roles: CENTRAL_VIEWERS }, ({ params }) => {
    const id = OfficeId.safeParse(params.office);
    const v = id.success ? o.ledger.get(id.data) : undefined;
    if (!v) throw new GatewayError('NOT_FOUND', 'no such office');
    return { ...v, summary: summarize(v), held: o.ledger.held(v.office)?.checkpoint ?? null };
  });
}
