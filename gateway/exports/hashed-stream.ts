/**
 * Bytes checked against their recorded SHA-256 while they are read (R25: never hand out altered
 * bytes under an original's hash).
 */
import type { Transform } from 'node:stream';
import { type Expected, HashCheck, type OnMismatch } from '../store/checked-read.js';

/**
 * A pass-through that hashes and holds back its last chunk until the whole digest is known: when
 * the bytes do not match, the stream errors before the final chunk, so the receiver never holds a
 * complete altered file (a download aborts short of its Content-Length). The store's own check.
 */
export function verifyingStream(expected: Expected, onMismatch: OnMismatch): Transform {
  return new HashCheck(expected, onMismatch, 'export image');
}
