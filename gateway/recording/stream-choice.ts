/**
 * How one camera's stream is read, learned as runs start and fail; the recording channel and the
 * warm pre-roll camera each keep one.
 * - Audio from the stream itself (its SDP, sdp.ts), asked once before the first run: AAC copied into
 *   MP4, G.711 copied into QuickTime, anything else transcoded. A camera whose audio still cannot be
 *   copied is transcoded from then on.
 * - Fast start until ffmpeg says the stream needs the full analysis.
 * - Lower transport: TCP (RTP interleaved on the RTSP connection, through the relay) first, since it
 *   loses nothing on a busy LAN, crosses firewalls and NAT, and lets the relay see the camera
 *   alive; the other one when the camera refuses it (RTSP 461): UDP for a camera that only does
 *   what Profile S requires, TCP for one configured UDP-only in the gateway that interleaves.
 */
import type { Logger } from '../log.js';
import type { AudioMode, Container, StreamTransport } from './ffmpeg-args.js';
import { audioPlanFor } from './sdp.js';
import type { StreamAccess, StreamEndpoint, StreamFailure } from './stream-access.js';

/** The camera's audio is not what we took it for and the container cannot hold it. */
export const AUDIO_UNFIT =
  /not currently supported in container|Could not find tag for codec pcm_|codec (pcm_alaw|pcm_mulaw|adpcm)/i;
export const NEEDS_ANALYSIS = /dimensions not set|unspecified size|Could not write header|codec parameters/i;

export type StreamChange = 'transport' | 'audio' | 'analysis';

export class StreamChoice {
  transport: StreamTransport;
  audio: AudioMode;
  container: Container;
  fastStart = true;
  #described = false;

  constructor(source: { transport: StreamTransport; audio: AudioMode; container?: Container }) {
    this.transport = source.transport;
    this.audio = source.audio;
    this.container = source.container ?? 'mp4';
  }

  /**
   * Before the first run: the audio handling from the tracks the stream really carries. Null when
   * there is nothing to ask (asked already, or an access layer that cannot describe).
   */
  prepare(access: StreamAccess, endpoint: StreamEndpoint, log: Logger): Promise<void> | null {
    if (this.#described || !access.describe) return null;
    this.#described = true;
    return access.describe(endpoint).then(
      (tracks) => {
        if (!tracks) return;
        const plan = audioPlanFor(tracks);
        if (plan.audio !== this.audio || plan.container !== this.container)
          log.debug({ tracks, ...plan }, 'audio handling chosen from the stream');
        this.audio = plan.audio;
        this.container = plan.container;
      },
      () => {},
    );
  }

  /**
   * A run ended without being asked to: what to change for the next one, if anything. `failure`
   * is the access layer's finding; `why` ffmpeg's words; a run stopped as stale says nothing of
   * the stream's format.
   */
  afterFailure(
    why: string,
    failure: StreamFailure | null,
    run: { hadData: boolean; stoppedStale: boolean },
  ): StreamChange | null {
    if (failure?.kind === 'transport') {
      this.transport = this.transport === 'tcp' ? 'udp' : 'tcp';
      return 'transport';
    }
    if (run.stoppedStale) return null;
    if (this.audio === 'copy' && AUDIO_UNFIT.test(why)) {
      this.audio = 'aac';
      this.container = 'mp4';
      return 'audio';
    }
    // Only ffmpeg's own verdict counts: interrupted before its first packet it says the same.
    if (!run.hadData && this.fastStart && NEEDS_ANALYSIS.test(why)) {
      this.fastStart = false;
      return 'analysis';
    }
    return null;
  }
}
