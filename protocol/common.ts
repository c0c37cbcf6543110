/**
 * Vocabulary shared by the MQTT field link and the dock link. See PROTOCOL.md §1.
 * Times on the wire are integer milliseconds since the Unix epoch (UTC) by the sender's clock.
 */
import { z } from 'zod';
import { ACTIVITIES } from './activities.js';

/** Recorder serial number: also its MQTT username and topic segment, so it must be topic-safe. */
export const Serial = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'serial: 1-32 of [A-Za-z0-9_-]');
export type Serial = z.infer<typeof Serial>;

export const EpochMs = z.number().int().min(0).max(8.64e15);
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'id: 1-64 of [A-Za-z0-9._:-]');
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex digits');

/** R16 notice, R17 statement, R19 resume statement. */
export const Marker = z.enum(['notice-given', 'statement', 'resume-statement']);
export type Marker = z.infer<typeof Marker>;

/** Why recording stopped (R19). `normal` is the officer's ordinary end; every other cause is an interruption. */
export const StopCause = z.enum([
  'normal',
  'battery',
  'storage',
  'fault',
  'obstruction',
  'weather',
  'contact-lost',
]);
export type StopCause = z.infer<typeof StopCause>;

/** A recorder's storage as it reports it (telemetry, dock STATUS). */
export const StorageReading = z.object({
  totalBytes: z.number().int().min(0),
  freeBytes: z.number().int().min(0),
});
export type StorageReading = z.infer<typeof StorageReading>;

export const RecorderState = z.enum(['off', 'idle', 'recording', 'docked', 'fault']);
export type RecorderState = z.infer<typeof RecorderState>;

export const Activity = z.enum(ACTIVITIES);
export type Activity = z.infer<typeof Activity>;

export const Officer = z.object({
  id: z.string().min(1).max(32),
  name: z.string().min(1).max(64),
  /** 执法证号 — enforcement certificate number. */
  certNo: z.string().min(1).max(32),
});
export type Officer = z.infer<typeof Officer>;

/** A marker placed in a clip, at device time; the dock link carries no note (§3.7). */
export const ClipMarker = z.object({ marker: Marker, at: EpochMs, note: z.string().max(500).optional() });
export type ClipMarker = z.infer<typeof ClipMarker>;

export const ClipMeta = z.object({
  clipId: Id,
  sessionId: Id,
  /** Device times of the first and last frame. */
  start: EpochMs,
  end: EpochMs,
  bytes: z.number().int().min(0),
  sha256: Sha256Hex,
});
export type ClipMeta = z.infer<typeof ClipMeta>;
