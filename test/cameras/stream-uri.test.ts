/**
 * The stream is recorded where the camera says it is (an encoder or NVR serves RTSP from another
 * host than its ONVIF service), unless the camera's `streamUri` is set by hand. Real gateway,
 * simulated camera whose RTSP listens on another loopback address, real ffmpeg.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { rigCameraConfig, waitFor } from '../hearings/rig.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

const PW = 'Str3am-pw';

describe('stream URI host', () => {
  let fleet: CameraFleet;
  let gw: TestGateway;
  let manager: ApiClient;
  let staff: ApiClient;

  beforeAll(async () => {
    // ONVIF on 127.0.0.131, RTSP on 127.0.0.132 (nothing listens for RTSP on .131).
    fleet = await startCameras(1, {
      firstOctet: 131,
      common: { user: 'admin', password: PW },
      perCamera: () => ({ rtspAddress: '127.0.0.132' }),
    });
    gw = await startGateway({ cameras: rigCameraConfig(2) });
    manager = await gw.as('equipment-manager');
    staff = await gw.as('hearing-staff');
  }, 60_000);

  /** A hearing in the room records at least one segment, then stops. */
  async function recordOneSegment(roomId: string): Promise<void> {
    const started = await staff.post('/api/hearings', { roomId, caseNo: `URI-${roomId}` });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    await waitFor(
      async () => (await staff.get(`/api/hearings/${id}`)).body.live.segments >= 1 || undefined,
      'a segment',
    );
    expect((await staff.post(`/api/hearings/${id}/stop`)).status).toBe(200);
  }

  afterAll(async () => {
    await gw?.stop();
    await fleet?.stop();
  });

  it('keeps the host the camera names, and records from it', async () => {
    const cam = fleet.cameras[0]!;
    const r = await manager.post('/api/cameras', {
      id: 'enc1',
      xaddr: cam.xaddr,
      user: 'admin',
      password: PW,
      roomId: 'R1',
    });
    expect(r.status).toBe(200);
    expect(new URL(r.body.info.streamUri).hostname).toBe('127.0.0.132');
    await recordOneSegment('R1');
  }, 90_000);

  it('a per-camera streamUri is recorded instead; one with credentials in it is refused', async () => {
    const cam = fleet.cameras[0]!;
    await manager.request('DELETE', '/api/cameras/enc1');
    const bad = await manager.post('/api/cameras', {
      id: 'enc2',
      xaddr: cam.xaddr,
      user: 'admin',
      password: PW,
      streamUri: `rtsp://admin:${PW}@127.0.0.132:${cam.rtspPort}/onvif/profile_1`,
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toContain(PW);
    const override = `rtsp://127.0.0.132:${cam.rtspPort}/onvif/profile_1?via=override`;
    const r = await manager.post('/api/cameras', {
      id: 'enc2',
      xaddr: cam.xaddr,
      user: 'admin',
      password: PW,
      roomId: 'R2',
      streamUri: override,
    });
    expect(r.status).toBe(200);
    expect(r.body.streamUri).toBe(override);
    expect(gw.app.cameras.streamFor('enc2').url).toBe(override);
    await recordOneSegment('R2');
  }, 90_000);
});
