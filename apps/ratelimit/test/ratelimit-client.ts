import { credentials, type ServiceError } from '@grpc/grpc-js';
import { health, ratelimit } from '@aigw/proto';

type Entries = readonly (readonly [string, string])[];

/** A RateLimitRequest from a domain and descriptors given as `[key, value]` lists. */
export function rlRequest(
  domain: string,
  descriptors: readonly (Entries | { entries: Entries; hitsAddend: bigint })[],
  hitsAddend = 0,
): ratelimit.RateLimitRequest {
  return {
    domain,
    hitsAddend,
    descriptors: descriptors.map((d) => {
      const { entries, extra } = Array.isArray(d)
        ? { entries: d as Entries, extra: {} }
        : {
            entries: (d as { entries: Entries }).entries,
            extra: { hitsAddend: (d as { hitsAddend: bigint }).hitsAddend },
          };
      return {
        entries: entries.map(([key, value]) => ({ key, value })),
        isNegativeHits: false,
        ...extra,
      };
    }),
  };
}

/** A real grpc-js client for ShouldRateLimit and health. */
export class RlClient {
  readonly #rls: ratelimit.RateLimitServiceClient;
  readonly #health: health.HealthClient;

  constructor(target: string) {
    this.#rls = new ratelimit.RateLimitServiceClient(target, credentials.createInsecure());
    this.#health = new health.HealthClient(target, credentials.createInsecure());
  }

  shouldRateLimit(request: ratelimit.RateLimitRequest): Promise<ratelimit.RateLimitResponse> {
    return new Promise((resolve, reject) => {
      this.#rls.shouldRateLimit(request, (err: ServiceError | null, response) => {
        if (err) reject(err);
        else resolve(response);
      });
    });
  }

  /** The serving status of one health service name. */
  health(service: string): Promise<health.HealthCheckResponse_ServingStatus> {
    return new Promise((resolve, reject) => {
      this.#health.check({ service }, (err: ServiceError | null, response) => {
        if (err) reject(err);
        else resolve(response.status);
      });
    });
  }

  close(): void {
    this.#rls.close();
    this.#health.close();
  }
}
