/** Hearing sessions (R14 hearings are recorded start to end, R18 coverage and gaps). */
import { z } from 'zod';
import { Activity, EpochMs, Sha256Hex } from '../../protocol/common.js';

export const HearingState = z.enum(['recording', 'stopping', 'stopped']);
export type HearingState = z.infer<typeof HearingState>;

export const StartHearingInput = z.object({
  roomId: z.string().min(1).max(64),
  caseNo: z.string().trim().min(1).max(64),
  activity: Activity.default('hearing'),
  note: z.string().max(500).optional(),
});
export type StartHearingInput = z.input<typeof StartHearingInput>;

export const HearingGap = z.object({
  start: EpochMs,
  end: EpochMs,
  durationMs: z.number().min(0),
  /** The R19 record covering it (stream loss), if the watchdog opened one. */
  interruptionId: z.string().nullable(),
  cause: z.string().nullable(),
});
export type HearingGap = z.infer<typeof HearingGap>;

export const CameraSummary = z.object({
  cameraId: z.string(),
  recordedMs: z.number().min(0),
  coverage: z.number().min(0).max(1),
  segments: z.number().int().min(0),
  bytes: z.number().int().min(0),
  gaps: z.array(HearingGap),
  /** The final segment was ffprobed after ffmpeg closed it. */
  lastSegmentPlayable: z.boolean().nullable(),
});
export type CameraSummary = z.infer<typeof CameraSummary>;

export const HearingSummary = z.object({
  wallMs: z.number().min(0),
  /** Sum over cameras. */
  recordedMs: z.number().min(0),
  /** recorded / (wall x cameras). */
  coverage: z.number().min(0).max(1),
  segments: z.number().int().min(0),
  bytes: z.number().int().min(0),
  cameras: z.array(CameraSummary),
  /**
   * The room as a whole: the time at least one of its cameras recorded, and the stretches none did
   * (R18: the hearing itself unrecorded). Optional: summaries written before it existed lack it.
   */
  room: z
    .object({
      recordedMs: z.number().min(0),
      coverage: z.number().min(0).max(1),
      gaps: z.array(z.object({ start: EpochMs, end: EpochMs })),
    })
    .optional(),
});
export type HearingSummary = z.infer<typeof HearingSummary>;

export const HearingSession = z.object({
  id: z.string(),
  roomId: z.string(),
  caseNo: z.string(),
  activity: Activity,
  note: z.string().optional(),
  startedBy: z.string(),
  startedAt: EpochMs,
  stoppedBy: z.string().nullable(),
  stoppedAt: EpochMs.nullable(),
  state: HearingState,
  cameras: z.array(z.string()),
  summary: HearingSummary.nullable(),
});
export type HearingSession = z.infer<typeof HearingSession>;

/** One stored segment of a session (the clip itself is in the store, indexed by session too). */
export const SegmentRow = z.object({
  sessionId: z.string(),
  cameraId: z.string(),
  seq: z.number().int().min(1),
  clipId: z.string(),
  sha256: Sha256Hex,
  bytes: z.number().int().min(0),
  start: EpochMs,
  end: EpochMs,
  durationS: z.number().nullable(),
  playable: z.boolean(),
  run: z.number().int(),
  /** From the warm pre-roll cache: the stretch from the hearing's start to the first segment. */
  leadIn: z.boolean().optional(),
});
export type SegmentRow = z.infer<typeof SegmentRow>;

/**
 * A segment's facts its `ingest` entry lacks, in the `hearing-stop` entry (compact: a long hearing
 * has thousands): clipId, run, durationS, playable.
 */
export type SegmentMedia = [string, number, number | null, boolean];

export const HearingQuery = z.object({
  roomId: z.string().optional(),
  state: HearingState.optional(),
  caseNo: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export type HearingQuery = z.input<typeof HearingQuery>;
