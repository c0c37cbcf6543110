/** The office's upstream link to the province's central broker (PROTOCOL.md §7). */
import { z } from 'zod';
import { OfficeId } from '../../protocol/upstream/topics.js';

export const UplinkConfig = z
  .object({
    /** mqtts:// URL of the central broker; without it nothing is sent upstream. */
    url: z.url().optional(),
    /** This office's id: its namespace and its username on the central broker. */
    office: OfficeId.default('office'),
    /** A file holding this office's password on the central broker (a secret never sits in config). */
    passwordFile: z.string().min(1).optional(),
    /** PEM of the CA that signed the central broker's certificate (default: the system's CAs). */
    caFile: z.string().min(1).optional(),
    /** A fleet snapshot (health, backlog, statistics) is queued this often. */
    healthEveryS: z.number().positive().default(60),
    /** Messages sent and not yet acknowledged at once. */
    inflight: z.number().int().min(1).max(1000).default(16),
    /** Outbox depth beyond which health snapshots are skipped (events, alerts, checkpoints never are). */
    maxQueued: z.number().int().min(100).default(100_000),
    reconnectS: z.number().positive().default(5),
    keepaliveS: z.number().int().min(5).max(3600).default(60),
    connectTimeoutS: z.number().positive().default(30),
  })
  .refine((c) => c.url === undefined || c.passwordFile !== undefined, {
    message: 'an upstream url needs a passwordFile (the office credential)',
    path: ['passwordFile'],
  });
export type UplinkConfig = z.infer<typeof UplinkConfig>;
