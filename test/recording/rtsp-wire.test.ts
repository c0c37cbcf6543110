/**
 * The relay's RTSP stream splitter (RFC 2326 §10.12): however TCP cuts the bytes, interleaved
 * frames come out byte for byte and messages whole; oversize or garbage input is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  type RtspMessage,
  RtspWire,
  RtspWireError,
} from '../../gateway/recording/rtsp-wire.js';

type Part = { kind: 'frame'; channel: number; data: Uint8Array } | { kind: 'message'; m: RtspMessage };

const frameBytes = (channel: number, data: Uint8Array) => {
  const head = Buffer.from([0x24, channel, data.length >> 8, data.length & 0xff]);
  return Buffer.concat([head, Buffer.from(data)]);
};

const part: fc.Arbitrary<Part> = fc.oneof(
  fc.record({
    kind: fc.constant('frame' as const),
    channel: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 3000 }),
  }),
  fc
    .record({
      status: fc.constantFrom(200, 401, 454),
      cseq: fc.integer({ min: 1, max: 99_999 }),
      body: fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
    })
    .map(({ status, cseq, body }) => ({
      kind: 'message' as const,
      m: {
        startLine: `RTSP/1.0 ${status} X`,
        headers: [['CSeq', String(cseq)]] as [string, string][],
        body: Buffer.from(body, 'latin1'),
      },
    })),
);

describe('RtspWire', () => {
  it('passes frames through exactly and yields whole messages, for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(part, { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 4000 })),
        (parts, cuts) => {
          const wire = Buffer.concat(
            parts.map((p) => (p.kind === 'frame' ? frameBytes(p.channel, p.data) : encodeMessage(p.m))),
          );
          const w = new RtspWire();
          const raw: Buffer[] = [];
          const out: (Buffer | RtspMessage)[] = [];
          let at = 0;
          let i = 0;
          while (at < wire.length) {
            const n = cuts.length ? cuts[i++ % cuts.length]! : wire.length;
            w.push(wire.subarray(at, at + n), (item) => {
              if (item.kind === 'raw') raw.push(Buffer.from(item.data));
              else {
                if (raw.length) out.push(Buffer.concat(raw.splice(0)));
                out.push(item.message);
              }
            });
            at += n;
          }
          if (raw.length) out.push(Buffer.concat(raw.splice(0)));
          // Expected: runs of consecutive frames as one byte string, messages as themselves.
          const want: (Buffer | RtspMessage)[] = [];
          let run: Buffer[] = [];
          for (const p of parts) {
            if (p.kind === 'frame') run.push(frameBytes(p.channel, p.data));
            else {
              if (run.length) want.push(Buffer.concat(run));
              run = [];
              want.push({
                ...p.m,
                headers: p.m.body.length
                  ? [...p.m.headers, ['Content-Length', String(p.m.body.length)]]
                  : p.m.headers,
              });
            }
          }
          if (run.length) want.push(Buffer.concat(run));
          expect(out).toEqual(want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses what is not RTSP, and a message over the bound', () => {
    expect(() => new RtspWire().push(Buffer.from('GET / HTTP/1.1\r\n\r\n'), () => {})).toThrow(RtspWireError);
    const big = Buffer.from(`RTSP/1.0 200 OK\r\nContent-Length: 99999\r\n\r\n`);
    expect(() => new RtspWire(1024).push(big, () => {})).toThrow(/too long/);
    const endless = Buffer.alloc(2048, 'a');
    expect(() => new RtspWire(1024).push(endless, () => {})).toThrow(RtspWireError);
  });
});
