/** Typed errors of the dock codec (PROTOCOL.md §3.10). */

/**
 * Why a received frame was dropped. Emitted by DockParser as values, never thrown.
 * BAD_COBS: a 0x00 arrived inside a COBS block (truncated frame, lost byte).
 * TOO_SHORT: fewer bytes than header + CRC. BAD_CHECK: frame CRC-32C mismatch.
 * OVERSIZE: more than MAX_FRAME_BYTES before the next 0x00. BAD_VERSION, UNKNOWN_TYPE:
 * header version / type not accepted. BAD_BODY: the body does not match the type's layout or
 * schema. BAD_CHUNK_CHECK: a DATA chunk's own CRC-32C mismatch. INTERNAL: a parser defect.
 */
export type FrameErrorCode =
  | 'BAD_COBS'
  | 'TOO_SHORT'
  | 'BAD_CHECK'
  | 'OVERSIZE'
  | 'BAD_VERSION'
  | 'UNKNOWN_TYPE'
  | 'BAD_BODY'
  | 'BAD_CHUNK_CHECK'
  | 'INTERNAL';

export interface FrameError {
  code: FrameErrorCode;
  message: string;
  /** Set when the frame's CRC was good, so the receiver can answer ERROR with this seq. */
  seq?: number;
  type?: number;
  version?: number;
}

/** Thrown by the encoders when asked to encode something the protocol cannot carry. */
export class DockCodecError extends Error {
  override readonly name = 'DockCodecError';
  constructor(
    readonly code: 'BAD_BODY' | 'OVERSIZE' | 'BAD_HEADER',
    message: string,
  ) {
    super(message);
  }
}
