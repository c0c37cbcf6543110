/**
 * A hearing recorded from a camera that sends G.711 (audio before its first keyframe) plays in
 * Chromium with sound: the original keeps the G.711 as sent (QuickTime), the browser is given MP4
 * with AAC made from it as it plays (no other browser than Chromium plays G.711), decodes its audio
 * track, and the decoded signal is the camera's tone (R14: an audio-video record).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCameras } from '../../device-sim/camera/index.js';
import { loginFast, newPage, screenshot } from './browser.js';
import { type DashRig, PASSWORD, startDashRig } from './rig.js';

const CAMERA_PW = 'Cam-sound-pw';
const CASE_NO = '桂广听〔2026〕88号';

describe('hearing playback', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig({
      cameras: {
        rooms: [{ id: 'R1', name: '第一听证室' }],
        segmentSeconds: 2,
        staleDataS: 1.5,
        healthPollS: 600,
      },
    });
  }, 120_000);
  afterAll(() => rig?.stop());

  it('a recorded hearing plays with sound in the clips page', async () => {
    const cams = await startCameras(1, {
      firstOctet: 177,
      common: { user: 'admin', password: CAMERA_PW, audio: 'pcma', audioFirst: true },
    });
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await rig.gw.app.cameras.add(
        { id: 'camS1', xaddr: cams.cameras[0]!.xaddr, user: 'admin', password: CAMERA_PW, roomId: 'R1' },
        'test',
      );
      const staff = await rig.gw.as('hearing-staff');
      const started = await staff.post('/api/hearings', { roomId: 'R1', caseNo: CASE_NO });
      expect(started.status).toBe(200);
      const id = started.body.id as string;
      await expect
        .poll(async () => (await staff.get(`/api/hearings/${id}`)).body.live.segments, { timeout: 30_000 })
        .toBeGreaterThanOrEqual(2);
      expect((await staff.post(`/api/hearings/${id}/stop`)).status).toBe(200);
      const clips = await rig.gw.app.clips.search({ caseNo: CASE_NO, limit: 50 });
      const clip = clips.find((c) => !c.clipId.includes('lead')) ?? clips[0]!;

      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/clips');
      await page.getByTestId('clips-case').fill(CASE_NO);
      await page.getByTestId('clips-search').click();
      await page.getByTestId(`play-${clip.clipId}`).click();
      await page.getByTestId('access-reason').fill('复核听证过程 声音与画面');
      const served = page.waitForResponse((r) => r.url().includes('/content?'));
      await page.getByTestId('access-confirm').click();
      const res = await served;
      expect([res.headers()['content-type'], res.headers()['x-playback']]).toEqual([
        'video/mp4',
        'audio-aac',
      ]);
      const video = page.getByTestId('clip-video');
      // Listen to what the element decodes (Web Audio taps the element's output).
      await video.evaluate((v: HTMLVideoElement) => {
        const ctx = new AudioContext();
        const an = ctx.createAnalyser();
        an.fftSize = 2048;
        ctx.createMediaElementSource(v).connect(an);
        an.connect(ctx.destination);
        const buf = new Float32Array(an.fftSize);
        const w = window as unknown as { peak: number };
        w.peak = 0;
        const tick = () => {
          an.getFloatTimeDomainData(buf);
          for (const x of buf) w.peak = Math.max(w.peak, Math.abs(x));
          requestAnimationFrame(tick);
        };
        void ctx.resume();
        tick();
        v.currentTime = 0;
        void v.play();
      });
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => (v.readyState >= 1 ? v.videoWidth : 0)), {
          timeout: 20_000,
        })
        .toBeGreaterThan(0);
      // Audio really decoded, not only present in the container.
      await expect
        .poll(
          () =>
            video.evaluate(
              (v: HTMLVideoElement) =>
                (v as unknown as { webkitAudioDecodedByteCount: number }).webkitAudioDecodedByteCount,
            ),
          { timeout: 20_000 },
        )
        .toBeGreaterThan(0);
      // And it is the camera's tone, not silence.
      await expect
        .poll(() => page.evaluate(() => (window as unknown as { peak: number }).peak), { timeout: 20_000 })
        .toBeGreaterThan(0.05);
      await screenshot(page, 'hearing-playback-sound');
    } finally {
      await context.close();
      await cams.stop();
    }
  }, 120_000);
});
