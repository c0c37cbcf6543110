/**
 * Signed checkpoints (FORMATS.md §2): a tree head of the audit log — size, root, time, gateway id —
 * signed with the gateway's Ed25519 key. Once one has left the box (a witness holds it) every entry
 * before its size is fixed: a changed, removed or inserted entry changes the root (RFC 9162 §2.1).
 */
import { verify } from 'node:crypto';
import { z } from 'zod';
import type { Verdict } from './merkle.js';
import type { PublicKey, SigningKey } from './signing-key.js';

export const Checkpoint = z.object({
  v: z.literal(1),
  origin: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^\p{Cc}]+$/u, 'no control characters'),
  treeSize: z.number().int().min(0),
  rootHash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.iso.datetime(),
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'base64 of 64 bytes'),
});
export type Checkpoint = z.infer<typeof Checkpoint>;
export type CheckpointBody = Omit<Checkpoint, 'v' | 'keyId' | 'signature'>;

/** The exact signed message (FORMATS.md §2). */
export function checkpointMessage(c: CheckpointBody): string {
  return `enforcement-gateway checkpoint v1\n${c.origin}\n${c.treeSize}\n${c.rootHash}\n${c.at}\n`;
}

export function signCheckpoint(body: CheckpointBody, key: SigningKey): Checkpoint {
  return {
    v: 1,
    origin: body.origin,
    treeSize: body.treeSize,
    rootHash: body.rootHash,
    at: body.at,
    keyId: key.public.fingerprint,
    signature: key.sign(checkpointMessage(body)),
  };
}

/** Is `c` signed by `key`? (keyId names the key; the signature proves it.) */
export function verifyCheckpointSignature(c: Checkpoint, key: PublicKey): Verdict {
  if (c.keyId !== key.fingerprint) {
    return {
      ok: false,
      reason: `signed by key ${c.keyId.slice(0, 16)}…, not by ${key.fingerprint.slice(0, 16)}…`,
    };
  }
  const sig = Buffer.from(c.signature, 'base64');
  const ok = sig.length === 64 && verify(null, Buffer.from(checkpointMessage(c), 'utf8'), key.key, sig);
  return ok ? { ok: true } : { ok: false, reason: 'signature does not verify' };
}

/** Parse a held checkpoint file's text (bounded; hostile input). */
export function parseCheckpoint(
  text: string,
): { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string } {
  if (text.length > 16_384) return { ok: false, reason: 'file is too large for a checkpoint' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const r = Checkpoint.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    return {
      ok: false,
      reason: `not a checkpoint (FORMATS.md §2): ${i?.path.join('.') ?? ''} ${i?.message ?? ''}`,
    };
  }
  return { ok: true, checkpoint: r.data };
}
