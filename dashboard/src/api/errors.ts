/** An API failure as the gateway reports it: {error:{code,message,details}} with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The route does not exist yet on this gateway (backend still being built). */
  get missing(): boolean {
    return this.status === 404 && this.code === 'NOT_FOUND';
  }
}
