/**
 * Custody of the audit log (R25, FORMATS.md §2): signed checkpoints, their printable receipts and
 * the gateway's public key. Supervisors read; the principal and the legal-affairs office may issue
 * a checkpoint now (e.g. before a USB witness is taken away).
 */
import { z } from 'zod';
import type { CustodyService } from '../../custody/service.js';
import { groupFingerprint } from '../../custody/signing-key.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

export const CUSTODY_READERS: readonly Role[] = SUPERVISORS;
export const CHECKPOINT_ISSUERS: readonly Role[] = ['principal', 'legal-affairs'];

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const IssueBody = z.object({ reason: z.string().trim().min(1).max(200).default('on demand') });
const TreeSize = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export function custodyRoutes(api: Api, custody: CustodyService): void {
  api.route(
    { method: 'get', path: '/api/custody/checkpoints', roles: CUSTODY_READERS, query: ListQuery },
    ({ query }) => custody.listCheckpoints(query.limit),
  );

  api.route({ method: 'get', path: '/api/custody/checkpoints/latest', roles: CUSTODY_READERS }, async () => {
    return (await custody.latestCheckpoint()) ?? null;
  });

  api.route(
    { method: 'post', path: '/api/custody/checkpoints', roles: CHECKPOINT_ISSUERS, body: IssueBody },
    ({ body, user }) => custody.issueCheckpoint(body.reason, user.username),
  );

  api.route(
    { method: 'get', path: '/api/custody/checkpoints/:treeSize/receipt', roles: CUSTODY_READERS },
    async ({ params }) => {
      const treeSize = TreeSize.parse(params.treeSize);
      const pdf = await custody.receiptPdf(treeSize);
      return new Response(new Uint8Array(pdf), {
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': `attachment; filename="custody-receipt-${treeSize}.pdf"`,
          'cache-control': 'no-store',
        },
      });
    },
  );

  api.route({ method: 'get', path: '/api/custody/key', roles: CUSTODY_READERS }, () => {
    const key = custody.publicKeyJson();
    return { ...key, fingerprintGrouped: groupFingerprint(key.fingerprint), pem: custody.publicKeyPem() };
  });
}
