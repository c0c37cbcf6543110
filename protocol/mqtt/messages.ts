/**
 * MQTT payloads: JSON, UTF-8, one zod schema per message (PROTOCOL.md §2.2).
 *
 * Versioning: every payload carries `v`. A receiver accepts only the versions it knows (today: 1)
 * and rejects any other with `BAD_VERSION`. Unknown fields are ignored and stripped (a newer
 * minor firmware may add fields without bumping `v`); missing or mistyped known fields reject.
 */
import { z } from 'zod';
import {
  Activity,
  EpochMs,
  Id,
  Marker,
  Officer,
  RecorderState,
  Sha256Hex,
  StopCause,
  StorageReading,
} from '../common.js';

export const PROTOCOL_VERSION = 1 as const;
const V = z.literal(PROTOCOL_VERSION);

export const Telemetry = z.object({
  v: V,
  /** Device clock when sampled. */
  at: EpochMs,
  state: RecorderState,
  battery: z.object({
    pct: z.number().min(0).max(100),
    voltageMv: z.number().int().min(0).max(30_000),
    charging: z.boolean(),
    tempC: z.number().min(-60).max(150),
  }),
  storage: StorageReading,
  position: z
    .object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), accM: z.number().min(0) })
    .optional(),
  signalDbm: z.number().min(-150).max(0).optional(),
  firmware: z.string().min(1).max(32),
  /** Session in progress, if any. */
  sessionId: Id.optional(),
});
export type Telemetry = z.infer<typeof Telemetry>;

const eventBase = {
  v: V,
  /** Unique per recorder; receivers de-duplicate on (serial, id). */
  id: Id,
  /** Monotonic per recorder; delivery after a network loss keeps this order. */
  seq: z.number().int().min(0),
  /** Device time the event happened (not the time it was sent). */
  at: EpochMs,
};

export const SessionStarted = z.object({
  ...eventBase,
  type: z.literal('session-started'),
  sessionId: Id,
  activity: Activity.optional(),
  caseNo: z.string().max(64).optional(),
  officerId: z.string().max(32).optional(),
});
export const SessionEnded = z.object({ ...eventBase, type: z.literal('session-ended'), sessionId: Id });
export const RecordingStarted = z.object({
  ...eventBase,
  type: z.literal('recording-started'),
  sessionId: Id,
});
export const RecordingStopped = z.object({
  ...eventBase,
  type: z.literal('recording-stopped'),
  sessionId: Id,
  cause: StopCause,
  /** False when the device knows it cannot resume (battery dead, hard fault): alert at once (R19). */
  canContinue: z.boolean(),
});
export const SegmentClosed = z.object({
  ...eventBase,
  type: z.literal('segment-closed'),
  sessionId: Id,
  clipId: Id,
  start: EpochMs,
  end: EpochMs,
  bytes: z.number().int().min(0),
  sha256: Sha256Hex,
});
export const MarkerEvent = z.object({
  ...eventBase,
  type: z.literal('marker'),
  sessionId: Id,
  marker: Marker,
  note: z.string().max(500).optional(),
});
export const FaultRaised = z.object({
  ...eventBase,
  type: z.literal('fault-raised'),
  code: z.string().min(1).max(32),
  message: z.string().max(200),
});
export const FaultCleared = z.object({
  ...eventBase,
  type: z.literal('fault-cleared'),
  code: z.string().min(1).max(32),
});

export const RecorderEvent = z.discriminatedUnion('type', [
  SessionStarted,
  SessionEnded,
  RecordingStarted,
  RecordingStopped,
  SegmentClosed,
  MarkerEvent,
  FaultRaised,
  FaultCleared,
]);
export type RecorderEvent = z.infer<typeof RecorderEvent>;

/** Retained on `status`; the recorder sets `{online:false}` as its last will. */
export const Status = z.object({ v: V, online: z.boolean(), at: EpochMs });
export type Status = z.infer<typeof Status>;

const cmdBase = { v: V, tid: Id, sentAt: EpochMs };
export const TimeSyncCommand = z.object({ ...cmdBase, cmd: z.literal('time-sync'), gatewayTime: EpochMs });
export const LocateCommand = z.object({
  ...cmdBase,
  cmd: z.literal('locate'),
  seconds: z.number().int().min(1).max(120),
});
export const ConfigCommand = z.object({
  ...cmdBase,
  cmd: z.literal('config'),
  segmentSeconds: z.number().int().min(10).max(3600).optional(),
  telemetryIntervalS: z.number().int().min(1).max(3600).optional(),
  officer: Officer.nullable().optional(),
});
export const Command = z.discriminatedUnion('cmd', [TimeSyncCommand, LocateCommand, ConfigCommand]);
export type Command = z.infer<typeof Command>;

export const CommandResponse = z.object({
  v: V,
  /** Echoes the command's tid. */
  tid: Id,
  ok: z.boolean(),
  at: EpochMs,
  /** For time-sync: the device clock when the command was applied, before correction. */
  deviceTime: EpochMs.optional(),
  error: z.object({ code: z.string().max(32), message: z.string().max(200) }).optional(),
});
export type CommandResponse = z.infer<typeof CommandResponse>;

/** Which schema validates which topic kind. */
export const schemaForKind = {
  telemetry: Telemetry,
  event: RecorderEvent,
  status: Status,
  cmd: Command,
  'cmd/res': CommandResponse,
} as const;
