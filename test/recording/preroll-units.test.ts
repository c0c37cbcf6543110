/**
 * Pure parts of the warm pre-roll cache: its ffmpeg argv, the choice of a hearing's lead-in from
 * the ring, the ring's bounds, the whole-list reader, and coverage with a lead-in.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageOf } from '../../gateway/hearings/summary.js';
import {
  buildCacheArgs,
  buildRecordArgs,
  type RecordSpecInput,
} from '../../gateway/recording/ffmpeg-args.js';
import { chooseLeadIn, expiredFromRing } from '../../gateway/recording/lead-in.js';
import { readSegmentList } from '../../gateway/recording/segment-list.js';

const spec: RecordSpecInput = {
  url: 'rtsp://127.0.0.2:8554/stream1',
  outDir: '/data/rec/preroll/cam1',
  prefix: 'w0001-',
  segmentSeconds: 1,
  ioTimeoutS: 5,
};

describe('pre-roll cache argv', () => {
  it('is the recording argv with 1 s segments and a list bounded to the ring', () => {
    const cache = buildCacheArgs({ ...spec, listSize: 9 });
    const rec = buildRecordArgs(spec);
    const o = cache.outputOptions;
    expect(o[o.indexOf('-segment_time') + 1]).toBe('1');
    expect(o[o.indexOf('-segment_list_size') + 1]).toBe('9');
    expect(o[o.indexOf('-segment_list_type') + 1]).toBe('csv');
    expect(o[o.indexOf('-c') + 1]).toBe('copy');
    // Everything else as the recording: same transport, fragments, timestamps, protocols.
    expect(cache.inputOptions).toEqual(rec.inputOptions);
    expect(o.filter((x, i) => x !== '-segment_list_size' && o[i - 1] !== '-segment_list_size')).toEqual(
      rec.outputOptions,
    );
    expect(cache.output).toBe(rec.output);
    expect(cache.listFile).toBe(rec.listFile);
  });

  it('refuses a list size that is not a small positive count', () => {
    expect(() => buildCacheArgs({ ...spec, listSize: 0 })).toThrow();
    expect(() => buildCacheArgs({ ...spec, listSize: 1.5 })).toThrow();
  });
});

const seg = (start: number, end: number, file = `${start}`) => ({ file, start, end });

describe('choosing the lead-in', () => {
  // Keyframe-aligned 1 s cache segments; a hearing asked at T = 2300, its media from S1 = 3400.
  const ring = [seg(4000, 5000), seg(1000, 2000), seg(2000, 3000), seg(3000, 4000), seg(0, 1000)];

  it('takes the segment holding T (from the keyframe before it) through the one holding S1', () => {
    expect(chooseLeadIn(ring, 2300, 3400).map((s) => s.start)).toEqual([2000, 3000]);
  });

  it('a start exactly on a keyframe begins there; a segment ending at T is not needed', () => {
    expect(chooseLeadIn(ring, 2000, 2500).map((s) => s.start)).toEqual([2000]);
  });

  it('nothing when the recording began before it was asked for, or the cache is empty', () => {
    expect(chooseLeadIn(ring, 2300, 2300)).toEqual([]);
    expect(chooseLeadIn(ring, 2300, 2000)).toEqual([]);
    expect(chooseLeadIn([], 2300, 3400)).toEqual([]);
  });

  it('a cache with a hole gives what it has (the hole stays a gap)', () => {
    const holed = [seg(1000, 2000), seg(3000, 4000)];
    const lead = chooseLeadIn(holed, 1500, 3500);
    expect(lead.map((s) => s.start)).toEqual([1000, 3000]);
    const cov = coverageOf({ start: 1500, end: 5000 }, [...lead, seg(3500, 5000)]);
    expect(cov.gaps).toEqual([{ start: 2000, end: 3000 }]);
  });
});

describe('ring bounds', () => {
  const ring = Array.from({ length: 8 }, (_, i) => seg(i * 1000, (i + 1) * 1000));

  it('keeps only the newest maxCount', () => {
    const gone = expiredFromRing(ring, 8000, { maxCount: 3, maxAgeMs: 60_000, heldFrom: null });
    expect(gone.map((s) => s.start).sort((a, b) => a - b)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('drops segments that ended longer ago than maxAgeMs, even under the count', () => {
    const gone = expiredFromRing(ring, 12_000, { maxCount: 10, maxAgeMs: 5000, heldFrom: null });
    expect(gone.map((s) => s.end).sort((a, b) => a - b)).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
  });

  it('keeps what a hearing holds (ending after its start), whatever the bounds', () => {
    const gone = expiredFromRing(ring, 12_000, { maxCount: 2, maxAgeMs: 1000, heldFrom: 4500 });
    expect(gone.map((s) => s.start).sort((a, b) => a - b)).toEqual([0, 1000, 2000, 3000]);
  });
});

describe('coverage with a lead-in', () => {
  const window = { start: 10_000, end: 70_000 };
  const segments = [
    { start: 11_000, end: 40_000 },
    { start: 40_000, end: 70_050 },
  ];

  it('without it the start-up is a gap; with it the union covers the window once', () => {
    const cold = coverageOf(window, segments);
    expect(cold.recordedMs).toBe(59_000);
    expect(cold.gaps).toEqual([{ start: 10_000, end: 11_000 }]);
    // Lead-in from the keyframe before the start, overlapping segment 1 by 600 ms.
    const warm = coverageOf(window, [
      { start: 9_400, end: 10_600 },
      { start: 10_600, end: 11_600 },
      ...segments,
    ]);
    expect(warm.recordedMs).toBe(60_000);
    expect(warm.coverage).toBe(1);
    expect(warm.gaps).toEqual([]);
  });

  it('clamps to the window and counts overlaps once, in any order', () => {
    const cov = coverageOf(window, [
      { start: 50_000, end: 80_000 },
      { start: 5_000, end: 12_000 },
      { start: 11_000, end: 20_000 },
      { start: 19_000, end: 30_000 },
    ]);
    expect(cov.recordedMs).toBe(20_000 + 20_000);
    expect(cov.gaps).toEqual([{ start: 30_000, end: 50_000 }]);
  });
});

describe('reading a rewritten segment list', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seglist-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('returns complete lines only; a missing list is empty', async () => {
    const p = join(dir, 'list.csv');
    expect(await readSegmentList(p)).toEqual([]);
    await writeFile(p, 'w0001-00003.mp4,3.0,4.0\nw0001-00004.mp4,4.0,5.0\nw0001-00005.mp4,5.0,5.9');
    expect((await readSegmentList(p)).map((s) => s.file)).toEqual(['w0001-00003.mp4', 'w0001-00004.mp4']);
  });
});
