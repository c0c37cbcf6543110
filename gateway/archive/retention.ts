/**
 * Retention of archived originals (R23; the public-security rule on on-site recording, Art. 13):
 * evidence, obstruction (R28), hearings and major incidents are kept permanently, everything else
 * at least 6 months. Config may lengthen any rule, never go below these floors.
 */
import { z } from 'zod';
import { Activity } from '../../protocol/common.js';

/** "Permanent" as an Object Lock date: COMPLIANCE retention cannot be open-ended in S3. */
export const PERMANENT_DAYS = 100 * 366;
export const ORDINARY_FLOOR_DAYS = 183;

export const RetentionFlag = z.enum(['evidence', 'obstruction', 'hearing', 'major-incident']);
export type RetentionFlag = z.infer<typeof RetentionFlag>;

export const RetentionRules = z
  .object({
    /** Days for footage no rule below names. */
    defaultDays: z.number().int().min(1).default(ORDINARY_FLOOR_DAYS),
    byActivity: z.partialRecord(Activity, z.number().int().min(1)).default({}),
    byFlag: z.partialRecord(RetentionFlag, z.number().int().min(1)).default({}),
  })
  .default({ defaultDays: ORDINARY_FLOOR_DAYS, byActivity: {}, byFlag: {} });
export type RetentionRules = z.infer<typeof RetentionRules>;

export interface RetentionFacts {
  activity?: Activity;
  flags: readonly RetentionFlag[];
}

/** Days to keep: the longest rule that applies, never below the legal floor. */
export function retentionDays(facts: RetentionFacts, rules: RetentionRules): number {
  const flags = new Set(facts.flags);
  if (facts.activity === 'hearing') flags.add('hearing');
  if (facts.activity === 'evidence-collection') flags.add('evidence');
  const floor = flags.size > 0 ? PERMANENT_DAYS : ORDINARY_FLOOR_DAYS;
  const candidates = [rules.defaultDays, floor];
  if (facts.activity && rules.byActivity[facts.activity])
    candidates.push(rules.byActivity[facts.activity] as number);
  for (const f of flags) if (rules.byFlag[f]) candidates.push(rules.byFlag[f] as number);
  return Math.max(...candidates);
}

/**
 * The latest retain-until date we ask for: Ceph RGW 16 keeps it as unsigned 32-bit seconds, so a
 * later date wraps into the past (measured: 2127 came back as 1991). The lock check after each
 * write would refuse such a copy; capping keeps "permanent" within what the bucket can hold.
 */
export const LATEST_LOCK = new Date('2106-01-01T00:00:00Z');

export function retainUntil(from: Date, days: number): Date {
  return new Date(Math.min(from.getTime() + days * 86_400_000, LATEST_LOCK.getTime()));
}
