import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessUnitAssembler, AnnexBSplitter, profileLevelId } from '../../device-sim/camera/annexb.js';
import { adtsFrame } from '../../device-sim/camera/audio-source.js';
import { encoderArgs, H264Source } from '../../device-sim/camera/h264-source.js';
import { JpegSplitter } from '../../device-sim/camera/jpeg.js';
import { interleavedRtp, packetizeAccessUnit, rtcpSenderReport } from '../../device-sim/camera/rtp.js';
import { chooseTransport, transportReply } from '../../device-sim/camera/rtp-transport.js';

const sc4 = Buffer.from([0, 0, 0, 1]);
const sc3 = Buffer.from([0, 0, 1]);

/** A NAL of `type` whose body never contains 00 00 0x (as after emulation prevention). */
function nal(type: number, size: number, firstMb = true): Buffer {
  const b = Buffer.alloc(size, 0x5a);
  b[0] = 0x60 | type;
  if (size > 1) b[1] = firstMb ? 0x88 : 0x08;
  return b;
}

function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out.filter((c) => c.length > 0);
}

describe('Annex B splitter', () => {
  it('returns the same NAL units however the byte stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.integer({ min: 1, max: 12 }),
            size: fc.integer({ min: 2, max: 3000 }),
            four: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.array(fc.nat(40_000), { maxLength: 20 }),
        (spec, cuts) => {
          const nals = spec.map((s) => nal(s.type, s.size));
          const stream = Buffer.concat(spec.flatMap((s, i) => [s.four ? sc4 : sc3, nals[i]!]));
          const splitter = new AnnexBSplitter();
          const got = chunked(stream, cuts).flatMap((c) => splitter.push(c));
          got.push(...splitter.flush());
          expect(got.map((b) => b.toString('hex'))).toEqual(nals.map((b) => b.toString('hex')));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('drops leading garbage and trailing zero bytes', () => {
    const s = new AnnexBSplitter();
    const out = s.push(
      Buffer.concat([Buffer.from([7, 7]), sc3, nal(7, 5), Buffer.from([0, 0]), sc4, nal(8, 4)]),
    );
    out.push(...s.flush());
    expect(out.map((b) => b.length)).toEqual([5, 4]);
  });
});

describe('access unit assembly', () => {
  it('starts a new access unit at SPS, AUD or a slice with first_mb_in_slice 0', () => {
    const a = new AccessUnitAssembler();
    const seq = [
      nal(7, 4),
      nal(8, 4),
      nal(5, 50),
      nal(5, 50, false),
      nal(1, 30),
      nal(9, 2),
      nal(1, 30),
      nal(7, 4),
    ];
    const aus = seq.map((n) => a.push(n)).filter((x) => x !== undefined);
    expect(aus.map((au) => au.nals.length)).toEqual([4, 1, 2]);
    expect(aus.map((au) => au.keyframe)).toEqual([true, false, false]);
    expect(a.flush()).toBeUndefined(); // a lone SPS is not a picture
  });

  it('reads profile-level-id from an SPS', () => {
    expect(profileLevelId(Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xd9]))).toBe('42C01E');
  });
});

describe('RTP H.264 packetization (RFC 6184)', () => {
  function depacketize(payloads: ReturnType<typeof packetizeAccessUnit>): Buffer[] {
    const nals: Buffer[] = [];
    let fu: Buffer[] = [];
    for (const p of payloads) {
      const b = Buffer.concat(p.parts);
      const type = b[0]! & 0x1f;
      if (type !== 28) {
        nals.push(b);
        continue;
      }
      if (b[1]! & 0x80) fu = [Buffer.from([(b[0]! & 0xe0) | (b[1]! & 0x1f)])];
      fu.push(b.subarray(2));
      if (b[1]! & 0x40) nals.push(Buffer.concat(fu));
    }
    return nals;
  }

  it('round-trips NAL units of any size; marker only on the last packet; AUD dropped', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2, max: 9000 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const nals = sizes.map((s, i) => {
          const b = nal(i === 0 ? 5 : 1, s);
          for (let j = 2; j < s; j++) b[j] = (j * 7 + i) & 0xff;
          return b;
        });
        const payloads = packetizeAccessUnit([nal(9, 2), ...nals], 1400);
        expect(payloads.every((p) => p.length <= 1400)).toBe(true);
        expect(payloads.map((p) => p.marker)).toEqual(payloads.map((_, i) => i === payloads.length - 1));
        expect(depacketize(payloads).map((b) => b.toString('hex'))).toEqual(
          nals.map((b) => b.toString('hex')),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('frames packets with $, channel, length and an RTP header with consecutive sequence numbers', () => {
    const payloads = packetizeAccessUnit([nal(5, 3000)], 1400);
    const { data, nextSeq } = interleavedRtp(payloads, {
      channel: 2,
      seq: 0xfffe,
      timestamp: 0x1234_5678,
      ssrc: 0xdeadbeef,
    });
    expect(payloads.length).toBe(3);
    expect(nextSeq).toBe(1);
    let off = 0;
    const seqs: number[] = [];
    while (off < data.length) {
      expect(data[off]).toBe(0x24);
      expect(data[off + 1]).toBe(2);
      const len = data.readUInt16BE(off + 2);
      expect(data[off + 4]).toBe(0x80);
      seqs.push(data.readUInt16BE(off + 6));
      expect(data.readUInt32BE(off + 8)).toBe(0x1234_5678);
      expect(data.readUInt32BE(off + 12)).toBe(0xdeadbeef);
      off += 4 + len;
    }
    expect(off).toBe(data.length);
    expect(seqs).toEqual([0xfffe, 0xffff, 0]);
  });

  it('builds an RTCP SR + SDES compound packet with NTP time', () => {
    const p = rtcpSenderReport({
      ssrc: 1,
      wallClockMs: 1_700_000_000_500,
      rtpTimestamp: 9,
      packets: 3,
      octets: 4,
      cname: 'cam',
    });
    expect(p.length % 4).toBe(0);
    expect(p[1]).toBe(200);
    expect(p.readUInt32BE(8)).toBe(1_700_000_000 + 2_208_988_800);
    expect(p.readUInt32BE(12)).toBe(2 ** 31);
    expect(p[29]).toBe(202);
  });
});

describe('JPEG splitter', () => {
  // SOI, a DQT segment whose table bytes contain FF D9, SOS, entropy data with stuffed FF 00, EOI.
  const jpeg = (fill: number) =>
    Buffer.concat([
      Buffer.from([0xff, 0xd8]),
      Buffer.from([0xff, 0xdb, 0x00, 0x06, 0xff, 0xd9, 0x01, 0x02]),
      Buffer.from([0xff, 0xda, 0x00, 0x04, 0x01, 0x00]),
      Buffer.from([fill, 0xff, 0x00, fill, 0xff, 0xd3, fill]),
      Buffer.from([0xff, 0xd9]),
    ]);

  it('splits concatenated images at EOI, not at FF D9 inside a table, whatever the chunking', () => {
    const images = [jpeg(1), jpeg(2), jpeg(3)];
    const stream = Buffer.concat(images);
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 10 }), (cuts) => {
        const s = new JpegSplitter();
        const got = chunked(stream, cuts).flatMap((c) => s.push(c));
        expect(got.map((b) => b.toString('hex'))).toEqual(images.map((b) => b.toString('hex')));
      }),
    );
  });
});

describe('encoder argv', () => {
  it('encodes baseline H.264 with a short GOP to stdout and JPEGs to fd 3, clock drawn when a font exists', () => {
    const args = encoderArgs({
      width: 320,
      height: 180,
      fps: 10,
      gop: 10,
      crf: 30,
      label: "Room 1'; rm",
      font: '/f.ttf',
    });
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    expect(at('-profile:v')).toBe('baseline');
    expect(at('-g')).toBe('10');
    expect(at('-i')).toBe('testsrc2=size=320x180:rate=10');
    expect(args).toContain('pipe:1');
    expect(args).toContain('pipe:3');
    expect(at('-filter_complex')).toContain("text='Room 1 rm  %{localtime}'");
    const noFont = encoderArgs({
      width: 320,
      height: 180,
      fps: 10,
      gop: 10,
      crf: 30,
      label: '',
      font: undefined,
    });
    expect(noFont[noFont.indexOf('-filter_complex') + 1]).not.toContain('drawtext');
  });
});

describe('encoder failure', () => {
  it('start() rejects with ENCODER_FAILED when ffmpeg cannot run', async () => {
    const src = new H264Source({ ffmpegPath: '/nonexistent/ffmpeg' });
    await expect(src.start(5000)).rejects.toMatchObject({ code: 'ENCODER_FAILED' });
    expect(src.isRunning).toBe(false);
  });
});

describe('RTSP transport choice (RFC 2326 §12.39)', () => {
  it('takes the first alternative the camera serves, UDP to the requesting host only', () => {
    const both = ['tcp', 'udp'] as const;
    expect(
      chooseTransport(
        'RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=2-3',
        both,
        '::ffff:127.0.0.1',
      ),
    ).toEqual({
      kind: 'udp',
      rtp: 5000,
      rtcp: 5001,
      host: '127.0.0.1',
    });
    expect(
      chooseTransport('RTP/AVP/UDP;unicast;client_port=6000;destination=10.9.9.9', both, '127.0.0.1'),
    ).toEqual({
      kind: 'udp',
      rtp: 6000,
      rtcp: 6001,
      host: '127.0.0.1',
    });
    expect(
      chooseTransport('RTP/AVP;unicast;client_port=5000-5001,RTP/AVP/TCP;interleaved=2-3', ['tcp'], 'h'),
    ).toEqual({
      kind: 'tcp',
      rtp: 2,
      rtcp: 3,
    });
    expect(chooseTransport('RTP/AVP/TCP;interleaved=0-1', ['udp'], 'h')).toBeNull();
    expect(chooseTransport('RTP/AVP;multicast;client_port=5000-5001', both, 'h')).toBeNull();
    expect(chooseTransport('RTP/AVP;unicast', both, 'h')).toBeNull();
    expect(chooseTransport('RTP/AVP;unicast;client_port=70000-70001', both, 'h')).toBeNull();
    expect(
      transportReply({ kind: 'udp', rtp: 5000, rtcp: 5001, host: 'h' }, 'AB', { rtp: 7000, rtcp: 7001 }),
    ).toBe('RTP/AVP;unicast;client_port=5000-5001;server_port=7000-7001;ssrc=AB;mode="PLAY"');
  });
});

describe('AAC over RTP (RFC 3640 AAC-hbr)', () => {
  it('turns ADTS frames into AU-header payloads, skipping garbage and waiting for whole frames', () => {
    const raw = Buffer.from([1, 2, 3, 4, 5]);
    const len = 7 + raw.length;
    const adts = Buffer.from([
      0xff,
      0xf1,
      0x60,
      0x40 | (len >> 11),
      (len >> 3) & 0xff,
      ((len & 7) << 5) | 0x1f,
      0xfc,
    ]);
    const frame = Buffer.concat([adts, raw]);
    expect(adtsFrame(frame.subarray(0, len - 1))).toBeNull();
    const out = adtsFrame(Buffer.concat([Buffer.from([0x00, 0x42]), frame, Buffer.from([0xff])]))!;
    expect(out.used).toBe(2 + len);
    expect([...out.payload]).toEqual([0x00, 0x10, 0x00, raw.length << 3, 1, 2, 3, 4, 5]);
  });
});
