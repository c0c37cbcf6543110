/**
 * The loopback RTSP relay against simulated cameras with real ffmpeg as the client: Digest and
 * Basic done by the relay, ffmpeg given only a one-time URL; exactly one connection per ticket;
 * refusals named (401/403), an unreachable camera named; frames towards ffmpeg leave gathered.
 */
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { silentLogger } from '../../gateway/log.js';
import { RtspRelay } from '../../gateway/recording/rtsp-relay.js';
import type { StreamTicket } from '../../gateway/recording/stream-access.js';
import { waitFor } from '../helpers/wait.js';

const PW = 'R3lay-pw!';

/**
 * ffmpeg reads one second of the stream through the ticket's URL (the ticket bound to its pid, as
 * the recorder does); resolves with its exit code and stderr.
 */
function ffmpegRead(t: StreamTicket, transport = 'tcp'): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const args = [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-rtsp_transport',
      transport,
      '-i',
      t.url,
    ];
    const child = execFile(
      'ffmpeg',
      [...args, '-t', '1', '-c', 'copy', '-f', 'null', '-'],
      { timeout: 30_000 },
      (err, _out, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stderr: String(stderr) });
      },
    );
    t.bind(() => child.pid);
  });
}

/** One raw RTSP request on a fresh connection; resolves with the first response's status line. */
function rawRequest(port: number, uri: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`OPTIONS ${uri} RTSP/1.0\r\nCSeq: 7\r\n\r\n`));
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        s.destroy();
        resolve(got.split('\r\n')[0]!);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
  });
}

describe('RTSP relay', () => {
  let fleet: CameraFleet;
  let relay: RtspRelay;
  const auth: [string, boolean][] = [];

  beforeAll(async () => {
    // The third camera serves RTP over UDP only (461 to interleaving).
    fleet = await startCameras(3, {
      firstOctet: 126,
      common: { user: 'admin', password: PW },
      perCamera: (i) => (i === 2 ? { rtpTransports: ['udp'] } : { rtspAuth: i === 0 ? 'digest' : 'basic' }),
    });
    relay = new RtspRelay({ log: silentLogger, onAuth: (id, ok) => auth.push([id, ok]) });
    await relay.start();
  }, 60_000);

  /** A ticket for a camera with the user `admin` (the right password unless given). */
  const ticket = (cameraId: string, url: string, password = PW, username = 'admin') =>
    relay.open({ cameraId, url, transport: 'tcp', username, password });

  afterAll(async () => {
    await relay?.stop();
    await fleet?.stop();
  });

  for (const [i, scheme] of [
    [0, 'Digest'],
    [1, 'Basic'],
  ] as const) {
    it(`ffmpeg reads a ${scheme} camera through a one-time URL without credentials`, async () => {
      const cam = fleet.cameras[i]!;
      const t = ticket(`c${i}`, cam.rtspUrl);
      expect(t.url).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{24}$/);
      expect(t.url).not.toContain(PW);
      const before = { ...relay.stats };
      const began = Date.now();
      const r = await ffmpegRead(t);
      const elapsedMs = Date.now() - began;
      expect(r).toEqual({ code: 0, stderr: '' });
      expect(t.failure()).toBeNull();
      // Frames towards ffmpeg leave gathered, at most one write per 100 ms, not one per camera read.
      const reads = relay.stats.frameReads - before.frameReads;
      const writes = relay.stats.frameWrites - before.frameWrites;
      expect(relay.stats.bytesToFfmpeg - before.bytesToFfmpeg).toBeGreaterThan(10_000);
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThan(reads);
      expect(writes).toBeLessThanOrEqual(elapsedMs / 100 + 2);
      expect(auth).toContainEqual([`c${i}`, true]);
      // Spent: the same URL opens nothing more.
      expect(await rawRequest(relay.port, t.url)).toBe('RTSP/1.0 404 Not Found');
      t.close();
    }, 60_000);
  }

  it('accepts exactly one connection per ticket, and none for an unknown token', async () => {
    const cam = fleet.cameras[0]!;
    const t = ticket('c0', cam.rtspUrl);
    expect(await rawRequest(relay.port, t.url)).toBe('RTSP/1.0 200 OK');
    expect(await rawRequest(relay.port, t.url)).toBe('RTSP/1.0 404 Not Found');
    expect(await rawRequest(relay.port, `rtsp://127.0.0.1:${relay.port}/${'A'.repeat(24)}`)).toBe(
      'RTSP/1.0 404 Not Found',
    );
    t.close();
    // A closed ticket that was never used cannot be used either.
    const u = ticket('c0', cam.rtspUrl);
    u.close();
    expect(await rawRequest(relay.port, u.url)).toBe('RTSP/1.0 404 Not Found');
  });

  it('a ticket bound to its ffmpeg is refused to any other process that read the URL (ps)', async () => {
    const cam = fleet.cameras[0]!;
    const t = ticket('c0', cam.rtspUrl);
    // Bound to this test process's parent: not the holder of the connection below.
    t.bind(() => process.ppid);
    expect(await rawRequest(relay.port, t.url)).toBe('RTSP/1.0 404 Not Found');
    // The impostor spent nothing: the ticket's own ffmpeg still gets the stream.
    expect(await ffmpegRead(t)).toEqual({ code: 0, stderr: '' });
    t.close();
  }, 60_000);

  it('names a refusal: wrong password -> auth 401; a camera answering 403 -> auth 403', async () => {
    const cam = fleet.cameras[0]!;
    const wrong = ticket('w', cam.rtspUrl, 'nope');
    const r = await ffmpegRead(wrong);
    expect(r.code).not.toBe(0);
    expect(wrong.failure()).toEqual({ kind: 'auth', status: 401 });
    expect(auth).toContainEqual(['w', false]);
    cam.faults.denyRtsp(403);
    try {
      const denied = ticket('d', cam.rtspUrl);
      expect((await ffmpegRead(denied)).code).not.toBe(0);
      expect(denied.failure()).toEqual({ kind: 'auth', status: 403 });
    } finally {
      cam.faults.resume();
    }
  }, 60_000);

  it('names an unreachable camera, and refuses URLs with credentials', async () => {
    const t = ticket('x', 'rtsp://127.0.0.1:1/none', PW, 'a');
    expect((await ffmpegRead(t)).code).not.toBe(0);
    expect(t.failure()).toMatchObject({ kind: 'unreachable' });
    expect(() => relay.open({ cameraId: 'x', url: `rtsp://a:${PW}@h/s`, transport: 'tcp' })).toThrow(
      /without credentials/,
    );
  }, 60_000);

  it('names a 461 `transport`; over UDP a killed ffmpeg leaves no camera session behind; describe names the tracks', async () => {
    const cam = fleet.cameras[2]!;
    const tcp = ticket('u', cam.rtspUrl);
    expect((await ffmpegRead(tcp)).code).not.toBe(0);
    expect(tcp.failure()).toEqual({ kind: 'transport', status: 461 });
    expect(await ffmpegRead(ticket('u', cam.rtspUrl), 'udp')).toEqual({ code: 0, stderr: '' });

    // Killed mid-stream (no TEARDOWN of its own): the relay sends one for it.
    const t = ticket('u', cam.rtspUrl);
    const args = [
      '-nostdin',
      '-loglevel',
      'error',
      '-rtsp_transport',
      'udp',
      '-i',
      t.url,
      '-c',
      'copy',
      '-f',
      'null',
      '-',
    ];
    const child = spawn('ffmpeg', args, { stdio: 'ignore' });
    t.bind(() => child.pid);
    await waitFor(() => cam.streamStats.playing === 1, 'a playing UDP session', 30_000);
    const before = cam.streamStats.teardowns ?? 0;
    child.kill('SIGKILL');
    await waitFor(() => (cam.streamStats.teardowns ?? 0) > before, 'a TEARDOWN from the relay', 10_000);
    t.close();
    expect(
      await relay.describe({
        cameraId: 'u',
        url: cam.rtspUrl,
        transport: 'udp',
        username: 'admin',
        password: PW,
      }),
    ).toEqual([{ media: 'video', encoding: 'H264' }]);
  }, 60_000);
});
