/**
 * The ffmpeg command line for recording one camera stream, built by a pure function from a spec
 * (Frigate style: config in, argv out, tested without ffmpeg).
 *
 * Choices (issue #5 "gateway"):
 * - RTSP over TCP (`-rtsp_transport tcp`, interleaved RTP): no loss on a busy LAN; UDP when the
 *   camera refuses TCP (stream-choice.ts).
 * - `-c copy`: the camera's picture and sound are kept bit for bit (no transcoding, R25 "no
 *   editing"), G.711 included: a stream with G.711 (which MP4 cannot hold) is written as QuickTime
 *   (`container: 'mov'`, the same ISO-BMFF muxer and fragment options, which holds A-law/μ-law as
 *   sent); a browser gets it as fragmented MP4 with AAC made on the fly when someone plays it
 *   (clips/playback.ts). Only audio neither container holds (G.726, ...) is transcoded to AAC.
 *   Why, measured in CPU-seconds (60 s of 640x360 H.264 + 8 kHz G.711, load 20): copying it all
 *   takes 0.07 s, the AAC encoder adds 0.22 s (0.4 % of a core per camera, for every second
 *   recorded: about a plain `ffmpeg -c copy` of the whole camera, so `cpu_ratio` ≤ 1.3 could not
 *   hold with it); a playback transcode takes 0.29 s per minute played, only when someone plays.
 * - Segment muxer, fixed-length segments, fragmented MP4/QuickTime (`frag_keyframe+empty_moov+
 *   default_base_moof`, fragments of at most 0.25 s flushed as they complete): the same container as
 *   recorder clips; every finished fragment is on disk, so a segment is readable while it is
 *   still being written and after a crash, and it can be read from a pipe (moov first). MPEG-TS
 *   would be as robust but needs a demuxer in the browser, and the mp4 trailer is not needed.
 * - `-reset_timestamps 1`: each segment starts at 0. The csv segment list gives each closed segment's
 *   start/end on the run's timeline; the recorder anchors that timeline to the wall clock from the
 *   `-progress` reports (see progress.ts), so segment start times are wall-clock times.
 * - `-timeout` (RTSP) / `-rw_timeout` (other protocols), in microseconds: a dead stream ends ffmpeg
 *   even if the watchdog did not.
 */
import { join } from 'node:path';
import { z } from 'zod';

export const AudioMode = z.enum(['copy', 'aac', 'none']);
export type AudioMode = z.infer<typeof AudioMode>;

export const StreamTransport = z.enum(['tcp', 'udp']);

/** `mov` (QuickTime) holds G.711 as sent; `mp4` is what a browser plays directly. */
export const Container = z.enum(['mp4', 'mov']);
export type Container = z.infer<typeof Container>;

/** A segment file of either container, as the scratch and ring directories hold them. */
export const SEGMENT_FILE = /\.(mp4|mov)$/;
export type StreamTransport = z.infer<typeof StreamTransport>;

export const RecordSpec = z.object({
  /**
   * Stream URL: rtsp://host:port/path (or http/tcp/file for tests), never with credentials: argv
   * is readable by every local user. A camera's password stays in the gateway, which does the
   * RTSP authentication for ffmpeg (rtsp-relay.ts).
   */
  url: z
    .string()
    .min(1)
    .refine((s) => {
      try {
        const u = new URL(s);
        return u.username === '' && u.password === '';
      } catch {
        return false;
      }
    }, 'a URL without credentials'),
  transport: StreamTransport.default('tcp'),
  /** Directory the segments and the segment list are written to. */
  outDir: z.string().min(1),
  /** File name prefix for this run (a restart gets a new prefix, so names never collide). */
  prefix: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  segmentSeconds: z.number().int().min(1).max(3600),
  /** Socket I/O timeout: with no data for this long ffmpeg gives up by itself. */
  ioTimeoutS: z.number().positive().max(3600),
  audio: AudioMode.default('copy'),
  container: Container.default('mp4'),
  /** How often ffmpeg writes a `-progress` report (the watchdog's freshness signal). */
  progressPeriodS: z.number().positive().max(10).default(0.25),
  /**
   * Start writing as soon as every stream's parameters are known instead of analysing the input
   * for seconds. Not "read one packet" (`-probesize 32`): a camera that sends audio before its
   * first video keyframe leaves the picture size unknown and the MP4 header cannot be written
   * ("dimensions not set"). Instead the analysis ends as soon as each stream is described (the
   * first keyframe decoded, the audio format known) with no frame-rate estimation
   * (`-fpsprobesize 0`); packets read meanwhile are written, not dropped. A camera whose stream
   * needs more still gets the full analysis: the recorder retries with `fastStart: false`.
   */
  fastStart: z.boolean().default(true),
  /** Protocols ffmpeg may open: a camera cannot redirect the recorder to a file or elsewhere. */
  protocols: z.array(z.string().regex(/^[a-z0-9]+$/)).default(['rtsp', 'rtsps', 'rtp', 'tcp', 'udp', 'tls']),
});
export type RecordSpec = z.infer<typeof RecordSpec>;
export type RecordSpecInput = z.input<typeof RecordSpec>;

export interface FfmpegArgv {
  /** Options before `-i` (global and input options). */
  inputOptions: string[];
  input: string;
  /** Options after `-i`, before the output pattern. */
  outputOptions: string[];
  /** Segment file pattern. */
  output: string;
  /** The csv segment list: one `file,start,end` line per closed segment. */
  listFile: string;
  container: Container;
}

const MICRO = 1_000_000;
/**
 * Fragments of at most 0.25 s (and one per keyframe), flushed to the file as they complete: media
 * reaches the disk within a fraction of a second, so a segment is playable while it is being
 * written, and a crash (kill -9, power) or a stall loses at most that much, whatever the camera's
 * GOP length. The cost is one small `moof` box per fragment.
 */
export const FRAGMENT_US = 250_000;
/**
 * Upper bound of the fast start's analysis, stream time: longer than a camera's keyframe interval
 * (1-2 s typical), so the first keyframe is always inside it; it ends far sooner in practice.
 */
const FAST_ANALYZE_US = 4_000_000;
/**
 * Receive buffer of each RTP/UDP socket (ffmpeg's own default asks 384 KiB). Over UDP the camera
 * sends whether or not ffmpeg reads: a reader kept off the CPU for a moment (a loaded box) loses
 * what overflows the socket, and the hole is a real gap in the record. 4 MiB holds about 30 s of a
 * 1 Mbit/s stream. The kernel grants at most `net.core.rmem_max` (Debian's default 208 KiB; the
 * README asks for 4 MiB).
 */
export const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

export function buildRecordArgs(input: RecordSpecInput): FfmpegArgv {
  const spec = RecordSpec.parse(input);
  const url = new URL(spec.url);
  const isRtsp = url.protocol === 'rtsp:' || url.protocol === 'rtsps:';
  const timeoutUs = String(Math.round(spec.ioTimeoutS * MICRO));

  const inputOptions = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-nostats',
    '-progress',
    'pipe:1',
    '-stats_period',
    String(spec.progressPeriodS),
  ];
  if (isRtsp) {
    inputOptions.push('-rtsp_transport', spec.transport, '-timeout', timeoutUs);
    if (spec.transport === 'udp') inputOptions.push('-buffer_size', String(UDP_BUFFER_BYTES));
    inputOptions.push('-protocol_whitelist', spec.protocols.join(','));
  } else {
    inputOptions.push('-rw_timeout', timeoutUs);
  }

  if (spec.fastStart)
    inputOptions.push(
      '-fpsprobesize',
      '0',
      '-analyzeduration',
      String(FAST_ANALYZE_US),
      '-probesize',
      '1000000',
    );

  const outputOptions = ['-map', '0:v:0'];
  if (spec.audio === 'none') outputOptions.push('-an', '-c', 'copy');
  else {
    // Every audio track the stream carries (R14: an audio-video record); `?`: a camera without
    // one is not an error.
    outputOptions.push('-map', '0:a?');
    if (spec.audio === 'copy') outputOptions.push('-c', 'copy');
    // Only audio no container of ours holds as sent (G.726, ...): narrow-band speech needs no more
    // than 48 kbit/s of AAC. The `fast` coder: 0.40 % of a core per 8 kHz track against 0.61 %
    // for the default two-loop search, no audible difference on speech at this rate.
    else outputOptions.push('-c:v', 'copy', '-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '48k');
  }
  const listFile = join(spec.outDir, `${spec.prefix}list.csv`);
  outputOptions.push(
    '-f',
    'segment',
    '-segment_time',
    String(spec.segmentSeconds),
    '-segment_format',
    spec.container,
    '-segment_format_options',
    `movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=${FRAGMENT_US}:flush_packets=1`,
    '-reset_timestamps',
    '1',
    '-segment_list',
    listFile,
    '-segment_list_type',
    'csv',
  );
  return {
    inputOptions,
    input: spec.url,
    outputOptions,
    output: join(spec.outDir, `${spec.prefix}%05d.${spec.container}`),
    listFile,
    container: spec.container,
  };
}

/**
 * The warm pre-roll cache (preroll.ts): the same recording, in short keyframe-aligned segments
 * (`segmentSeconds` 1), with a segment list that ffmpeg rewrites (atomically, via `<list>.tmp`
 * and rename) to hold only the last `listSize` closed segments, so it stays small however long
 * the camera is warm. Its entries are anchored to the wall clock exactly like a recording's.
 */
export function buildCacheArgs(input: RecordSpecInput & { listSize: number }): FfmpegArgv {
  const listSize = z.number().int().min(1).max(1000).parse(input.listSize);
  const a = buildRecordArgs(input);
  const at = a.outputOptions.indexOf('-segment_list_type');
  a.outputOptions.splice(at, 0, '-segment_list_size', String(listSize));
  return a;
}

/** The whole argument vector (without the ffmpeg binary). */
export function flattenArgv(a: FfmpegArgv): string[] {
  return [...a.inputOptions, '-i', a.input, ...a.outputOptions, a.output];
}

/** The segment file name for a given index (what `%05d` expands to). */
export function segmentFileName(prefix: string, index: number, container: Container = 'mp4'): string {
  return `${prefix}${String(index).padStart(5, '0')}.${container}`;
}
