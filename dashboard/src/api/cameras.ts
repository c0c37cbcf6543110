/** The fixed-camera routes (gateway/api/routes/cameras.ts) the equipment manager's page calls. */

import { request } from './client.js';
import type { CameraView } from './types.js';

export interface DiscoveredCameraView {
  urn: string;
  xaddr: string;
  name: string;
  hardware: string;
  location: string;
  address: string;
  /** The registered camera this answer is, if any. */
  cameraId: string | null;
}

export interface RoomItem {
  id: string;
  name: string;
}

const enc = encodeURIComponent;

export const camerasApi = {
  list: () => request<CameraView[]>('GET', '/api/cameras'),
  rooms: () => request<RoomItem[]>('GET', '/api/rooms'),
  discover: () => request<DiscoveredCameraView[]>('POST', '/api/cameras/discover', {}),
  /** The password goes in the body only, never in the URL (R25: no secret where logs keep it). */
  add: (input: {
    xaddr: string;
    user: string;
    password: string;
    name?: string;
    urn?: string;
    roomId?: string | null;
  }) => request<CameraView>('POST', '/api/cameras', input),
  assignRoom: (id: string, roomId: string | null) =>
    request<CameraView>('PUT', `/api/cameras/${enc(id)}/room`, { roomId }),
  setPassword: (id: string, password: string) =>
    request<CameraView>('PUT', `/api/cameras/${enc(id)}/password`, { password }),
  health: (id: string) => request<CameraView>('POST', `/api/cameras/${enc(id)}/health`, {}),
  syncClock: (id: string) => request<CameraView>('POST', `/api/cameras/${enc(id)}/sync-clock`, {}),
  remove: (id: string) => request<{ ok: true }>('DELETE', `/api/cameras/${enc(id)}`),
  snapshotUrl: (id: string, bust: number) => `/api/cameras/${enc(id)}/snapshot?fresh=1&t=${bust}`,
};
