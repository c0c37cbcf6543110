/**
 * Body encoders/decoders, one pair per message type (PROTOCOL.md §3.6-3.7).
 * Encoders validate with the type's zod schema and throw DockCodecError; decoders never throw.
 * Encoders return body parts so DATA chunks go to the COBS encoder without an extra copy.
 */
import type { z } from 'zod';
import { Id } from '../common.js';
import {
  CLIP_ID_BYTES,
  DATA_FLAG_EOF,
  DATA_HEADER_BYTES,
  type DockTypeName,
  ERROR_HEADER_BYTES,
  MAX_CHUNK_BYTES,
  MAX_ERROR_TEXT_BYTES,
  READ_BODY_BYTES,
} from './constants.js';
import { crc32c } from './crc32c.js';
import { DockCodecError } from './errors.js';
import { bodySchemas, type Data, type ErrorBody, type Read } from './messages.js';
import { utf8Encoder, utf8LenientDecoder, utf8StrictDecoder } from './utf8.js';

export type DockBody<K extends DockTypeName> = z.infer<(typeof bodySchemas)[K]>;
/** A message: its type name and decoded body. Narrow on `type`. */
export type DockMessage = { [K in DockTypeName]: { type: K; body: DockBody<K> } }[DockTypeName];

export type BodyResult<T> =
  | { ok: true; body: T }
  | { ok: false; code: 'BAD_BODY' | 'BAD_CHUNK_CHECK'; message: string };

export interface BodyCodec<T> {
  encode(body: T): Uint8Array[];
  decode(bytes: Uint8Array): BodyResult<T>;
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0];
  return `${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}`;
}

function validate<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new DockCodecError('BAD_BODY', `${what}: ${issueText(r.error)}`);
  return r.data;
}

function jsonCodec<S extends z.ZodType>(name: DockTypeName, schema: S): BodyCodec<z.infer<S>> {
  return {
    encode(body) {
      return [utf8Encoder.encode(JSON.stringify(validate(schema, body, name)))];
    },
    decode(bytes) {
      let json: unknown = {};
      if (bytes.length > 0) {
        try {
          json = JSON.parse(utf8StrictDecoder.decode(bytes));
        } catch (e) {
          return {
            ok: false,
            code: 'BAD_BODY',
            message: `${name}: not UTF-8 JSON (${(e as Error).message})`,
          };
        }
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        return { ok: false, code: 'BAD_BODY', message: `${name}: body is not a JSON object` };
      }
      const r = schema.safeParse(json);
      if (!r.success) return { ok: false, code: 'BAD_BODY', message: `${name}: ${issueText(r.error)}` };
      return { ok: true, body: r.data };
    },
  };
}

const TWO32 = 0x1_0000_0000;
/** Highest u32 word of a u64 that still fits a JS safe integer. */
const MAX_HI = 0x1f_ffff;

/** Id is ASCII by its regex; the field is NUL-padded (`out` is freshly zeroed). */
function writeClipId(out: Uint8Array, clipId: string): void {
  for (let i = 0; i < clipId.length; i++) out[i] = clipId.charCodeAt(i);
}

function writeU64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, v % TWO32, true);
  dv.setUint32(at + 4, Math.floor(v / TWO32), true);
}

/** Reads the NUL-padded clip id at the start of `b`; null if malformed. */
function readClipId(b: Uint8Array): string | null {
  let n = 0;
  while (n < CLIP_ID_BYTES && b[n] !== 0) n++;
  for (let i = n; i < CLIP_ID_BYTES; i++) if (b[i] !== 0) return null;
  if (n === 0) return null;
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[i]!);
  return Id.safeParse(s).success ? s : null;
}

function readU64(dv: DataView, at: number): number | null {
  const hi = dv.getUint32(at + 4, true);
  if (hi > MAX_HI) return null;
  return hi * TWO32 + dv.getUint32(at, true);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

const bad = (message: string) => ({ ok: false as const, code: 'BAD_BODY' as const, message });

/** READ: clipId[64] NUL-padded, offset u64, length u32 (76 bytes). */
export const readCodec: BodyCodec<Read> = {
  encode(body) {
    const r = validate(bodySchemas.READ, body, 'READ');
    const out = new Uint8Array(READ_BODY_BYTES);
    const dv = view(out);
    writeClipId(out, r.clipId);
    writeU64(dv, 64, r.offset);
    dv.setUint32(72, r.length, true);
    return [out];
  },
  decode(b) {
    if (b.length !== READ_BODY_BYTES) return bad(`READ: body is ${b.length} B, want ${READ_BODY_BYTES}`);
    const clipId = readClipId(b);
    if (clipId === null) return bad('READ: bad clipId');
    const dv = view(b);
    const offset = readU64(dv, 64);
    if (offset === null) return bad('READ: offset beyond 2^53-1');
    const length = dv.getUint32(72, true);
    if (length < 1 || length > MAX_CHUNK_BYTES)
      return bad(`READ: length ${length} not in 1..${MAX_CHUNK_BYTES}`);
    return { ok: true, body: { clipId, offset, length } };
  },
};

/** The 80-byte DATA header (the chunk follows it). */
export function encodeDataHeader(d: Omit<Data, 'chunk'>): Uint8Array {
  const out = new Uint8Array(DATA_HEADER_BYTES);
  const dv = view(out);
  writeClipId(out, d.clipId);
  writeU64(dv, 64, d.offset);
  dv.setUint32(72, d.chunkCrc, true);
  dv.setUint8(76, d.eof ? DATA_FLAG_EOF : 0);
  return out;
}

/** DATA: clipId[64], offset u64, chunkCrc u32, flags u8, reserved[3], chunk (80 + n bytes). */
export const dataCodec: BodyCodec<Data> = {
  encode(body) {
    const d = validate(bodySchemas.DATA, body, 'DATA');
    return [encodeDataHeader(d), d.chunk];
  },
  decode(b) {
    if (b.length < DATA_HEADER_BYTES) return bad(`DATA: body is ${b.length} B, want >= ${DATA_HEADER_BYTES}`);
    if (b.length - DATA_HEADER_BYTES > MAX_CHUNK_BYTES) return bad(`DATA: chunk > ${MAX_CHUNK_BYTES} B`);
    const clipId = readClipId(b);
    if (clipId === null) return bad('DATA: bad clipId');
    const dv = view(b);
    const offset = readU64(dv, 64);
    if (offset === null) return bad('DATA: offset beyond 2^53-1');
    const chunkCrc = dv.getUint32(72, true);
    // Reserved flag bits and bytes 77..79 are ignored (senders write 0).
    const eof = (b[76]! & DATA_FLAG_EOF) !== 0;
    const chunk = b.subarray(DATA_HEADER_BYTES);
    const got = crc32c(chunk);
    if (got !== chunkCrc) {
      return {
        ok: false,
        code: 'BAD_CHUNK_CHECK',
        message: `DATA ${clipId}@${offset}: chunk crc ${hex32(got)} != ${hex32(chunkCrc)}`,
      };
    }
    return { ok: true, body: { clipId, offset, eof, chunkCrc, chunk } };
  },
};

/** ERROR: code u16, then UTF-8 text (0..1024 bytes). */
export const errorCodec: BodyCodec<ErrorBody> = {
  encode(body) {
    const e = validate(bodySchemas.ERROR, body, 'ERROR');
    const text = utf8Encoder.encode(e.message);
    const out = new Uint8Array(ERROR_HEADER_BYTES + text.length);
    view(out).setUint16(0, e.code, true);
    out.set(text, ERROR_HEADER_BYTES);
    return [out];
  },
  decode(b) {
    if (b.length < ERROR_HEADER_BYTES) return bad(`ERROR: body is ${b.length} B, want >= 2`);
    if (b.length > ERROR_HEADER_BYTES + MAX_ERROR_TEXT_BYTES) return bad('ERROR: text > 1024 B');
    const code = view(b).getUint16(0, true);
    return { ok: true, body: { code, message: utf8LenientDecoder.decode(b.subarray(ERROR_HEADER_BYTES)) } };
  },
};

export function hex32(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Encoder/decoder per message type. */
export const bodyCodecs: { [K in DockTypeName]: BodyCodec<DockBody<K>> } = {
  HELLO: jsonCodec('HELLO', bodySchemas.HELLO),
  HELLO_ACK: jsonCodec('HELLO_ACK', bodySchemas.HELLO_ACK),
  TIME_SYNC: jsonCodec('TIME_SYNC', bodySchemas.TIME_SYNC),
  TIME_SYNC_ACK: jsonCodec('TIME_SYNC_ACK', bodySchemas.TIME_SYNC_ACK),
  PAIR: jsonCodec('PAIR', bodySchemas.PAIR),
  PAIR_ACK: jsonCodec('PAIR_ACK', bodySchemas.PAIR_ACK),
  UNPAIR: jsonCodec('UNPAIR', bodySchemas.UNPAIR),
  UNPAIR_ACK: jsonCodec('UNPAIR_ACK', bodySchemas.UNPAIR_ACK),
  GET_STATUS: jsonCodec('GET_STATUS', bodySchemas.GET_STATUS),
  STATUS: jsonCodec('STATUS', bodySchemas.STATUS),
  LIST_CLIPS: jsonCodec('LIST_CLIPS', bodySchemas.LIST_CLIPS),
  CLIP_LIST: jsonCodec('CLIP_LIST', bodySchemas.CLIP_LIST),
  GET_CLIP: jsonCodec('GET_CLIP', bodySchemas.GET_CLIP),
  CLIP_INFO: jsonCodec('CLIP_INFO', bodySchemas.CLIP_INFO),
  READ: readCodec,
  DATA: dataCodec,
  RELEASE: jsonCodec('RELEASE', bodySchemas.RELEASE),
  RELEASE_ACK: jsonCodec('RELEASE_ACK', bodySchemas.RELEASE_ACK),
  ERROR: errorCodec,
};
