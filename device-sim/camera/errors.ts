/** Typed failures of the simulated camera; `code` is stable, `message` says why. */
export type CameraSimErrorCode =
  | 'XML_TOO_LARGE'
  | 'XML_MALFORMED'
  | 'XML_DTD'
  | 'XML_NAMESPACE'
  | 'BAD_OPTIONS'
  | 'ENCODER_FAILED'
  | 'NOT_RUNNING'
  | 'PROBE_FAILED';

export class CameraSimError extends Error {
  constructor(
    readonly code: CameraSimErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CameraSimError';
  }
}
