import { extProcFilter, upstreamHttpFilters } from '@aigw/gateway-config';
import { httpListener, staticClusterFor, type FakeUpstream } from '@aigw/testkit';

/** One backend cluster of the test gateway. */
export interface TestBackend {
  /** Envoy cluster name (what the extproc's route rules name). */
  readonly cluster: string;
  /** The filterapi backend name, carried in the endpoint metadata as upstream does. */
  readonly backendName: string;
  readonly upstream: FakeUpstream;
  /**
   * The endpoint's hostname; when set, the route rewrites `host` to it (`auto_host_rewrite`), as
   * Envoy Gateway does for FQDN backends such as `bedrock-runtime.<region>.amazonaws.com`.
   */
  readonly hostname?: string;
}

/** Options of {@link gatewayBootstrap}. */
export interface GatewayBootstrapOptions {
  readonly extprocSocket: string;
  readonly backends: readonly TestBackend[];
  /** Where Envoy writes its JSON access log. */
  readonly accessLogPath: string;
  /** Route timeout (Envoy duration), default 10s. */
  readonly routeTimeout?: string;
}

const ns = 'io.envoy.ai_gateway';
const xdsNs = 'aigateway.envoy.io';
const type = (name: string): string => `type.googleapis.com/${name}`;

function backendCluster(backend: TestBackend): object {
  const base = staticClusterFor(backend.cluster, {
    host: backend.upstream.host,
    port: backend.upstream.port,
  });
  const endpoint = {
    endpoint: {
      address: {
        socket_address: { address: backend.upstream.host, port_value: backend.upstream.port },
      },
      ...(backend.hostname === undefined ? {} : { hostname: backend.hostname }),
    },
    metadata: {
      filter_metadata: { [xdsNs]: { per_route_rule_backend_name: backend.backendName } },
    },
  };
  return {
    ...base,
    per_connection_buffer_limit_bytes: 52428800,
    load_assignment: { cluster_name: backend.cluster, endpoints: [{ lb_endpoints: [endpoint] }] },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': type('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
        explicit_http_config: { http_protocol_options: {} },
        http_filters: upstreamHttpFilters(),
      },
    },
  };
}

/** The access-log fields the tests read (one JSON object per request). */
export const accessLogFormat = {
  status: '%RESPONSE_CODE%',
  request_id: '%REQ(X-REQUEST-ID)%',
  // The extproc's copy: the upstream-level filter removes the model header from the request
  // header map the access log reads.
  model: `%DYNAMIC_METADATA(${ns}:request_model)%`,
  cluster: '%UPSTREAM_CLUSTER%',
  backend: `%DYNAMIC_METADATA(${ns}:backend_name)%`,
  input: `%DYNAMIC_METADATA(${ns}:llm_input_token)%`,
  output: `%DYNAMIC_METADATA(${ns}:llm_output_token)%`,
  total: `%DYNAMIC_METADATA(${ns}:llm_total_token)%`,
  cached: `%DYNAMIC_METADATA(${ns}:llm_cached_input_token)%`,
  cost: `%DYNAMIC_METADATA(${ns}:weighted_cost)%`,
  // No %REQ(AUTHORIZATION)%: the upstream-level filter's header mutations land in the request
  // header map the access log reads, so it would log the backend credential, not the client's.
};

/**
 * The test gateway, shaped like upstream's data plane: a router-level ext_proc (buffered request
 * body, response mode switched per response), then the router, which picks the cluster named by
 * the `x-ai-eg-cluster` header the extproc set from its config; each backend cluster runs the
 * upstream-level ext_proc, a content-length restorer and the upstream codec. A request whose
 * model matched nothing falls to a 404 route.
 */
export function gatewayBootstrap(options: GatewayBootstrapOptions): object {
  const routes = [
    {
      name: 'by-cluster-header',
      match: { prefix: '/', headers: [{ name: 'x-ai-eg-cluster', present_match: true }] },
      route: {
        cluster_header: 'x-ai-eg-cluster',
        timeout: options.routeTimeout ?? '10s',
        // Only backends with a hostname are rewritten (Envoy keeps `host` for an empty one).
        ...(options.backends.some((b) => b.hostname !== undefined)
          ? { auto_host_rewrite: true }
          : {}),
      },
    },
    {
      name: 'route-not-found',
      match: { prefix: '/' },
      direct_response: { status: 404, body: { inline_string: 'No matching route found.' } },
    },
  ];
  const accessLog = {
    name: 'envoy.access_loggers.file',
    typed_config: {
      '@type': type('envoy.extensions.access_loggers.file.v3.FileAccessLog'),
      path: options.accessLogPath,
      log_format: { json_format: accessLogFormat },
    },
  };
  return {
    // Envoy otherwise ends each ext_proc stream with RST_STREAM right after its half-close; Node's
    // HTTP/2 server counts those as "rapid resets" and drops the connection (GOAWAY) after ~1,000,
    // failing every request in flight on it. The graceful close waits for the server's status.
    layered_runtime: {
      layers: [
        {
          name: 'static',
          static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true },
        },
      ],
    },
    static_resources: {
      listeners: [
        httpListener({
          routes,
          httpFilters: [extProcFilter('router')],
          hcm: { stat_prefix: 'ai', access_log: [accessLog] },
          listener: { per_connection_buffer_limit_bytes: 52428800 },
        }),
      ],
      clusters: [
        {
          ...staticClusterFor('extproc', { socketPath: options.extprocSocket }, { http2: true }),
          per_connection_buffer_limit_bytes: 52428800,
        },
        ...options.backends.map(backendCluster),
      ],
    },
  };
}

interface BootstrapShape {
  static_resources: {
    listeners: { filter_chains: { filters: { typed_config: HcmShape }[] }[] }[];
    clusters: object[];
  };
}

interface HcmShape extends Record<string, unknown> {
  http_filters: object[];
  route_config: { virtual_hosts: { routes: Record<string, unknown>[] }[] };
}

/** The HTTP connection manager of a {@link gatewayBootstrap}, to add to it. */
export function hcmOf(bootstrap: object): HcmShape {
  const hcm = (bootstrap as BootstrapShape).static_resources.listeners[0]?.filter_chains[0]
    ?.filters[0]?.typed_config;
  if (!hcm) throw new Error('the test bootstrap has no HTTP connection manager');
  return hcm;
}

/** Options of {@link withTokenBudget}. */
export interface TokenBudgetOptions {
  /** The rate-limit service's Unix socket. */
  readonly rlsSocket: string;
  /** The descriptor actions of both entries (the check and the charge). */
  readonly actions: readonly object[];
  /** The rate-limit domain (default `ai-gateway`, the gateway's). */
  readonly domain?: string;
  /** The rate-limit filter's timeout (Envoy duration, default `1s`). */
  readonly timeout?: string;
}

/**
 * Adds a token budget to a {@link gatewayBootstrap} the way `@aigw/gateway-config` generates one:
 * the rate-limit filter after the router-level extproc (`failure_mode_deny: false`), on the first
 * route a check entry (`hits_addend` 0) and an entry charged with the token metadata when the
 * stream is done, and the RLS cluster on `rlsSocket`.
 */
export function withTokenBudget(bootstrap: object, options: TokenBudgetOptions): object {
  const hcm = hcmOf(bootstrap);
  hcm.http_filters.splice(1, 0, {
    name: 'envoy.filters.http.ratelimit',
    typed_config: {
      '@type': type('envoy.extensions.filters.http.ratelimit.v3.RateLimit'),
      domain: options.domain ?? 'ai-gateway',
      timeout: options.timeout ?? '1s',
      failure_mode_deny: false,
      rate_limit_service: {
        grpc_service: { envoy_grpc: { cluster_name: 'ratelimit' } },
        transport_api_version: 'V3',
      },
    },
  });
  const route = hcm.route_config.virtual_hosts[0]?.routes[0];
  if (!route) throw new Error('the test bootstrap has no route');
  const { actions } = options;
  route.typed_per_filter_config = {
    'envoy.filters.http.ratelimit': {
      '@type': type('envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute'),
      rate_limits: [
        { actions, hits_addend: { number: 0 } },
        {
          actions,
          apply_on_stream_done: true,
          hits_addend: { format: `%DYNAMIC_METADATA(${ns}:llm_total_token)%` },
        },
      ],
    },
  };
  (bootstrap as BootstrapShape).static_resources.clusters.push(
    staticClusterFor('ratelimit', { socketPath: options.rlsSocket }, { http2: true }),
  );
  return bootstrap;
}
