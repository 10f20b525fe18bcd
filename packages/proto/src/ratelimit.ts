/**
 * Envoy rate limit service: `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`
 * (`RateLimitServiceService` for `grpc.Server#addService`), the request descriptors from
 * `envoy.extensions.common.ratelimit.v3` and `envoy.type.v3.RateLimitUnit`. 64-bit integers
 * (e.g. `RateLimitDescriptor.hitsAddend`) are `bigint`.
 */
export * from './gen/envoy/service/ratelimit/v3/rls.js';
export * from './gen/envoy/extensions/common/ratelimit/v3/ratelimit.js';
export * from './gen/envoy/type/v3/ratelimit_unit.js';
