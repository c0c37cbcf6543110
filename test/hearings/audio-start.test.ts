/**
 * Cameras that carry sound (G.711, as most IP cameras send), its packets before the first video
 * keyframe or after it: the hearing starts without a false interruption (R18/R19), the pre-roll
 * cache warms and says so, and every stored segment holds the picture and the sound. Both variants
 * on one gateway, one hearing after the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HearingRig, interruptionIds, startHearingRig, streamsOf, waitFor } from './rig.js';

const variants = [
  { name: 'PCMA, audio before the first keyframe', audio: 'pcma', audioFirst: true },
  { name: 'PCMU, audio after the first keyframe', audio: 'pcmu', audioFirst: false },
] as const;

describe('cameras with sound', () => {
  let rig: HearingRig;
  beforeAll(async () => {
    rig = await startHearingRig(variants.length, {
      firstOctet: 171,
      perCamera: (i) => ({ audio: variants[i]!.audio, audioFirst: variants[i]!.audioFirst }),
    });
  }, 60_000);
  afterAll(() => rig?.stop());

  /** One camera's hearing: started warm, three segments, the open one counted, stopped clean. */
  async function hearing(i: number): Promise<void> {
    // The cache reports its state in the API (the room card shows it).
    await waitFor(async () => {
      const cams = (await rig.staff.get('/api/cameras')).body as { id: string; preroll: { state: string } }[];
      return cams.find((c) => c.id === `cam${i + 1}`)?.preroll?.state === 'warm' || undefined;
    }, `a warm pre-roll cache (${variants[i]!.name})`);
    const started = await rig.staff.post('/api/hearings', {
      roomId: rig.room(i),
      caseNo: `桂广听〔2026〕17${i}号`,
    });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    await waitFor(
      async () => (await rig.staff.get(`/api/hearings/${id}`)).body.live.segments >= 3 || undefined,
      'three segments',
    );
    // Live coverage counts the segment being written, not only the closed ones (R18).
    await waitFor(async () => {
      const live = (await rig.staff.get(`/api/hearings/${id}`)).body;
      const closed = (await rig.staff.get(`/api/hearings/${id}/segments`)).body as {
        start: number;
        end: number;
      }[];
      const closedMs = closed.reduce(
        (s, g) => s + Math.max(0, Math.min(g.end, Date.now()) - Math.max(g.start, live.startedAt)),
        0,
      );
      return live.summary.recordedMs > closedMs + 200 || undefined;
    }, 'the open segment in live coverage');
    const stopped = await rig.staff.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    // No false interruption at the start (the fast start used to fail on audio-first streams).
    expect([variants[i]!.name, ...(await interruptionIds(rig, id))]).toEqual([variants[i]!.name]);
    expect(stopped.body.summary.cameras[0].gaps).toEqual([]);
    const clips = await rig.gw.app.store.index.listBySession(id);
    expect(clips.length).toBeGreaterThanOrEqual(3);
    for (const c of clips) {
      // G.711 transcoded to AAC (MP4 holds no G.711); the picture copied as sent.
      expect(await streamsOf(rig.gw.app.store.layout.abs(c.blob!))).toEqual(['aac,audio', 'h264,video']);
    }
  }

  it('pre-roll warms, the hearing starts with no interruption, every segment has sound', async () => {
    for (const i of variants.keys()) await hearing(i);
  }, 90_000);
});
