/**
 * What a camera's stream carries, read from its SDP (RFC 8866 §5.14 `m=`, RFC 4566 `a=rtpmap`):
 * the audio decision is taken from the stream itself, not from the ONVIF profile (many cameras
 * say "no audio encoder" and send G.711). The SDP is outside text: bounded and read line by line,
 * only the fields used here.
 */
import type { AudioMode } from './ffmpeg-args.js';

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

/**
 * AAC (RFC 3640 `MPEG4-GENERIC`) is copied into the MP4 as sent (R25: no editing); any other audio
 * (G.711 A-law/μ-law, G.726, ...) is transcoded to AAC, which an MP4 and a browser can hold; a
 * stream with no audio records none. An unnamed audio track is transcoded: that always works.
 */
export function audioModeFor(tracks: readonly SdpTrack[]): AudioMode {
  const audio = tracks.filter((t) => t.media === 'audio');
  if (audio.length === 0) return 'none';
  return audio.every((t) => t.encoding === 'MPEG4-GENERIC') ? 'copy' : 'aac';
}
