/**
 * What an office sends upstream (PROTOCOL.md §7): one envelope per message, numbered by the office's
 * outbox so the far side keeps order and drops duplicates (QoS 1 delivers at least once, and the
 * outbox re-sends whatever was not acknowledged before a link loss).
 */
import { z } from 'zod';
import { OfficeId } from '../../protocol/upstream/topics.js';
import { Checkpoint } from '../custody/checkpoint.js';
import { GatewayKeyJson } from '../custody/signing-key.js';

/** Upstream payloads are small: a larger one is refused before it is parsed. */
export const MAX_UPSTREAM_BYTES = 256 * 1024;

const Text = (max: number) => z.string().max(max);
const Count = z.number().int().min(0);

export const RecorderRow = z.object({
  serial: Text(32),
  online: z.boolean(),
  batteryPct: z.number().min(0).max(100).nullable(),
  storageFreePct: z.number().min(0).max(100).nullable(),
  /** Fleet rule conditions holding now (battery-low, storage-low, clock, firmware, fault...). */
  conditions: z.array(Text(32)).max(16),
});
export type RecorderRow = z.infer<typeof RecorderRow>;

/** The office's fleet, interruptions, statistics and upload backlog, sent every `healthEveryS`. */
export const HealthBody = z.object({
  recorders: z.array(RecorderRow).max(2000),
  interruptions: z.object({ open: Count, unexplained: Count }),
  /** R22: clips not yet uploaded from the recorders, past their 24 h deadline; archive queue. */
  backlog: z.object({ overdueClips: Count, archiveDepth: Count, archiveOldestAgeS: Count }),
  /** R26: this month's breaches by kind from the compliance summary, when computed. */
  compliance: z.object({ month: Text(7), breaches: z.record(Text(32), Count) }).nullable(),
});
export type HealthBody = z.infer<typeof HealthBody>;

export const EventBody = z.object({
  type: Text(64),
  subject: Text(160),
  details: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])),
});
export type EventBody = z.infer<typeof EventBody>;

export const AlertBody = z.object({
  action: z.enum(['raised', 'cleared']),
  rule: Text(64),
  subject: Text(160),
  severity: z.enum(['info', 'warning', 'critical']).nullable(),
  message: Text(500),
});
export type AlertBody = z.infer<typeof AlertBody>;

/**
 * A checkpoint as the office's witness at the province sees it (FORMATS.md §4): the signed tree
 * head, the key, and an RFC 9162 §2.1.4 consistency proof from the previous checkpoint this office
 * sent upstream (`fromTreeSize`, null for the first).
 */
export const CheckpointBody = z.object({
  checkpoint: Checkpoint,
  key: GatewayKeyJson,
  fromTreeSize: z.number().int().min(0).nullable(),
  consistency: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(128),
});
export type CheckpointBody = z.infer<typeof CheckpointBody>;

const envelope = {
  v: z.literal(1),
  office: OfficeId,
  /** Random id of the office's outbox: a new one (a wiped data dir) restarts `seq` at 1. */
  epoch: z.string().regex(/^[0-9a-f]{16}$/),
  seq: z.number().int().min(1),
  /** UTC ISO time the office queued it. */
  at: z.iso.datetime(),
};

export const UpstreamMessage = z.discriminatedUnion('kind', [
  z.object({ ...envelope, kind: z.literal('health'), body: HealthBody }),
  z.object({ ...envelope, kind: z.literal('event'), body: EventBody }),
  z.object({ ...envelope, kind: z.literal('alert'), body: AlertBody }),
  z.object({ ...envelope, kind: z.literal('checkpoint'), body: CheckpointBody }),
]);
export type UpstreamMessage = z.infer<typeof UpstreamMessage>;
/** What a source hands the outbox; the envelope is added there. */
export type UpstreamPayload = UpstreamMessage extends infer M
  ? M extends UpstreamMessage
    ? Pick<M, 'kind' | 'body'>
    : never
  : never;
export type SequencedKind = UpstreamMessage['kind'];

/** The retained status (and last will): not sequenced, the latest is what counts. */
export const OfficeStatus = z.object({ v: z.literal(1), online: z.boolean(), at: z.iso.datetime() });
export type OfficeStatus = z.infer<typeof OfficeStatus>;

/** Parse a payload from the wire (bounded; hostile input). */
export function decodeUpstream<T extends z.ZodType>(
  schema: T,
  payload: Buffer,
): { ok: true; value: z.infer<T> } | { ok: false; reason: string } {
  if (payload.length > MAX_UPSTREAM_BYTES)
    return { ok: false, reason: `payload over ${MAX_UPSTREAM_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    return { ok: false, reason: `${i?.path.join('.') ?? ''}: ${i?.message ?? 'invalid'}`.slice(0, 200) };
  }
  return { ok: true, value: r.data };
}
