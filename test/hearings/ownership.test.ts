/**
 * R24 over real HTTP: only the hearing-staff member who started a hearing stops it (or the
 * legal-affairs office or the principal), and a hearing's segment list is read as its clips are:
 * another hearing-staff member gets 403 on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../helpers/gateway.js';
import { type HearingRig, startHearingRig, startHearingWithSegment } from './rig.js';

describe('hearing ownership (R24)', () => {
  let rig: HearingRig;
  let other: ApiClient;
  let legal: ApiClient;
  let auditor: ApiClient;

  beforeAll(async () => {
    rig = await startHearingRig(1, { firstOctet: 124 });
    other = await rig.gw.as('hearing-staff');
    legal = await rig.gw.as('legal-affairs');
    auditor = await rig.gw.as('auditor');
  }, 60_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it('another hearing-staff member can neither stop a hearing nor read its segments; the starter can', async () => {
    const id = await startHearingWithSegment(rig, 'OWN-1');
    const seg = await other.get(`/api/hearings/${id}/segments`);
    expect(seg.status).toBe(403);
    expect(seg.body.error.code).toBe('FORBIDDEN');
    const stop = await other.post(`/api/hearings/${id}/stop`);
    expect(stop.status).toBe(403);
    expect(stop.body.error.code).toBe('FORBIDDEN');
    expect((await rig.staff.get(`/api/hearings/${id}`)).body.state).toBe('recording');

    const own = await rig.staff.get(`/api/hearings/${id}/segments`);
    expect(own.status).toBe(200);
    expect(own.body.length).toBeGreaterThanOrEqual(1);
    // Supervisors read every hearing's segments (auditors too: Art. 24 retrieval).
    expect((await legal.get(`/api/hearings/${id}/segments`)).status).toBe(200);
    expect((await auditor.get(`/api/hearings/${id}/segments`)).status).toBe(200);

    const stopped = await rig.staff.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.stoppedBy).toBe(rig.staff.username);
    // A hearing that does not exist is 404 for everyone, not a 403 that says nothing.
    expect((await other.get('/api/hearings/hs-nope/segments')).status).toBe(404);
  }, 90_000);

  it('legal affairs (or the principal) may stop a hearing someone else started', async () => {
    const id = await startHearingWithSegment(rig, 'OWN-2');
    const stopped = await legal.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.stoppedBy).toBe(legal.username);
  }, 90_000);
});
