/**
 * The Envoy JSON this package emits, typed by hand in Envoy's own (snake_case, proto3 JSON) field
 * names: exactly the fields the generators set, `readonly`, literal unions for the enums we use.
 * Not the ts-proto types of @aigw/proto: those are camelCase runtime messages, and this package
 * emits the files Envoy reads (and may not import protos). A typo in a field name, or a field in
 * the wrong message, is a compile error in the generators.
 */

/** `type.googleapis.com/<name>`: the `@type` of an `Any`. */
export type TypeUrl<Name extends string> = `type.googleapis.com/${Name}`;

/** An `Any`-typed extension config: `@type` plus the message's fields. */
export type Any<Name extends string, Fields extends object = object> = {
  readonly '@type': TypeUrl<Name>;
} & Fields;

/** A typed extension: `{ name, typed_config }` (filters, transport sockets, monitors, …). */
export interface TypedExtension<Config extends { readonly '@type': string }> {
  readonly name: string;
  readonly typed_config: Config;
}

/** A protobuf `Duration` in JSON: seconds with an `s` suffix (`'10s'`, `'0.5s'`). */
export type Duration = `${string}s`;

// ---- core ------------------------------------------------------------------------------------

/** `config.core.v3.Address`: a TCP socket or a Unix pipe. */
export type Address =
  | {
      readonly socket_address: { readonly address: string; readonly port_value: number };
    }
  | { readonly pipe: { readonly path: string } };

/** `config.core.v3.ConfigSource` of a file-based xDS source. */
export interface FileConfigSource {
  readonly path_config_source: {
    readonly path: string;
    readonly watched_directory: { readonly path: string };
  };
  readonly resource_api_version: 'V3';
}

/** `config.core.v3.GrpcService` through an Envoy cluster. */
export interface GrpcService {
  readonly envoy_grpc: { readonly cluster_name: string };
  readonly timeout?: Duration;
}

/** `config.core.v3.HeaderValueOption.HeaderAppendAction`. */
export type HeaderAppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

/** `config.core.v3.HeaderValueOption`. */
export interface HeaderValueOption {
  readonly header: { readonly key: string; readonly value: string };
  readonly append_action: HeaderAppendAction;
}

/** `config.core.v3.Metadata`: namespace → struct. */
export interface Metadata {
  readonly filter_metadata: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** `type.matcher.v3.StringMatcher` as we use it. */
export type StringMatcher =
  { readonly exact: string } | { readonly safe_regex: { readonly regex: string } };

/** `config.route.v3.HeaderMatcher` with a string match. */
export interface HeaderMatcher {
  readonly name: string;
  readonly string_match: StringMatcher;
}

// ---- HTTP filters -----------------------------------------------------------------------------

/** `ext_proc.v3.ProcessingMode` header and body send modes. */
export type HeaderSendMode = 'DEFAULT' | 'SEND' | 'SKIP';
export type BodySendMode =
  'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL' | 'FULL_DUPLEX_STREAMED';

/** `envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor`. */
export type ExtProcConfig = Any<
  'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
  {
    readonly grpc_service: GrpcService;
    readonly failure_mode_allow: boolean;
    readonly allow_mode_override: boolean;
    readonly message_timeout: Duration;
    readonly metadata_options: {
      readonly receiving_namespaces: { readonly untyped: readonly string[] };
    };
    readonly processing_mode: {
      readonly request_header_mode: HeaderSendMode;
      readonly request_body_mode: BodySendMode;
      readonly response_header_mode: HeaderSendMode;
      readonly response_body_mode: BodySendMode;
      readonly request_trailer_mode?: HeaderSendMode;
      readonly response_trailer_mode?: HeaderSendMode;
    };
    readonly request_attributes?: readonly string[];
  }
>;

/** `envoy.extensions.filters.http.header_mutation.v3.HeaderMutation` (request mutations). */
export type HeaderMutationConfig = Any<
  'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
  {
    readonly mutations: {
      readonly request_mutations: readonly { readonly append: HeaderValueOption }[];
    };
  }
>;

/** `envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec`. */
export type UpstreamCodecConfig =
  Any<'envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec'>;

/** `envoy.extensions.filters.http.ratelimit.v3.RateLimit`. */
export type RateLimitConfig = Any<
  'envoy.extensions.filters.http.ratelimit.v3.RateLimit',
  {
    readonly domain: string;
    readonly timeout: Duration;
    readonly failure_mode_deny: boolean;
    readonly disable_x_envoy_ratelimited_header: boolean;
    readonly enable_x_ratelimit_headers?: 'OFF' | 'DRAFT_VERSION_03';
    readonly rate_limit_service: {
      readonly grpc_service: GrpcService;
      readonly transport_api_version: 'V3';
    };
  }
>;

/** `envoy.extensions.filters.http.router.v3.Router`. */
export type RouterConfig = Any<
  'envoy.extensions.filters.http.router.v3.Router',
  { readonly suppress_envoy_headers: boolean }
>;

/** The HTTP filter entries we emit, by filter name. */
export interface ExtProcFilter extends TypedExtension<ExtProcConfig> {
  readonly name: 'envoy.filters.http.ext_proc';
}
export interface HeaderMutationFilter extends TypedExtension<HeaderMutationConfig> {
  readonly name: 'envoy.filters.http.header_mutation';
}
export interface UpstreamCodecFilter extends TypedExtension<UpstreamCodecConfig> {
  readonly name: 'envoy.filters.http.upstream_codec';
}
export interface RateLimitFilter extends TypedExtension<RateLimitConfig> {
  readonly name: 'envoy.filters.http.ratelimit';
}
export interface RouterFilter extends TypedExtension<RouterConfig> {
  readonly name: 'envoy.filters.http.router';
}

/** An entry of the listener's HTTP filter chain. */
export type HttpFilter = ExtProcFilter | RateLimitFilter | RouterFilter;

/** An entry of a cluster's upstream HTTP filter chain (the codec last). */
export type UpstreamHttpFilter = ExtProcFilter | HeaderMutationFilter | UpstreamCodecFilter;

// ---- rate limits on routes ----------------------------------------------------------------------

/** `config.route.v3.RateLimit.Action` as we generate them. */
export type RateLimitAction =
  | {
      readonly generic_key: { readonly descriptor_key: string; readonly descriptor_value: string };
    }
  | { readonly request_headers: { readonly header_name: string; readonly descriptor_key: string } }
  | {
      readonly header_value_match: {
        readonly descriptor_key: string;
        readonly descriptor_value: string;
        readonly expect_match: boolean;
        readonly headers: readonly HeaderMatcher[];
      };
    }
  | {
      /** `RateLimit.Action.MetaData`: a descriptor entry from (dynamic) metadata; strings only. */
      readonly metadata: {
        readonly descriptor_key: string;
        readonly metadata_key: {
          readonly key: string;
          readonly path: readonly { readonly key: string }[];
        };
        readonly default_value?: string;
        readonly source?: 'DYNAMIC' | 'ROUTE_ENTRY';
      };
    }
  | {
      /**
       * `RateLimit.Action.extension` `envoy.rate_limit_descriptors.expr`: a descriptor entry whose
       * value is a CEL expression's; an error (without `skip_if_error`) produces no descriptor.
       */
      readonly extension: {
        readonly name: 'envoy.rate_limit_descriptors.expr';
        readonly typed_config: Any<
          'envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor',
          { readonly descriptor_key: string; readonly text: string }
        >;
      };
    };

/** `config.route.v3.RateLimit.HitsAddend`. */
export type HitsAddend = { readonly number: number } | { readonly format: string };

/** `config.route.v3.RateLimit`: one descriptor per request (or when the stream ends). */
export interface RouteRateLimit {
  readonly actions: readonly RateLimitAction[];
  readonly hits_addend?: HitsAddend;
  readonly apply_on_stream_done?: true;
}

// ---- clusters ---------------------------------------------------------------------------------

/** `envoy.extensions.upstreams.http.v3.HttpProtocolOptions` keyed by its own name. */
export type HttpProtocolOptions = Any<
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  {
    readonly explicit_http_config:
      | { readonly http_protocol_options: Readonly<Record<string, never>> }
      | {
          readonly http2_protocol_options: {
            readonly connection_keepalive: {
              readonly interval: Duration;
              readonly timeout: Duration;
            };
          };
        };
    readonly http_filters?: readonly UpstreamHttpFilter[];
  }
>;

/** `envoy.transport_sockets.tls` with an `UpstreamTlsContext`. */
export interface UpstreamTlsSocket {
  readonly name: 'envoy.transport_sockets.tls';
  readonly typed_config: Any<
    'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    {
      readonly sni?: string;
      readonly common_tls_context: {
        readonly validation_context?: {
          readonly trusted_ca: { readonly filename: string };
          readonly match_typed_subject_alt_names?: readonly {
            readonly san_type: 'DNS';
            readonly matcher: StringMatcher;
          }[];
        };
      };
    }
  >;
}

/** `config.endpoint.v3.LbEndpoint`. */
export interface LbEndpoint {
  readonly endpoint: { readonly address: Address; readonly hostname?: string };
  readonly metadata?: Metadata;
}

/** `config.endpoint.v3.LocalityLbEndpoints`. */
export interface LocalityLbEndpoints {
  readonly locality?: { readonly region: string };
  readonly priority?: number;
  readonly load_balancing_weight?: number;
  readonly lb_endpoints: readonly LbEndpoint[];
}

/**
 * `config.cluster.v3.OutlierDetection` as we generate it: ejection on consecutive failures only,
 * upstream answers (5xx, gateway errors) counted apart from local-origin failures.
 */
export interface OutlierDetection {
  readonly consecutive_5xx: number;
  readonly consecutive_gateway_failure: number;
  readonly enforcing_consecutive_gateway_failure: number;
  readonly split_external_local_origin_errors: true;
  readonly consecutive_local_origin_failure: number;
  readonly enforcing_success_rate: number;
  readonly interval: Duration;
  readonly base_ejection_time: Duration;
  readonly max_ejection_time: Duration;
  readonly max_ejection_percent: number;
}

/** `config.cluster.v3.CircuitBreakers` as we generate it: a retry budget for the default routing priority. */
export interface CircuitBreakers {
  readonly thresholds: readonly {
    readonly priority: 'DEFAULT';
    readonly retry_budget: {
      readonly budget_percent: { readonly value: number };
      readonly min_retry_concurrency: number;
    };
  }[];
}

/** `config.cluster.v3.Cluster` as we generate it (without `@type` in the bootstrap). */
export interface Cluster {
  readonly name: string;
  readonly type: 'STATIC' | 'STRICT_DNS';
  readonly dns_lookup_family?: 'V4_PREFERRED';
  readonly connect_timeout: Duration;
  readonly per_connection_buffer_limit_bytes?: number;
  readonly common_lb_config?: {
    readonly locality_weighted_lb_config: Readonly<Record<string, never>>;
  };
  readonly outlier_detection?: OutlierDetection;
  readonly circuit_breakers?: CircuitBreakers;
  readonly load_assignment: {
    readonly cluster_name: string;
    readonly endpoints: readonly LocalityLbEndpoints[];
  };
  readonly typed_extension_protocol_options: {
    readonly 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': HttpProtocolOptions;
  };
  readonly transport_socket_matches?: readonly {
    readonly name: string;
    readonly match: Readonly<Record<string, string>>;
    readonly transport_socket: UpstreamTlsSocket;
  }[];
}

/** A cluster as a CDS resource. */
export type ClusterResource = Any<'envoy.config.cluster.v3.Cluster', Cluster>;

// ---- routes -----------------------------------------------------------------------------------

/** `config.route.v3.RouteMatch` on a path prefix (plus headers). */
export type RouteMatch = (
  { readonly prefix: string } | { readonly path_separated_prefix: string }
) & {
  readonly headers?: readonly HeaderMatcher[];
};

/** `config.route.v3.RetryPolicy` as we generate it. */
export interface RetryPolicy {
  readonly retry_on: string;
  readonly num_retries: number;
  readonly retriable_status_codes?: readonly number[];
  readonly per_try_timeout?: Duration;
  readonly per_try_idle_timeout?: Duration;
  readonly retry_priority?: {
    readonly name: 'envoy.retry_priorities.previous_priorities';
    readonly typed_config: Any<
      'envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
      { readonly update_frequency: number }
    >;
  };
  readonly retry_host_predicate?: readonly {
    readonly name: 'envoy.retry_host_predicates.previous_hosts';
    readonly typed_config: Any<'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate'>;
  }[];
  readonly host_selection_retry_max_attempts?: number;
}

/** A route to an AIGatewayRoute rule's cluster. */
export interface ClusterRoute {
  readonly name: string;
  readonly match: RouteMatch;
  readonly route: {
    readonly cluster: string;
    readonly timeout: Duration;
    readonly auto_host_rewrite: true;
    readonly retry_policy?: RetryPolicy;
  };
  readonly metadata: Metadata;
  readonly typed_per_filter_config?: {
    readonly 'envoy.filters.http.ratelimit': Any<
      'envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute',
      { readonly rate_limits: readonly RouteRateLimit[] }
    >;
  };
}

/** A route answering itself (the route-not-found 404). */
export interface DirectResponseRoute {
  readonly name: string;
  readonly match: RouteMatch;
  readonly direct_response: {
    readonly status: number;
    readonly body: { readonly inline_string: string };
  };
  readonly response_headers_to_add: readonly HeaderValueOption[];
}

/** `config.route.v3.Route` as we generate it. */
export type Route = ClusterRoute | DirectResponseRoute;

/** `config.route.v3.VirtualHost`. */
export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly Route[];
}

/** `config.route.v3.RouteConfiguration`, an RDS resource. */
export type RouteConfiguration = Any<
  'envoy.config.route.v3.RouteConfiguration',
  { readonly name: string; readonly virtual_hosts: readonly VirtualHost[] }
>;

// ---- listener ---------------------------------------------------------------------------------

/** `config.accesslog.v3.AccessLogFilter` as the local-reply mappers use it. */
export type AccessLogFilter =
  | {
      readonly status_code_filter: {
        readonly comparison: {
          readonly op: 'EQ' | 'GE' | 'LE';
          readonly value: { readonly default_value: number; readonly runtime_key: string };
        };
      };
    }
  | { readonly response_flag_filter: { readonly flags: readonly string[] } }
  | {
      readonly extension_filter: {
        readonly name: 'envoy.access_loggers.extension_filters.cel';
        readonly typed_config: Any<
          'envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter',
          { readonly expression: string }
        >;
      };
    }
  | { readonly and_filter: { readonly filters: readonly AccessLogFilter[] } };

/** A JSON value of a `json_format` struct. */
export type JsonFormatValue = string | number | boolean | null | JsonFormat;
/** `config.core.v3.SubstitutionFormatString.json_format`. */
export interface JsonFormat {
  readonly [key: string]: JsonFormatValue;
}

/** `config.core.v3.SubstitutionFormatString` in JSON. */
export interface JsonBodyFormat {
  readonly json_format: JsonFormat;
  readonly content_type: 'application/json';
}

/** `http_connection_manager.v3.ResponseMapper`. */
export interface ResponseMapper {
  readonly filter: AccessLogFilter;
  readonly status_code?: number;
  readonly headers_to_add?: readonly HeaderValueOption[];
  readonly body_format_override?: JsonBodyFormat;
}

/** `http_connection_manager.v3.LocalReplyConfig`. */
export interface LocalReplyConfig {
  readonly mappers: readonly ResponseMapper[];
}

/** `envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`. */
export type HttpConnectionManager = Any<
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  {
    readonly stat_prefix: string;
    readonly rds: { readonly route_config_name: string; readonly config_source: FileConfigSource };
    readonly http_filters: readonly HttpFilter[];
    readonly access_log: readonly {
      readonly name: 'envoy.access_loggers.stdout';
      readonly typed_config: Any<
        'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
        { readonly log_format: { readonly json_format: JsonFormat } }
      >;
    }[];
    readonly local_reply_config: LocalReplyConfig;
  }
>;

/** `config.listener.v3.Listener`, an LDS resource. */
export type Listener = Any<
  'envoy.config.listener.v3.Listener',
  {
    readonly name: string;
    readonly address: Address;
    readonly per_connection_buffer_limit_bytes: number;
    readonly filter_chains: readonly {
      readonly filters: readonly {
        readonly name: 'envoy.filters.network.http_connection_manager';
        readonly typed_config: HttpConnectionManager;
      }[];
    }[];
  }
>;

// ---- discovery responses and bootstrap --------------------------------------------------------

/** Any resource of the xDS files. */
export type XdsResource = ClusterResource | RouteConfiguration | Listener;

/** `service.discovery.v3.DiscoveryResponse` as a file-based xDS source reads it. */
export interface DiscoveryResponse<Resource extends XdsResource = XdsResource> {
  readonly version_info?: string;
  readonly resources: readonly Resource[];
}

/** `config.bootstrap.v3.Bootstrap` of `aigw run`. */
export interface Bootstrap {
  readonly node: { readonly id: string; readonly cluster: string };
  readonly admin: { readonly address: Address };
  readonly layered_runtime: {
    readonly layers: readonly {
      readonly name: string;
      readonly static_layer: Readonly<Record<string, boolean>>;
    }[];
  };
  readonly overload_manager: {
    readonly resource_monitors: readonly {
      readonly name: 'envoy.resource_monitors.global_downstream_max_connections';
      readonly typed_config: Any<
        'envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
        { readonly max_active_downstream_connections: number }
      >;
    }[];
  };
  readonly static_resources: { readonly clusters: readonly Cluster[] };
  readonly dynamic_resources: {
    readonly lds_config: FileConfigSource;
    readonly cds_config: FileConfigSource;
  };
}
