/**
 * A camera that is not warm (just assigned to its room) records exactly as without the pre-roll:
 * no lead-in, and the start-up before its first frame counts as unrecorded. Unassigning a camera
 * ends its warm ffmpeg and deletes its ring. Real ffmpeg, real simulated camera.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HearingRig, startHearingRig, waitFor } from './rig.js';

interface Row {
  clipId: string;
  start: number;
  end: number;
  leadIn?: boolean;
}

describe('pre-roll on a camera that is not warm', () => {
  let rig: HearingRig;
  beforeAll(async () => {
    rig = await startHearingRig(1, { firstOctet: 81 });
  });
  afterAll(() => rig?.stop());

  it('unassigning a camera stops its warm ffmpeg and deletes its ring', async () => {
    const preroll = rig.gw.app.preroll;
    await waitFor(() => preroll.isWarm('cam1'), 'warm cache');
    const dir = preroll.ringDir('cam1');
    expect((await readdir(dir)).some((f) => f.endsWith('.mp4'))).toBe(true);
    expect((await rig.manager.request('PUT', '/api/cameras/cam1/room', { roomId: null })).status).toBe(200);
    expect(preroll.isWarm('cam1')).toBe(false);
    await waitFor(async () => (await readdir(dir).catch(() => null)) === null, 'ring deleted');
  });

  it('a hearing started the moment the camera is assigned has no lead-in; the start-up is a gap', async () => {
    const app = rig.gw.app;
    await app.cameras.assignRoom('cam1', 'R1');
    expect(app.preroll.isWarm('cam1')).toBe(false);
    const started = await app.hearings.startSession({ roomId: 'R1', caseNo: 'COLD-1' }, rig.staff.username);
    await waitFor(async () => (await app.hearings.segments(started.id)).length >= 1 || undefined, 'segment');
    const stopped = await app.hearings.stopSession(started.id, rig.staff.username);
    const rows = (await app.hearings.segments(started.id)) as Row[];
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.filter((r) => r.leadIn || r.clipId.endsWith('.pre'))).toEqual([]);
    expect(rows[0]!.start).toBeGreaterThan(started.startedAt);
    expect(stopped.summary!.coverage).toBeLessThan(1);
    expect(stopped.summary!.cameras[0]!.recordedMs).toBeLessThan(stopped.summary!.wallMs);
    // Released by the hearing, the camera is kept warm again.
    await waitFor(() => app.preroll.isWarm('cam1'), 'warm again');
  });
});
