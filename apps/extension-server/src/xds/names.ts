/**
 * Names the extension hooks write into Envoy Gateway's xDS: upstream Envoy AI Gateway's, so that an
 * extproc built for either reads the same metadata and attributes (docs/extension-server.md).
 */

/** The ext_proc filter instance at both levels (router HCM and upstream cluster filters). */
export const extProcFilterName = 'envoy.filters.http.ext_proc/aigateway';
/** The cluster of the extproc's Unix socket. */
export const extProcUdsClusterName = 'ai-gateway-extproc-uds';
/** Where the extproc listens in a gateway pod (upstream's hard-coded sidecar path). */
export const defaultUdsPath = '/etc/ai-gateway-extproc-uds/run.sock';

/** The xDS metadata namespace of the endpoint, cluster and route metadata the extproc reads. */
export const xdsMetadataNamespace = 'aigateway.envoy.io';
/** The dynamic-metadata namespace the extproc writes (token counts, content length, costs). */
export const dynamicMetadataNamespace = 'io.envoy.ai_gateway';

/** Endpoint (or cluster) metadata key: the filterapi backend name. */
export const backendNameKey = 'per_route_rule_backend_name';
/** Endpoint metadata key: the endpoint's host name (upstream's key). */
export const upstreamHostKey = 'upstream_host';
/** Endpoint metadata key: the endpoint's host name as `aigw run` writes it (our extproc signs AWS requests for it). */
export const hostnameKey = 'hostname';
/** Route metadata key: the AIGatewayRoute `namespace/name`. */
export const routeNameKey = 'aigw_route_name';

const md = (where: string, key: string): string =>
  `xds.${where}.filter_metadata['${xdsMetadataNamespace}']['${key}']`;

/** The attributes the upstream-level ext_proc sends with each attempt's request headers. */
export const upstreamAttributes = [
  md('upstream_host_metadata', backendNameKey),
  md('cluster_metadata', backendNameKey),
  md('upstream_host_metadata', upstreamHostKey),
  md('upstream_host_metadata', hostnameKey),
  md('route_metadata', routeNameKey),
] as const;

/** Envoy Gateway's route metadata namespace, listing the Gateway API objects a route comes from. */
export const envoyGatewayMetadataNamespace = 'envoy-gateway';
/** The annotation the controller (and `aigw translate`) puts on every HTTPRoute it generates. */
export const generatedAnnotation = 'gateway.envoyproxy.io/ai-gateway-generated';

/** `typed_extension_protocol_options` key (and type) of a cluster's upstream HTTP options. */
export const httpProtocolOptionsName = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Envoy filter names. */
export const filterNames = {
  hcm: 'envoy.filters.network.http_connection_manager',
  headerMutation: 'envoy.filters.http.header_mutation',
  upstreamCodec: 'envoy.filters.http.upstream_codec',
  router: 'envoy.filters.http.router',
  buffer: 'envoy.filters.http.buffer',
  rateLimit: 'envoy.filters.http.ratelimit/ai-gateway-quota',
} as const;

/** `type.googleapis.com/<name>`. */
export const typeUrl = (name: string): string => `type.googleapis.com/${name}`;
