/**
 * The central archive's state for supervisors: queue depth and age, last error, busy hours; per
 * clip where and when its original was archived; a read-back audit of every archived copy.
 */
import type { ArchiveService } from '../../archive/service.js';
import { SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

export function archiveRoutes(api: Api, archive: ArchiveService): void {
  api.route({ method: 'get', path: '/api/archive', roles: SUPERVISORS }, () => archive.status());
  api.route({ method: 'get', path: '/api/archive/clips/:id', roles: SUPERVISORS }, async ({ params }) => ({
    clipId: params.id,
    archived: (await archive.copyOf(params.id ?? '')) ?? null,
  }));
  api.route(
    { method: 'post', path: '/api/archive/audit', roles: ['legal-affairs', 'principal'] },
    ({ user }) => archive.audit(user.username),
  );
}
