/**
 * A recorder reported lost (R21, R22): the equipment manager closes its assignment without a dock,
 * with a reason. The clips the gateway knows of that are still on it are listed here so the 24 h
 * clock keeps naming officer and recorder (the closed assignment still covers when they were
 * made). When the recorder docks again it is found: un-marked, and it uploads as usual.
 */
import { z } from 'zod';
import { EpochMs, Officer, Serial } from '../../protocol/common.js';

/** Body of POST /api/recorders/:serial/lost. */
export const LostBody = z.object({
  reason: z.string().trim().min(1).max(500),
});
export type LostBody = z.infer<typeof LostBody>;

export const LostClip = z.object({
  clipId: z.string(),
  end: EpochMs,
  /** end + 24 h (R22). */
  deadline: EpochMs,
  state: z.string(),
});
export type LostClip = z.infer<typeof LostClip>;

export const LostRecorder = z.object({
  serial: Serial,
  /** Gateway clock when it was reported lost. */
  at: EpochMs,
  by: z.string(),
  reason: z.string(),
  /** The assignment it closed (null: it was not checked out). */
  assignmentId: z.string().nullable(),
  officer: Officer.nullable(),
  /** Clips the gateway knows are still on it, not yet on the designated storage (R22). */
  pendingClips: z.array(LostClip),
});
export type LostRecorder = z.infer<typeof LostRecorder>;

/** Alert rule raised to the principal when a recorder is reported lost. */
export const RULE_RECORDER_LOST = 'recorder-lost';

export function lostAlertMessage(l: LostRecorder): string {
  const who = l.officer ? `officer ${l.officer.name} (cert ${l.officer.certNo})` : 'no officer';
  const clips =
    l.pendingClips.length === 0
      ? 'no clips known to be waiting on it'
      : `${l.pendingClips.length} clip(s) not yet on the designated storage, earliest deadline ${new Date(
          Math.min(...l.pendingClips.map((c) => c.deadline)),
        ).toISOString()} (R22)`;
  return `recorder ${l.serial}, checked out to ${who}, reported lost by ${l.by}: ${l.reason}; ${clips}`;
}
