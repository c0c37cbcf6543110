/**
 * Dock API: which recorder sits in which dock, in what state and why (a refused recorder shows
 * the reason), upload plan and progress, and the clock drift history per recorder.
 */
import { Serial } from '../../protocol/common.js';
import type { Api } from '../api/server.js';
import { GatewayError } from '../errors.js';
import type { Role } from '../roles.js';
import type { DockService } from './service.js';

export const DOCK_READ_ROLES: readonly Role[] = [
  'equipment-manager',
  'officer',
  'legal-affairs',
  'principal',
  'auditor',
];

export function dockRoutes(docks: DockService) {
  return (api: Api): void => {
    api.route({ method: 'get', path: '/api/docks', roles: DOCK_READ_ROLES }, () => ({
      docks: docks.list(),
      paused: docks.disk.paused,
    }));

    api.route(
      { method: 'get', path: '/api/docks/clock/:serial', roles: DOCK_READ_ROLES },
      async ({ params }) => {
        const serial = Serial.safeParse(params.serial);
        if (!serial.success) throw new GatewayError('BAD_REQUEST', `bad serial ${params.serial}`);
        return { serial: serial.data, history: await docks.clockHistory(serial.data) };
      },
    );
  };
}
