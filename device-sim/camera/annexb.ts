/** H.264 Annex B byte stream -> NAL units -> access units (ITU-T H.264 Annex B and §7.4.1.2.3). */

const START = Buffer.from([0, 0, 1]);

export const NalType = { slice: 1, idr: 5, sei: 6, sps: 7, pps: 8, aud: 9 } as const;

export const nalType = (nal: Buffer): number => nal[0]! & 0x1f;

/** Splits a byte stream into NAL units (start codes and trailing zero bytes removed). */
export class AnnexBSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private started = false;
  private searchFrom = 0;

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let nalStart = 0;
    let pos = this.searchFrom;
    for (;;) {
      const i = this.buf.indexOf(START, pos);
      if (i < 0) break;
      if (this.started) this.emit(this.buf.subarray(nalStart, i), out);
      this.started = true;
      nalStart = i + 3;
      pos = nalStart;
    }
    // Keep the unfinished NAL; a start code may straddle chunks, so rescan its last two bytes.
    this.buf = this.started
      ? this.buf.subarray(nalStart)
      : this.buf.subarray(Math.max(0, this.buf.length - 2));
    this.searchFrom = Math.max(0, this.buf.length - 2);
    return out;
  }

  /** The last NAL, at end of stream. */
  flush(): Buffer[] {
    const out: Buffer[] = [];
    if (this.started) this.emit(this.buf, out);
    this.buf = Buffer.alloc(0);
    this.started = false;
    this.searchFrom = 0;
    return out;
  }

  private emit(nal: Buffer, out: Buffer[]): void {
    let end = nal.length;
    while (end > 0 && nal[end - 1] === 0) end--; // 4-byte start codes and trailing_zero_8bits
    if (end > 0) out.push(nal.subarray(0, end));
  }
}

export interface AccessUnit {
  readonly nals: readonly Buffer[];
  /** Contains an IDR slice: a decoder can start here. */
  readonly keyframe: boolean;
}

const isVcl = (t: number) => t >= 1 && t <= 5;

/**
 * Groups NAL units into access units. An AU is complete when the first NAL of the next one
 * arrives (§7.4.1.2.3): an AUD, SPS, PPS, SEI or prefix NAL after a slice, or a slice with
 * first_mb_in_slice == 0 (its ue(v) code is the single bit 1).
 */
export class AccessUnitAssembler {
  private nals: Buffer[] = [];
  private hasVcl = false;
  private keyframe = false;

  push(nal: Buffer): AccessUnit | undefined {
    const t = nalType(nal);
    let done: AccessUnit | undefined;
    const startsNew =
      this.hasVcl &&
      ((t >= 6 && t <= 9) || (t >= 14 && t <= 18) || (isVcl(t) && nal.length > 1 && (nal[1]! & 0x80) !== 0));
    if (startsNew) done = this.take();
    this.nals.push(nal);
    if (isVcl(t)) this.hasVcl = true;
    if (t === NalType.idr) this.keyframe = true;
    return done;
  }

  /** The pending AU, at end of stream. */
  flush(): AccessUnit | undefined {
    return this.hasVcl ? this.take() : undefined;
  }

  private take(): AccessUnit {
    const au = { nals: this.nals, keyframe: this.keyframe };
    this.nals = [];
    this.hasVcl = false;
    this.keyframe = false;
    return au;
  }
}

/** profile_idc, constraint flags, level_idc from an SPS, as the SDP profile-level-id (RFC 6184 §8.1). */
export function profileLevelId(sps: Buffer): string {
  return sps.subarray(1, 4).toString('hex').toUpperCase();
}
