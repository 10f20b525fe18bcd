/**
 * Names the extension hooks write into Envoy Gateway's xDS: upstream Envoy AI Gateway's, so that an
 * extproc built for either reads the same metadata and attributes (docs/extension-server.md). The
 * values come from `@aigw/gateway-config` (one source with `aigw run` and `aigw translate`); this
 * module only names them for the hooks and adds what is Envoy Gateway's own.
 */
import {
  dynamicMetadataNamespace,
  envoyFilterNames,
  envoyGatewayNames,
  metadataKeys,
  typeUrl,
  xdsMetadataNamespace,
} from '@aigw/gateway-config';

/** The ext_proc filter instance at both levels (router HCM and upstream cluster filters). */
export const extProcFilterName = envoyGatewayNames.extProcFilter;
/** The cluster of the extproc's Unix socket. */
export const extProcUdsClusterName = envoyGatewayNames.extProcUdsCluster;
/** Where the extproc listens in a gateway pod (upstream's hard-coded sidecar path). */
export const defaultUdsPath = envoyGatewayNames.defaultUdsPath;

export { dynamicMetadataNamespace, typeUrl, xdsMetadataNamespace };

/** Endpoint (or cluster) metadata key: the filterapi backend name. */
export const backendNameKey = metadataKeys.backendName;
/** Endpoint metadata key: the endpoint's host name (upstream's key). */
export const upstreamHostKey = metadataKeys.upstreamHost;
/** Endpoint metadata key: the endpoint's host name as `aigw run` writes it (AWS signing). */
export const hostnameKey = metadataKeys.hostname;
/** Route metadata key: the AIGatewayRoute `namespace/name`. */
export const routeNameKey = metadataKeys.routeName;

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
export const generatedAnnotation = envoyGatewayNames.generatedAnnotation;

/** `typed_extension_protocol_options` key (and type) of a cluster's upstream HTTP options. */
export const httpProtocolOptionsName = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Envoy filter names. */
export const filterNames = {
  hcm: 'envoy.filters.network.http_connection_manager',
  headerMutation: envoyFilterNames.headerMutation,
  upstreamCodec: envoyFilterNames.upstreamCodec,
  router: envoyFilterNames.router,
  buffer: 'envoy.filters.http.buffer',
  rateLimit: envoyGatewayNames.rateLimitFilter,
} as const;
