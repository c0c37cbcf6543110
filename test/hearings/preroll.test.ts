import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageOf } from '../../gateway/hearings/summary.js';
import { type HearingRig, probeMedia, sleep, startHearingRig, waitFor } from './rig.js';

const RING = 3;
const FPS = 15;

interface Row {
  clipId: string;
  sha256: string;
  start: number;
  end: number;
  leadIn?: boolean;
  playable: boolean;
}

describe('warm pre-roll', () => {
  let rig: HearingRig;
  const ingests = async () =>
    ((await rig.principal.get('/api/audit?type=ingest&limit=500')).body as unknown[]).length;
  beforeAll(async () => {
    rig = await startHearingRig(1, { firstOctet: 71, cameras: { preroll: { ringSegments: RING } } });
  });
  afterAll(() => rig?.stop());

  it('keeps an assigned camera warm in a bounded ring; nothing of it reaches the store', async () => {
    const preroll = rig.gw.app.preroll;
    await waitFor(() => preroll.isWarm('cam1'), 'warm cache');
    const dir = preroll.ringDir('cam1');
    const seen: string[][] = [];
    for (let i = 0; i < 10; i++) {
      const files = (await readdir(dir)).filter((f) => f.endsWith('.mp4')).sort();
      seen.push(files);
      // The ring, plus the segment being written and one closed but not yet read.
      expect(files.length).toBeLessThanOrEqual(RING + 2);
      expect(preroll.ring('cam1').length).toBeLessThanOrEqual(RING);
      await sleep(500);
    }
    // It rotates: what was there at first has been deleted.
    const last = new Set(seen.at(-1));
    expect(seen[0]!.some((f) => !last.has(f))).toBe(true);
    expect(await ingests()).toBe(0);
    expect(await rig.gw.app.store.index.listBySession('cam1').catch(() => [])).toEqual([]);
  });

  it('a hearing started while warm has a lead-in from before its start; coverage counts it', async () => {
    expect(rig.gw.app.preroll.isWarm('cam1')).toBe(true);
    const started = await rig.staff.post('/api/hearings', { roomId: 'R1', caseNo: 'PRE-1' });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    const startedAt = started.body.startedAt as number;
    await waitFor(
      async () => (await rig.staff.get(`/api/hearings/${id}`)).body.live.segments >= 3 || undefined,
      'lead-in and segments',
    );
    // The warm ffmpeg pauses while the hearing records the camera itself.
    await waitFor(() => !rig.gw.app.preroll.isWarm('cam1'), 'cache paused');
    const stopped = await rig.staff.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    const stoppedAt = stopped.body.stoppedAt as number;

    const rows = (await rig.staff.get(`/api/hearings/${id}/segments`)).body as Row[];
    const lead = rows.filter((r) => r.leadIn);
    const own = rows.filter((r) => !r.leadIn);
    expect(lead.length).toBeGreaterThanOrEqual(1);
    expect(own.length).toBeGreaterThanOrEqual(1);
    // From the keyframe at or before the start, up to (and overlapping) the first own segment.
    expect(lead[0]!.start).toBeLessThanOrEqual(startedAt);
    expect(Math.max(...lead.map((r) => r.end))).toBeGreaterThanOrEqual(own[0]!.start);
    // Stored before the session's own segments, and marked in the clip id the store keeps.
    expect(rows.indexOf(lead.at(-1)!)).toBeLessThan(rows.indexOf(own[0]!));
    for (const r of lead) expect(r.clipId.endsWith('.pre')).toBe(true);

    const store = rig.gw.app.store;
    const clips = await store.index.listBySession(id);
    expect(clips.map((c) => c.clipId).sort()).toEqual(rows.map((r) => r.clipId).sort());
    for (const r of lead) {
      const clip = clips.find((c) => c.clipId === r.clipId)!;
      expect(clip.state).toBe('verified');
      expect(clip.source).toEqual({ kind: 'camera', id: 'cam1' });
      expect(clip.caseNo).toBe('PRE-1');
      expect(clip.sha256).toBe(r.sha256);
      const blob = store.layout.abs(clip.blob!);
      expect(
        createHash('sha256')
          .update(await readFile(blob))
          .digest('hex'),
      ).toBe(clip.sha256);
      const audit = await store.audit.bySubject(`clip:${clip.clipId}`);
      const ingest = audit.find((e) => e.type === 'ingest');
      expect(ingest?.actor).toBe(rig.staff.username);
      expect(ingest?.details).toMatchObject({ sessionId: id, sha256: clip.sha256, source: 'camera:cam1' });
      expect(r.playable).toBe(true);
      const media = await probeMedia(blob);
      expect(media.codec).toBe('h264');
      expect(media.durationS).toBeGreaterThan(0);
    }

    // Coverage: the lead-in closes the start-up gap the session's own segments leave.
    const window = { start: startedAt, end: stoppedAt };
    expect(coverageOf(window, own).coverage).toBeLessThan(0.999);
    expect(own[0]!.start).toBeGreaterThan(startedAt);
    expect(stopped.body.summary.coverage).toBeGreaterThanOrEqual(0.999);
    expect(stopped.body.summary.cameras[0].gaps).toEqual([]);
    // The end: the last segment reaches the stop time (within one frame).
    expect(Math.max(...own.map((r) => r.end))).toBeGreaterThanOrEqual(stoppedAt - 1000 / FPS);

    // After the hearing the camera is warm again, and its cache stays out of the store.
    const after = await ingests();
    expect(after).toBe(rows.length);
    await waitFor(() => rig.gw.app.preroll.isWarm('cam1'), 'warm again');
    await sleep(1500);
    expect(await ingests()).toBe(after);
    expect((await store.index.listBySession(id)).length).toBe(rows.length);
  });
});
