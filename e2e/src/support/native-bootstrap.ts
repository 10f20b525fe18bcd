import { httpListener, staticClusterFor, type FakeUpstream } from '@aigw/testkit';

/**
 * The "native fast path" of issue 6/10, measured and not shipped (docs/performance.md, lever 6):
 * a gateway for OpenAI → OpenAI passthrough built from Envoy's own filters, no extproc. The
 * `json_to_metadata` filter reads `model` from the buffered request body into dynamic metadata;
 * the routes match on that metadata (Envoy re-resolves the route after the filter has run, no
 * route-cache clearing needed: checked on Envoy 1.40); each model's route injects its backend's
 * key; the same filter reads the JSON response's `usage` into the token metadata keys the
 * extproc writes, so the stream-done rate-limit entries and the access log work unchanged.
 *
 * What it cannot do (why it is not shipped) is listed with its figures in docs/performance.md.
 */
export interface NativeBackend {
  /** Envoy cluster name. */
  readonly cluster: string;
  /** The model a client names in the body (exact match). */
  readonly model: string;
  readonly upstream: Pick<FakeUpstream, 'host' | 'port'>;
  /** The provider key Envoy injects (`authorization: Bearer <key>`). */
  readonly apiKey: string;
}

/** Options of {@link nativeBootstrap}. */
export interface NativeBootstrapOptions {
  readonly backends: readonly NativeBackend[];
  /** Where Envoy writes its JSON access log ({@link nativeAccessLogFormat}). */
  readonly accessLogPath: string;
  /** Route timeout (Envoy duration), default 10s. */
  readonly routeTimeout?: string;
}

const ns = 'io.envoy.ai_gateway';
const type = (name: string): string => `type.googleapis.com/${name}`;

/** The access-log fields (the gateway's, with the model from metadata instead of a header). */
export const nativeAccessLogFormat = {
  status: '%RESPONSE_CODE%',
  model: `%DYNAMIC_METADATA(${ns}:model)%`,
  cluster: '%UPSTREAM_CLUSTER%',
  input: `%DYNAMIC_METADATA(${ns}:llm_input_token)%`,
  output: `%DYNAMIC_METADATA(${ns}:llm_output_token)%`,
  total: `%DYNAMIC_METADATA(${ns}:llm_total_token)%`,
  cached: `%DYNAMIC_METADATA(${ns}:llm_cached_input_token)%`,
};

/** An OpenAI error body for a `direct_response`. */
function openaiError(message: string, code: string): { inline_string: string } {
  const error = { message, type: 'invalid_request_error', param: null, code };
  return { inline_string: JSON.stringify({ error }) };
}

const numberTo = (key: string): object => ({ metadata_namespace: ns, key, type: 'NUMBER' });

/** `json_to_metadata`: `model` (and a flag for a body that is not JSON) in, `usage` out. */
function jsonToMetadataFilter(): object {
  const usage = (path: readonly string[], key: string): object => ({
    selectors: ['usage', ...path].map((k) => ({ key: k })),
    on_present: numberTo(key),
  });
  return {
    name: 'envoy.filters.http.json_to_metadata',
    typed_config: {
      '@type': type('envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata'),
      request_rules: {
        rules: [
          {
            selectors: [{ key: 'model' }],
            on_present: { metadata_namespace: ns, key: 'model', type: 'STRING' },
            on_error: { metadata_namespace: ns, key: 'invalid_body', value: 'true' },
          },
        ],
      },
      response_rules: {
        rules: [
          usage(['prompt_tokens'], 'llm_input_token'),
          usage(['completion_tokens'], 'llm_output_token'),
          usage(['total_tokens'], 'llm_total_token'),
          usage(['prompt_tokens_details', 'cached_tokens'], 'llm_cached_input_token'),
        ],
      },
    },
  };
}

const metadataIs = (key: string, value: string): object => ({
  filter: ns,
  path: [{ key }],
  value: { string_match: { exact: value } },
});

/** The native gateway: one listener, one route per model, one cluster per backend. */
export function nativeBootstrap(options: NativeBootstrapOptions): object {
  const path = '/v1/chat/completions';
  const routes = [
    {
      name: 'invalid-body',
      match: { path, dynamic_metadata: [metadataIs('invalid_body', 'true')] },
      direct_response: {
        status: 400,
        body: openaiError('the request body is not valid JSON', 'invalid_json'),
      },
    },
    ...options.backends.map((b) => ({
      name: `model-${b.model}`,
      match: { path, dynamic_metadata: [metadataIs('model', b.model)] },
      route: { cluster: b.cluster, timeout: options.routeTimeout ?? '10s' },
      request_headers_to_add: [
        {
          header: { key: 'authorization', value: `Bearer ${b.apiKey}` },
          append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
        },
      ],
    })),
    {
      name: 'model-not-found',
      match: { prefix: '/' },
      direct_response: {
        status: 404,
        body: openaiError('no route for this model', 'model_not_found'),
      },
    },
  ];
  const accessLog = {
    name: 'envoy.access_loggers.file',
    typed_config: {
      '@type': type('envoy.extensions.access_loggers.file.v3.FileAccessLog'),
      path: options.accessLogPath,
      log_format: { json_format: nativeAccessLogFormat },
    },
  };
  return {
    static_resources: {
      listeners: [
        httpListener({
          routes,
          httpFilters: [jsonToMetadataFilter()],
          hcm: { stat_prefix: 'native', access_log: [accessLog] },
          listener: { per_connection_buffer_limit_bytes: 52428800 },
        }),
      ],
      clusters: options.backends.map((b) => ({
        ...staticClusterFor(b.cluster, { host: b.upstream.host, port: b.upstream.port }),
        per_connection_buffer_limit_bytes: 52428800,
      })),
    },
  };
}
