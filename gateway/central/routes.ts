/**
 * The province's read-only view (PROTOCOL.md §7.3): every office's summary, one office in full, an
 * office's archived originals and one of them read from the archive (audited, hashed as it streams).
 */
import { z } from 'zod';
import { Id } from '../../protocol/common.js';
import { OfficeId } from '../../protocol/upstream/topics.js';
import type { AlertService } from '../alerts/service.js';
import type { Api } from '../api/server.js';
import { ContentQuery } from '../clips/view.js';
import { GatewayError } from '../errors.js';
import type { Role } from '../roles.js';
import type { CentralArchiveReader } from './archive-reader.js';
import type { Ledger } from './ledger.js';
import type { CentralSubscriber } from './subscriber.js';
import { summarize } from './summary.js';

export const CENTRAL_VIEWERS: readonly Role[] = ['provincial'];

export function centralRoutes(
  api: Api,
  o: { ledger: Ledger; alerts: AlertService; link: CentralSubscriber; archive: CentralArchiveReader },
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
  api.route(
    {
      method: 'get',
      path: '/api/central/offices/:office/originals',
      roles: CENTRAL_VIEWERS,
      query: ListQuery,
    },
    async ({ params, query }) => {
      const office = officeOf(params.office);
      const limit = query.limit ?? 100;
      const originals = await o.ledger.originals(office, { after: query.after, limit: limit + 1 });
      const more = originals.length > limit;
      if (more) originals.length = limit;
      return {
        office,
        readable: o.archive.enabled,
        originals,
        next: more ? (originals.at(-1)?.clipId ?? null) : null,
      };
    },
  );
  api.route(
    {
      method: 'get',
      path: '/api/central/offices/:office/originals/:clipId/content',
      roles: CENTRAL_VIEWERS,
      query: ContentQuery,
    },
    async ({ user, params, query }) => {
      const office = officeOf(params.office);
      const clipId = Id.safeParse(params.clipId);
      const original = clipId.success ? await o.ledger.original(office, clipId.data) : undefined;
      if (!original) throw new GatewayError('NOT_FOUND', 'no such archived original');
      const out = await o.archive.read(original, {
        actor: user.username,
        role: user.roles.find((r) => CENTRAL_VIEWERS.includes(r))!,
        action: query.action,
        reason: query.reason,
      });
      return new Response(out.body, { status: 200, headers: out.headers });
    },
  );
}

const ListQuery = z.object({
  after: Id.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

function officeOf(param: string | undefined): string {
  const id = OfficeId.safeParse(param);
  if (!id.success) throw new GatewayError('NOT_FOUND', 'no such office');
  return id.data;
}
