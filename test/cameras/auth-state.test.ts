/**
 * A camera whose ONVIF service refuses the configured credentials is `auth-failed` (认证失败), not
 * merely offline, and its error says so without the password in it. Real gateway, simulated camera.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { rigCameraConfig } from '../hearings/rig.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const WRONG = 'Wr0ng-config-pw';

describe('camera refusing the configured credentials', () => {
  let fleet: CameraFleet;
  let gw: TestGateway;

  beforeAll(async () => {
    fleet = await startCameras(1, { firstOctet: 137, common: { user: 'admin', password: 'Right-pw-1' } });
    gw = await startGateway({
      cameras: {
        ...rigCameraConfig(1),
        cameras: [
          { id: 'cfg1', xaddr: fleet.cameras[0]!.xaddr, user: 'admin', password: WRONG, roomId: 'R1' },
        ],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await fleet?.stop();
  });

  it('shows auth-failed with CAMERA_AUTH after a health poll', async () => {
    const manager = await gw.as('equipment-manager');
    const polled = await manager.post('/api/cameras/cfg1/health');
    expect(JSON.stringify(polled.body)).not.toContain(WRONG);
    const r = await manager.get('/api/cameras/cfg1');
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('auth-failed');
    expect(r.body.health.error.code).toBe('CAMERA_AUTH');
    expect(JSON.stringify(r.body)).not.toContain(WRONG);
  });
});
