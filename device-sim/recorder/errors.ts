export type DeviceSimErrorCode =
  | 'BAD_STATE'
  | 'NO_SESSION'
  | 'UNKNOWN_CLIP'
  | 'OUT_OF_RANGE'
  | 'CLIP_SOURCE'
  | 'BAD_COMMAND'
  | 'NO_CREDENTIALS'
  | 'BAD_SCENARIO';

/** Every failure the simulator reports on purpose; `code` says which. */
export class DeviceSimError extends Error {
  readonly code: DeviceSimErrorCode;

  constructor(code: DeviceSimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeviceSimError';
    this.code = code;
  }
}
