/**
 * Interruption records (R19): list, read; the one who recorded explains in writing, legal affairs
 * review, the principal closes; nobody approves text they wrote (SELF_APPROVAL, record.ts). Each
 * step is an `interruption-explained` audit entry (action explain / review / close).
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { InterruptionQuery, type InterruptionRecord } from '../../interruptions/record.js';
import type { InterruptionService } from '../../interruptions/service.js';
import { OFFICE_ROLES, type Role } from '../../roles.js';
import type { AuditInput } from '../../store/schema.js';
import type { PublicUser } from '../../users.js';
import type { Api } from '../server.js';

/** Anyone who recorded (officer, hearing staff) or keeps or supervises may write the explanation. */
export const EXPLAINERS: readonly Role[] = [
  'officer',
  'hearing-staff',
  'equipment-manager',
  'legal-affairs',
  'principal',
];
/** Review of the written explanation: the legal-affairs office (Art. 22 supervision). */
export const REVIEWERS: readonly Role[] = ['legal-affairs'];
/** Closing a reviewed record: the principal (Art. 19, told at once and answering for it). */
export const CLOSERS: readonly Role[] = ['principal'];

/**
 * R24: an officer sees and explains only interruptions of recordings made while they held the
 * recorder; hearing staff only those of the hearing-room cameras. Keepers and supervisors see all.
 */
export function inScope(user: PublicUser, r: InterruptionRecord): boolean {
  if (user.roles.some((role) => role !== 'officer' && role !== 'hearing-staff')) return true;
  if (user.roles.includes('hearing-staff') && r.source === 'camera') return true;
  return user.roles.includes('officer') && (r.officer?.id ?? r.heldBy) === user.username;
}

const ExplainBody = z.object({ text: z.string().trim().min(1).max(4000) });
const CloseBody = z.object({ note: z.string().trim().max(2000).optional() });
const ReviewBody = z.object({ accept: z.boolean(), note: z.string().trim().max(2000).optional() });

export function interruptionRoutes(
  api: Api,
  interruptions: InterruptionService,
  audit: (e: AuditInput) => Promise<unknown> = async () => {},
): void {
  const step = async (
    r: InterruptionRecord,
    actor: string,
    action: string,
    extra: Record<string, unknown> = {},
  ) => {
    await audit({
      type: 'interruption-explained',
      actor,
      subject: `interruption:${r.id}`,
      details: { action, status: r.status, heldBy: r.heldBy ?? null, sessionId: r.sessionId, ...extra },
    });
    return r;
  };
  api.route(
    { method: 'get', path: '/api/interruptions', roles: OFFICE_ROLES, query: InterruptionQuery },
    async ({ query, user }) => (await interruptions.list(query)).filter((r) => inScope(user, r)),
  );

  const visible = async (id: string, user: PublicUser) => {
    const r = await interruptions.get(id);
    // Out of scope reads as absent: no hint that the record exists.
    if (!r || !inScope(user, r)) throw new GatewayError('NOT_FOUND', `no interruption ${id}`);
    return r;
  };

  api.route({ method: 'get', path: '/api/interruptions/:id', roles: OFFICE_ROLES }, ({ params, user }) =>
    visible(params.id ?? '', user),
  );

  api.route(
    { method: 'post', path: '/api/interruptions/:id/explain', roles: EXPLAINERS, body: ExplainBody },
    async ({ params, body, user }) => {
      await visible(params.id ?? '', user);
      const r = await interruptions.explain(params.id ?? '', { text: body.text, author: user.username });
      return step(r, user.username, 'explain', { chars: body.text.length });
    },
  );

  api.route(
    { method: 'post', path: '/api/interruptions/:id/review', roles: REVIEWERS, body: ReviewBody },
    async ({ params, body, user }) => {
      const author = (await interruptions.get(params.id ?? ''))?.explanation?.author ?? null;
      const r = await interruptions.review(params.id ?? '', {
        by: user.username,
        accept: body.accept,
        ...(body.note ? { note: body.note } : {}),
      });
      return step(r, user.username, 'review', { accept: body.accept, author });
    },
  );

  api.route(
    { method: 'post', path: '/api/interruptions/:id/close', roles: CLOSERS, body: CloseBody },
    async ({ params, body, user }) => {
      const r = await interruptions.close(params.id ?? '', {
        by: user.username,
        ...(body.note ? { note: body.note } : {}),
      });
      return step(r, user.username, 'close', {
        author: r.explanation?.author ?? null,
        reviewer: r.review?.by ?? null,
      });
    },
  );
}
