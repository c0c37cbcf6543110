/**
 * The gateway goes down in the middle of a hearing: at its next start the session is recorded
 * again, the outage is an interruption (R19, cause fault) that ends when data flows, and the
 * segments from before and after are all in the store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InterruptionRecord } from '../../gateway/interruptions/record.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { type HearingRig, rigCameraConfig, startHearingRig, waitFor } from './rig.js';

describe('gateway restart during a hearing', () => {
  let rig: HearingRig;
  let dataDir: string;
  let gw2: TestGateway | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gw-restart-'));
    rig = await startHearingRig(1, { firstOctet: 61, dataDir });
  });
  afterAll(async () => {
    await gw2?.stop();
    await rig?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('resumes recording with the outage as an interruption', async () => {
    const started = await rig.staff.post('/api/hearings', { roomId: 'R1', caseNo: 'RESTART-1' });
    const id = started.body.id as string;
    await waitFor(
      async () => (await rig.staff.get(`/api/hearings/${id}`)).body.live.segments >= 1 || undefined,
      'first segment',
    );
    await rig.gw.stop();

    gw2 = await startGateway({ dataDir, cameras: rigCameraConfig(1) });
    const staff = await gw2.as('hearing-staff');
    const principal = await gw2.as('principal');
    const live = await staff.get(`/api/hearings/${id}`);
    expect(live.body.state).toBe('recording');
    expect(live.body.live).not.toBeNull();

    const fault = await waitFor(async () => {
      const r = (await principal.get(`/api/interruptions?sessionId=${id}`)).body as InterruptionRecord[];
      return r.find((i) => i.cause === 'fault' && i.end !== null);
    }, 'outage interruption resumed');
    expect(fault.resumed).toBe(true);
    expect(fault.device).toBe('cam1');

    const preRestart = (await gw2.app.hearings.segments(id)).filter((s) => s.end <= fault.start);
    expect(preRestart.length).toBeGreaterThanOrEqual(1);
    await waitFor(
      async () => (await gw2!.app.hearings.segments(id)).some((s) => s.start >= fault.end!) || undefined,
      'a segment after restart',
    );

    // Another staff account than the one who started it may not stop it (R24): the principal does.
    const stopped = await principal.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    const cam = stopped.body.summary.cameras[0];
    const gap = cam.gaps.find((g: { interruptionId: string | null }) => g.interruptionId === fault.id);
    expect(gap, JSON.stringify(cam.gaps)).toBeDefined();
    expect(gap.cause).toBe('fault');
    expect(cam.lastSegmentPlayable).toBe(true);
    const clips = await gw2.app.store.index.listBySession(id);
    expect(clips.length).toBe(stopped.body.summary.segments);
  });
});
