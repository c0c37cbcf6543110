/**
 * The loopback RTSP relay against simulated cameras with real ffmpeg as the client: Digest and
 * Basic done by the relay, ffmpeg given only a one-time URL; exactly one connection per ticket;
 * refusals named (401/403), an unreachable camera named.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { silentLogger } from '../../gateway/log.js';
import { RtspRelay } from '../../gateway/recording/rtsp-relay.js';
import type { StreamTicket } from '../../gateway/recording/stream-access.js';

const PW = 'R3lay-pw!';

/**
 * ffmpeg reads one second of the stream through the ticket's URL (the ticket bound to its pid, as
 * the recorder does); resolves with its exit code and stderr.
 */
function ffmpegRead(t: StreamTicket): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', t.url];
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
    fleet = await startCameras(2, {
      firstOctet: 126,
      common: { user: 'admin', password: PW },
      perCamera: (i) => ({ rtspAuth: i === 0 ? 'digest' : 'basic' }),
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
      const r = await ffmpegRead(t);
      expect(r).toEqual({ code: 0, stderr: '' });
      expect(t.failure()).toBeNull();
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
});
