/** What went wrong while deciding. */
export type RateLimitErrorCode = 'invalid_request' | 'store_unavailable' | 'internal';

/** An error of the rate-limit service, mapped to a gRPC status by `toGrpcStatus`. */
export class RateLimitError extends Error {
  override readonly name = 'RateLimitError';
  readonly code: RateLimitErrorCode;

  constructor(code: RateLimitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Structural guard for {@link RateLimitError}. */
export function isRateLimitError(err: unknown): err is RateLimitError {
  return err instanceof Error && err.name === 'RateLimitError' && 'code' in err;
}
