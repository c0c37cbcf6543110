/**
 * CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, init 0xFFFFFFFF, xorout 0xFFFFFFFF,
 * check value crc32c("123456789") = 0xE3069283 (PROTOCOL.md §3.3). Slicing-by-8 tables.
 */

const POLY = 0x82f63b78;

const T = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** Raw register update (no init/xorout): feed the result of a previous call to continue. */
export function crc32cUpdate(reg: number, data: Uint8Array, start = 0, end = data.length): number {
  let c = reg | 0;
  let i = start;
  const t = T;
  for (const stop = end - 8; i <= stop; i += 8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** CRC-32C of `data[start, end)` as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return ~crc32cUpdate(-1, data, start, end) >>> 0;
}

/** CRC-32C over several byte ranges in order, as if they were one buffer. */
export function crc32cOf(parts: readonly Uint8Array[]): number {
  let c = -1;
  for (const p of parts) c = crc32cUpdate(c, p);
  return ~c >>> 0;
}
