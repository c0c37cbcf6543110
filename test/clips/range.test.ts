/** HTTP Range parsing for clip playback (pure). */
import { describe, expect, it } from 'vitest';
import { contentTypeOf } from '../../gateway/clips/content-type.js';
import { parseRange } from '../../gateway/clips/range.js';

describe('parseRange', () => {
  const size = 1000;
  it.each([
    [undefined, { kind: 'full' }],
    ['bytes=0-', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=900-5000', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=5-1', { kind: 'full' }],
    ['bytes=0-1,5-9', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes=abc', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
  ])('%s', (header, want) => {
    expect(parseRange(header, size)).toEqual(want);
  });

  it('has nothing to serve of an empty clip', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange(undefined, 0)).toEqual({ kind: 'full' });
  });
});

describe('contentTypeOf', () => {
  it('tells MP4, MPEG-TS and anything else apart by their first bytes', () => {
    expect(contentTypeOf(Buffer.from('\0\0\0\x20ftypisom\0\0\x02\0', 'latin1'))).toBe('video/mp4');
    const ts = Buffer.alloc(189);
    ts[0] = 0x47;
    ts[188] = 0x47;
    expect(contentTypeOf(ts)).toBe('video/mp2t');
    expect(contentTypeOf(Buffer.from('random bytes here'))).toBe('application/octet-stream');
    expect(contentTypeOf(Buffer.alloc(0))).toBe('application/octet-stream');
  });
});
