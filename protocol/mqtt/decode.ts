import type { z } from 'zod';
import { PROTOCOL_VERSION, schemaForKind } from './messages.js';
import type { TopicKind } from './topics.js';

export type DecodeErrorCode = 'BAD_JSON' | 'BAD_VERSION' | 'BAD_PAYLOAD' | 'TOO_LARGE';

export const MAX_PAYLOAD_BYTES = 16 * 1024;

export type Decoded<K extends TopicKind> =
  | { ok: true; value: z.infer<(typeof schemaForKind)[K]> }
  | { ok: false; code: DecodeErrorCode; reason: string };

/** Validates one MQTT payload for a topic kind. Never throws. */
export function decodePayload<K extends TopicKind>(kind: K, payload: Uint8Array): Decoded<K> {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return {
      ok: false,
      code: 'TOO_LARGE',
      reason: `payload ${payload.byteLength} B > ${MAX_PAYLOAD_BYTES} B`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (e) {
    return { ok: false, code: 'BAD_JSON', reason: (e as Error).message };
  }
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'BAD_VERSION',
      reason: `v=${String(json.v)} not supported (want ${PROTOCOL_VERSION})`,
    };
  }
  const r = schemaForKind[kind].safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    return { ok: false, code: 'BAD_PAYLOAD', reason: `${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, value: r.data as z.infer<(typeof schemaForKind)[K]> };
}

export function encodePayload(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
