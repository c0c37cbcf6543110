/**
 * Bytes checked against their recorded SHA-256 while they are read (R25: never hand out altered
 * bytes under an original's hash).
 */
import { createHash } from 'node:crypto';
import type { Transform } from 'node:stream';
import { GatewayError } from '../errors.js';
import { type Expected, HashCheck, type OnMismatch } from '../store/checked-read.js';

/** Reads `stream` to its end, hashing; HASH_MISMATCH / SIZE_MISMATCH naming `what` if it differs. */
export async function readChecked(
  stream: AsyncIterable<Buffer>,
  expected: { sha256: string; bytes: number },
  what: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
    onBytes?.(chunk.length);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== expected.sha256) {
    throw new GatewayError(
      'HASH_MISMATCH',
      `${what}: stored bytes hash to ${sha256}, recorded ${expected.sha256}`,
      {
        expected: expected.sha256,
        actual: sha256,
        bytes,
      },
    );
  }
  if (bytes !== expected.bytes) {
    throw new GatewayError('SIZE_MISMATCH', `${what}: ${bytes} bytes stored, ${expected.bytes} recorded`, {
      expected: expected.bytes,
      actual: bytes,
    });
  }
}

/**
 * A pass-through that hashes and holds back its last chunk until the whole digest is known: when
 * the bytes do not match, the stream errors before the final chunk, so the receiver never holds a
 * complete altered file (a download aborts short of its Content-Length). The store's own check.
 */
export function verifyingStream(expected: Expected, onMismatch: OnMismatch): Transform {
  return new HashCheck(expected, onMismatch, 'export image');
}
