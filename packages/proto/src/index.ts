/**
 * Generated protobuf messages and gRPC service definitions (ts-proto, `@grpc/grpc-js` flavour)
 * for the Envoy APIs the gateway speaks, one namespace per protocol so that equal message names
 * (e.g. `HeaderMutation` in ext_proc and in mutation rules) never clash.
 *
 * Every message type `T` is a plain interface plus a same-named value with `encode`, `decode`,
 * `create` and `fromPartial`. Decoded messages keep fields this copy of the protos does not know
 * in `_unknownFields`, and `encode` writes them back; `create`/`fromPartial` do NOT copy them, so
 * modify decoded messages in place or with object spread when they must survive a round trip.
 */
export * as egExtension from './eg-extension.js';
export * as envoyConfig from './envoy-config.js';
export * as envoyFilters from './envoy-filters.js';
export * as extProc from './ext-proc.js';
export * as health from './health.js';
export * as ratelimit from './ratelimit.js';
