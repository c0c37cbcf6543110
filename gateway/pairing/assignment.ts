/**
 * One check-out of a recorder to an officer (R5, R21 "check-out/check-in (pairing)"), from PAIR at
 * shift start to UNPAIR after the uploads at shift end. Kept forever: the assignment history per
 * recorder and per officer, and the answer to "who had recorder X at time T" (R3, R19).
 */
import { z } from 'zod';
import { EpochMs, Officer, Serial } from '../../protocol/common.js';
import { Readiness } from './readiness.js';

export const BatteryReading = z.object({ pct: z.number().min(0).max(100), at: EpochMs });

export const CheckInTrigger = z.enum(['dock', 'manual']);
export type CheckInTrigger = z.infer<typeof CheckInTrigger>;

export const Assignment = z.object({
  id: z.string(),
  serial: Serial,
  officer: Officer,
  /** Gateway clock (ms) when PAIR was acknowledged. */
  pairedAt: EpochMs,
  /** The user who checked it out. */
  pairedBy: z.string(),
  slot: z.string(),
  readiness: Readiness,
  /** Set when the forecast was short and the caller proceeded anyway: the reason is audited. */
  override: z.object({ reason: z.string() }).nullable(),
  batteryOut: BatteryReading,
  /** Gateway clock when the recorder was seen leaving the dock after check-out. */
  leftDockAt: EpochMs.nullable(),
  /** First STATUS after it came back (before the charge tops it up): the shift's battery use. */
  batteryBack: BatteryReading.nullable(),
  /** Battery draw over this shift (%/h); the next readiness forecast of this recorder uses it. */
  shiftDrawPctPerH: z.number().nullable(),
  checkedInAt: EpochMs.nullable(),
  checkedInBy: z.string().nullable(),
  checkIn: z
    .object({
      trigger: CheckInTrigger,
      slot: z.string(),
      /** Upload outcomes of the docking that ended the shift. */
      clips: z.object({ verified: z.number().int(), quarantined: z.number().int(), total: z.number().int() }),
    })
    .nullable(),
  /** Closed without a dock: the recorder was reported lost (who, why, when). */
  lost: z.object({ at: EpochMs, by: z.string(), reason: z.string() }).optional(),
});
export type Assignment = z.infer<typeof Assignment>;

/** What a check-out has not yet: it has not left the dock, come back or been checked in. */
export const NOT_YET_BACK = {
  leftDockAt: null,
  batteryBack: null,
  shiftDrawPctPerH: null,
  checkedInAt: null,
  checkedInBy: null,
  checkIn: null,
} as const satisfies Partial<Assignment>;

/** Body of POST /api/pairings. */
export const PairBody = z.object({
  serial: Serial,
  officer: Officer,
  /** Proceed although the readiness forecast is short of the shift; the reason goes to the audit log. */
  override: z.object({ reason: z.string().trim().min(1).max(500) }).optional(),
});
export type PairBody = z.infer<typeof PairBody>;

export const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
