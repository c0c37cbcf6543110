import { type ErrorCode, GatewayError } from '../errors.js';

/** The codes the store raises; each is also a gateway-wide ErrorCode (maps to an HTTP status). */
export type StoreErrorCode = Extract<
  ErrorCode,
  | 'HASH_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'BLOB_EXISTS_DIFFERENT'
  | 'DISK_RESERVE'
  | 'BAD_OFFSET'
  | 'NOT_VERIFIED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BAD_REQUEST'
  | 'STORE_CORRUPT'
  | 'LEGAL_HOLD'
  | 'UNAVAILABLE'
  | 'INTERNAL'
>;

export class StoreError extends GatewayError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'StoreError';
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
