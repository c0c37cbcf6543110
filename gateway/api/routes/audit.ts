/**
 * The audit log (R3, R24, R25): recent entries for the people who supervise, and a full
 * verification (every blob re-hashed against the index, the hash chain checked) on demand.
 */
import { z } from 'zod';
import { type Role, SUPERVISORS } from '../../roles.js';
import { type AuditEntry, AuditType, type ClipStore } from '../../store/index.js';
import type { Api } from '../server.js';

export const AUDIT_READERS: readonly Role[] = SUPERVISORS;

export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  /** Entries with seq below this (paging back from the newest). */
  before: z.coerce.number().int().min(1).optional(),
  /** e.g. clip:<id>, recorder:<serial>. */
  subject: z.string().min(1).max(200).optional(),
  type: AuditType.optional(),
  actor: z.string().min(1).max(128).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/** Filtered scans look at most this many entries per request. */
const SCAN_CAP = 20_000;

export function auditRoutes(
  api: Api,
  store: Pick<ClipStore, 'audit' | 'verify'>,
  /** Raises what a failing verify finds (alert to principal and legal affairs, R25). */
  integrity?: { verifyNow(actor: string): Promise<unknown> },
): void {
  api.route(
    { method: 'get', path: '/api/audit', roles: AUDIT_READERS, query: AuditQuery },
    async ({ query }) => listAudit(store, query),
  );

  api.route({ method: 'post', path: '/api/audit/verify', roles: AUDIT_READERS }, ({ user }) =>
    integrity ? integrity.verifyNow(user.username) : store.verify({ actor: user.username, record: true }),
  );
}

/** Newest first. */
export async function listAudit(store: Pick<ClipStore, 'audit'>, q: AuditQuery): Promise<AuditEntry[]> {
  const audit = store.audit;
  const keep = (e: AuditEntry) =>
    (q.before === undefined || e.seq < q.before) &&
    (q.type === undefined || e.type === q.type) &&
    (q.actor === undefined || e.actor === q.actor);
  if (q.subject !== undefined) {
    const all = await audit.bySubject(q.subject, { reverse: true, limit: SCAN_CAP });
    return all.filter(keep).slice(0, q.limit);
  }
  if (q.before === undefined && q.type === undefined && q.actor === undefined) return audit.recent(q.limit);
  const out: AuditEntry[] = [];
  const top = Math.min(audit.head.seq, (q.before ?? Number.MAX_SAFE_INTEGER) - 1);
  for (let seq = top; seq >= 1 && out.length < q.limit && top - seq < SCAN_CAP; seq--) {
    const e = await audit.get(seq);
    if (e && keep(e)) out.push(e);
  }
  return out;
}
