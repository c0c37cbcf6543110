/**
 * Evidence exports (R23, R24, R25): requests, the principal's decision, build progress, the ISO
 * image (each download its own audit entry, hashed while it streams), the custody receipt and the
 * printable manifest, and the hand-over of the disc.
 */

import {
  ApproveBody,
  ExportListQuery,
  ExportRequestBody,
  HandoverBody,
  RefuseBody,
} from '../../exports/schema.js';
import { EXPORT_SUPERVISORS, type ExportService } from '../../exports/service.js';
import type { Role } from '../../roles.js';
import type { Api } from '../server.js';

/** Who asks for a disc: the legal-affairs office for any clip, an officer for their own (R24). */
const REQUESTERS: readonly Role[] = ['legal-affairs', 'officer'];
/** Who reads requests: supervisors all, an officer their own. */
const READERS: readonly Role[] = [...EXPORT_SUPERVISORS, 'officer'];
/** Who takes the disc itself and hands it over: the office that keeps the storage and the principal. */
const KEEPERS: readonly Role[] = ['legal-affairs', 'principal'];

export function exportRoutes(api: Api, exports: ExportService): void {
  api.route(
    { method: 'post', path: '/api/exports', roles: REQUESTERS, body: ExportRequestBody },
    ({ user, body }) => exports.request(body, user),
  );
  api.route(
    { method: 'get', path: '/api/exports', roles: READERS, query: ExportListQuery },
    ({ user, query }) => exports.list(user, query),
  );
  api.route({ method: 'get', path: '/api/exports/:id', roles: READERS }, ({ user, params }) =>
    exports.get(params.id ?? '', user),
  );
  api.route(
    { method: 'post', path: '/api/exports/:id/approve', roles: ['principal'], body: ApproveBody },
    ({ user, params, body }) => exports.approve(params.id ?? '', user, body.note),
  );
  api.route(
    { method: 'post', path: '/api/exports/:id/refuse', roles: ['principal'], body: RefuseBody },
    ({ user, params, body }) => exports.refuse(params.id ?? '', user, body.reason),
  );
  api.route({ method: 'get', path: '/api/exports/:id/image', roles: KEEPERS }, async ({ user, params }) => {
    const d = await exports.image(params.id ?? '', user);
    return new Response(d.body, {
      status: 200,
      headers: {
        'content-type': 'application/x-iso9660-image',
        'content-length': String(d.info.bytes),
        'content-disposition': `attachment; filename="${d.info.name}"`,
        'cache-control': 'private, no-store',
        'x-content-sha256': d.info.sha256,
        'x-audit-seq': String(d.auditSeq),
      },
    });
  });
  const pdf = (name: string, bytes: Buffer) =>
    new Response(new Uint8Array(bytes), {
      headers: {
        'content-type': 'application/pdf',
        'content-disposition': `inline; filename="${name}"`,
        'cache-control': 'private, no-store',
      },
    });
  api.route(
    { method: 'get', path: '/api/exports/:id/receipt', roles: EXPORT_SUPERVISORS },
    async ({ user, params }) => pdf(`receipt-${params.id}.pdf`, await exports.receipt(params.id ?? '', user)),
  );
  api.route(
    { method: 'get', path: '/api/exports/:id/manifest.pdf', roles: EXPORT_SUPERVISORS },
    async ({ user, params }) =>
      pdf(`manifest-${params.id}.pdf`, await exports.manifestPdf(params.id ?? '', user)),
  );
  api.route(
    { method: 'post', path: '/api/exports/:id/handover', roles: KEEPERS, body: HandoverBody },
    ({ user, params, body }) => exports.handover(params.id ?? '', user, body),
  );
}
