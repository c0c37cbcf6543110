/**
 * Whole frames (PROTOCOL.md §3.3-3.5): header [version u8][type u8][seq u16 LE], body,
 * CRC-32C u32 LE over header+body; on the wire 0x00, COBS(frame), 0x00.
 */
import { cobsEncodeInto, cobsMaxEncodedLength } from './cobs.js';
import { type BodyResult, bodyCodecs, type DockMessage } from './codec.js';
import {
  DOCK_VERSION,
  DOCK_VERSIONS,
  DockType,
  dockTypeName,
  HEADER_BYTES,
  MAX_BODY_BYTES,
  MIN_FRAME_BYTES,
  TRAILER_BYTES,
  VERSIONLESS_TYPES,
} from './constants.js';
import { crc32c, crc32cUpdate } from './crc32c.js';
import { DockCodecError, type FrameError } from './errors.js';
import type { Data } from './messages.js';

/** A decoded frame: header fields plus the message. Narrow on `type`. */
export type DockFrame = DockMessage & { version: number; seq: number };
/** What to encode; `version` defaults to DOCK_VERSION (HELLO, HELLO_ACK, ERROR are always 1). */
export type DockFrameInput = DockMessage & { seq: number; version?: number };

export type ParseEvent = { ok: true; frame: DockFrame } | { ok: false; error: FrameError };

function headerFor(typeName: DockMessage['type'], seq: number, version: number | undefined): Uint8Array {
  const v = VERSIONLESS_TYPES.has(typeName) ? 1 : (version ?? DOCK_VERSION);
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) {
    throw new DockCodecError('BAD_HEADER', `seq ${seq} not a u16`);
  }
  if (!Number.isInteger(v) || v < 1 || v > 0xff)
    throw new DockCodecError('BAD_HEADER', `version ${v} not 1..255`);
  return Uint8Array.of(v, DockType[typeName], seq & 0xff, seq >>> 8);
}

/**
 * Wire bytes (0x00 + COBS + 0x00) of header + body parts; one copy of each body byte. With `into`
 * (at least `wireBytesMax(body length)` long) the frame is written there instead of a new buffer.
 */
export function encodeFrameParts(
  header: Uint8Array,
  parts: readonly Uint8Array[],
  into?: Uint8Array,
): Uint8Array {
  let bodyLen = 0;
  for (const p of parts) bodyLen += p.length;
  if (bodyLen > MAX_BODY_BYTES) {
    throw new DockCodecError('OVERSIZE', `body ${bodyLen} B > ${MAX_BODY_BYTES} B`);
  }
  let reg = crc32cUpdate(-1, header);
  for (const p of parts) reg = crc32cUpdate(reg, p);
  const crc = ~reg >>> 0;
  const trailer = Uint8Array.of(crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24);
  const frameLen = HEADER_BYTES + bodyLen + TRAILER_BYTES;
  const need = cobsMaxEncodedLength(frameLen) + 2;
  const out = into && into.length >= need ? into : new Uint8Array(need);
  out[0] = 0; // the leading delimiter
  let o = cobsEncodeInto([header, ...parts, trailer], out, 1);
  out[o++] = 0;
  return out.subarray(0, o);
}

/** Largest wire size of a frame with a `bodyBytes` body (delimiters included). */
export function wireBytesMax(bodyBytes: number): number {
  return cobsMaxEncodedLength(HEADER_BYTES + bodyBytes + TRAILER_BYTES) + 2;
}

/** Encodes one frame to wire bytes. Throws DockCodecError on a body its schema rejects. */
export function encodeFrame(f: DockFrameInput): Uint8Array {
  const header = headerFor(f.type, f.seq, f.version);
  const codec = bodyCodecs[f.type] as { encode(b: unknown): Uint8Array[] };
  return encodeFrameParts(header, codec.encode(f.body));
}

/** DATA fast path: computes the chunk's CRC-32C; the chunk is copied once, into the wire buffer. */
export function encodeDataFrame(seq: number, d: Omit<Data, 'chunkCrc'>, version?: number): Uint8Array {
  return encodeFrame({ type: 'DATA', seq, version, body: { ...d, chunkCrc: crc32c(d.chunk) } });
}

/**
 * Decodes one COBS-decoded frame (header + body + CRC). Never throws. The DATA chunk is a view
 * into `frame`. `versions`: header versions accepted for versioned types.
 */
export function decodeFrame(frame: Uint8Array, versions: ReadonlySet<number> = DEFAULT_VERSIONS): ParseEvent {
  const n = frame.length;
  if (n < MIN_FRAME_BYTES) return fail('TOO_SHORT', `frame is ${n} B, want >= ${MIN_FRAME_BYTES}`);
  const want = (frame[n - 4]! | (frame[n - 3]! << 8) | (frame[n - 2]! << 16) | (frame[n - 1]! << 24)) >>> 0;
  const got = crc32c(frame, 0, n - TRAILER_BYTES);
  if (got !== want) return fail('BAD_CHECK', `crc ${got.toString(16)} != ${want.toString(16)} (${n} B)`);
  const version = frame[0]!;
  const type = frame[1]!;
  const seq = frame[2]! | (frame[3]! << 8);
  const name = dockTypeName(type);
  const ok = name && VERSIONLESS_TYPES.has(name) ? version === 1 : versions.has(version);
  if (!ok) return fail('BAD_VERSION', `version ${version} not accepted`, seq, type, version);
  if (!name) return fail('UNKNOWN_TYPE', `type 0x${type.toString(16)} unknown`, seq, type, version);
  const r = bodyCodecs[name].decode(frame.subarray(HEADER_BYTES, n - TRAILER_BYTES)) as BodyResult<unknown>;
  if (!r.ok) return fail(r.code, r.message, seq, type, version);
  return { ok: true, frame: { type: name, version, seq, body: r.body } as DockFrame };
}

const DEFAULT_VERSIONS: ReadonlySet<number> = new Set(DOCK_VERSIONS);

function fail(
  code: FrameError['code'],
  message: string,
  seq?: number,
  type?: number,
  version?: number,
): ParseEvent {
  const error: FrameError = { code, message };
  if (seq !== undefined) {
    error.seq = seq;
    error.type = type;
    error.version = version;
  }
  return { ok: false, error };
}
