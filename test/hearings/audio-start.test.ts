/**
 * Cameras that carry sound (G.711, as most IP cameras send), its packets before the first video
 * keyframe or after it: the hearing starts without a false interruption (R18/R19), the pre-roll
 * cache warms and says so, and every stored segment holds the picture and the sound as the camera
 * sent them (G.711 in QuickTime, R25: nothing re-encoded). Played, an original comes as MP4 with
 * AAC made on the fly (no browser plays G.711); downloaded, it is the original's bytes. Both
 * variants on one gateway, one hearing after the other.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HearingRig, interruptionIds, startHearingRig, streamsOf, waitFor } from './rig.js';

const variants = [
  { name: 'PCMA, audio before the first keyframe', audio: 'pcma', audioFirst: true, codec: 'pcm_alaw' },
  { name: 'PCMU, audio after the first keyframe', audio: 'pcmu', audioFirst: false, codec: 'pcm_mulaw' },
] as const;

/** GET with the session's token, the body as bytes. */
async function fetchBytes(rig: HearingRig, token: string, path: string) {
  const r = await fetch(`${rig.gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

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
      // The camera's G.711 and H.264 as sent, lead-in included.
      expect(await streamsOf(rig.gw.app.store.layout.abs(c.blob!))).toEqual([
        'h264,video',
        `${variants[i]!.codec},audio`,
      ]);
    }
    // Played: MP4 with AAC, made from the original; downloaded: the original, byte for byte.
    const legal = await rig.gw.as('legal-affairs');
    const c = clips.at(-1)!;
    const base = `/api/clips/${encodeURIComponent(c.clipId)}/content?reason=${encodeURIComponent('复核听证声音')}`;
    const played = await fetchBytes(rig, legal.token, `${base}&action=view`);
    expect([played.status, played.headers.get('content-type'), played.headers.get('x-playback')]).toEqual([
      200,
      'video/mp4',
      'audio-aac',
    ]);
    const file = join(rig.gw.dataDir, `played-${i}.mp4`);
    await writeFile(file, played.bytes);
    expect(await streamsOf(file)).toEqual(['aac,audio', 'h264,video']);
    const got = await fetchBytes(rig, legal.token, `${base}&action=download`);
    expect(got.headers.get('content-disposition')).toMatch(/\.mov"$/);
    expect(createHash('sha256').update(got.bytes).digest('hex')).toBe(c.sha256);
    expect(got.bytes.equals(await readFile(rig.gw.app.store.layout.abs(c.blob!)))).toBe(true);
  }

  it('pre-roll warms, the hearing starts with no interruption, every segment has sound', async () => {
    for (const i of variants.keys()) await hearing(i);
  }, 90_000);
});
