/**
 * Who may see which clip (R24: access strictly by duty, post and authority). The route roles say
 * who may call at all; this narrows it per clip:
 * - legal-affairs, principal, auditor: every clip (supervision, Art. 22, 24);
 * - officer: clips that carry their own officer id (their user name), metadata and viewing; no
 *   downloads (R22: officers may not keep recordings);
 * - hearing-staff: clips of hearing sessions they started, and those sessions' segment lists.
 */

import { GatewayError } from '../errors.js';
import { type Role, SUPERVISORS } from '../roles.js';
import type { ClipRecord } from '../store/index.js';
import type { ClipSearchQuery } from './view.js';

export const CLIP_SUPERVISORS: readonly Role[] = SUPERVISORS;
/** Roles that may call the clip routes at all (each then limited per clip). */
export const CLIP_READERS: readonly Role[] = [...CLIP_SUPERVISORS, 'officer', 'hearing-staff'];

export interface ClipUser {
  username: string;
  roles: readonly Role[];
}

/** Who started a hearing session (null when unknown). */
export type HearingOwner = (sessionId: string) => Promise<string | null>;

const has = (u: ClipUser, r: Role) => u.roles.includes(r);
export const isSupervisor = (u: ClipUser) => CLIP_SUPERVISORS.some((r) => has(u, r));

/** The parts of a clip (record or view) access depends on. */
export type ClipOwnership = Pick<ClipRecord, 'clipId' | 'source' | 'sessionId' | 'officer'>;

export async function mayRead(u: ClipUser, r: ClipOwnership, owner?: HearingOwner): Promise<boolean> {
  if (isSupervisor(u)) return true;
  if (has(u, 'officer') && r.source.kind === 'recorder' && r.officer?.id === u.username) return true;
  if (r.source.kind === 'camera') return mayReadHearing(u, r.sessionId, owner);
  return false;
}

/** A hearing session's recordings: supervisors, and the hearing staff member who started it. */
export async function mayReadHearing(u: ClipUser, sessionId: string, owner?: HearingOwner): Promise<boolean> {
  if (isSupervisor(u)) return true;
  if (!has(u, 'hearing-staff') || !owner) return false;
  return (await owner(sessionId).catch(() => null)) === u.username;
}

export async function assertMayReadHearing(
  u: ClipUser,
  sessionId: string,
  owner: HearingOwner,
): Promise<void> {
  if (!(await mayReadHearing(u, sessionId, owner))) {
    throw new GatewayError(
      'FORBIDDEN',
      `hearing ${sessionId} was started by someone else: its recordings are outside your duties (R24)`,
      { sessionId },
    );
  }
}

export async function assertMayRead(u: ClipUser, r: ClipOwnership, owner?: HearingOwner): Promise<void> {
  if (!(await mayRead(u, r, owner))) {
    throw new GatewayError('FORBIDDEN', `clip ${r.clipId} is outside your duties (R24)`, {
      clipId: r.clipId,
    });
  }
}

export function assertMayDownload(u: ClipUser, r: ClipOwnership): void {
  if (isSupervisor(u)) return;
  throw new GatewayError(
    'FORBIDDEN',
    `downloading clip ${r.clipId} needs legal-affairs, principal or auditor; officers may not keep recordings (R22, R24)`,
    { clipId: r.clipId },
  );
}

/**
 * Narrows a search to what the user may see: officers to their own clips, hearing staff to a
 * session they started. Supervisors search everything.
 */
export async function scopeSearch(
  u: ClipUser,
  q: ClipSearchQuery,
  owner?: HearingOwner,
): Promise<ClipSearchQuery> {
  if (isSupervisor(u)) return q;
  if (has(u, 'hearing-staff') && q.sessionId !== undefined && owner) {
    if ((await owner(q.sessionId).catch(() => null)) === u.username) return q;
  }
  if (has(u, 'officer')) {
    if (q.officerId !== undefined && q.officerId !== u.username) {
      throw new GatewayError(
        'FORBIDDEN',
        `officers see their own clips only (officerId ${u.username}) (R24)`,
      );
    }
    return { ...q, officerId: u.username };
  }
  throw new GatewayError(
    'FORBIDDEN',
    'hearing staff search the clips of a hearing session they started (sessionId)',
  );
}
