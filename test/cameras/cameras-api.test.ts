/**
 * Cameras through the real gateway against simulated ONVIF cameras on loopback: WS-Discovery,
 * WS-UsernameToken digest accepted and refused, registry with rooms, snapshot, roles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { OnvifNodeAdapter } from '../../gateway/cameras/onvif-node-adapter.js';
import { GatewayError } from '../../gateway/errors.js';
import { createLogger } from '../../gateway/log.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

const log = createLogger({ level: 'silent' });

describe('hearing-room cameras', () => {
  let fleet: CameraFleet;
  let gw: TestGateway;
  let manager: ApiClient;
  let staff: ApiClient;

  beforeAll(async () => {
    fleet = await startCameras(3, { firstOctet: 21, common: { user: 'admin', password: 'Hear1ng-pw' } });
    gw = await startGateway({
      cameras: {
        rooms: [{ id: 'R1', name: 'Hearing Room 1' }],
        discoveryInterface: '127.0.0.1',
        discoveryTimeoutMs: 1500,
        healthPollS: 600,
      },
    });
    manager = await gw.as('equipment-manager');
    staff = await gw.as('hearing-staff');
  });
  afterAll(async () => {
    await gw?.stop();
    await fleet?.stop();
  });

  it('discovers at least 3 simulated cameras on loopback', async () => {
    const adapter = new OnvifNodeAdapter({ log, discoveryInterface: '127.0.0.1' });
    const found = await adapter.discover(1500);
    for (const cam of fleet.cameras) {
      const hit = found.find((d) => d.urn === cam.endpoint);
      expect(hit, `camera ${cam.address}`).toBeDefined();
      expect(hit!.xaddr).toBe(cam.xaddr);
      expect(hit!.address).toBe(cam.address);
      expect(hit!.name).toBe(cam.identity.name);
    }
  });

  it('lets the equipment manager discover through the API, not hearing staff', async () => {
    const r = await manager.post('/api/cameras/discover', { timeoutMs: 1500 });
    expect(r.status).toBe(200);
    const urns = (r.body as { urn: string }[]).map((d) => d.urn);
    for (const cam of fleet.cameras) expect(urns).toContain(cam.endpoint);
    expect((await staff.post('/api/cameras/discover', {})).status).toBe(403);
  });

  it('refuses a wrong password with CAMERA_AUTH and stores nothing', async () => {
    const cam = fleet.cameras[1]!;
    const r = await manager.post('/api/cameras', {
      xaddr: cam.xaddr,
      user: 'admin',
      password: 'wrong-password',
    });
    // A 4xx with a clear code: the camera is there and refused the credentials (not "unavailable").
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('CAMERA_AUTH');
    expect(r.body.error.message).toMatch(/credentials|not authori[sz]ed|refused/i);
    expect(r.body.error.message).not.toContain('wrong-password');
    expect(r.body.error.message).not.toContain('[object Object]');
    const list = await manager.get('/api/cameras');
    expect((list.body as { xaddr: string }[]).some((c) => c.xaddr === cam.xaddr)).toBe(false);
  });

  it('adds a camera with the right password: device info, RTSP over TCP, clock offset; no password shown', async () => {
    const cam = fleet.cameras[0]!;
    const r = await manager.post('/api/cameras', {
      id: 'cam-a',
      xaddr: cam.xaddr,
      user: 'admin',
      password: 'Hear1ng-pw',
      urn: cam.endpoint,
    });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe('cam-a');
    expect(r.body.password).toBeUndefined();
    expect(r.body.origin).toBe('discovered');
    expect(r.body.info.device.manufacturer).toBe(cam.identity.manufacturer);
    expect(r.body.info.streamUri).toBe(cam.rtspUrl);
    expect(r.body.info.transport).toBe('tcp');
    expect(r.body.health.reachable).toBe(true);
    expect(Math.abs(r.body.info.clockOffsetMs)).toBeLessThanOrEqual(1500);
    const again = await manager.post('/api/cameras', {
      xaddr: cam.xaddr,
      user: 'admin',
      password: 'Hear1ng-pw',
    });
    expect(again.status).toBe(409);
  });

  it('assigns the camera to a room (equipment manager only) and lists the room', async () => {
    expect((await staff.request('PUT', '/api/cameras/cam-a/room', { roomId: 'R1' })).status).toBe(403);
    expect((await manager.request('PUT', '/api/cameras/cam-a/room', { roomId: 'nope' })).status).toBe(404);
    const r = await manager.request('PUT', '/api/cameras/cam-a/room', { roomId: 'R1' });
    expect(r.status).toBe(200);
    expect(r.body.roomId).toBe('R1');
    const rooms = await staff.get('/api/rooms');
    expect(rooms.body).toEqual([
      { id: 'R1', name: 'Hearing Room 1', cameras: ['cam-a'], activeSession: null },
    ]);
  });

  it('serves a fresh JPEG snapshot to hearing staff', async () => {
    const res = await fetch(`${gw.url}/api/cameras/cam-a/snapshot?fresh=1`, {
      headers: { authorization: `Bearer ${staff.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('polls health and syncs the camera clock to the gateway', async () => {
    const cam = fleet.cameras[0]!;
    cam.state.clock.offsetMs = 90_000;
    const polled = await manager.post('/api/cameras/cam-a/health', {});
    expect(polled.body.health.reachable).toBe(true);
    expect(polled.body.health.clockOffsetMs).toBeGreaterThan(85_000);
    const synced = await manager.post('/api/cameras/cam-a/sync-clock', {});
    expect(synced.status).toBe(200);
    expect(Math.abs(synced.body.health.clockOffsetMs)).toBeLessThanOrEqual(1500);
    expect(Math.abs(cam.state.clock.offsetMs)).toBeLessThan(1500);
  });

  it('marks a camera unreachable when it stops answering, and the adapter says why', async () => {
    const cam = fleet.cameras[2]!;
    const added = await manager.post('/api/cameras', {
      id: 'cam-c',
      xaddr: cam.xaddr,
      user: 'admin',
      password: 'Hear1ng-pw',
    });
    expect(added.status).toBe(200);
    await cam.stop();
    const polled = await manager.post('/api/cameras/cam-c/health', {});
    expect(polled.body.health.reachable).toBe(false);
    expect(polled.body.health.error.code).toBe('CAMERA_UNREACHABLE');
    const adapter = new OnvifNodeAdapter({ log });
    const err = await adapter.connect({ xaddr: cam.xaddr, user: 'admin', password: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('CAMERA_UNREACHABLE');
  });
});
