/**
 * Envoy HTTP filter and upstream protocol configs: what sits inside the `Any`s of the listeners and
 * clusters the Envoy Gateway extension hooks edit. One namespace per filter, because the protos
 * reuse message names (`RateLimit` is also a route action, `HttpProtocolOptions` also a core
 * message).
 */
export * as hcm from './gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.js';
export * as upstreamHttp from './gen/envoy/extensions/upstreams/http/v3/http_protocol_options.js';
export * as extProc from './gen/envoy/extensions/filters/http/ext_proc/v3/ext_proc.js';
export * as processingMode from './gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode.js';
export * as headerMutation from './gen/envoy/extensions/filters/http/header_mutation/v3/header_mutation.js';
export * as rateLimit from './gen/envoy/extensions/filters/http/ratelimit/v3/rate_limit.js';
export * as router from './gen/envoy/extensions/filters/http/router/v3/router.js';
export * as upstreamCodec from './gen/envoy/extensions/filters/http/upstream_codec/v3/upstream_codec.js';
export * as mutationRules from './gen/envoy/config/common/mutation_rules/v3/mutation_rules.js';
export * as ratelimitConfig from './gen/envoy/config/ratelimit/v3/rls.js';
export * as rateLimitDescriptorExpr from './rate-limit-descriptor-expr.js';
