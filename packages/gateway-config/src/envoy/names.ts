import { defaultTenantHeader } from '@aigw/filterapi';

import type { TypeUrl } from './types.js';

/** Names shared by the generated Envoy resources and the filter config. */

/** `type.googleapis.com/<name>`. */
export const typeUrl = <Name extends string>(name: Name): TypeUrl<Name> =>
  `type.googleapis.com/${name}`;

/** Dynamic-metadata namespace the extproc writes (token counts, costs, backend name). */
export const metadataNamespace = 'io.envoy.ai_gateway';
/**
 * Keys the router-level extproc writes under {@link metadataNamespace} when it has read the body:
 * copies of the headers it sets for routing and budgets, which the upstream filter removes before
 * the provider sees them, so Envoy's rate limits and access logs read these instead.
 */
export const gatewayMetadataKeys = {
  /** The request's model (the `x-ai-eg-model` header's value). */
  requestModel: 'request_model',
  /** The client key's tenant (the tenant header's value), when client keys are configured. */
  tenant: 'tenant',
} as const;

/** The header the extproc sets to the client key's tenant (filterapi `tenants.tenantHeader`'s default). */
export const tenantHeader = defaultTenantHeader;

/** xDS metadata namespace of the endpoint/route metadata the extproc reads. */
export const xdsMetadataNamespace = 'aigateway.envoy.io';

/** Keys of the endpoint, cluster and route metadata (under {@link xdsMetadataNamespace}) the extproc reads. */
export const metadataKeys = {
  /** Endpoint (or cluster) metadata: the filterapi backend name. */
  backendName: 'per_route_rule_backend_name',
  /** Endpoint metadata: the endpoint's host name (upstream's key). */
  upstreamHost: 'upstream_host',
  /** Endpoint metadata: the endpoint's host name as `aigw run` writes it (AWS signing). */
  hostname: 'hostname',
  /** Route metadata: the AIGatewayRoute `namespace/name`. */
  routeName: 'aigw_route_name',
} as const;

/**
 * Names in Envoy Gateway's xDS, upstream Envoy AI Gateway's, that the extension server writes (and
 * the annotation `translate` puts on the HTTPRoutes it generates).
 */
export const envoyGatewayNames = {
  /** The ext_proc filter instance at both levels (router HCM and upstream cluster filters). */
  extProcFilter: 'envoy.filters.http.ext_proc/aigateway',
  /** The rate-limit filter instance of token budgets. */
  rateLimitFilter: 'envoy.filters.http.ratelimit/ai-gateway-quota',
  /** The cluster of the extproc's Unix socket. */
  extProcUdsCluster: 'ai-gateway-extproc-uds',
  /** The cluster of the rate-limit service. */
  rateLimitCluster: 'ai_gateway_ratelimit_cluster',
  /** Where the extproc listens in a gateway pod (upstream's hard-coded sidecar path). */
  defaultUdsPath: '/etc/ai-gateway-extproc-uds/run.sock',
  /** The annotation on every generated HTTPRoute. */
  generatedAnnotation: 'gateway.envoyproxy.io/ai-gateway-generated',
} as const;

/** The static cluster of the extproc (Unix socket, HTTP/2). */
export const extprocClusterName = 'extproc';
/** The static cluster of the rate-limit service (HTTP/2). */
export const rateLimitClusterName = 'ratelimit';
/** The listener, its HCM stat prefix and the RDS route configuration. */
export const listenerName = 'aigw';
export const routeConfigName = 'aigw';
/** The rate-limit domain of every generated limit (one rules file). */
export const rateLimitDomain = 'ai-gateway';

/** Envoy filter names. */
export const filterNames = {
  extProc: 'envoy.filters.http.ext_proc',
  rateLimit: 'envoy.filters.http.ratelimit',
  router: 'envoy.filters.http.router',
  headerMutation: 'envoy.filters.http.header_mutation',
  upstreamCodec: 'envoy.filters.http.upstream_codec',
} as const;

/** Bytes a connection may buffer: whole request bodies are buffered for the extproc. */
export const bufferLimitBytes = 52_428_800;

/** The system CA bundle upstream TLS validates against. */
export const systemCaFile = '/etc/ssl/certs/ca-certificates.crt';
