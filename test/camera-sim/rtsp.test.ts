import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { RtspTestClient, run, sleep, until } from './helpers.js';

const USER = 'rec';
const PASS = 'p@ss:word';

let fleet: CameraFleet;
let dir: string;
const clients: RtspTestClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'camera-sim-rtsp-'));
  // Three cameras on one shared encoder (one ffmpeg child); the third has an AAC microphone and
  // serves RTP over UDP only (a Profile S camera that does not interleave).
  fleet = await startCameras(3, {
    firstOctet: 41,
    common: { user: USER, password: PASS, discovery: false },
    perCamera: (i) => (i === 2 ? { audio: 'aac', rtpTransports: ['udp'] } : {}),
    sourceOptions: { width: 320, height: 180, fps: 10 },
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A bare RTSP client on camera `i`; `creds` null: no credentials. */
async function client(
  i = 0,
  creds: { user: string; password: string } | null = { user: USER, password: PASS },
) {
  const cam = fleet.cameras[i]!;
  const c = new RtspTestClient(cam.address, cam.rtspPort, creds ?? undefined);
  clients.push(c);
  await c.connect();
  return c;
}

describe('RTSP with interleaved H.264', () => {
  it('ffmpeg -rtsp_transport tcp records a playable H.264 file', async () => {
    const cam = fleet.cameras[0]!;
    const out = join(dir, 'out.mp4');
    await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'tcp',
        '-i',
        cam.rtspUrlWithCredentials,
        '-t',
        '3',
        '-c',
        'copy',
        '-y',
        out,
      ],
      { timeout: 30_000 },
    );
    const probe = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_name,width,height,nb_read_frames:format=duration',
        '-of',
        'json',
        out,
      ],
      { timeout: 30_000 },
    );
    const info = JSON.parse(probe.stdout) as {
      streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[];
      format: { duration: string };
    };
    expect(info.streams).toHaveLength(1);
    expect(info.streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    expect(Number(info.streams[0]!.nb_read_frames)).toBeGreaterThan(15);
    expect(Number(info.format.duration)).toBeGreaterThan(2);
  });

  it('ffmpeg -rtsp_transport udp records H.264 and AAC from a UDP-only camera, the AAC copied as sent', async () => {
    const cam = fleet.cameras[2]!;
    const out = join(dir, 'udp-aac.mp4');
    await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'udp',
        '-i',
        cam.rtspUrlWithCredentials,
      ].concat(['-t', '3', '-map', '0', '-c', 'copy', '-y', out]),
      { timeout: 30_000 },
    );
    const probe = await run(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'json', out],
      { timeout: 30_000 },
    );
    const streams = (JSON.parse(probe.stdout) as { streams: Record<string, unknown>[] }).streams;
    expect(streams).toEqual([
      { codec_name: 'h264' },
      { codec_name: 'aac', sample_rate: '16000', channels: 1 },
    ]);
  });

  it('ffmpeg with a wrong password is refused with 401', async () => {
    const cam = fleet.cameras[0]!;
    const url = `rtsp://${USER}:wrong@${cam.address}:${cam.rtspPort}/onvif/profile_1`;
    const err = await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-rtsp_transport',
        'tcp',
        '-i',
        url,
        '-t',
        '1',
        '-f',
        'null',
        '-',
      ],
      { timeout: 30_000 },
    ).then(
      () => undefined,
      (e: { stderr: string }) => e,
    );
    expect(err?.stderr).toMatch(/401 Unauthorized/);
  });

  it('a bare client: OPTIONS without auth, DESCRIBE needs Digest, SDP carries sprop-parameter-sets', async () => {
    const cam = fleet.cameras[0]!;
    const anon = await client(0, null);
    expect((await anon.request('OPTIONS', cam.rtspUrl)).headers.public).toContain('GET_PARAMETER');
    const refused = await anon.request('DESCRIBE', cam.rtspUrl);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/^Digest realm="[^"]+", nonce="/);
    const c = await client(0);
    const d = await c.request('DESCRIBE', cam.rtspUrl, { Accept: 'application/sdp' });
    expect(d.status).toBe(200);
    expect(d.headers['content-type']).toBe('application/sdp');
    expect(d.body).toMatch(/a=rtpmap:96 H264\/90000/);
    expect(d.body).toMatch(
      /a=fmtp:96 packetization-mode=1;profile-level-id=42[0-9A-F]{4};sprop-parameter-sets=Z[^,]+,aM/,
    );
    const notFound = await c.request('DESCRIBE', cam.rtspUrl.replace('profile_1', 'profile_9'));
    expect(notFound.status).toBe(404);
  });

  it('SETUP takes the first transport the camera serves; one it does not serve gets 461', async () => {
    const cam = fleet.cameras[0]!;
    const c = await client(0);
    const d = await c.request('DESCRIBE', cam.rtspUrl);
    const track = `${d.headers['content-base']}trackID=0`;
    const udp = await c.request('SETUP', track, {
      Transport: 'RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;unicast;interleaved=4-5',
    });
    expect(udp.status).toBe(200);
    expect(udp.headers.transport).toMatch(
      /^RTP\/AVP;unicast;client_port=5000-5001;server_port=\d+-\d+;ssrc=/,
    );
    const tcp = await c.request('SETUP', track, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=4-5',
      Session: udp.headers.session!.split(';')[0]!,
    });
    expect(tcp.status).toBe(200);
    expect(tcp.headers.transport).toMatch(/^RTP\/AVP\/TCP;unicast;interleaved=4-5;ssrc=[0-9A-F]{8}/);
    expect(tcp.headers.session).toMatch(/;timeout=\d+$/);
    // The UDP-only camera refuses interleaving, and a multicast request anywhere.
    const only = fleet.cameras[2]!;
    const u = await client(2);
    const ud = await u.request('DESCRIBE', only.rtspUrl);
    expect(ud.body).toMatch(
      /a=rtpmap:97 MPEG4-GENERIC\/16000\/1\r\na=fmtp:97 [^\r]*mode=AAC-hbr;config=1408/,
    );
    const refused = await u.request('SETUP', `${ud.headers['content-base']}trackID=0`, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1,RTP/AVP;multicast;client_port=5000-5001',
    });
    expect(refused.status).toBe(461);
  });

  it('stall: RTP stops while the connection stays open and answers; resume brings data back', async () => {
    const cam = fleet.cameras[1]!;
    const c = await client(1);
    await c.play(cam.rtspUrl);
    await until(() => c.interleavedPackets > 20, 10_000, 'RTP before stall');
    cam.faults.stall();
    // Let bytes written before the stall arrive: wait until the count holds still for 500 ms.
    for (let i = 0, last = -1; c.interleavedBytes !== last; i++) {
      if (i > 20) throw new Error('RTP never stopped after stall()');
      last = c.interleavedBytes;
      await sleep(500);
    }
    const before = c.interleavedBytes;
    await sleep(1500);
    expect(c.interleavedBytes).toBe(before);
    expect(c.closed).toBe(false);
    expect((await c.request('GET_PARAMETER', cam.rtspUrl)).status).toBe(200);
    cam.faults.resume();
    await until(() => c.interleavedBytes > before, 10_000, 'RTP after resume');
  });

  it('drop: the server closes every RTSP connection and accepts new ones', async () => {
    const cam = fleet.cameras[1]!;
    const a = await client(1);
    await a.play(cam.rtspUrl);
    await until(() => a.interleavedPackets > 0, 10_000, 'RTP before drop');
    cam.faults.drop();
    await until(() => a.closed, 5000, 'connection closed');
    const b = await client(1);
    await b.play(cam.rtspUrl);
    await until(() => b.interleavedPackets > 0, 10_000, 'RTP after drop');
  });

  it('hang: RTSP requests get no answer until resume', async () => {
    const cam = fleet.cameras[1]!;
    const c = await client(1);
    cam.faults.hang();
    try {
      const answered = await Promise.race([
        c.request('OPTIONS', cam.rtspUrl).then(() => true),
        sleep(1000).then(() => false),
      ]);
      expect(answered).toBe(false);
      expect(c.closed).toBe(false);
    } finally {
      cam.faults.resume();
    }
    const c2 = await client(1);
    expect((await c2.request('OPTIONS', cam.rtspUrl)).status).toBe(200);
  });
});

describe('JPEG snapshot', () => {
  it('needs credentials (Digest or Basic) and returns a JPEG', async () => {
    const cam = fleet.cameras[0]!;
    const anon = await fetch(cam.snapshotUrl);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/Digest realm=/);
    const basic = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;
    const ok = await fetch(cam.snapshotUrl, { headers: { Authorization: basic } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    const body = Buffer.from(await ok.arrayBuffer());
    expect(body.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(body.subarray(-2).toString('hex')).toBe('ffd9');
    const wrong = await fetch(cam.snapshotUrl, {
      headers: { Authorization: `Basic ${Buffer.from(`${USER}:nope`).toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
  });
});
