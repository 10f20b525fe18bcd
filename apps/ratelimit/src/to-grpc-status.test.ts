import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { RateLimitError } from './limiter/rate-limit-error.js';
import { toGrpcStatus } from './to-grpc-status.js';

describe('toGrpcStatus', () => {
  it.each([
    [
      new RateLimitError('invalid_request', 'domain must not be empty'),
      status.INVALID_ARGUMENT,
      'domain must not be empty',
    ],
    [
      new RateLimitError('store_unavailable', 'redis unavailable'),
      status.UNAVAILABLE,
      'redis unavailable',
    ],
    [new RateLimitError('internal', 'secret detail'), status.INTERNAL, 'internal error'],
    [new Error('boom with secrets'), status.INTERNAL, 'internal error'],
    ['a string', status.INTERNAL, 'internal error'],
  ])('maps %s', (err, code, details) => {
    expect(toGrpcStatus(err)).toEqual({ code, details });
  });
});
