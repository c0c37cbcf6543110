/** Typed errors: every failure the gateway reports carries a stable code. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNKNOWN_RECORDER'
  | 'BAD_CREDENTIALS'
  | 'ACL_DENIED'
  | 'RECORDER_OFFLINE'
  | 'COMMAND_TIMEOUT'
  | 'BAD_PAYLOAD'
  | 'READINESS_SHORT'
  | 'ALREADY_PAIRED'
  | 'NOT_DOCKED'
  | 'HASH_MISMATCH'
  | 'DISK_RESERVE'
  | 'BLOB_EXISTS_DIFFERENT'
  | 'SIZE_MISMATCH'
  | 'BAD_OFFSET'
  | 'NOT_VERIFIED'
  | 'STORE_CORRUPT'
  | 'CAMERA_UNREACHABLE'
  | 'CAMERA_AUTH'
  | 'CAMERA_BAD_RESPONSE'
  | 'RECORDING_FAILED'
  /** A system facility the gateway needs is missing (a CJK font for PDFs, a tool). */
  | 'UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_ATTEMPTS'
  | 'ACCOUNT_LOCKED'
  | 'LEGAL_HOLD'
  | 'EXPORT_FAILED'
  /** A person approving (reviewing, closing) what they wrote or already approved themself. */
  | 'SELF_APPROVAL'
  | 'INTERNAL';

export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** HTTP status for an error code (API layer). */
export function httpStatusFor(
  code: ErrorCode,
): 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 423 | 429 | 500 | 503 | 507 {
  switch (code) {
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'ACCOUNT_LOCKED':
      return 423;
    case 'TOO_MANY_ATTEMPTS':
      return 429;
    case 'BAD_REQUEST':
    case 'BAD_PAYLOAD':
    case 'CONFIG_INVALID':
      return 400;
    case 'UNAUTHENTICATED':
    case 'BAD_CREDENTIALS':
      return 401;
    case 'FORBIDDEN':
    case 'ACL_DENIED':
    case 'SELF_APPROVAL':
      return 403;
    case 'NOT_FOUND':
    case 'UNKNOWN_RECORDER':
      return 404;
    case 'CONFLICT':
    case 'ALREADY_PAIRED':
    case 'NOT_DOCKED':
      return 409;
    case 'READINESS_SHORT':
    // The camera answered and refused the credentials given: the request needs other ones (not 401,
    // which is about the caller's own session).
    case 'CAMERA_AUTH':
    case 'HASH_MISMATCH':
    case 'SIZE_MISMATCH':
      return 422;
    case 'NOT_VERIFIED':
    case 'BAD_OFFSET':
    case 'LEGAL_HOLD':
      return 409;
    case 'CAMERA_UNREACHABLE':
    case 'CAMERA_BAD_RESPONSE':
    case 'RECORDING_FAILED':
    case 'RECORDER_OFFLINE':
    case 'COMMAND_TIMEOUT':
    case 'UNAVAILABLE':
      return 503;
    case 'DISK_RESERVE':
      return 507;
    default:
      return 500;
  }
}
