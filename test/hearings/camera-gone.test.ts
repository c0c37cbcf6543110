/**
 * The camera disappears during a hearing and does not come back: the interruption stays open and
 * the principal is alerted (R19); stopping the session ends the interruption as not resumed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InterruptionRecord } from '../../gateway/interruptions/record.js';
import {
  type HearingRig,
  interruptionIds,
  startHearingRig,
  startHearingWithSegment,
  waitFor,
} from './rig.js';

describe('camera gone during a hearing', () => {
  let rig: HearingRig;
  beforeAll(async () => {
    rig = await startHearingRig(1, { firstOctet: 51, cameras: { resumeAlertS: 2 } });
  });
  afterAll(() => rig?.stop());

  it('alerts the principal when recording cannot resume, and ends the record at stop', async () => {
    const id = await startHearingWithSegment(rig, 'GONE-1');

    const before = await interruptionIds(rig, id);
    await rig.fleet.cameras[0]!.stop();
    const alert = await waitFor(async () => {
      const r = await rig.principal.get('/api/alerts?active=true');
      return (r.body as { rule: string; details?: { sessionId?: string; interruptionId?: string } }[]).find(
        (a) =>
          a.rule === 'interruption-unresumed' &&
          a.details?.sessionId === id &&
          !before.has(a.details.interruptionId ?? ''),
      );
    }, 'principal alert');
    expect(alert).toMatchObject({ severity: 'critical', details: { source: 'camera', device: 'cam1' } });
    expect((alert as unknown as { notify: string[] }).notify).toContain('principal');

    const irs = (
      (await rig.principal.get(`/api/interruptions?sessionId=${id}`)).body as InterruptionRecord[]
    ).filter((i) => !before.has(i.id));
    expect(irs).toHaveLength(1);
    const ir = irs[0]!;
    expect(ir.cause).toBe('contact-lost');
    expect(ir.end).toBeNull();
    const live = await rig.staff.get(`/api/hearings/${id}`);
    expect(live.body.live.cameras[0].state).toBe('stalled');
    expect(live.body.live.cameras[0].runs).toBeGreaterThan(1);

    const stopped = await rig.staff.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    const after = (await rig.principal.get(`/api/interruptions/${ir.id}`)).body;
    expect(after.end).not.toBeNull();
    expect(after.resumed).toBe(false);
    const gap = stopped.body.summary.cameras[0].gaps.at(-1);
    expect(gap.interruptionId).toBe(ir.id);
    expect(gap.end).toBe(stopped.body.stoppedAt);
  });
});
