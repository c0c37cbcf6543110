/**
 * A closed segment checked without ffprobe: the fragmented MP4/QuickTime ffmpeg wrote
 * (ffmpeg-args.ts) read as ISO/IEC 14496-12 boxes. ffprobe costs about 65 ms of CPU per segment (a
 * process, its libraries, a full demux); at 16 cameras with 10 s segments that was 10 % of a core,
 * more than a plain `ffmpeg -c copy` of all 16 streams. A segment ffmpeg closed and listed
 * (segment-list.ts) has its media times in the list already; what is left to check is that the
 * file is whole and playable:
 * - the top-level boxes tile the file exactly (a truncated or padded file does not);
 * - `ftyp` first, then `moov` with a video track (`hdlr` `vide`), then at least one `moof` + `mdat`;
 * - the codecs from each track's first sample entry (`stsd`), the picture size from its `tkhd`.
 * Anything else (a segment found after a hard stop, with no list line) still goes to ffprobe.
 * The file is ours, but a bound still applies: at most MAX_BOXES top-level boxes, a 1 MiB `moov`.
 */
import { open } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { MediaInfo, MediaProbe } from './recorder.js';

const MAX_BOXES = 100_000;
const MAX_MOOV = 1024 * 1024;

const CODECS: Record<string, string> = {
  avc1: 'h264',
  avc3: 'h264',
  hvc1: 'hevc',
  hev1: 'hevc',
  mp4a: 'aac',
  alaw: 'pcm_alaw',
  ulaw: 'pcm_mulaw',
};

interface Box {
  type: string;
  /** Offset of the payload and the end of the box, within the buffer or file. */
  body: number;
  end: number;
}

/** The boxes of `buf[from, to)`; null when they do not tile it exactly. */
function boxesIn(buf: Buffer, from: number, to: number): Box[] | null {
  const out: Box[] = [];
  let at = from;
  while (at < to) {
    if (to - at < 8) return null;
    let size = buf.readUInt32BE(at);
    let body = at + 8;
    if (size === 1) {
      if (to - at < 16) return null;
      size = Number(buf.readBigUInt64BE(at + 8));
      body = at + 16;
    } else if (size === 0) size = to - at;
    if (size < body - at || at + size > to) return null;
    out.push({ type: buf.toString('latin1', at + 4, at + 8), body, end: at + size });
    at += size;
  }
  return out;
}

function child(buf: Buffer, box: Box, type: string, skip = 0): Box | undefined {
  return boxesIn(buf, box.body + skip, box.end)?.find((b) => b.type === type);
}

interface Track {
  handler: string;
  codec: string | null;
  width: number | null;
  height: number | null;
}

function track(buf: Buffer, trak: Box): Track | null {
  const mdia = child(buf, trak, 'mdia');
  const hdlr = mdia && child(buf, mdia, 'hdlr');
  if (!mdia || !hdlr || hdlr.end - hdlr.body < 12) return null;
  const handler = buf.toString('latin1', hdlr.body + 8, hdlr.body + 12);
  const minf = child(buf, mdia, 'minf');
  const stbl = minf && child(buf, minf, 'stbl');
  // stsd: version/flags, entry count, then the first sample entry (a box named by its codec).
  const stsd = stbl && child(buf, stbl, 'stsd');
  const entry =
    stsd && stsd.end - stsd.body >= 16 ? buf.toString('latin1', stsd.body + 12, stsd.body + 16) : null;
  const tkhd = child(buf, trak, 'tkhd');
  let width: number | null = null;
  let height: number | null = null;
  if (tkhd && tkhd.end - tkhd.body >= 84) {
    // Width and height are the box's last 8 bytes, 16.16 fixed point (either version).
    width = buf.readUInt32BE(tkhd.end - 8) >>> 16;
    height = buf.readUInt32BE(tkhd.end - 4) >>> 16;
  }
  return { handler, codec: entry ? (CODECS[entry] ?? entry) : null, width, height };
}

/**
 * The segment's streams, with `durationS` from its list line; throws (RECORDING_FAILED-worthy
 * text) when the file is not a whole fragmented MP4/QuickTime with a video track.
 */
export async function checkSegment(path: string, durationS: number): Promise<MediaInfo> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(16);
    let at = 0;
    let n = 0;
    let moov: Buffer | null = null;
    let fragments = 0;
    let lastType = '';
    while (at < size) {
      if (++n > MAX_BOXES) throw new Error('too many boxes');
      const { bytesRead } = await fh.read(head, 0, 16, at);
      if (bytesRead < 8) throw new Error(`truncated box header at ${at}`);
      let boxSize = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (boxSize === 1) {
        if (bytesRead < 16) throw new Error(`truncated box header at ${at}`);
        boxSize = Number(head.readBigUInt64BE(8));
      } else if (boxSize === 0) boxSize = size - at;
      if (boxSize < 8 || at + boxSize > size)
        throw new Error(`box ${JSON.stringify(type)} runs past the end`);
      if (n === 1 && type !== 'ftyp') throw new Error('no ftyp box first');
      if (type === 'moov') {
        if (boxSize > MAX_MOOV) throw new Error('moov too large');
        moov = Buffer.alloc(boxSize);
        await fh.read(moov, 0, boxSize, at);
      }
      if (type === 'mdat' && lastType === 'moof') fragments++;
      lastType = type;
      at += boxSize;
    }
    if (!moov) throw new Error('no moov box');
    const top = boxesIn(moov, 0, moov.length)?.[0];
    const traks = top ? (boxesIn(moov, top.body, top.end) ?? []).filter((b) => b.type === 'trak') : [];
    const tracks = traks.map((t) => track(moov, t)).filter((t): t is Track => t !== null);
    const video = tracks.find((t) => t.handler === 'vide');
    const audio = tracks.find((t) => t.handler === 'soun');
    if (!video) throw new Error('no video track');
    if (fragments === 0) throw new Error('no media fragment');
    return {
      durationS,
      videoCodec: video.codec,
      width: video.width,
      height: video.height,
      audioCodec: audio?.codec ?? null,
    };
  } finally {
    await fh.close();
  }
}

/**
 * A listed segment's streams: checked here, or (the check failing) by ffprobe, whose verdict
 * stands; null when not playable (the segment is kept anyway: R25).
 */
export async function inspectSegment(
  path: string,
  listedS: number,
  probe: MediaProbe,
  log: Logger,
): Promise<MediaInfo | null> {
  try {
    return await checkSegment(path, listedS);
  } catch (err) {
    log.info({ path, why: (err as Error).message }, 'segment check failed; asking ffprobe');
    return probe.probe(path).catch((e) => {
      log.warn({ path, err: (e as Error).message }, 'segment not playable; kept anyway');
      return null;
    });
  }
}
