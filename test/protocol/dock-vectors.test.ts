import { describe, expect, it } from 'vitest';
import { DockParser, DockType, encodeFrame } from '../../protocol/dock/index.js';
import { eventToJson, frameFromJson, hex, wireBytes } from '../../protocol/vectors/format.js';
import { dockVectors } from './load-vectors.js';

const vectors = dockVectors();

describe('dock vectors', () => {
  it('has at least 20 vectors, covering every message type and every receive error', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20);
    const types = new Set(vectors.flatMap((v) => v.expect.flatMap((e) => (e.ok ? [e.frame.type] : []))));
    expect([...types].sort()).toEqual(Object.keys(DockType).sort());
    const codes = new Set(vectors.flatMap((v) => v.expect.flatMap((e) => (e.ok ? [] : [e.code]))));
    for (const c of [
      'BAD_COBS',
      'TOO_SHORT',
      'BAD_CHECK',
      'OVERSIZE',
      'BAD_VERSION',
      'UNKNOWN_TYPE',
      'BAD_BODY',
    ]) {
      expect(codes, c).toContain(c);
    }
    expect(codes).toContain('BAD_CHUNK_CHECK');
  });

  for (const v of vectors) {
    it(`${v.name}: ${v.meaning}`, () => {
      const p = new DockParser();
      const got = v.chunks.flatMap((c) => p.feed(wireBytes(c)).map(eventToJson));
      expect(got).toEqual(v.expect);
      expect(p.buffered).toBe(0);
      // The same bytes in one piece and byte by byte give the same events.
      const all = Buffer.concat(v.chunks.map(wireBytes));
      expect(new DockParser().feed(all).map(eventToJson)).toEqual(v.expect);
      if (all.length < 5000) {
        const q = new DockParser();
        const bytewise = [...all].flatMap((b) => q.feed(Uint8Array.of(b)).map(eventToJson));
        expect(bytewise).toEqual(v.expect);
      }
      if (v.encodes) {
        const first = v.expect[0];
        if (!first?.ok) throw new Error('encodes without a frame');
        expect(hex(encodeFrame(frameFromJson(first.frame)))).toBe(hex(all));
      }
    });
  }
});
