import { describe, expect, it } from 'vitest';
import {
  buildRecordArgs,
  flattenArgv,
  type RecordSpecInput,
  segmentFileName,
} from '../../gateway/recording/ffmpeg-args.js';
import { ProgressParser, TimelineAnchor } from '../../gateway/recording/progress.js';
import { parseSegmentLine } from '../../gateway/recording/segment-list.js';

const base: RecordSpecInput = {
  url: 'rtsp://127.0.0.2:8554/stream1',
  outDir: '/data/rec/H1/cam1',
  prefix: 'r0001-',
  segmentSeconds: 60,
  ioTimeoutS: 5,
};

/** The value following `flag` (each flag must appear once). */
function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  expect(argv.lastIndexOf(flag)).toBe(i);
  return i < 0 ? undefined : argv[i + 1];
}

describe('ffmpeg argv builder', () => {
  it('records RTSP over TCP with stream copy into fixed-length fragmented MP4 segments', () => {
    const a = buildRecordArgs(base);
    const argv = flattenArgv(a);
    expect(flagValue(a.inputOptions, '-rtsp_transport')).toBe('tcp');
    expect(flagValue(a.outputOptions, '-c')).toBe('copy');
    expect(a.outputOptions).not.toContain('-c:v');
    expect(flagValue(a.outputOptions, '-f')).toBe('segment');
    expect(flagValue(a.outputOptions, '-segment_time')).toBe('60');
    expect(flagValue(a.outputOptions, '-segment_format')).toBe('mp4');
    const fmt = flagValue(a.outputOptions, '-segment_format_options')!.split(':');
    expect(fmt).toContain('movflags=+frag_keyframe+empty_moov+default_base_moof');
    // Fragments reach the disk as they complete: playable while recording.
    expect(fmt).toContain('flush_packets=1');
    expect(fmt).toContain('frag_duration=250000');
    expect(flagValue(a.outputOptions, '-reset_timestamps')).toBe('1');
    expect(flagValue(a.outputOptions, '-segment_list_type')).toBe('csv');
    expect(flagValue(a.outputOptions, '-segment_list')).toBe('/data/rec/H1/cam1/r0001-list.csv');
    expect(a.output).toBe('/data/rec/H1/cam1/r0001-%05d.mp4');
    // Input options precede -i, output options follow it, the pattern comes last.
    expect(argv.indexOf('-rtsp_transport')).toBeLessThan(argv.indexOf('-i'));
    expect(argv.indexOf('-segment_time')).toBeGreaterThan(argv.indexOf('-i'));
    expect(argv.at(-1)).toBe(a.output);
  });

  it('sets the socket timeout in microseconds and reports progress on stdout', () => {
    const a = buildRecordArgs({ ...base, ioTimeoutS: 2.5, progressPeriodS: 0.25 });
    expect(flagValue(a.inputOptions, '-timeout')).toBe('2500000');
    expect(a.inputOptions).not.toContain('-rw_timeout');
    expect(flagValue(a.inputOptions, '-progress')).toBe('pipe:1');
    expect(flagValue(a.inputOptions, '-stats_period')).toBe('0.25');
    expect(a.inputOptions).toContain('-nostdin');
  });

  it('uses -rw_timeout for non-RTSP inputs', () => {
    const a = buildRecordArgs({ ...base, url: 'http://127.0.0.1:9000/live.ts' });
    expect(flagValue(a.inputOptions, '-rw_timeout')).toBe('5000000');
    expect(a.inputOptions).not.toContain('-rtsp_transport');
    expect(a.inputOptions).not.toContain('-timeout');
  });

  it('falls back to UDP only when asked, with a large socket buffer', () => {
    const udp = buildRecordArgs({ ...base, transport: 'udp' }).inputOptions;
    expect(flagValue(udp, '-rtsp_transport')).toBe('udp');
    expect(flagValue(udp, '-buffer_size')).toBe(String(4 * 1024 * 1024));
    expect(buildRecordArgs(base).inputOptions).not.toContain('-buffer_size');
  });

  it('refuses a URL with credentials: argv is readable by every local user', () => {
    expect(() => buildRecordArgs({ ...base, url: 'rtsp://admin:p%40ss@127.0.0.2:8554/stream1' })).toThrow(
      /without credentials/,
    );
    expect(() => buildRecordArgs({ ...base, url: 'rtsp://admin@127.0.0.2:8554/stream1' })).toThrow();
    expect(buildRecordArgs(base).input).toBe('rtsp://127.0.0.2:8554/stream1');
  });

  it('restricts the protocols a camera can make ffmpeg open', () => {
    const wl = flagValue(buildRecordArgs(base).inputOptions, '-protocol_whitelist')!.split(',');
    expect(wl).toContain('rtsp');
    expect(wl).toContain('tcp');
    expect(wl).not.toContain('file');
    expect(wl).not.toContain('http');
  });

  it('copies AAC audio, transcodes only audio an MP4 cannot hold, or drops it', () => {
    const copy = buildRecordArgs({ ...base, audio: 'copy' }).outputOptions;
    expect(copy).toContain('0:a?');
    const aac = buildRecordArgs({ ...base, audio: 'aac' }).outputOptions;
    expect(flagValue(aac, '-c:v')).toBe('copy');
    expect(flagValue(aac, '-c:a')).toBe('aac');
    expect(aac).not.toContain('-c');
    const none = buildRecordArgs({ ...base, audio: 'none' }).outputOptions;
    expect(none).toContain('-an');
    expect(none).not.toContain('0:a?');
  });

  it('refuses an unusable spec', () => {
    expect(() => buildRecordArgs({ ...base, prefix: '../x' })).toThrow();
    expect(() => buildRecordArgs({ ...base, segmentSeconds: 0 })).toThrow();
    expect(() => buildRecordArgs({ ...base, url: 'not a url' })).toThrow();
  });

  it('names segment files as the pattern expands', () => {
    expect(segmentFileName('r0001-', 7)).toBe('r0001-00007.mp4');
  });
});

describe('ffmpeg progress and segment list parsing', () => {
  it('parses progress blocks across chunk boundaries', () => {
    const got: (number | null)[] = [];
    const p = new ProgressParser((r) => got.push(r.outTimeMs));
    p.push('frame=10\nout_time_us=N/A\nprogress=continue\nframe=20\nout_ti');
    p.push('me_us=1500000\nprogress=continue\n');
    p.push('out_time_us=-5\nprogress=end\n');
    expect(got).toEqual([null, 1500, null]);
  });

  it('anchors a run to the wall clock with the least-delayed report', () => {
    const a = new TimelineAnchor();
    expect(a.known).toBe(false);
    a.observe(10_700, 500); // 200 ms late
    a.observe(11_050, 1000); // 50 ms late
    a.observe(14_000, 1000); // stalled: no better estimate
    expect(a.wall(0)).toBe(10_050);
    expect(a.wall(2)).toBe(12_050);
  });

  it('parses segment list lines and refuses anything else', () => {
    expect(parseSegmentLine('r0001-00000.mp4,0.000000,2.002000')).toEqual({
      file: 'r0001-00000.mp4',
      startS: 0,
      endS: 2.002,
    });
    expect(parseSegmentLine('"r1-00001.mp4",2.0,4.0')?.file).toBe('r1-00001.mp4');
    expect(parseSegmentLine('../etc/passwd,0,1')).toBeNull();
    expect(parseSegmentLine('a.mp4,5,1')).toBeNull();
    expect(parseSegmentLine('garbage')).toBeNull();
  });
});

describe('ffmpeg argv builder: start-up', () => {
  it('starts writing once every stream is described (no frame-rate estimation) unless told otherwise', () => {
    const fast = buildRecordArgs(base).inputOptions;
    expect(fast[fast.indexOf('-fpsprobesize') + 1]).toBe('0');
    // Reading a single packet is not enough when audio comes before the first keyframe.
    expect(Number(fast[fast.indexOf('-probesize') + 1])).toBeGreaterThan(100_000);
    const full = buildRecordArgs({ ...base, fastStart: false }).inputOptions;
    expect(full).not.toContain('-analyzeduration');
    expect(full).not.toContain('-probesize');
  });
});
