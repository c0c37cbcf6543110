/**
 * Splits a stream of concatenated JPEG images (ffmpeg `-f image2pipe -c:v mjpeg`) into images by
 * walking the marker segments (ITU-T T.81 Annex B), so bytes inside tables are never mistaken
 * for an end-of-image marker.
 */
export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxImageBytes = 8 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const soi = this.buf.indexOf(SOI);
      if (soi < 0) {
        this.buf = this.buf.subarray(Math.max(0, this.buf.length - 1));
        break;
      }
      if (soi > 0) this.buf = this.buf.subarray(soi);
      const end = imageEnd(this.buf);
      if (end === undefined) {
        if (this.buf.length > this.maxImageBytes) this.buf = this.buf.subarray(2); // resync
        break;
      }
      if (end < 0) {
        this.buf = this.buf.subarray(2); // not a JPEG after all: look for the next SOI
        continue;
      }
      out.push(Buffer.from(this.buf.subarray(0, end)));
      this.buf = this.buf.subarray(end);
    }
    return out;
  }
}

const SOI = Buffer.from([0xff, 0xd8]);

/** Index just past EOI; undefined if more bytes are needed; -1 if the data is not a JPEG. */
function imageEnd(b: Buffer): number | undefined {
  let i = 2;
  for (;;) {
    if (i + 1 >= b.length) return undefined;
    if (b[i] !== 0xff) return -1;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (m === 0xd9) return i + 2;
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) {
      i += 2;
      continue;
    }
    if (i + 3 >= b.length) return undefined;
    const len = b.readUInt16BE(i + 2);
    if (len < 2) return -1;
    i += 2 + len;
    if (m !== 0xda) continue;
    // Entropy-coded data after SOS: runs until a 0xFF not followed by 0x00 or RSTn.
    for (;;) {
      const ff = b.indexOf(0xff, i);
      if (ff < 0 || ff + 1 >= b.length) return undefined;
      const n = b[ff + 1]!;
      if (n === 0x00 || (n >= 0xd0 && n <= 0xd7)) {
        i = ff + 2;
        continue;
      }
      i = ff;
      break;
    }
  }
}
