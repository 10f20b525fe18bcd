import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { health, ratelimit } from '@aigw/proto';
import { startGrpcService, type GrpcService } from '@aigw/service-kit';
import type { Logger } from 'pino';
import type { RateLimiter } from './limiter/rate-limiter.js';
import type { CounterStore, StoreHealth } from './store/counter-store.js';
import { toGrpcStatus } from './to-grpc-status.js';

/** gRPC health service name whose status follows the counter store. */
export const rateLimitServiceName = 'envoy.service.ratelimit.v3.RateLimitService';

/** Options of {@link startRateLimitServer}. */
export interface RateLimitServerOptions {
  readonly address: string;
  readonly log: Logger;
  readonly limiter: RateLimiter;
  readonly store: CounterStore;
}

/**
 * Serves `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit` and gRPC health on TCP or a
 * Unix socket. Health of the empty service name is the process (SERVING until shutdown); health of
 * {@link rateLimitServiceName} is NOT_SERVING while the store is unreachable, so Envoy's active
 * health checks can prefer replicas whose Redis works, whatever the fail mode.
 */
export async function startRateLimitServer(options: RateLimitServerOptions): Promise<GrpcService> {
  const { limiter, log } = options;
  const shouldRateLimit = (
    call: ServerUnaryCall<ratelimit.RateLimitRequest, ratelimit.RateLimitResponse>,
    callback: sendUnaryData<ratelimit.RateLimitResponse>,
  ): void => {
    limiter.shouldRateLimit(call.request).then(
      (response) => {
        callback(null, response);
      },
      (err: unknown) => {
        const grpcStatus = toGrpcStatus(err);
        log.debug({ err, domain: call.request.domain }, 'ShouldRateLimit failed');
        callback(grpcStatus);
      },
    );
  };
  const service = await startGrpcService({
    address: options.address,
    log,
    healthServices: [rateLimitServiceName],
    register: (server) => {
      server.addService(ratelimit.RateLimitServiceService, {
        shouldRateLimit,
      } satisfies ratelimit.RateLimitServiceServer);
    },
  });
  const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
  const apply = (storeHealth: StoreHealth): void => {
    service.health.setStatus(rateLimitServiceName, storeHealth === 'up' ? SERVING : NOT_SERVING);
  };
  apply(options.store.health());
  options.store.onHealthChange(apply);
  return service;
}
