import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SyntheticClipSource } from '../../device-sim/recorder/clip-source.js';
import { FfmpegClipSource, ffmpegClipArgs } from '../../device-sim/recorder/ffmpeg-clip-source.js';

const run = promisify(execFile);
const spec = (clipId: string, nominalBytes: number) => ({
  clipId,
  sessionId: 'S1',
  start: Date.UTC(2025, 2, 3, 1, 0, 0),
  end: Date.UTC(2025, 2, 3, 1, 5, 0),
  nominalBytes,
});

describe('synthetic clip source', () => {
  it('makes the same bytes from the same seed and clip id, different otherwise', async () => {
    const a = new SyntheticClipSource({ seed: 7 });
    const b = new SyntheticClipSource({ seed: 7 });
    const c = new SyntheticClipSource({ seed: 8 });
    const [ma, mb, mc] = await Promise.all([
      a.produce(spec('C1', 3_000_001)),
      b.produce(spec('C1', 3_000_001)),
      c.produce(spec('C1', 3_000_001)),
    ]);
    expect(ma).toEqual(mb);
    expect(mc.sha256).not.toBe(ma.sha256);
    const other = await a.produce(spec('C2', 3_000_001));
    expect(other.sha256).not.toBe(ma.sha256);
    expect(ma.bytes).toBe(3_000_001);
  });

  it.each([
    ['made on each read', false],
    ['held in memory', true],
  ])('reports the sha256 of exactly the bytes it serves, at any offset (%s)', async (_, hold) => {
    const src = new SyntheticClipSource({ seed: 'x', hold });
    const meta = await src.produce(spec('C9', 2_500_003));
    const chunks: Buffer[] = [];
    for await (const ch of src.stream('C9')) chunks.push(ch as Buffer);
    const whole = Buffer.concat(chunks);
    expect(whole.length).toBe(meta.bytes);
    expect(createHash('sha256').update(whole).digest('hex')).toBe(meta.sha256);
    // Random-access reads (the future dock READ) match the stream, including unaligned ones.
    for (const [off, len] of [
      [0, 100],
      [17, 33],
      [1_048_575, 10],
      [2_500_000, 100],
      [2_500_003, 5],
    ] as const) {
      const got = await src.read('C9', off, len);
      expect(got.equals(whole.subarray(off, off + len)), `read ${off}+${len}`).toBe(true);
    }
    const tail: Buffer[] = [];
    for await (const ch of src.stream('C9', 2_000_000)) tail.push(ch as Buffer);
    expect(Buffer.concat(tail).equals(whole.subarray(2_000_000))).toBe(true);
  });

  it('refuses unknown clips and bad ranges with typed errors, and caps size when asked', async () => {
    const src = new SyntheticClipSource({ seed: 1, maxBytes: 1000 });
    const m = await src.produce(spec('C1', 5_000_000));
    expect(m.bytes).toBe(1000);
    await expect(src.read('nope', 0, 1)).rejects.toMatchObject({ code: 'UNKNOWN_CLIP' });
    await expect(src.read('C1', -1, 1)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(src.read('C1', 1001, 1)).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await src.release('C1');
    await expect(src.read('C1', 0, 1)).rejects.toMatchObject({ code: 'UNKNOWN_CLIP' });
  });
});

describe('ffmpeg clip source', () => {
  const src = new FfmpegClipSource({ maxSeconds: 1 });
  afterAll(() => src.close());

  it('builds a bounded test-pattern argv', () => {
    const args = ffmpegClipArgs(spec('C1', 0), '/tmp/x.mp4', {
      maxSeconds: 2,
      width: 320,
      height: 240,
      fps: 10,
    });
    expect(args).toContain('testsrc=size=320x240:rate=10:duration=2');
    expect(args).toContain('title=C1');
    expect(args.at(-1)).toBe('/tmp/x.mp4');
  });

  it('makes a real H.264 MP4 whose size and hash are those in the metadata', async () => {
    const meta = await src.produce(spec('BC1-C1', 10_000_000));
    expect(meta.mediaType).toBe('video/mp4');
    const chunks: Buffer[] = [];
    for await (const ch of src.stream('BC1-C1')) chunks.push(ch as Buffer);
    const file = Buffer.concat(chunks);
    expect(file.length).toBe(meta.bytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(meta.sha256);
    expect((await src.read('BC1-C1', 4, 8)).toString('latin1')).toBe('ftypisom');
    const dir = (src as unknown as { dir: string }).dir;
    expect((await readFile(join(dir, 'BC1-C1.mp4'))).equals(file)).toBe(true);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      join(dir, 'BC1-C1.mp4'),
    ]);
    expect(stdout.trim()).toBe('h264');
    await src.release('BC1-C1');
    await expect(src.read('BC1-C1', 0, 1)).rejects.toMatchObject({ code: 'UNKNOWN_CLIP' });
  });
});
