/**
 * A hearing recorded from a foreign RTSP stack: GStreamer's RTSP server (Digest auth, H.264 + G.711
 * A-law, a live shared pipeline as in a camera), the ONVIF side our simulator with a per-camera
 * `streamUri` pointing at it. One server for every case: the pre-roll warms, the hearing starts
 * with no interruption and records picture and sound; a frozen server (SIGSTOP) is a stream-lost
 * interruption that resumes on SIGCONT; a killed one is an interruption that resumes when it is
 * back; a wrong password is "authentication refused"; the password is in no API answer, log line or
 * command line. And the stream variants, on a GStreamer server and on our simulator alike: G.711
 * is kept as sent (QuickTime), AAC is copied as sent (decided from the stream's SDP, not the ONVIF profile, which names no audio), and
 * a camera that serves RTP over UDP only (461 to TCP) is read over UDP without a false start.
 * Real gateway over HTTP, real ffmpeg.
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
  let gstAac: GstRtsp;
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
    gstAac = await startGstRtsp({
      address: '127.0.0.186',
      user: 'admin',
      password: PW,
      audio: 'aac',
      protocols: 'udp',
    });
    // ONVIF from the simulator (the second with another password than the stream's); the third
    // camera's own stream is recorded: AAC, RTP over UDP only.
    fleet = await startCameras(4, {
      firstOctet: 182,
      common: { user: 'admin' },
      perCamera: (i) =>
        i === 2
          ? { password: PW, audio: 'aac', rtpTransports: ['udp'] }
          : { password: i === 1 ? 'not-the-stream-pw' : PW },
    });
    const log = pino({ level: 'debug' }, { write: (s: string) => void logLines.push(s) });
    gw = await startGateway({ cameras: rigCameraConfig(4) }, { log });
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
    for (const [i, streamUri] of [
      [2, undefined],
      [3, gstAac.url],
    ] as const) {
      const r = await manager.post('/api/cameras', {
        id: `var${i + 1}`,
        xaddr: fleet.cameras[i]!.xaddr,
        user: 'admin',
        password: PW,
        roomId: `R${i + 1}`,
        ...(streamUri ? { streamUri } : {}),
      });
      expect(r.status).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await fleet?.stop();
    await gst?.kill();
    await gstAac?.kill();
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
    // G.711 in the SDP: copied as sent into QuickTime, over TCP first.
    const argv = procs.find((a) => a.includes(`/${id}/gst1/`));
    expect(argv).toMatch(/-rtsp_transport tcp .*-map 0:a\? -c copy .*-segment_format mov /);

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
      // GStreamer's G.711 and H.264 as sent (QuickTime holds G.711).
      expect(await streamsOf(gw.app.store.layout.abs(c.blob!))).toEqual(['h264,video', 'pcm_alaw,audio']);
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

  it('AAC is copied as sent; a camera that refuses TCP is read over UDP with no false start (simulator and GStreamer)', async () => {
    const cams = [
      ['R3', 'var3'],
      ['R4', 'var4'],
    ] as const;
    for (const [, cam] of cams)
      await waitFor(async () => (await camView(cam))?.preroll.state === 'warm', `a warm pre-roll for ${cam}`);
    const ids = await Promise.all(
      cams.map(async ([roomId]) => {
        const r = await staff.post('/api/hearings', { roomId, caseNo: `桂广听〔2026〕${roomId}号` });
        expect(r.status).toBe(200);
        return r.body.id as string;
      }),
    );
    for (const id of ids)
      await waitFor(async () => (await live(id))?.segments >= 2 || undefined, 'two segments');
    const procs = await cmdlines();
    for (const [i, id] of ids.entries()) {
      const argv = procs.find((a) => a.includes(`/${id}/${cams[i]![1]}/`));
      expect(argv).toMatch(/-rtsp_transport udp .*-map 0:a\? -c copy /);
    }
    // The pre-roll learned that the camera refuses TCP and the camera keeps it (persisted): the
    // hearing's first run asks for UDP at once instead of being refused again.
    for (const [i, id] of ids.entries()) {
      const cam = cams[i]![1];
      expect(gw.app.cameras.get(cam)?.rtpTransport).toBe('udp');
      const stored = gw.app.db.sublevel<string, { rtpTransport?: string }>('cameras', {
        valueEncoding: 'json',
      });
      expect((await stored.get(cam))?.rtpTransport).toBe('udp');
      expect(logLines.filter((l) => l.includes(id) && l.includes('refuses this RTP transport'))).toEqual([]);
    }
    for (const id of ids) {
      expect((await staff.post(`/api/hearings/${id}/stop`)).status).toBe(200);
      expect([...(await interruptionIds({ principal }, id))]).toEqual([]);
      const clips = await gw.app.store.index.listBySession(id);
      expect(clips.length).toBeGreaterThanOrEqual(2);
      for (const c of clips.filter((c) => c.blob))
        expect(await streamsOf(gw.app.store.layout.abs(c.blob!))).toEqual(['aac,audio', 'h264,video']);
    }
  }, 90_000);
});
