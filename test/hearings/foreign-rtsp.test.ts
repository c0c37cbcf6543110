/**
 * A hearing recorded from a foreign RTSP stack: GStreamer's RTSP server (Digest auth, H.264 + G.711
 * A-law, a live shared pipeline as in a camera), the ONVIF side our simulator with a per-camera
 * `streamUri` pointing at it. One server for every case: the pre-roll warms, the hearing starts
 * with no interruption and records picture and sound; a frozen server (SIGSTOP) is a stream-lost
 * interruption that resumes on SIGCONT; a killed one is an interruption that resumes when it is
 * back; a wrong password is "authentication refused"; the password is in no API answer, log line or
 * command line. Real gateway over HTTP, real ffmpeg.
 */
import { readdir, readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { type GstRtsp, gstAvailable, startGstRtsp } from '../helpers/gst-rtsp.js';
import { interruptionIds, rigCameraConfig, streamsOf, waitFor } from './rig.js';

const PW = 'Gst-hear1ng-pw';
const FORMS = [PW, encodeURIComponent(PW), Buffer.from(`admin:${PW}`).toString('base64')];
const leaks = (text: string) => FORMS.filter((f) => text.includes(f));
const skip = await gstAvailable();
if (skip) console.log(`foreign RTSP stack tests skipped: ${skip}`);

async function cmdlines(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const raw = await readFile(`/proc/${pid}/cmdline`).catch(() => null);
    if (raw?.length) out.push(raw.toString('utf8').split('\0').join(' '));
  }
  return out;
}

describe.skipIf(skip !== null)('GStreamer RTSP server as the camera stream', () => {
  let gst: GstRtsp;
  let fleet: CameraFleet;
  let gw: TestGateway;
  let staff: ApiClient;
  let principal: ApiClient;
  let manager: ApiClient;
  const logLines: string[] = [];

  const camView = async (id: string) =>
    (
      (await manager.get('/api/cameras')).body as {
        id: string;
        state: string;
        preroll: { state: string; reason: string | null };
      }[]
    ).find((c) => c.id === id);
  const live = async (id: string) => (await staff.get(`/api/hearings/${id}`)).body.live.cameras[0];

  beforeAll(async () => {
    gst = await startGstRtsp({ address: '127.0.0.181', user: 'admin', password: PW, audio: 'pcma' });
    // ONVIF from the simulator (the first with the stream's password, the second with another one).
    fleet = await startCameras(2, {
      firstOctet: 182,
      common: { user: 'admin' },
      perCamera: (i) => ({ password: i === 0 ? PW : 'not-the-stream-pw' }),
    });
    const log = pino({ level: 'debug' }, { write: (s: string) => void logLines.push(s) });
    gw = await startGateway({ cameras: rigCameraConfig(2) }, { log });
    manager = await gw.as('equipment-manager');
    staff = await gw.as('hearing-staff');
    principal = await gw.as('principal');
    for (const [i, pw] of [PW, 'not-the-stream-pw'].entries()) {
      const r = await manager.post('/api/cameras', {
        id: `gst${i + 1}`,
        xaddr: fleet.cameras[i]!.xaddr,
        user: 'admin',
        password: pw,
        roomId: `R${i + 1}`,
        streamUri: gst.url,
      });
      expect(r.status).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await fleet?.stop();
    await gst?.kill();
  });

  it('pre-roll warms; a hearing starts with no interruption and records sound; SIGSTOP, SIGCONT and kill are interruptions that resume', async () => {
    await waitFor(async () => (await camView('gst1'))?.preroll.state === 'warm', 'a warm pre-roll cache');
    const started = await staff.post('/api/hearings', { roomId: 'R1', caseNo: '桂广听〔2026〕181号' });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    await waitFor(async () => (await live(id))?.segments >= 2 || undefined, 'two segments');
    expect([...(await interruptionIds({ principal }, id))]).toEqual([]);

    // ffmpeg reads GStreamer through the relay: no process shows the password.
    const procs = await cmdlines();
    expect(
      procs.some((a) => /\bffmpeg\b/.test(a) && a.includes(`rtsp://127.0.0.1:${gw.app.relay.port}/`)),
    ).toBe(true);
    expect(procs.filter((a) => leaks(a).length > 0)).toEqual([]);

    // Frozen: nothing arrives, the connections stay open.
    gst.pause();
    const frozen = await waitFor(async () => {
      const c = await live(id);
      return c?.gap?.interruptionId ? c : undefined;
    }, 'a stream-lost interruption');
    expect(frozen.gap.cause).toBe('stream-lost');
    gst.resume();
    await waitFor(
      async () => ((await live(id))?.state === 'recording' && !(await live(id)).gap) || undefined,
      'resumed after SIGCONT',
    );

    // Killed: refused connections until it is back on the same port.
    await gst.kill();
    const lost = await waitFor(async () => {
      const c = await live(id);
      return c?.gap?.interruptionId && c.gap.interruptionId !== frozen.gap.interruptionId ? c : undefined;
    }, 'an interruption after kill');
    expect(['stream-lost', 'contact-lost']).toContain(lost.gap.cause);
    gst = await gst.restart();
    await waitFor(
      async () => ((await live(id))?.state === 'recording' && !(await live(id)).gap) || undefined,
      'resumed after restart',
    );
    const segsBefore = (await live(id)).segments as number;
    await waitFor(
      async () => (await live(id)).segments > segsBefore || undefined,
      'a segment after the restart',
    );

    const stopped = await staff.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    const ints = (await principal.get(`/api/interruptions?sessionId=${id}`)).body as {
      id: string;
      resumed: boolean;
    }[];
    expect(ints.map((i) => i.id).sort()).toEqual([frozen.gap.interruptionId, lost.gap.interruptionId].sort());
    expect(ints.map((i) => i.resumed)).toEqual([true, true]);
    const clips = await gw.app.store.index.listBySession(id);
    expect(clips.length).toBeGreaterThanOrEqual(3);
    for (const c of clips.filter((c) => c.blob)) {
      // GStreamer's G.711 as AAC (MP4 holds no G.711), its H.264 copied as sent.
      expect(await streamsOf(gw.app.store.layout.abs(c.blob!))).toEqual(['aac,audio', 'h264,video']);
    }
  }, 120_000);

  it('a wrong password is "authentication refused", and no password reaches the API or the log', async () => {
    await waitFor(async () => (await camView('gst2'))?.preroll.state === 'failing', 'a failing pre-roll');
    expect((await camView('gst2'))?.preroll.reason).toMatch(/refused the credentials/);
    const started = await staff.post('/api/hearings', { roomId: 'R2', caseNo: '桂广听〔2026〕182号' });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    const c = await waitFor(async () => {
      const c = await live(id);
      return c?.gap?.interruptionId ? c : undefined;
    }, 'an auth-failed interruption');
    expect(c.state).toBe('auth-failed');
    expect(c.gap.cause).toBe('auth-failed');
    expect((await camView('gst2'))?.state).toBe('auth-failed');
    const seen = [
      JSON.stringify((await staff.get(`/api/hearings/${id}`)).body),
      JSON.stringify((await staff.get('/api/hearings')).body),
      JSON.stringify((await manager.get('/api/cameras')).body),
      JSON.stringify((await principal.get(`/api/interruptions?sessionId=${id}`)).body),
      JSON.stringify((await principal.get('/api/alerts')).body),
      JSON.stringify((await staff.post(`/api/hearings/${id}/stop`)).body),
      JSON.stringify((await principal.get('/api/audit?limit=500')).body),
    ];
    expect(seen.map(leaks)).toEqual(seen.map(() => []));
    expect(logLines.some((l) => /ffmpeg/.test(l))).toBe(true);
    expect(leaks(logLines.join('\n'))).toEqual([]);
  }, 90_000);
});
