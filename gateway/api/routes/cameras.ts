/**
 * Hearing-room cameras and rooms. Equipment managers administer cameras (R21: dedicated staff keep
 * the devices); hearing-room staff see them and their snapshots; supervisors read.
 */
import { z } from 'zod';
import { CameraPassword } from '../../cameras/control.js';
import { AddCameraInput, type CameraRegistry } from '../../cameras/registry.js';
import type { HearingService } from '../../hearings/service.js';
import type { PrerollCache } from '../../recording/preroll.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

export const CAMERA_ADMINS: readonly Role[] = ['equipment-manager'];
export const CAMERA_READERS: readonly Role[] = ['equipment-manager', 'hearing-staff', ...SUPERVISORS];
/** Live pictures of a hearing room: the people who run or supervise hearings and the custodians. */
export const SNAPSHOT_VIEWERS: readonly Role[] = [
  'equipment-manager',
  'hearing-staff',
  'legal-affairs',
  'principal',
];

/**
 * A picture served to the live view is at most this old: with the page asking once a second the
 * picture shown lags the room by under 3 s (the camera's own snapshot, this, the fetch).
 */
export const LIVE_PICTURE_MAX_AGE_MS = 1000;

const DiscoverBody = z.object({ timeoutMs: z.number().int().min(200).max(30_000).optional() });
const RoomBody = z.object({ roomId: z.string().min(1).max(64).nullable() });
const PasswordBody = z.object({ password: CameraPassword });
const SnapshotQuery = z.object({ fresh: z.enum(['0', '1', 'true', 'false']).optional() });

export function cameraRoutes(
  api: Api,
  cameras: CameraRegistry,
  hearings: HearingService,
  preroll?: Pick<PrerollCache, 'status'>,
): void {
  api.route({ method: 'get', path: '/api/rooms', roles: CAMERA_READERS }, () =>
    cameras.rooms().map((r) => {
      const s = hearings.activeInRoom(r.id);
      return { ...r, activeSession: s ? { id: s.id, caseNo: s.caseNo, startedAt: s.startedAt } : null };
    }),
  );

  // With each camera's pre-roll state: a cache that cannot warm means no lead-in, and says why.
  api.route({ method: 'get', path: '/api/cameras', roles: CAMERA_READERS }, () =>
    cameras.list().map((c) => ({ ...c, preroll: preroll?.status(c.id) ?? null })),
  );

  api.route(
    { method: 'post', path: '/api/cameras/discover', roles: CAMERA_ADMINS, body: DiscoverBody },
    ({ body }) => cameras.discover(body.timeoutMs),
  );

  api.route({ method: 'get', path: '/api/cameras/discovered', roles: CAMERA_ADMINS }, () =>
    cameras.lastDiscovered(),
  );

  api.route(
    { method: 'post', path: '/api/cameras', roles: CAMERA_ADMINS, body: AddCameraInput },
    ({ body, user }) => cameras.add(body, user.username),
  );

  api.route({ method: 'get', path: '/api/cameras/:id', roles: CAMERA_READERS }, ({ params }) =>
    cameras.view(params.id ?? ''),
  );

  api.route(
    { method: 'put', path: '/api/cameras/:id/room', roles: CAMERA_ADMINS, body: RoomBody },
    ({ params, body, user }) => cameras.assignRoom(params.id ?? '', body.roomId, user.username),
  );

  // A camera rebuilt from the audit log (`passwordLost`), or whose password was changed on it.
  api.route(
    { method: 'put', path: '/api/cameras/:id/password', roles: CAMERA_ADMINS, body: PasswordBody },
    ({ params, body, user }) => cameras.setPassword(params.id ?? '', body.password, user.username),
  );

  api.route(
    { method: 'delete', path: '/api/cameras/:id', roles: CAMERA_ADMINS },
    async ({ params, user }) => {
      await cameras.remove(params.id ?? '', user.username);
      return { ok: true };
    },
  );

  api.route({ method: 'post', path: '/api/cameras/:id/health', roles: CAMERA_ADMINS }, async ({ params }) => {
    await cameras.pollOne(params.id ?? '');
    return cameras.view(params.id ?? '');
  });

  api.route({ method: 'post', path: '/api/cameras/:id/sync-clock', roles: CAMERA_ADMINS }, ({ params }) =>
    cameras.syncClock(params.id ?? ''),
  );

  api.route(
    { method: 'get', path: '/api/cameras/:id/snapshot', roles: SNAPSHOT_VIEWERS, query: SnapshotQuery },
    async ({ params, query }) => {
      const fresh = query.fresh === '1' || query.fresh === 'true';
      const snap = await cameras.snapshot(params.id ?? '', fresh ? 0 : LIVE_PICTURE_MAX_AGE_MS);
      return new Response(new Uint8Array(snap.jpeg), {
        headers: {
          'content-type': 'image/jpeg',
          'cache-control': 'no-store',
          'x-snapshot-at': new Date(snap.at).toISOString(),
        },
      });
    },
  );
}
