/**
 * Which live-stream events each role receives (R24: access follows duty). Supervisors and the
 * equipment manager see everything; an officer sees the dock and upload events of the dock page;
 * hearing staff see their rooms. Alerts reach a role when the alert names it in `notify`.
 */
import type { EventName, GatewayEvents } from '../events.js';
import type { Role } from '../roles.js';

const SEES_ALL: ReadonlySet<Role> = new Set(['equipment-manager', 'legal-affairs', 'principal', 'auditor']);

const BY_ROLE: Partial<Record<Role, ReadonlySet<EventName>>> = {
  officer: new Set(['dock.changed', 'pairing.changed', 'ingest.progress', 'clip.stored', 'alert.cleared']),
  'hearing-staff': new Set([
    'camera.changed',
    'hearing.changed',
    'hearing.segment',
    'interruption.opened',
    'interruption.updated',
    'alert.cleared',
  ]),
};

export function visibleTo<K extends EventName>(
  roles: readonly Role[],
  name: K,
  payload: GatewayEvents[K],
): boolean {
  if (roles.some((r) => SEES_ALL.has(r))) return true;
  if (name === 'alert.raised') {
    const notify = (payload as GatewayEvents['alert.raised']).notify;
    return roles.some((r) => notify.includes(r));
  }
  if (
    name === 'interruption.opened' &&
    (payload as GatewayEvents['interruption.opened']).source !== 'camera'
  ) {
    return false;
  }
  return roles.some((r) => BY_ROLE[r]?.has(name));
}
