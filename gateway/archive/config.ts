/** The central archive (S3 with Object Lock): where, how fast, when, and for how long. */
import { z } from 'zod';
import { RetentionRules } from './retention.js';

const HourRange = z
  .object({ from: z.number().int().min(0).max(23), to: z.number().int().min(1).max(24) })
  .refine((r) => r.to > r.from, { message: 'to must be after from', path: ['to'] });

export const ArchiveConfig = z
  .object({
    /** S3 endpoint (Ceph RGW, MinIO, any S3); without it nothing is archived. */
    endpoint: z.url().optional(),
    region: z.string().min(1).max(64).default('us-east-1'),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/)
      .default('originals'),
    /** Object key prefix naming this office (one bucket serves a province). */
    office: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .default('office'),
    /** JSON file `{ "accessKeyId": …, "secretAccessKey": … }` (a secret never sits in config). */
    credentialsFile: z.string().min(1).optional(),
    /** Create the bucket with Object Lock when it is absent (tests, a first install). */
    createBucket: z.boolean().default(false),
    retention: RetentionRules,
    /** Upload cap in bytes per second (0: none); office uplinks are slow. */
    bandwidthBytesPerSec: z.number().int().min(0).default(0),
    /** Local hours (config timeZone) when nothing is uploaded, e.g. office hours. */
    busyHours: z.array(HourRange).default([]),
    /** An alert when the oldest queued item waited longer than this. */
    backlogAlertMinutes: z
      .number()
      .int()
      .min(1)
      .default(24 * 60),
    /** Wait before retrying a failed item (doubles up to 32x). */
    retryMs: z.number().int().min(10).default(30_000),
    /** Originals uploaded at once (they share the bandwidth cap); a slow link wants few. */
    concurrency: z.number().int().min(1).max(16).default(4),
    /**
     * The scheduled read-back: every `everyHours` (0: never) the archived originals are read back
     * whole and hashed, up to `budgetMb` per pass, resuming where the last pass stopped, so the
     * whole archive is re-read in turn. Each write was already checked on receipt (s3.ts), and an
     * eviction reads its copy back first (eviction.ts): this pass finds what changed since.
     */
    readBack: z
      .object({
        // setInterval holds at most 2^31 ms (24.8 days).
        everyHours: z
          .number()
          .min(0)
          .max(24 * 21)
          .default(24),
        budgetMb: z.number().int().min(1).default(1024),
      })
      .default({ everyHours: 24, budgetMb: 1024 }),
  })
  .default({
    region: 'us-east-1',
    bucket: 'originals',
    office: 'office',
    createBucket: false,
    retention: { defaultDays: 183, byActivity: {}, byFlag: {} },
    bandwidthBytesPerSec: 0,
    busyHours: [],
    backlogAlertMinutes: 24 * 60,
    retryMs: 30_000,
    concurrency: 4,
    readBack: { everyHours: 24, budgetMb: 1024 },
  });
export type ArchiveConfig = z.infer<typeof ArchiveConfig>;

export const ArchiveCredentials = z.object({
  accessKeyId: z.string().min(1).max(128),
  secretAccessKey: z.string().min(1).max(256),
});
export type ArchiveCredentials = z.infer<typeof ArchiveCredentials>;

/** Whether `at` falls in a busy hour, in the office's time zone. */
export function inBusyHours(at: Date, busy: ArchiveConfig['busyHours'], timeZone: string): boolean {
  if (busy.length === 0) return false;
  const hour = Number(
    new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone }).format(at),
  );
  return busy.some((r) => hour >= r.from && hour < r.to);
}
