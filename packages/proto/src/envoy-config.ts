/**
 * Envoy configuration types and the protobuf well-known types they are built from: what the
 * Envoy Gateway extension hooks receive and return (clusters, endpoints, listeners, routes,
 * secrets) and the shared building blocks of the ext_proc and rate limit messages (headers,
 * metadata, `Struct`, `Any`, HTTP status). A curated list: add names here when an app needs more.
 *
 * ts-proto maps `google.protobuf.Struct` fields to plain objects and wrapper types
 * (`BoolValue`, `UInt64Value`, ...) to optional primitives; `Struct.wrap` / `Struct.unwrap`
 * convert explicitly where a message is needed.
 */

// google.protobuf
export { Any } from './gen/google/protobuf/any.js';
export { Duration } from './gen/google/protobuf/duration.js';
export { Empty } from './gen/google/protobuf/empty.js';
export { ListValue, NullValue, Struct, Value } from './gen/google/protobuf/struct.js';
export { Timestamp } from './gen/google/protobuf/timestamp.js';
export {
  BoolValue,
  BytesValue,
  DoubleValue,
  FloatValue,
  Int32Value,
  Int64Value,
  StringValue,
  UInt32Value,
  UInt64Value,
} from './gen/google/protobuf/wrappers.js';

// envoy.config.core.v3
export { Address, Pipe, SocketAddress, SocketAddress_Protocol } from './gen/envoy/config/core/v3/address.js';
export {
  DataSource,
  HeaderMap,
  HeaderValue,
  HeaderValueOption,
  HeaderValueOption_HeaderAppendAction,
  Locality,
  Metadata,
  TransportSocket,
} from './gen/envoy/config/core/v3/base.js';
export { ApiVersion, ConfigSource } from './gen/envoy/config/core/v3/config_source.js';
export { TypedExtensionConfig } from './gen/envoy/config/core/v3/extension.js';
export { GrpcService, GrpcService_EnvoyGrpc } from './gen/envoy/config/core/v3/grpc_service.js';
export { SchemeHeaderTransformation } from './gen/envoy/config/core/v3/protocol.js';

// envoy.config.cluster.v3
export {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
  Cluster_LbPolicy,
  Cluster_TransportSocketMatch,
  LoadBalancingPolicy,
  LoadBalancingPolicy_Policy,
} from './gen/envoy/config/cluster/v3/cluster.js';

// envoy.config.endpoint.v3
export { ClusterLoadAssignment, ClusterLoadAssignment_Policy } from './gen/envoy/config/endpoint/v3/endpoint.js';
export { Endpoint, LbEndpoint, LocalityLbEndpoints } from './gen/envoy/config/endpoint/v3/endpoint_components.js';

// envoy.config.listener.v3
export { Listener } from './gen/envoy/config/listener/v3/listener.js';
export { Filter, FilterChain, FilterChainMatch, ListenerFilter } from './gen/envoy/config/listener/v3/listener_components.js';

// envoy.config.route.v3
export { RouteConfiguration } from './gen/envoy/config/route/v3/route.js';
export {
  DirectResponseAction,
  FilterConfig,
  HeaderMatcher,
  RateLimit,
  RateLimit_Action,
  RetryPolicy,
  Route,
  RouteAction,
  RouteMatch,
  VirtualHost,
  WeightedCluster,
  WeightedCluster_ClusterWeight,
} from './gen/envoy/config/route/v3/route_components.js';

// envoy.extensions.transport_sockets.tls.v3
export { GenericSecret, SdsSecretConfig, Secret } from './gen/envoy/extensions/transport_sockets/tls/v3/secret.js';

// envoy.config.common.mutation_rules.v3
export { HeaderMutationRules } from './gen/envoy/config/common/mutation_rules/v3/mutation_rules.js';

// envoy.type.v3, envoy.type.matcher.v3
export { HttpStatus, StatusCode } from './gen/envoy/type/v3/http_status.js';
export { FractionalPercent, FractionalPercent_DenominatorType, Percent } from './gen/envoy/type/v3/percent.js';
export { ListStringMatcher, StringMatcher } from './gen/envoy/type/matcher/v3/string.js';
