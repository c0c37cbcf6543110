/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker 1999), PROTOCOL.md §3.2.
 * Encoded data contains no 0x00, so 0x00 delimits frames. Overhead is at most one byte per
 * 254 bytes (+1), and a receiver resynchronises at the next 0x00 after any corruption.
 * A block that ends at 254 data bytes (code 0xFF) with no more input is not followed by an
 * empty 0x01 block; decoders accept both forms.
 */

/** Largest COBS encoding of `n` bytes (no delimiters). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

/**
 * COBS-encodes `parts` (as one buffer) into `out` at `outPos`; returns the position after the
 * last written byte. `out` must have `cobsMaxEncodedLength(total)` bytes free from `outPos`.
 */
export function cobsEncodeInto(parts: readonly Uint8Array[], out: Uint8Array, outPos: number): number {
  let o = outPos;
  let codeAt = o++;
  let code = 1;
  let open = true;
  for (const p of parts) {
    const n = p.length;
    const isBuffer = Buffer.isBuffer(p);
    let i = 0;
    let nz = -1;
    while (i < n) {
      if (!open) {
        codeAt = o++;
        code = 1;
        open = true;
      }
      if (nz < i) {
        nz = p.indexOf(0, i);
        if (nz < 0) nz = n;
      }
      if (nz === i) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
        i++;
        continue;
      }
      // Copy a run of non-zero bytes, at most up to the end of this block.
      const end = Math.min(nz, i + (0xff - code));
      // Buffer#copy takes offsets: no view object per block.
      if (isBuffer) (p as Buffer).copy(out, o, i, end);
      else out.set(p.subarray(i, end), o);
      o += end - i;
      code += end - i;
      i = end;
      if (code === 0xff) {
        out[codeAt] = 0xff;
        open = false;
      }
    }
  }
  if (open) out[codeAt] = code;
  return o;
}

/** COBS-encodes one buffer (no delimiters). */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(data.length));
  return out.subarray(0, cobsEncodeInto([data], out, 0));
}

/** Decodes one COBS block sequence (no delimiters). Returns null if it is malformed. */
export function cobsDecode(enc: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(enc.length);
  let o = 0;
  let i = 0;
  let zero = false;
  while (i < enc.length) {
    const code = enc[i++]!;
    if (code === 0) return null;
    if (zero) out[o++] = 0;
    const end = i + code - 1;
    if (end > enc.length) return null;
    for (; i < end; i++) {
      const b = enc[i]!;
      if (b === 0) return null;
      out[o++] = b;
    }
    zero = code !== 0xff;
  }
  return out.subarray(0, o);
}
