/**
 * Dock message bodies: one zod schema per message (PROTOCOL.md §3.7). Control bodies are UTF-8
 * JSON objects validated by these schemas (unknown keys are stripped); READ, DATA and ERROR are
 * fixed little-endian binary layouts whose decoded form these schemas also describe.
 */
import { z } from 'zod';
import {
  Activity,
  ClipMeta,
  EpochMs,
  Id,
  Marker,
  Officer,
  RecorderState,
  Serial,
  Sha256Hex,
  StorageReading,
} from '../common.js';
import { DockTiming, MAX_CHUNK_BYTES, MAX_ERROR_TEXT_BYTES } from './constants.js';
import { utf8Length } from './utf8.js';

const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffff_ffff);
/** A u64 on the wire, limited to what a JS number holds exactly. */
const u53 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected Uint8Array');

export const Hello = z.object({
  model: z.string().min(1).max(32),
  serial: Serial,
  firmware: z.string().min(1).max(32),
  /** Dock-link versions the recorder speaks. */
  versions: z.array(z.number().int().min(1).max(255)).min(1).max(16),
  /** Free-form feature names; unknown ones are ignored (§3.7.1). */
  capabilities: z
    .array(z.string().regex(/^[a-z0-9-]{1,32}$/))
    .max(32)
    .default([]),
  deviceTime: EpochMs,
  /** Largest READ length the recorder serves. */
  maxRead: z.number().int().min(256).max(MAX_CHUNK_BYTES),
  /** READs the recorder can queue (the gateway's window never exceeds it). */
  window: z.number().int().min(1).max(64),
});
export type Hello = z.infer<typeof Hello>;

export const HelloAck = z.object({
  /** The version both sides use from now on. */
  version: z.number().int().min(1).max(255),
  gatewayId: Id,
  gatewayTime: EpochMs,
});
export type HelloAck = z.infer<typeof HelloAck>;

const adjust = z.number().int().min(-DockTiming.MAX_ADJUST_MS).max(DockTiming.MAX_ADJUST_MS);
export const TimeSync = z.object({
  /** Gateway clock when sent; echoed back. */
  t0: EpochMs,
  /** When present, the recorder steps its clock by this many ms before answering (§3.9.2). */
  adjustMs: adjust.optional(),
});
export type TimeSync = z.infer<typeof TimeSync>;

export const TimeSyncAck = z.object({
  t0: EpochMs,
  /** Recorder clock when answering, after any adjustment. */
  deviceTime: EpochMs,
  adjusted: z.boolean(),
});
export type TimeSyncAck = z.infer<typeof TimeSyncAck>;

export const Pair = z.object({ officer: Officer, at: EpochMs });
export type Pair = z.infer<typeof Pair>;

export const Empty = z.object({});
export type Empty = z.infer<typeof Empty>;

export const Status = z.object({
  state: RecorderState,
  battery: z.object({
    pct: z.number().min(0).max(100),
    charging: z.boolean(),
    voltageMv: z.number().int().min(0).max(30_000).optional(),
  }),
  storage: StorageReading,
  officer: Officer.nullable(),
  deviceTime: EpochMs,
  /** Closed clips not yet released. */
  pendingClips: z.number().int().min(0),
});
export type Status = z.infer<typeof Status>;

export const ListClips = z.object({
  /** Opaque; absent for the first page. */
  cursor: z.string().min(1).max(64).optional(),
  limit: z.number().int().min(1).max(64),
});
export type ListClips = z.infer<typeof ListClips>;

export const ClipMarker = z.object({ marker: Marker, at: EpochMs });
export type ClipMarker = z.infer<typeof ClipMarker>;

export const ClipInfo = ClipMeta.extend({
  markers: z.array(ClipMarker).max(64),
  /** Officer paired when the clip was recorded. */
  officer: Officer.nullable(),
  activity: Activity.optional(),
  caseNo: z.string().max(64).optional(),
});
export type ClipInfo = z.infer<typeof ClipInfo>;

export const ClipList = z.object({
  /** Oldest first. */
  clips: z.array(ClipInfo).max(64),
  /** Cursor for the next page, null on the last page. */
  next: z.string().min(1).max(64).nullable(),
});
export type ClipList = z.infer<typeof ClipList>;

export const GetClip = z.object({ clipId: Id });
export type GetClip = z.infer<typeof GetClip>;

export const Read = z.object({
  clipId: Id,
  offset: u53,
  length: z.number().int().min(1).max(MAX_CHUNK_BYTES),
});
export type Read = z.infer<typeof Read>;

export const Data = z.object({
  clipId: Id,
  offset: u53,
  /** The chunk ends at the end of the clip. */
  eof: z.boolean(),
  /** CRC-32C of `chunk` alone, computed by the recorder from storage. */
  chunkCrc: u32,
  chunk: Bytes.refine((b) => b.length <= MAX_CHUNK_BYTES, `chunk > ${MAX_CHUNK_BYTES} B`),
});
export type Data = z.infer<typeof Data>;

export const Release = z.object({ clipId: Id, sha256: Sha256Hex });
export type Release = z.infer<typeof Release>;

export const ReleaseAck = z.object({
  clipId: Id,
  /** `unknown`: no such clip (already freed by an earlier RELEASE whose ack was lost). */
  result: z.enum(['released', 'unknown']),
});
export type ReleaseAck = z.infer<typeof ReleaseAck>;

export const ErrorBody = z.object({
  /** A DockErrorCode; unknown codes are kept as numbers. */
  code: u16,
  message: z.string().refine((s) => utf8Length(s) <= MAX_ERROR_TEXT_BYTES, 'message too long'),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Body schema per message type. */
export const bodySchemas = {
  HELLO: Hello,
  HELLO_ACK: HelloAck,
  TIME_SYNC: TimeSync,
  TIME_SYNC_ACK: TimeSyncAck,
  PAIR: Pair,
  PAIR_ACK: Status,
  UNPAIR: Empty,
  UNPAIR_ACK: Status,
  GET_STATUS: Empty,
  STATUS: Status,
  LIST_CLIPS: ListClips,
  CLIP_LIST: ClipList,
  GET_CLIP: GetClip,
  CLIP_INFO: ClipInfo,
  READ: Read,
  DATA: Data,
  RELEASE: Release,
  RELEASE_ACK: ReleaseAck,
  ERROR: ErrorBody,
} as const;
