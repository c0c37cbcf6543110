/**
 * What a camera's stream carries, read from its SDP (RFC 8866 §5.14 `m=`, RFC 4566 `a=rtpmap`):
 * the audio decision is taken from the stream itself, not from the ONVIF profile (many cameras
 * say "no audio encoder" and send G.711). The SDP is outside text: bounded and read line by line,
 * only the fields used here.
 */
import type { AudioMode, Container } from './ffmpeg-args.js';

export interface SdpTrack {
  /** `video`, `audio`, ... (lower case, at most 16 characters). */
  media: string;
  /** The first payload's encoding name, upper case (`H264`, `PCMA`, `MPEG4-GENERIC`); null if unnamed. */
  encoding: string | null;
}

const MAX_SDP = 64 * 1024;
const MAX_TRACKS = 16;
/** RFC 3551 §6 static payload types a camera may send without an rtpmap. */
const STATIC: Record<string, string> = {
  '0': 'PCMU',
  '8': 'PCMA',
  '14': 'MPA',
  '26': 'JPEG',
  '32': 'MPV',
  '33': 'MP2T',
};

export function sdpTracks(sdp: string): SdpTrack[] {
  const tracks: (SdpTrack & { pt: string })[] = [];
  for (const raw of sdp.slice(0, MAX_SDP).split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^m=([a-z]{1,16}) \d+(?:\/\d+)? [A-Za-z0-9/]+ (\d{1,3})/i.exec(line);
    if (m) {
      if (tracks.length >= MAX_TRACKS) break;
      tracks.push({ media: m[1]!.toLowerCase(), pt: m[2]!, encoding: STATIC[m[2]!] ?? null });
      continue;
    }
    const cur = tracks.at(-1);
    const r = /^a=rtpmap:(\d{1,3}) ([A-Za-z0-9_.-]{1,32})\//.exec(line);
    if (cur && r && r[1] === cur.pt) cur.encoding = r[2]!.toUpperCase();
  }
  return tracks.map(({ media, encoding }) => ({ media, encoding }));
}

/** How a stream's audio is recorded: copied or transcoded, and the container that holds it. */
export interface AudioPlan {
  audio: AudioMode;
  container: Container;
}

/** RFC 3640 AAC, which MP4 holds and browsers play. */
const AAC = new Set(['MPEG4-GENERIC']);
/** RFC 3551 §4.5.14 G.711, which QuickTime holds as sent (`alaw`/`ulaw` sample entries). */
const G711 = new Set(['PCMA', 'PCMU']);

/**
 * Every audio track is kept as sent (R25: no editing): AAC in MP4; G.711 (with or without AAC
 * beside it) in QuickTime, played to a browser through a transcode made only when someone plays it
 * (clips/playback.ts). Audio neither holds (G.726, an unnamed payload, ...) is transcoded to AAC,
 * which always works; a stream with no audio records none.
 */
export function audioPlanFor(tracks: readonly SdpTrack[]): AudioPlan {
  const audio = tracks.filter((t) => t.media === 'audio').map((t) => t.encoding ?? '');
  if (audio.length === 0) return { audio: 'none', container: 'mp4' };
  if (audio.every((e) => AAC.has(e))) return { audio: 'copy', container: 'mp4' };
  if (audio.every((e) => AAC.has(e) || G711.has(e))) return { audio: 'copy', container: 'mov' };
  return { audio: 'aac', container: 'mp4' };
}
