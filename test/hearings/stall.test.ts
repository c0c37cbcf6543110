/**
 * Stream stalls mid-session (RTP stops, RTSP stays up): the watchdog sees no fresh data, opens an
 * interruption (R19) whose start is the last media written, restarts ffmpeg, closes it when data
 * flows again; the summary's coverage and gaps agree with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HearingRig,
  interruptionIds,
  newInterruption,
  sleep,
  startHearingRig,
  startHearingWithSegment,
  waitFor,
} from './rig.js';

/** Wall-clock estimates of media time carry ffmpeg's muxing delay: allow this much noise. */
const ESTIMATE_NOISE_MS = 300;

describe('stream stall during a hearing', () => {
  let rig: HearingRig;
  beforeAll(async () => {
    rig = await startHearingRig(1, { firstOctet: 41, cameras: { resumeAlertS: 60 } });
  });
  afterAll(() => rig?.stop());

  it('records the gap as an interruption, recovers, and reports coverage accordingly', async () => {
    const cam = rig.fleet.cameras[0]!;
    const id = await startHearingWithSegment(rig, 'STALL-1');

    // A slow start on a loaded machine may already have left a (resumed) record: only new ones count.
    const before = await interruptionIds(rig, id);
    const stallAt = Date.now();
    cam.faults.stall();
    const opened = await newInterruption(rig, id, before);
    expect(opened.source).toBe('camera');
    expect(opened.device).toBe('cam1');
    expect(opened.roomId).toBe('R1');
    expect(opened.cause).toBe('stream-lost');
    expect(opened.end).toBeNull();
    // The gap starts at the last media written, not when the watchdog noticed.
    expect(opened.start).toBeLessThan(opened.details?.detectedAt as number);
    const live = await rig.staff.get(`/api/hearings/${id}`);
    expect(live.body.live.cameras[0].state).toBe('stalled');
    expect(live.body.live.cameras[0].gap.interruptionId).toBe(opened.id);

    await sleep(Math.max(0, 3000 - (Date.now() - stallAt)));
    const stallMs = Date.now() - stallAt;
    cam.faults.resume();
    const resumed = await waitFor(async () => {
      const r = await rig.principal.get(`/api/interruptions/${opened.id}`);
      return r.body.end !== null ? r.body : undefined;
    }, 'interruption resumed');
    expect(resumed.resumed).toBe(true);
    expect(resumed.end - resumed.start).toBeGreaterThanOrEqual(stallMs - ESTIMATE_NOISE_MS);
    expect(resumed.alerts).toEqual([]);

    // Data after the recovery is stored too.
    await waitFor(async () => {
      const segs = (await rig.staff.get(`/api/hearings/${id}/segments`)).body as { start: number }[];
      return segs.some((s) => s.start >= resumed.end - ESTIMATE_NOISE_MS) || undefined;
    }, 'a segment after recovery');
    const stopped = await rig.staff.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    const sum = stopped.body.summary;
    const c = sum.cameras[0];
    const gap = c.gaps.find((g: { interruptionId: string | null }) => g.interruptionId === opened.id);
    expect(gap, JSON.stringify(c.gaps)).toBeDefined();
    expect(gap.cause).toBe('stream-lost');
    expect(gap.durationMs).toBeGreaterThanOrEqual(stallMs - ESTIMATE_NOISE_MS);
    // Coverage is recorded / wall, and the stall is not counted as recorded.
    expect(c.coverage).toBeCloseTo(c.recordedMs / sum.wallMs, 6);
    expect(c.recordedMs).toBeLessThanOrEqual(sum.wallMs - gap.durationMs);
    expect(c.coverage).toBeLessThan(1 - (stallMs - ESTIMATE_NOISE_MS) / sum.wallMs);
    expect(c.lastSegmentPlayable).toBe(true);
  });
});
