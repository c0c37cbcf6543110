import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cobsDecode,
  cobsEncode,
  cobsEncodeInto,
  cobsMaxEncodedLength,
  crc32c,
  crc32cImplementation,
  crc32cOf,
  crc32cTables,
  crc32cUpdate,
} from '../../protocol/dock/index.js';

import { checks } from './load-vectors.js';

/** Bit-at-a-time CRC-32C: the textbook definition, to check the table-driven one against. */
function crcRef(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('CRC-32C', () => {
  it('has the check value crc32c("123456789") = 0xE3069283', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('matches every reference case in checks.json', () => {
    const cases = checks().crc32c.cases;
    expect(cases.length).toBeGreaterThanOrEqual(6);
    for (const c of cases) expect(crc32c(Buffer.from(c.hex, 'hex')), c.meaning).toBe(Number(c.crc));
  });

  it('equals the bitwise definition for any bytes, range and split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cut) => {
        const k = data.length ? cut % (data.length + 1) : 0;
        expect(crc32c(data)).toBe(crcRef(data));
        expect(crc32cOf([data.subarray(0, k), data.subarray(k)])).toBe(crcRef(data));
        expect(crc32c(data, k)).toBe(crcRef(data.subarray(k)));
      }),
      { numRuns: 2000 },
    );
  });

  it('uses the native CRC for long inputs on this platform, with the same results as the tables', () => {
    expect(crc32cImplementation).toBe('native');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 256, maxLength: 70_000 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        (data, a, b, reg) => {
          const start = a % 64;
          const end = data.length - (b % 64);
          const want = crc32cTables(reg, data, start, end);
          expect(crc32cUpdate(reg, data, start, end)).toBe(want);
          expect(crc32cUpdate(reg, data.subarray(start, end))).toBe(want);
        },
      ),
      { numRuns: 200 },
    );
    const big = new Uint8Array(5000).map((_, i) => (i * 131) & 0xff);
    expect(crc32c(big)).toBe(crcRef(big));
  });
});

describe('COBS', () => {
  it('matches the reference encodings in checks.json', () => {
    for (const c of checks().cobs) {
      expect(Buffer.from(cobsEncode(Buffer.from(c.data, 'hex'))).toString('hex')).toBe(c.cobs);
      expect(Buffer.from(cobsDecode(Buffer.from(c.cobs, 'hex'))!).toString('hex')).toBe(c.data);
    }
  });

  it('round-trips any bytes, never emits 0x00 and stays within the bound', () => {
    const zeroHeavy = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })), {
      maxLength: 700,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 1200 }),
          zeroHeavy.map((a) => Uint8Array.from(a)),
        ),
        (d) => {
          const e = cobsEncode(d);
          expect(e.includes(0)).toBe(false);
          expect(e.length).toBeLessThanOrEqual(cobsMaxEncodedLength(d.length));
          expect(cobsDecode(e)).toEqual(d);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('encodes several parts exactly as their concatenation', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 5 }), (parts) => {
        const whole = cobsEncode(Buffer.concat(parts));
        const out = new Uint8Array(cobsMaxEncodedLength(whole.length) + 8);
        const end = cobsEncodeInto(parts, out, 3);
        expect(out.subarray(3, end)).toEqual(whole);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects malformed encodings', () => {
    expect(cobsDecode(Uint8Array.of(0x05, 1, 2))).toBeNull();
    expect(cobsDecode(Uint8Array.of(0x03, 1, 0))).toBeNull();
  });
});
