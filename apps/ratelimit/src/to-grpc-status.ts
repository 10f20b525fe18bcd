import { grpcCode as status, type GrpcStatusLike } from '@aigw/service-kit';
import { isRateLimitError } from './limiter/rate-limit-error.js';

/**
 * Normalises anything a handler caught into a gRPC status: bad requests are INVALID_ARGUMENT with
 * their message, an unreachable store UNAVAILABLE, anything else INTERNAL with a generic message
 * (the detail goes to the log, not to Envoy).
 */
export function toGrpcStatus(err: unknown): Required<GrpcStatusLike> {
  if (isRateLimitError(err)) {
    switch (err.code) {
      case 'invalid_request':
        return { code: status.INVALID_ARGUMENT, details: err.message };
      case 'store_unavailable':
        return { code: status.UNAVAILABLE, details: err.message };
      case 'internal':
        return { code: status.INTERNAL, details: 'internal error' };
    }
  }
  return { code: status.INTERNAL, details: 'internal error' };
}
