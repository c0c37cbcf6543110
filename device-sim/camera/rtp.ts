/** RTP (RFC 3550) with the H.264 payload format (RFC 6184), and RTSP interleaving (RFC 2326 §10.12). */

export const H264_PAYLOAD_TYPE = 96;
export const H264_CLOCK_RATE = 90_000;
/** Payload bytes per RTP packet: keeps packets under a 1500-byte MTU if ever relayed over UDP. */
export const DEFAULT_MAX_PAYLOAD = 1400;

export interface RtpPayload {
  /** Concatenated, these are the payload. */
  readonly parts: readonly Buffer[];
  readonly length: number;
  /** Last packet of an access unit (RFC 6184 §5.1). */
  readonly marker: boolean;
}

const FU_A = 28;

/**
 * Packetizes one access unit: NALs that fit are sent as single NAL unit packets (§5.6); larger
 * ones are fragmented as FU-A (§5.8). Access unit delimiters are dropped (§5.1 allows it).
 */
export function packetizeAccessUnit(nals: readonly Buffer[], maxPayload = DEFAULT_MAX_PAYLOAD): RtpPayload[] {
  const out: RtpPayload[] = [];
  const kept = nals.filter((n) => (n[0]! & 0x1f) !== 9);
  kept.forEach((nal, i) => {
    const lastNal = i === kept.length - 1;
    if (nal.length <= maxPayload) {
      out.push({ parts: [nal], length: nal.length, marker: lastNal });
      return;
    }
    const hdr = nal[0]!;
    const indicator = (hdr & 0xe0) | FU_A;
    const type = hdr & 0x1f;
    const chunk = maxPayload - 2;
    for (let off = 1; off < nal.length; off += chunk) {
      const end = Math.min(off + chunk, nal.length);
      const first = off === 1;
      const last = end === nal.length;
      const fu = Buffer.from([indicator, (first ? 0x80 : 0) | (last ? 0x40 : 0) | type]);
      const body = nal.subarray(off, end);
      out.push({ parts: [fu, body], length: 2 + body.length, marker: lastNal && last });
    }
  });
  return out;
}

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
}

export function writeRtpHeader(buf: Buffer, offset: number, h: RtpHeaderFields): void {
  buf[offset] = 0x80; // V=2, no padding, no extension, no CSRC
  buf[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf.writeUInt16BE(h.seq & 0xffff, offset + 2);
  buf.writeUInt32BE(h.timestamp >>> 0, offset + 4);
  buf.writeUInt32BE(h.ssrc >>> 0, offset + 8);
}

/**
 * One access unit as consecutive `$`-framed RTP packets on `channel`, in a single buffer.
 * Returns the buffer and the next sequence number.
 */
export function interleavedRtp(
  payloads: readonly RtpPayload[],
  opts: { channel: number; seq: number; timestamp: number; ssrc: number; payloadType?: number },
): { data: Buffer; nextSeq: number; payloadBytes: number } {
  let size = 0;
  for (const p of payloads) size += 4 + 12 + p.length;
  const data = Buffer.allocUnsafe(size);
  let off = 0;
  let seq = opts.seq;
  let payloadBytes = 0;
  for (const p of payloads) {
    data[off] = 0x24;
    data[off + 1] = opts.channel;
    data.writeUInt16BE(12 + p.length, off + 2);
    writeRtpHeader(data, off + 4, {
      marker: p.marker,
      payloadType: opts.payloadType ?? H264_PAYLOAD_TYPE,
      seq,
      timestamp: opts.timestamp,
      ssrc: opts.ssrc,
    });
    off += 16;
    for (const part of p.parts) {
      part.copy(data, off);
      off += part.length;
    }
    payloadBytes += p.length;
    seq = (seq + 1) & 0xffff;
  }
  return { data, nextSeq: seq, payloadBytes };
}

const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** RTCP compound packet: Sender Report (RFC 3550 §6.4.1) + SDES CNAME (§6.5). */
export function rtcpSenderReport(r: {
  ssrc: number;
  wallClockMs: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
  cname: string;
}): Buffer {
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(r.ssrc >>> 0, 4);
  const secs = Math.floor(r.wallClockMs / 1000);
  sr.writeUInt32BE((secs + NTP_UNIX_OFFSET_S) >>> 0, 8);
  sr.writeUInt32BE(Math.floor(((r.wallClockMs - secs * 1000) / 1000) * 2 ** 32) >>> 0, 12);
  sr.writeUInt32BE(r.rtpTimestamp >>> 0, 16);
  sr.writeUInt32BE(r.packets >>> 0, 20);
  sr.writeUInt32BE(r.octets >>> 0, 24);
  const cname = Buffer.from(r.cname.slice(0, 255), 'utf8');
  // SSRC + item (type, length, text) + at least one null octet, padded to 32 bits.
  const itemLen = 4 + 2 + cname.length;
  const padded = Math.ceil((itemLen + 1) / 4) * 4;
  const sdes = Buffer.alloc(4 + padded);
  sdes[0] = 0x81;
  sdes[1] = 202;
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  sdes.writeUInt32BE(r.ssrc >>> 0, 4);
  sdes[8] = 1;
  sdes[9] = cname.length;
  cname.copy(sdes, 10);
  return Buffer.concat([sr, sdes]);
}

/** `$`-frames a packet for RTSP interleaving. */
export function interleave(channel: number, packet: Buffer): Buffer {
  const h = Buffer.from([0x24, channel, 0, 0]);
  h.writeUInt16BE(packet.length, 2);
  return Buffer.concat([h, packet]);
}
