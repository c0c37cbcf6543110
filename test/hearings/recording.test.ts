import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HearingRig, probeMedia, startHearingRig, waitFor } from './rig.js';

/** One frame of the simulated camera (15 fps). */
const FRAME_MS = 1000 / 15;

describe('hearing recording', () => {
  let rig: HearingRig;
  let sessionId = '';
  beforeAll(async () => {
    rig = await startHearingRig(1, { firstOctet: 31 });
  });
  afterAll(() => rig?.stop());

  it('only hearing staff may start; the room must exist', async () => {
    expect((await rig.manager.post('/api/hearings', { roomId: 'R1', caseNo: 'X-1' })).status).toBe(403);
    const r = await rig.staff.post('/api/hearings', { roomId: 'nope', caseNo: 'X-1' });
    expect(r.status).toBe(404);
  });

  it('starts recording a room; a second start in the same room is refused', async () => {
    const r = await rig.staff.post('/api/hearings', {
      roomId: 'R1',
      caseNo: '桂广罚〔2026〕7号',
      activity: 'hearing',
    });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('recording');
    expect(r.body.cameras).toEqual(['cam1']);
    expect(r.body.startedBy).toBe(rig.staff.username);
    sessionId = r.body.id;
    const again = await rig.staff.post('/api/hearings', { roomId: 'R1', caseNo: 'Y' });
    expect(again.status).toBe(409);
    // R3: the start leaves a trace with who, room, case, activity and cameras; refused starts none.
    const starts = await rig.principal.get('/api/audit?type=hearing-start');
    expect(starts.status).toBe(200);
    expect(starts.body).toHaveLength(1);
    expect(starts.body[0]).toMatchObject({
      actor: rig.staff.username,
      subject: `hearing:${sessionId}`,
      details: { roomId: 'R1', caseNo: '桂广罚〔2026〕7号', activity: 'hearing', cameras: ['cam1'] },
    });
    const rooms = await rig.staff.get('/api/rooms');
    expect(rooms.body[0].activeSession.id).toBe(sessionId);
  });

  it('closed segments are hashed, stored, indexed with the session and in the audit log', async () => {
    const live = await waitFor(async () => {
      const r = await rig.staff.get(`/api/hearings/${sessionId}`);
      return r.body.live.segments >= 2 ? r.body : undefined;
    }, 'two segments');
    expect(live.live.cameras[0].state).toBe('recording');
    expect(live.live.bytes).toBeGreaterThan(0);

    const store = rig.gw.app.store;
    const clips = await store.index.listBySession(sessionId);
    expect(clips.length).toBeGreaterThanOrEqual(2);
    for (const clip of clips) {
      expect(clip.state).toBe('verified');
      expect(clip.source).toEqual({ kind: 'camera', id: 'cam1' });
      expect(clip.caseNo).toBe('桂广罚〔2026〕7号');
      expect(clip.activity).toBe('hearing');
      expect(clip.end).toBeGreaterThan(clip.start);
      const bytes = await readFile(store.layout.abs(clip.blob!));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(clip.sha256);
      const audit = await store.audit.bySubject(`clip:${clip.clipId}`);
      const ingest = audit.find((e) => e.type === 'ingest');
      expect(ingest?.actor).toBe(rig.staff.username);
      expect(ingest?.details.sessionId).toBe(sessionId);
      expect(ingest?.details.sha256).toBe(clip.sha256);
    }
    // Exact time (R18): consecutive segments of one ffmpeg run meet within a frame (no overlap, no
    // phantom gap), and each one's wall-clock span is its media's duration, the first one too.
    const segs = (await rig.staff.get(`/api/hearings/${sessionId}/segments`)).body as {
      clipId: string;
      start: number;
      end: number;
      run: number;
    }[];
    for (let i = 1; i < segs.length; i++) {
      if (segs[i]!.run === segs[i - 1]!.run)
        expect(Math.abs(segs[i]!.start - segs[i - 1]!.end)).toBeLessThanOrEqual(FRAME_MS);
    }
    for (const seg of segs) {
      const clip = clips.find((c) => c.clipId === seg.clipId)!;
      const media = await probeMedia(store.layout.abs(clip.blob!));
      expect(Math.abs(seg.end - seg.start - media.durationS * 1000), seg.clipId).toBeLessThanOrEqual(
        FRAME_MS,
      );
    }
  });

  it('stop finalises the last segment: stored, and it plays', async () => {
    // The equipment manager keeps cameras, not hearings (who else may stop: ownership.test.ts).
    expect((await rig.manager.post(`/api/hearings/${sessionId}/stop`)).status).toBe(403);
    const r = await rig.staff.post(`/api/hearings/${sessionId}/stop`);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('stopped');
    expect(r.body.stoppedBy).toBe(rig.staff.username);
    const cam = r.body.summary.cameras[0];
    expect(cam.lastSegmentPlayable).toBe(true);
    expect(cam.segments).toBe(r.body.summary.segments);
    expect(r.body.summary.coverage).toBeGreaterThan(0);
    expect(r.body.summary.coverage).toBeLessThanOrEqual(1);
    expect(r.body.summary.coverage).toBeCloseTo(r.body.summary.recordedMs / r.body.summary.wallMs, 6);

    const clips = await rig.gw.app.store.index.listBySession(sessionId);
    const last = clips.sort((a, b) => a.start - b.start).at(-1)!;
    const media = await probeMedia(rig.gw.app.store.layout.abs(last.blob!));
    expect(media.codec).toBe('h264');
    expect(media.durationS).toBeGreaterThan(0);
    // No scratch copies are left behind once everything is in the store.
    const scratch = join(rig.gw.dataDir, 'recording', sessionId);
    expect(await readdir(scratch).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
    const again = await rig.staff.post(`/api/hearings/${sessionId}/stop`);
    expect(again.status).toBe(409);
    // R3: one stop entry (the refused second stop adds none) with who, segments and coverage.
    const trail = await rig.principal.get(`/api/audit?subject=hearing:${sessionId}`);
    expect(trail.body.map((e: { type: string }) => e.type)).toEqual(['hearing-stop', 'hearing-start']);
    const stop = trail.body[0];
    expect(stop.actor).toBe(rig.staff.username);
    expect(stop.details).toMatchObject({
      roomId: 'R1',
      caseNo: '桂广罚〔2026〕7号',
      startedBy: rig.staff.username,
      segments: r.body.summary.segments,
      coverage: r.body.summary.coverage,
      recordedMs: r.body.summary.recordedMs,
      wallMs: r.body.summary.wallMs,
    });
    expect(stop.details.segments).toBeGreaterThanOrEqual(2);
    expect(stop.details.cameras).toEqual([
      { cameraId: 'cam1', segments: cam.segments, coverage: cam.coverage, gaps: cam.gaps.length },
    ]);
    const list = await rig.principal.get('/api/hearings?state=stopped');
    expect(list.body.map((s: { id: string }) => s.id)).toContain(sessionId);
  });

  it('a data dir below its reserve holds the hearing with a storage interruption (R19) and refuses new ones', async () => {
    const r = await rig.staff.post('/api/hearings', { roomId: 'R1', caseNo: 'DISK-1', activity: 'hearing' });
    expect(r.status).toBe(200);
    const id = r.body.id as string;
    const disk = rig.gw.app.disk;
    disk.setFreeBytesSource(async () => 1024);
    try {
      await disk.check();
      expect(rig.gw.app.alerts.activeFor('disk-reserve', 'data-dir')?.severity).toBe('critical');
      const i = await waitFor(
        async () => (await rig.gw.app.interruptions.list({ sessionId: id, cause: 'storage' }))[0],
        'a storage interruption',
      );
      expect(i).toMatchObject({ source: 'camera', device: 'cam1' });
      expect((await rig.staff.post(`/api/hearings/${id}/stop`)).status).toBe(200);
      const refused = await rig.staff.post('/api/hearings', {
        roomId: 'R1',
        caseNo: 'DISK-2',
        activity: 'hearing',
      });
      expect(refused.status).toBe(507);
      expect(refused.body.error.code).toBe('DISK_RESERVE');
    } finally {
      disk.setFreeBytesSource(async () => Number.MAX_SAFE_INTEGER);
      await disk.check();
    }
    expect(rig.gw.app.alerts.activeFor('disk-reserve', 'data-dir')).toBeUndefined();
  });
});
