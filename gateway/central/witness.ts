/**
 * The province as each office's checkpoint witness (FORMATS.md §4), pure. The first checkpoint from
 * an office pins its key unless config already names the fingerprint (the one on paper). Each next
 * checkpoint must be signed by that key and proven, by the office's RFC 9162 §2.1.4 consistency
 * proof, to extend the checkpoint held here; anything else about the log is a fork: a rewritten or
 * shortened history (alerted, and the held checkpoint is kept, so the fork stays visible). A proof
 * from another size than the one held (a message lost upstream) cannot be checked: `unproven`, the
 * new checkpoint is not taken, and the next proof from the office still has to start at the held one.
 */
import { type Checkpoint, verifyCheckpointSignature } from '../custody/checkpoint.js';
import { fromHex, verifyConsistency } from '../custody/merkle.js';
import { PublicKey } from '../custody/signing-key.js';
import type { CheckpointBody } from '../uplink/messages.js';

export type WitnessOutcome =
  | { status: 'first' | 'consistent' | 'same'; held: Checkpoint }
  | { status: 'fork' | 'key-changed' | 'bad-signature' | 'unproven' | 'wrong-origin'; reason: string };

export const FORK_STATUSES: readonly WitnessOutcome['status'][] = ['fork', 'key-changed', 'bad-signature'];

export interface HeldState {
  checkpoint: Checkpoint;
  fingerprint: string;
}

export function witness(
  office: string,
  held: HeldState | undefined,
  body: CheckpointBody,
  pinnedFingerprint?: string,
): WitnessOutcome {
  const cp = body.checkpoint;
  if (cp.origin !== office) return { status: 'wrong-origin', reason: `origin ${cp.origin} is not ${office}` };
  const expected = held?.fingerprint ?? pinnedFingerprint;
  if (expected !== undefined && body.key.fingerprint !== expected) {
    return {
      status: 'key-changed',
      reason: `signed by key ${body.key.fingerprint.slice(0, 16)}…, the office's is ${expected.slice(0, 16)}…`,
    };
  }
  let key: PublicKey;
  try {
    key = PublicKey.parse(JSON.stringify(body.key));
  } catch (err) {
    return { status: 'bad-signature', reason: `key: ${(err as Error).message}` };
  }
  const sig = verifyCheckpointSignature(cp, key);
  if (!sig.ok) return { status: 'bad-signature', reason: sig.reason };
  if (!held) return { status: 'first', held: cp };
  const prev = held.checkpoint;
  if (cp.treeSize < prev.treeSize) {
    return { status: 'fork', reason: `log shrank from ${prev.treeSize} to ${cp.treeSize} entries` };
  }
  if (cp.treeSize === prev.treeSize) {
    return cp.rootHash === prev.rootHash
      ? { status: 'same', held: prev }
      : { status: 'fork', reason: `two roots for ${cp.treeSize} entries` };
  }
  if (body.fromTreeSize !== prev.treeSize) {
    return {
      status: 'unproven',
      reason: `proof starts at ${body.fromTreeSize ?? 'nothing'}, the held checkpoint is at ${prev.treeSize}`,
    };
  }
  const proof = body.consistency.map((h) => fromHex(h));
  if (proof.some((h) => h === undefined)) return { status: 'fork', reason: 'proof holds a malformed hash' };
  const v = verifyConsistency(
    prev.treeSize,
    cp.treeSize,
    fromHex(prev.rootHash)!,
    fromHex(cp.rootHash)!,
    proof as Uint8Array[],
  );
  return v.ok ? { status: 'consistent', held: cp } : { status: 'fork', reason: v.reason };
}
