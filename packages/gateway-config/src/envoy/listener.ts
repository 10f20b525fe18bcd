import { extProcFilter } from './ext-proc.js';
import type { EndpointLayout } from './endpoint-prefixes.js';
import { localReplyConfig } from './local-reply.js';
import {
  bufferLimitBytes,
  filterNames,
  gatewayMetadataKeys,
  listenerName,
  metadataNamespace,
  rateLimitClusterName,
  rateLimitDomain,
  routeConfigName,
  typeUrl,
} from './names.js';
import type { FileConfigSource, JsonFormat, Listener, RateLimitFilter } from './types.js';

const md = (key: string): string => `%DYNAMIC_METADATA(${metadataNamespace}:${key})%`;

/** One JSON access-log line per request, with the extproc's backend and token metadata. */
export const accessLogFormat: JsonFormat = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(:PATH)%',
  status: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  details: '%RESPONSE_CODE_DETAILS%',
  duration_ms: '%DURATION%',
  request_id: '%REQ(X-REQUEST-ID)%',
  // The extproc's copy: the model header never reaches the provider (docs/extproc.md).
  model: md(gatewayMetadataKeys.requestModel),
  tenant: md(gatewayMetadataKeys.tenant),
  route: '%ROUTE_NAME%',
  cluster: '%UPSTREAM_CLUSTER%',
  upstream_host: '%UPSTREAM_HOST%',
  // How many upstream attempts the router made (1 without a retry; 2 after one fallback).
  attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%',
  backend: md('backend_name'),
  ai_service_backend: md('ai_service_backend_name'),
  route_name: md('route_name'),
  model_name_override: md('model_name_override'),
  response_model: md('response_model'),
  input_tokens: md('llm_input_token'),
  output_tokens: md('llm_output_token'),
  total_tokens: md('llm_total_token'),
  cached_input_tokens: md('llm_cached_input_token'),
  cache_creation_input_tokens: md('llm_cache_creation_input_token'),
};

/** Where the listener's routes come from: the RDS file and the directory Envoy watches. */
export interface ListenerOptions {
  readonly listenPort: number;
  /** Absolute path of the RDS file. */
  readonly rdsPath: string;
  /** The directory whose renames make Envoy re-read the file. */
  readonly watchedDirectory: string;
  /** Adds the rate-limit filter after the router-level extproc. */
  readonly withRateLimit: boolean;
  /** Where the endpoints are served (local replies judge the dialect by it); default upstream's. */
  readonly endpoints?: EndpointLayout;
}

/** A file-based xDS config source (atomic rename into `watchedDirectory` triggers a reload). */
export function fileConfigSource(path: string, watchedDirectory: string): FileConfigSource {
  return {
    path_config_source: { path, watched_directory: { path: watchedDirectory } },
    resource_api_version: 'V3',
  };
}

function rateLimitFilter(): RateLimitFilter {
  return {
    name: filterNames.rateLimit,
    typed_config: {
      '@type': typeUrl('envoy.extensions.filters.http.ratelimit.v3.RateLimit'),
      domain: rateLimitDomain,
      // Envoy's default is 20 ms; the limiter is local but Node, so allow for a GC pause.
      timeout: '1s',
      // Fail open when the limiter is unreachable: a budget is a soft limit, the gateway is not.
      failure_mode_deny: false,
      disable_x_envoy_ratelimited_header: true,
      // The budget's limit, remaining and reset on every response (and the 429): the router-level
      // extproc rewrites them into the client's dialect (OpenAI `x-ratelimit-*-tokens`,
      // Anthropic `anthropic-ratelimit-tokens-*`, `retry-after` on a 429).
      enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
      rate_limit_service: {
        grpc_service: { envoy_grpc: { cluster_name: rateLimitClusterName } },
        transport_api_version: 'V3',
      },
    },
  };
}

/**
 * The gateway's listener on 0.0.0.0: one HTTP connection manager with the router-level extproc,
 * the rate-limit filter when limits exist (after the extproc: its BUFFERED body phase holds the
 * headers until the model is known, so the limit sees the re-selected route), and the router.
 * Routes come from RDS, so route changes never drain the listener.
 */
export function gatewayListener(options: ListenerOptions): Listener {
  return {
    '@type': typeUrl('envoy.config.listener.v3.Listener'),
    name: listenerName,
    address: { socket_address: { address: '0.0.0.0', port_value: options.listenPort } },
    per_connection_buffer_limit_bytes: bufferLimitBytes,
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': typeUrl(
                'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              ),
              stat_prefix: listenerName,
              rds: {
                route_config_name: routeConfigName,
                config_source: fileConfigSource(options.rdsPath, options.watchedDirectory),
              },
              http_filters: [
                extProcFilter('router'),
                ...(options.withRateLimit ? [rateLimitFilter()] : []),
                {
                  name: filterNames.router,
                  typed_config: {
                    '@type': typeUrl('envoy.extensions.filters.http.router.v3.Router'),
                    suppress_envoy_headers: true,
                  },
                },
              ],
              access_log: [
                {
                  name: 'envoy.access_loggers.stdout',
                  typed_config: {
                    '@type': typeUrl('envoy.extensions.access_loggers.stream.v3.StdoutAccessLog'),
                    log_format: { json_format: accessLogFormat },
                  },
                },
              ],
              local_reply_config: localReplyConfig(options.endpoints),
            },
          },
        ],
      },
    ],
  };
}
