/**
 * What the recorder learns of a camera's stream (pure logic): the audio handling from the SDP's
 * tracks (AAC copied into MP4, G.711 copied into QuickTime, the rest transcoded, none recorded as
 * none), the lower transport
 * switched on a 461, the fast start given up only on ffmpeg's own verdict.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.js';
import { audioPlanFor, sdpTracks } from '../../gateway/recording/sdp.js';
import type { StreamAccess } from '../../gateway/recording/stream-access.js';
import { StreamChoice } from '../../gateway/recording/stream-choice.js';

const log = createLogger({ level: 'silent' });
const GSTREAMER_AAC = [
  'v=0',
  'o=- 1188340656180883 1 IN IP4 127.0.0.186',
  's=Session streamed with GStreamer',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAHtkBQfsBEAAAAwAQAAADAUjxgyQ=,aMuMsg==',
  'a=control:stream=0',
  'm=audio 0 RTP/AVP 97',
  'a=rtpmap:97 MPEG4-GENERIC/16000/1',
  'a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1408;sizelength=13',
  'a=control:stream=1',
].join('\r\n');

describe('tracks from the SDP', () => {
  it('names each track by its rtpmap, or by a static payload type without one', () => {
    expect(sdpTracks(GSTREAMER_AAC)).toEqual([
      { media: 'video', encoding: 'H264' },
      { media: 'audio', encoding: 'MPEG4-GENERIC' },
    ]);
    expect(sdpTracks('m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\nm=audio 0 RTP/AVP 8\n')).toEqual([
      { media: 'video', encoding: 'H264' },
      { media: 'audio', encoding: 'PCMA' },
    ]);
    // An rtpmap for another payload than the track's first one names nothing.
    expect(sdpTracks('m=audio 0 RTP/AVP 96\na=rtpmap:97 PCMU/8000')).toEqual([
      { media: 'audio', encoding: null },
    ]);
    expect(sdpTracks(`${'m=audio 0 RTP/AVP 0\n'.repeat(100)}`)).toHaveLength(16);
  });

  it('copies AAC into MP4 and G.711 into QuickTime, transcodes only what neither holds', () => {
    const v = { media: 'video', encoding: 'H264' };
    const a = (encoding: string | null) => ({ media: 'audio', encoding });
    const mp4 = (audio: string) => ({ audio, container: 'mp4' });
    expect(audioPlanFor([v, a('MPEG4-GENERIC')])).toEqual(mp4('copy'));
    expect(audioPlanFor([v, a('PCMA')])).toEqual({ audio: 'copy', container: 'mov' });
    expect(audioPlanFor([v, a('PCMU')])).toEqual({ audio: 'copy', container: 'mov' });
    expect(audioPlanFor([v, a('MPEG4-GENERIC'), a('PCMA')])).toEqual({ audio: 'copy', container: 'mov' });
    expect(audioPlanFor([v, a('G726-32')])).toEqual(mp4('aac'));
    expect(audioPlanFor([v, a(null)])).toEqual(mp4('aac'));
    expect(audioPlanFor([v, a('PCMA'), a('G726-32')])).toEqual(mp4('aac'));
    expect(audioPlanFor([v])).toEqual(mp4('none'));
  });
});

describe('stream choice', () => {
  const endpoint = { cameraId: 'cam1', url: 'rtsp://127.0.0.2/s', transport: 'tcp' as const };
  const access = (sdp: string | null): StreamAccess => ({
    open: () => {
      throw new Error('not used');
    },
    describe: async () => (sdp === null ? null : sdpTracks(sdp)),
  });

  it('takes the audio handling from the stream, not the profile, and asks once', async () => {
    let asked = 0;
    const a = access(GSTREAMER_AAC);
    const counting: StreamAccess = {
      ...a,
      describe: (e) => {
        asked++;
        return a.describe!(e);
      },
    };
    const c = new StreamChoice({ transport: 'tcp', audio: 'aac' });
    await c.prepare(counting, endpoint, log);
    expect(c.audio).toBe('copy');
    expect(c.prepare(counting, endpoint, log)).toBeNull();
    expect(asked).toBe(1);
    // A camera that does not describe its stream keeps the fallback.
    const d = new StreamChoice({ transport: 'tcp', audio: 'aac' });
    await d.prepare(access(null), endpoint, log);
    expect(d.audio).toBe('aac');
    expect(
      new StreamChoice({ transport: 'tcp', audio: 'aac' }).prepare({ open: a.open }, endpoint, log),
    ).toBeNull();
  });

  it('switches the lower transport on a 461, each way', () => {
    const c = new StreamChoice({ transport: 'tcp', audio: 'aac' });
    const run = { hadData: false, stoppedStale: false };
    expect(c.afterFailure('Protocol not supported', { kind: 'transport', status: 461 }, run)).toBe(
      'transport',
    );
    expect(c.transport).toBe('udp');
    expect(c.afterFailure('Protocol not supported', { kind: 'transport', status: 461 }, run)).toBe(
      'transport',
    );
    expect(c.transport).toBe('tcp');
    expect(c.afterFailure('Connection refused', { kind: 'unreachable', message: 'x' }, run)).toBeNull();
    expect(c.transport).toBe('tcp');
  });

  it('transcodes audio the container cannot hold, and gives up the fast start only on ffmpeg verdicts', () => {
    const c = new StreamChoice({ transport: 'tcp', audio: 'copy', container: 'mov' });
    const fresh = { hadData: false, stoppedStale: false };
    expect(
      c.afterFailure('no fresh data | dimensions not set', null, { ...fresh, stoppedStale: true }),
    ).toBeNull();
    expect(c.afterFailure('Could not find tag for codec pcm_alaw in stream #1', null, fresh)).toBe('audio');
    expect(c.audio).toBe('aac');
    expect(c.container).toBe('mp4');
    expect(c.afterFailure('dimensions not set', null, { ...fresh, hadData: true })).toBeNull();
    expect(c.afterFailure('dimensions not set', null, fresh)).toBe('analysis');
    expect(c.fastStart).toBe(false);
  });
});
