import type { TypeUrl } from './types.js';

/** Names shared by the generated Envoy resources and the filter config. */

/** `type.googleapis.com/<name>`. */
export const typeUrl = <Name extends string>(name: Name): TypeUrl<Name> =>
  `type.googleapis.com/${name}`;

/** Dynamic-metadata namespace the extproc writes (token counts, costs, backend name). */
export const metadataNamespace = 'io.envoy.ai_gateway';
/** xDS metadata namespace of the endpoint/route metadata the extproc reads. */
export const xdsMetadataNamespace = 'aigateway.envoy.io';

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
