/**
 * A hearing exported whole (R23, R14): a real hearing recorded by ffmpeg from a simulated ONVIF
 * camera, warm pre-roll on, so the session starts with a lead-in. Naming the hearing expands to
 * every stored segment, lead-ins included; the disc's manifest says where (the room), who
 * collected it (the hearing staff), the session's coverage, and carries every segment. An
 * obstruction during it is referred (R28) by naming the interruption: the same clips.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discPaths } from '../../gateway/exports/disc.js';
import { type HearingRig, startHearingRig, waitFor } from '../hearings/rig.js';

let rig: HearingRig;

beforeAll(async () => {
  rig = await startHearingRig(1, { firstOctet: 143 });
});

afterAll(() => rig?.stop());

describe('exporting a hearing', () => {
  it('takes every segment, lead-ins included, and says where and by whom it was recorded', async () => {
    await waitFor(() => rig.gw.app.preroll.isWarm('cam1'), 'warm pre-roll', 60_000);
    const started = await rig.staff.post('/api/hearings', { roomId: 'R1', caseNo: 'HEAR-EXP-1' });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    await waitFor(
      async () => (await rig.staff.get(`/api/hearings/${id}`)).body.live.segments >= 2 || undefined,
      'lead-in and a segment',
      60_000,
    );
    expect((await rig.staff.post(`/api/hearings/${id}/stop`)).status).toBe(200);
    const stored = (await rig.gw.app.store.index.listBySession(id)).map((c) => c.clipId).sort();
    expect(stored.some((c) => c.endsWith('.pre'))).toBe(true);

    const legal = await rig.gw.as('legal-affairs');
    const req = await legal.post('/api/exports', {
      hearingIds: [id],
      caseNo: 'HEAR-EXP-1',
      purpose: '报送上级机关复核',
      recipient: { kind: 'superior', name: '省广播电视局' },
      sensitivity: 'normal',
    });
    expect(req.status).toBe(200);
    expect([...req.body.clipIds].sort()).toEqual(stored);
    expect(
      (
        await legal.post('/api/exports', {
          hearingIds: ['no-such-hearing'],
          caseNo: 'x',
          purpose: 'x',
          recipient: { kind: 'other', name: 'x' },
        })
      ).status,
    ).toBe(404);

    // R28: an obstruction during the hearing is referred with every clip of its recording.
    const obstruction = await rig.gw.app.interruptions.open({
      source: 'camera',
      device: 'cam1',
      roomId: 'R1',
      sessionId: id,
      cause: 'obstruction',
      start: Date.now() - 5000,
      end: Date.now() - 4000,
    });
    const referral = await legal.post('/api/exports', {
      interruptionIds: [obstruction.id],
      caseNo: 'HEAR-EXP-1',
      purpose: '阻挠执法移送公安机关处理',
      recipient: { kind: 'public-security', name: '某某市公安局' },
    });
    expect(referral.status).toBe(200);
    expect([...referral.body.clipIds].sort()).toEqual(stored);
    expect(referral.body.recipient.kind).toBe('public-security');
    const asked = (await rig.gw.app.store.audit.recent(50)).find(
      (e) => e.type === 'export-request' && e.subject === `export:${referral.body.id}`,
    );
    expect(asked?.details).toMatchObject({ interruptionIds: [obstruction.id] });
    const unknown = await legal.post('/api/exports', {
      interruptionIds: ['no-such-interruption'],
      caseNo: 'x',
      purpose: 'x',
      recipient: { kind: 'public-security', name: 'x' },
    });
    expect(unknown.status).toBe(404);

    await rig.principal.post(`/api/exports/${req.body.id}/approve`, {});
    const done = await waitFor(
      async () => {
        const v = (await legal.get(`/api/exports/${req.body.id}`)).body;
        return v.state === 'building' ? undefined : v;
      },
      'disc built',
      60_000,
    );
    expect(done.error).toBeUndefined();
    expect(done.state).toBe('ready');

    const { root } = discPaths(join(rig.gw.dataDir, 'exports'), req.body.id);
    const m = JSON.parse(await readFile(join(root, 'manifest.json'), 'utf8'));
    expect(m.files.map((f: { clipId: string }) => f.clipId).sort()).toEqual(stored);
    for (const f of m.files) {
      expect(f).toMatchObject({
        cameraId: 'cam1',
        recorderSerial: null,
        place: 'Hearing Room 1',
        activity: 'hearing',
      });
      expect(f.collector.who).toContain(rig.staff.username);
      expect(f.path).toMatch(/^clips\/.+\.mp4$/);
    }
    expect(m.sessions).toEqual([
      expect.objectContaining({
        sessionId: id,
        kind: 'hearing',
        device: 'Hearing Room 1',
        clipsOnDisc: stored.length,
      }),
    ]);
    expect(m.sessions[0].coverage).toBeGreaterThan(0);
  });
});
