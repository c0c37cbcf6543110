/**
 * The interruption record (R19, R18, R28): one per stop of recording for any cause but the
 * officer's normal end, for body recorders and hearing-room cameras alike.
 *
 * Status transitions (the only ones allowed; R19 "explain in writing afterwards"):
 *   open -> explained   when the interruption has ended AND a written explanation is attached
 *                       (in either order: explaining an ongoing one keeps it open until it ends).
 *   explained -> explained  a newer explanation replaces the current one (all are kept in history).
 *   explained -> reviewed   legal affairs accept the explanation (`review`, accept).
 *   explained -> open       legal affairs return it for a new one (`review`, return; the text
 *                           stays in history).
 *   reviewed -> closed      the principal closes it (`close`).
 *   closed                  final: no more explanations or reviews.
 * Nobody approves text they wrote: the author of the current explanation may neither review nor
 * close it, and the one who reviewed it may not also close it (SELF_APPROVAL).
 * "Ended" means recording resumed (`resumed: true`) or the session ended without resuming
 * (`resumed: false`); an interruption that never resumes has already alerted the principal.
 */
import { z } from 'zod';
import { EpochMs, Officer, StopCause } from '../../protocol/common.js';
import { QueryBool } from '../query-params.js';
import { SourceKind } from '../store/schema.js';

/** A body recorder (serial) or a hearing-room camera (camera id), as for clips. */
export const InterruptionSource = SourceKind;
export type InterruptionSource = z.infer<typeof InterruptionSource>;

/**
 * StopCause minus `normal`, plus `gap` (R18, segments not contiguous), and for cameras
 * `stream-lost` and `auth-failed` (the camera refuses the gateway's credentials for its stream).
 */
export const InterruptionCause = z.enum([
  ...StopCause.exclude(['normal']).options,
  'gap',
  'stream-lost',
  'auth-failed',
]);
export type InterruptionCause = z.infer<typeof InterruptionCause>;

export const InterruptionStatus = z.enum(['open', 'explained', 'reviewed', 'closed']);
export type InterruptionStatus = z.infer<typeof InterruptionStatus>;

export const ExplanationText = z.string().trim().min(1).max(4000);

export const Explanation = z.object({
  text: ExplanationText,
  /** Username of the author. */
  author: z.string().min(1).max(64),
  /** UTC ISO time written. */
  at: z.string(),
});
export type Explanation = z.infer<typeof Explanation>;

export const InterruptionRecord = z.object({
  id: z.string(),
  source: InterruptionSource,
  /** Recorder serial or camera id. */
  device: z.string(),
  /** Hearing room, for cameras. */
  roomId: z.string().nullable(),
  officer: Officer.nullable(),
  sessionId: z.string().nullable(),
  cause: InterruptionCause,
  /** False when the device said it cannot continue (battery dead, hard fault): principal told at once. */
  canContinue: z.boolean(),
  /** When recording stopped, ms epoch by the device's clock (R19 "placed at device time"). */
  start: EpochMs,
  /** When it ended (resumed, or the session ended); null while ongoing. */
  end: EpochMs.nullable(),
  resumed: z.boolean(),
  /** A resume-statement marker followed (R19: state the cause aloud on resuming). */
  resumeStatement: z.boolean(),
  resumeStatementAt: EpochMs.nullable(),
  status: InterruptionStatus,
  explanation: Explanation.nullable(),
  /** Earlier explanations, oldest first. */
  history: z.array(Explanation),
  /** Legal affairs' review of the current explanation (records closed before reviews existed: the closer). */
  review: z
    .object({
      by: z.string(),
      at: z.string(),
      note: z.string().optional(),
      verdict: z.enum(['accepted', 'returned']).optional(),
    })
    .nullable(),
  /** The principal's closing. */
  closure: z.object({ by: z.string(), at: z.string(), note: z.string().optional() }).nullable().optional(),
  /**
   * Username of who held the recorder (the officer it was checked out to) or ran the hearing (the
   * staff member who started it): the one who explains (R19). Null only when nobody is on record.
   */
  heldBy: z.string().nullable().optional(),
  /** Alert ids raised for this interruption (principal told). */
  alerts: z.array(z.string()),
  /** Gateway clock, UTC ISO. */
  openedAt: z.string(),
  updatedAt: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type InterruptionRecord = z.infer<typeof InterruptionRecord>;

export const OpenInterruption = z.object({
  source: InterruptionSource,
  device: z.string().min(1).max(64),
  roomId: z.string().nullable().optional(),
  sessionId: z.string().nullable().optional(),
  cause: InterruptionCause,
  start: EpochMs,
  /** Already known end (a gap found after the fact). */
  end: EpochMs.nullable().optional(),
  canContinue: z.boolean().default(true),
  /** When absent, the officer lookup is asked. */
  officer: Officer.nullable().optional(),
  /** Overrides config.interruptions.resumeTimeoutS for this one (cameras have their own). */
  resumeTimeoutS: z.number().positive().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type OpenInterruptionInput = z.input<typeof OpenInterruption>;

/** Filter for InterruptionService.list. */
export const InterruptionFilter = z.object({
  status: InterruptionStatus.optional(),
  source: InterruptionSource.optional(),
  device: z.string().optional(),
  sessionId: z.string().optional(),
  cause: InterruptionCause.optional(),
  /** Only ongoing (true) or only ended (false) ones. */
  ongoing: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
export type InterruptionFilter = z.infer<typeof InterruptionFilter>;

/** The same filter from an HTTP query string. */
export const InterruptionQuery = InterruptionFilter.extend({
  ongoing: QueryBool,
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
