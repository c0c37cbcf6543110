/**
 * The in-process check of a closed segment (no ffprobe) against what ffprobe says of the same real
 * ffmpeg output: fragmented MP4 with AAC, QuickTime with G.711 as sent, and the files it must
 * refuse (cut short, no video, not a segment at all).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSegment } from '../../gateway/recording/segment-check.js';

const run = promisify(execFile);
const FRAG = 'movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=250000:flush_packets=1';

async function make(dir: string, name: string, audio: string[], format: string): Promise<string> {
  const out = join(dir, name);
  // One segment as the recorder writes it: the segment muxer, 2 s, fragments flushed.
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=10'],
    ...['-f', 'lavfi', '-i', 'sine=f=440:r=8000', '-t', '2', '-c:v', 'libx264', '-g', '10'],
    ...[
      '-preset',
      'ultrafast',
      ...audio,
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-f',
      'segment',
      '-segment_time',
      '60',
    ],
    ...['-segment_format', format, '-segment_format_options', FRAG, join(dir, `${name}%d`)],
  ]);
  await run('mv', [join(dir, `${name}0`), out]);
  return out;
}

describe('segment check', () => {
  let dir: string;
  let mp4: string;
  let mov: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'segcheck-'));
    [mp4, mov] = await Promise.all([
      make(dir, 'a.mp4', ['-c:a', 'aac'], 'mp4'),
      make(dir, 'b.mov', ['-c:a', 'pcm_alaw'], 'mov'),
    ]);
  }, 30_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('names the streams as ffprobe does, with the listed duration', async () => {
    expect(await checkSegment(mp4, 2)).toEqual({
      durationS: 2,
      videoCodec: 'h264',
      width: 320,
      height: 180,
      audioCodec: 'aac',
    });
    expect(await checkSegment(mov, 2)).toMatchObject({ videoCodec: 'h264', audioCodec: 'pcm_alaw' });
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      mov,
    ]);
    expect(stdout.trim().split('\n')).toEqual(['h264', 'pcm_alaw']);
  });

  it('refuses a file cut short, one without video, and one that is no segment', async () => {
    const bytes = await readFile(mp4);
    const cut = join(dir, 'cut.mp4');
    await writeFile(cut, bytes.subarray(0, bytes.length - 100));
    await expect(checkSegment(cut, 2)).rejects.toThrow(/past the end|truncated/);
    const audioOnly = join(dir, 'audio.mp4');
    await run('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=f=440:r=8000', '-t', '1'],
      ...['-c:a', 'aac', '-movflags', '+frag_keyframe+empty_moov', audioOnly],
    ]);
    await expect(checkSegment(audioOnly, 1)).rejects.toThrow(/no video track/);
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, Buffer.alloc(4096, 7));
    await expect(checkSegment(junk, 1)).rejects.toThrow();
    // The moov alone, no fragment of media.
    const head = join(dir, 'head.mp4');
    const moovEnd = bytes.indexOf('moof') - 4;
    await writeFile(head, bytes.subarray(0, moovEnd));
    await expect(checkSegment(head, 2)).rejects.toThrow(/no media fragment/);
  });
});
