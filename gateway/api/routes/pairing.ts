/**
 * Pairing (R5, R21): the officer at the dock sees docked recorders with the readiness forecast and
 * takes one (check-out); check-in happens by itself when the recorder is docked after the shift
 * and its uploads are done, or by hand. Assignment history per recorder and per officer.
 */
import { z } from 'zod';
import { Serial } from '../../../protocol/common.js';
import { GatewayError } from '../../errors.js';
import { HistoryQuery, PairBody } from '../../pairing/assignment.js';
import { LostBody } from '../../pairing/lost.js';
import type { PairingService } from '../../pairing/service.js';
import { TimeParam } from '../../query-params.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

/** Who takes a recorder at shift start: the officer, for themselves. */
export const PAIRING_TAKERS: readonly Role[] = ['officer'];
/** Docked recorders with readiness: the officer at the dock and the equipment manager. */
export const DOCKED_VIEWERS: readonly Role[] = ['officer', 'equipment-manager'];
/** Check-in by hand: the officer (their own recorder) or the equipment manager. */
export const CHECKIN_ROLES: readonly Role[] = ['officer', 'equipment-manager'];
/** Who has which recorder, and since when (officers see their own only). */
export const PAIRING_READERS: readonly Role[] = ['equipment-manager', ...SUPERVISORS, 'officer'];
/** Report a recorder lost, closing its assignment without a dock (R21): custodian or principal. */
export const LOST_REPORTERS: readonly Role[] = ['equipment-manager', 'principal'];
/** Assignment history of a recorder and "who had it at T" (R3, R21). */
export const HISTORY_READERS: readonly Role[] = ['equipment-manager', ...SUPERVISORS];

const AtQuery = z.object({ serial: Serial, at: TimeParam });

const onlyOfficer = (roles: readonly Role[]) =>
  !roles.some((r) => r !== 'officer' && PAIRING_READERS.includes(r));

export function pairingRoutes(api: Api, pairing: PairingService): void {
  api.route({ method: 'get', path: '/api/pairings/docked', roles: DOCKED_VIEWERS }, () => pairing.docked());

  api.route(
    { method: 'post', path: '/api/pairings', roles: PAIRING_TAKERS, body: PairBody },
    ({ user, body }) => {
      if (body.officer.id !== user.username) {
        throw new GatewayError(
          'FORBIDDEN',
          `officers pair a recorder to themselves: officer.id must be your user name ${user.username}`,
        );
      }
      return pairing.pair(body, user.username);
    },
  );

  api.route(
    { method: 'post', path: '/api/pairings/:serial/check-in', roles: CHECKIN_ROLES },
    async ({ user, params }) => {
      const serial = params.serial ?? '';
      const a = pairing.activeFor(serial);
      if (a && !user.roles.includes('equipment-manager') && a.officer.id !== user.username) {
        throw new GatewayError('FORBIDDEN', `recorder ${serial} is checked out to another officer`);
      }
      return pairing.checkIn(serial, { by: user.username, trigger: 'manual' });
    },
  );

  api.route(
    { method: 'post', path: '/api/recorders/:serial/lost', roles: LOST_REPORTERS, body: LostBody },
    ({ user, params, body }) => {
      const serial = Serial.safeParse(params.serial);
      if (!serial.success) throw new GatewayError('BAD_REQUEST', `bad serial ${params.serial}`);
      return pairing.markLost(serial.data, body, user.username);
    },
  );

  api.route({ method: 'get', path: '/api/pairings', roles: PAIRING_READERS }, ({ user }) => {
    const all = pairing.active();
    return onlyOfficer(user.roles) ? all.filter((a) => a.officer.id === user.username) : all;
  });

  api.route(
    { method: 'get', path: '/api/pairings/at', roles: HISTORY_READERS, query: AtQuery },
    async ({ query }) => {
      const a = await pairing.assignmentAt(query.serial, query.at);
      return { serial: query.serial, at: query.at, officer: a?.officer ?? null, assignment: a ?? null };
    },
  );

  api.route(
    { method: 'get', path: '/api/pairings/recorders/:serial', roles: HISTORY_READERS, query: HistoryQuery },
    ({ params, query }) => pairing.historyForRecorder(params.serial ?? '', query.limit),
  );

  api.route(
    { method: 'get', path: '/api/pairings/officers/:officerId', roles: PAIRING_READERS, query: HistoryQuery },
    ({ user, params, query }) => {
      const id = params.officerId ?? '';
      if (onlyOfficer(user.roles) && id !== user.username) {
        throw new GatewayError('FORBIDDEN', 'officers see their own assignment history only');
      }
      return pairing.historyForOfficer(id, query.limit);
    },
  );
}
