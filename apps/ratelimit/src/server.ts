import { health, ratelimit } from '@aigw/proto';
import { GrpcStatusError, startH2GrpcService, type H2GrpcService } from '@aigw/service-kit';
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
 * Unix socket, on service-kit's lean `node:http2` gRPC server. Health of the empty service name is
 * the process (SERVING until shutdown); health of {@link rateLimitServiceName} is NOT_SERVING while the store is unreachable, so Envoy's active
 * health checks can prefer replicas whose Redis works, whatever the fail mode.
 */
export async function startRateLimitServer(
  options: RateLimitServerOptions,
): Promise<H2GrpcService> {
  const { limiter, log } = options;
  const service = await startH2GrpcService({
    address: options.address,
    log,
    healthServices: [rateLimitServiceName],
    register: (server) => {
      server.addUnary(ratelimit.RateLimitServiceService.shouldRateLimit, async (request) => {
        try {
          return await limiter.shouldRateLimit(request);
        } catch (err) {
          log.debug({ err, domain: request.domain }, 'ShouldRateLimit failed');
          const grpcStatus = toGrpcStatus(err);
          throw new GrpcStatusError(grpcStatus.code, grpcStatus.details, { cause: err });
        }
      });
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
