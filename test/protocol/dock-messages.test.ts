import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bodySchemas,
  cobsDecode,
  crc32c,
  DATA_HEADER_BYTES,
  DockCodecError,
  type DockFrameInput,
  DockParser,
  decodeFrame,
  encodeDataFrame,
  encodeFrame,
  encodeFrameParts,
  MAX_BODY_BYTES,
  MAX_CHUNK_BYTES,
  MAX_FRAME_BYTES,
  MAX_WIRE_BYTES,
  type ParseEvent,
  wireBytesMax,
} from '../../protocol/dock/index.js';
import { CLIP_ID, clipInfo, dockExamples, T0 } from '../../protocol/vectors/examples.js';

function one(wire: Uint8Array): ParseEvent {
  const ev = new DockParser().feed(wire);
  expect(ev).toHaveLength(1);
  return ev[0]!;
}

function withCrc(f: DockFrameInput): DockFrameInput {
  return f.type === 'DATA' ? { ...f, body: { ...f.body, chunkCrc: crc32c(f.body.chunk) } } : f;
}

describe('dock messages round trip', () => {
  for (const ex of dockExamples) {
    it(`${ex.type} seq ${ex.seq}`, () => {
      const f = withCrc(ex);
      const ev = one(encodeFrame(f));
      if (!ev.ok) throw new Error(ev.error.message);
      expect(ev.frame).toEqual({ ...f, version: 1 });
      // The decoded body satisfies its schema as is.
      expect(bodySchemas[ev.frame.type].safeParse(ev.frame.body).success).toBe(true);
    });
  }

  it('round-trips arbitrary READ, DATA and ERROR bodies (binary layouts)', () => {
    const clipId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
    const offset = fc.nat({ max: Number.MAX_SAFE_INTEGER });
    const seq = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(
        seq,
        clipId,
        offset,
        fc.integer({ min: 1, max: MAX_CHUNK_BYTES }),
        fc.uint8Array({ maxLength: 600 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.string({ maxLength: 200 }),
        (s, id, off, len, chunk, eof, code, message) => {
          const frames: DockFrameInput[] = [
            { type: 'READ', seq: s, body: { clipId: id, offset: off, length: len } },
            { type: 'DATA', seq: s, body: { clipId: id, offset: off, eof, chunkCrc: crc32c(chunk), chunk } },
            { type: 'ERROR', seq: s, body: { code, message } },
          ];
          for (const f of frames) {
            const ev = one(encodeFrame(f));
            expect(ev.ok && ev.frame).toEqual({ ...f, version: 1 });
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('round-trips arbitrary clip lists, status and pairing (JSON layouts)', () => {
    const officer = fc.record({
      id: fc.string({ minLength: 1, maxLength: 32 }),
      // Unicode names; the schema limit counts UTF-16 units, as JSON does.
      name: fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }).filter((n) => n.length <= 64),
      certNo: fc.string({ minLength: 1, maxLength: 32 }),
    });
    fc.assert(
      fc.property(officer, fc.nat({ max: 8.64e15 }), fc.integer({ min: 0, max: 40 }), (o, at, k) => {
        const clips = Array.from({ length: k }, (_, i) => ({ ...clipInfo, clipId: `c${i}`, officer: o }));
        const frames: DockFrameInput[] = [
          { type: 'PAIR', seq: 1, body: { officer: o, at } },
          { type: 'CLIP_LIST', seq: 2, body: { clips, next: k ? `after-c${k - 1}` : null } },
        ];
        for (const f of frames) {
          const ev = one(encodeFrame(f));
          expect(ev.ok && ev.frame).toEqual({ ...f, version: 1 });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('encodeDataFrame fills in the chunk CRC and offsets up to 2^53-1 survive', () => {
    const chunk = new Uint8Array(MAX_CHUNK_BYTES).map((_, i) => i * 31);
    const ev = one(
      encodeDataFrame(9, { clipId: CLIP_ID, offset: Number.MAX_SAFE_INTEGER, eof: true, chunk }),
    );
    if (!ev.ok || ev.frame.type !== 'DATA') throw new Error('not DATA');
    expect(ev.frame.body.chunkCrc).toBe(crc32c(chunk));
    expect(ev.frame.body.offset).toBe(Number.MAX_SAFE_INTEGER);
    expect(ev.frame.body.chunk).toEqual(chunk);
  });
});

describe('dock encoder rejects what the protocol cannot carry', () => {
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DockCodecError);
      return (e as DockCodecError).code;
    }
    return 'no error';
  };

  it('invalid bodies, seq and version', () => {
    expect(codeOf(() => encodeFrame({ type: 'GET_CLIP', seq: 1, body: { clipId: 'a b' } }))).toBe('BAD_BODY');
    expect(
      codeOf(() => encodeFrame({ type: 'READ', seq: 1, body: { clipId: CLIP_ID, offset: 0, length: 0 } })),
    ).toBe('BAD_BODY');
    expect(
      codeOf(() =>
        encodeFrame({
          type: 'READ',
          seq: 1,
          body: { clipId: CLIP_ID, offset: 0, length: MAX_CHUNK_BYTES + 1 },
        }),
      ),
    ).toBe('BAD_BODY');
    expect(codeOf(() => encodeFrame({ type: 'GET_STATUS', seq: 0x10000, body: {} }))).toBe('BAD_HEADER');
    expect(codeOf(() => encodeFrame({ type: 'GET_STATUS', seq: 1, version: 0, body: {} }))).toBe(
      'BAD_HEADER',
    );
    const big = {
      ...clipInfo,
      markers: Array.from({ length: 64 }, () => ({ marker: 'statement' as const, at: T0 })),
    };
    const clips = Array.from({ length: 64 }, (_, i) => ({ ...big, clipId: `clip-${i}` }));
    expect(codeOf(() => encodeFrame({ type: 'CLIP_LIST', seq: 1, body: { clips, next: null } }))).toBe(
      'OVERSIZE',
    );
  });

  it('HELLO, HELLO_ACK and ERROR always go out as version 1', () => {
    const hello = dockExamples[0]!;
    const ev = one(encodeFrame({ ...hello, version: 7 }));
    expect(ev.ok && ev.frame.version).toBe(1);
  });
});

describe('frame size limits', () => {
  const header = (type: number) => Uint8Array.of(1, type, 1, 0);

  it('accepts a body of exactly MAX_BODY_BYTES and rejects one byte more', () => {
    const chunk = new Uint8Array(MAX_BODY_BYTES - DATA_HEADER_BYTES);
    const hdr = new Uint8Array(DATA_HEADER_BYTES);
    hdr.set(Buffer.from(CLIP_ID));
    new DataView(hdr.buffer).setUint32(72, crc32c(chunk), true);
    const wire = encodeFrameParts(header(0x88), [hdr, chunk]);
    expect(wire.length).toBeLessThanOrEqual(MAX_WIRE_BYTES);
    const p = new DockParser();
    // Within the frame limit, but the chunk exceeds MAX_CHUNK_BYTES: a BAD_BODY, not OVERSIZE.
    expect(p.feed(wire).map((e) => (e.ok ? e.frame.type : e.error.code))).toEqual(['BAD_BODY']);
    expect(() => encodeFrameParts(header(0x88), [hdr, chunk, Uint8Array.of(1)])).toThrow(DockCodecError);
  });

  it('encodes into a caller buffer byte for byte as into a new one, reusing it frame after frame', () => {
    const into = new Uint8Array(wireBytesMax(MAX_BODY_BYTES)).fill(0xaa);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const fresh = encodeFrameParts(header(0x88), [a, b]);
        const reused = encodeFrameParts(header(0x88), [a, b], into);
        expect(reused.buffer).toBe(into.buffer);
        expect(Buffer.from(reused).equals(Buffer.from(fresh))).toBe(true);
      }),
      { numRuns: 300 },
    );
    // Too small a buffer is not written past: a new one is made.
    const small = new Uint8Array(8);
    const wire = encodeFrameParts(header(0x88), [new Uint8Array(100).fill(7)], small);
    expect(wire.buffer).not.toBe(small.buffer);
    expect(small.every((x) => x === 0)).toBe(true);
  });

  it('a frame one byte over MAX_FRAME_BYTES is OVERSIZE and the next frame still decodes', () => {
    // Hand-built COBS: 0xFF blocks of non-zero bytes, MAX_FRAME_BYTES + 1 decoded bytes.
    const parts: number[] = [0];
    let left = MAX_FRAME_BYTES + 1;
    while (left > 0) {
      const k = Math.min(254, left);
      parts.push(k === 254 ? 0xff : k + 1, ...new Array(k).fill(0x55));
      left -= k;
    }
    parts.push(0);
    const ok = encodeFrame({ type: 'GET_STATUS', seq: 3, body: {} });
    const p = new DockParser();
    let max = 0;
    const events: ParseEvent[] = [];
    const all = Buffer.concat([Uint8Array.from(parts), ok]);
    for (let i = 0; i < all.length; i += 1000) {
      events.push(...p.feed(all.subarray(i, i + 1000)));
      max = Math.max(max, p.buffered);
    }
    expect(max).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(events.map((e) => (e.ok ? e.frame.type : e.error.code))).toEqual(['OVERSIZE', 'GET_STATUS']);
  });

  it('a frame of exactly MAX_FRAME_BYTES decoded bytes is not OVERSIZE', () => {
    const body = new Uint8Array(MAX_BODY_BYTES).fill(0x20);
    const wire = encodeFrameParts(header(0x85), [body]);
    const ev = new DockParser().feed(wire);
    expect(ev.map((e) => (e.ok ? e.frame.type : e.error.code))).toEqual(['BAD_BODY']);
  });
});

describe('zero-copy DATA views', () => {
  it('hands out chunks that later frames never overwrite', () => {
    const p = new DockParser();
    const kept: { chunk: Uint8Array; want: Uint8Array }[] = [];
    for (let k = 0; k < 40; k++) {
      const want = new Uint8Array(30_000 + k).fill(k + 1);
      const wire = encodeDataFrame(k, { clipId: CLIP_ID, offset: k, eof: false, chunk: want });
      for (const e of p.feed(wire)) {
        if (!e.ok || e.frame.type !== 'DATA') throw new Error('expected DATA');
        expect(e.frame.body.chunk.buffer).not.toBe(wire.buffer);
        kept.push({ chunk: e.frame.body.chunk, want });
      }
      // Interleave control frames, which reuse the parser's space.
      p.feed(encodeFrame({ type: 'GET_STATUS', seq: k, body: {} }));
    }
    expect(kept).toHaveLength(40);
    for (const { chunk, want } of kept) expect(Buffer.compare(chunk, want)).toBe(0);
  });

  it('transientData: every DATA of one feed is intact at dispatch, and slabs are reused across feeds', () => {
    const p = new DockParser({ transientData: true });
    const buffers = new Set<ArrayBufferLike>();
    for (let round = 0; round < 30; round++) {
      // Several DATA frames in one feed (up to both slabs' worth): all must be intact together.
      const n = 1 + (round % 9);
      const wants = Array.from({ length: n }, (_, k) =>
        new Uint8Array(60_000).fill(((round * 9 + k) % 250) + 1),
      );
      const wire = Buffer.concat(
        wants.map((chunk, k) => encodeDataFrame(k, { clipId: CLIP_ID, offset: k, eof: false, chunk })),
      );
      const data = p.feed(wire).flatMap((e) => (e.ok && e.frame.type === 'DATA' ? [e.frame.body.chunk] : []));
      expect(data).toHaveLength(n);
      data.forEach((chunk, k) => {
        expect(Buffer.compare(chunk, wants[k]!)).toBe(0);
        buffers.add(chunk.buffer);
      });
    }
    // Far fewer buffers than frames: two in turn, plus a fresh one only when one feed fills both.
    expect(buffers.size).toBeLessThan(20);
  });

  it('transientData off (the default): chunks from earlier feeds stay intact', () => {
    const p = new DockParser();
    const kept: Uint8Array[] = [];
    for (let k = 0; k < 20; k++) {
      const chunk = new Uint8Array(60_000).fill(k + 1);
      for (const e of p.feed(encodeDataFrame(k, { clipId: CLIP_ID, offset: k, eof: false, chunk })))
        if (e.ok && e.frame.type === 'DATA') kept.push(e.frame.body.chunk);
    }
    for (const [k, c] of kept.entries()) expect(c.every((x) => x === k + 1)).toBe(true);
  });

  it('decodeFrame gives a chunk that is a view into the frame it was given', () => {
    const wire = encodeDataFrame(1, {
      clipId: CLIP_ID,
      offset: 0,
      eof: false,
      chunk: Uint8Array.of(1, 2, 3),
    });
    const frame = cobsDecode(wire.subarray(1, -1))!;
    const ev = decodeFrame(frame);
    if (!ev.ok || ev.frame.type !== 'DATA') throw new Error('expected DATA');
    expect(ev.frame.body.chunk).toEqual(Uint8Array.of(1, 2, 3));
    expect(ev.frame.body.chunk.buffer).toBe(frame.buffer);
  });
});
