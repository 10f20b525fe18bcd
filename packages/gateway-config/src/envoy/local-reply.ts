import {
  anthropicPathPattern,
  coherePathPattern,
  geminiPathPattern,
  type EndpointLayout,
} from './endpoint-prefixes.js';
import { celMetadataValue, celString } from './cel.js';
import { metadataNamespace, typeUrl } from './names.js';
import type {
  AccessLogFilter,
  HeaderValueOption,
  JsonBodyFormat,
  JsonFormat,
  LocalReplyConfig,
  ResponseMapper,
} from './types.js';

/**
 * The response header every mapped local reply carries. The router-level extproc passes a
 * response with it through untranslated (it is already JSON in the client's dialect) and removes
 * the header, so Envoy's own errors are not wrapped a second time as provider errors.
 */
export const localReplyHeader = 'x-aigw-local-reply';

/**
 * The dynamic metadata the router-level extproc writes the client's original path into (its
 * `original_path` key, in the filter config's metadata namespace) when it has seen the body.
 */
const { value: originalPath, present: hasOriginalPath } = celMetadataValue(
  metadataNamespace,
  'original_path',
);

type Dialect = 'openai' | 'anthropic' | 'gemini' | 'cohere';

/** Error types of one dialect for the replies below (Cohere's body has none: the status tells). */
interface ErrorTypes {
  readonly rateLimit: string;
  readonly server: string;
  readonly client: string;
}

const errorTypes: Record<Dialect, ErrorTypes> = {
  openai: {
    rateLimit: 'rate_limit_error',
    server: 'server_error',
    client: 'invalid_request_error',
  },
  anthropic: {
    rateLimit: 'rate_limit_error',
    server: 'api_error',
    client: 'invalid_request_error',
  },
  // Google's gRPC status names.
  gemini: {
    rateLimit: 'RESOURCE_EXHAUSTED',
    server: 'UNAVAILABLE',
    client: 'INVALID_ARGUMENT',
  },
  // Cohere's `{message}` carries no type: the HTTP status tells the kind.
  cohere: { rateLimit: '', server: '', client: '' },
};

/**
 * An error body in the client's dialect, in Envoy's JSON format (`%LOCAL_REPLY_BODY%` is Envoy's
 * own text): OpenAI's `{"error":{message,type,param,code}}`, Anthropic's
 * `{"type":"error","error":{type,message}}`, Google's `{"error":{code,message,status}}` (the
 * code the HTTP status, which Envoy's JSON formatter writes as a number) or Cohere's `{message}`
 * (as the translator's `errorBody` writes it for `/cohere/v2/rerank`).
 */
function errorFormat(dialect: Dialect, type: string, message: string): JsonBodyFormat {
  return { json_format: errorJson(dialect, type, message), content_type: 'application/json' };
}

/** The JSON of {@link errorFormat}. */
function errorJson(dialect: Dialect, type: string, message: string): JsonFormat {
  switch (dialect) {
    case 'openai':
      return { error: { message, type, param: null, code: null } };
    case 'anthropic':
      return { type: 'error', error: { type, message } };
    case 'gemini':
      return { error: { code: '%RESPONSE_CODE%', message, status: type } };
    case 'cohere':
      return { message };
  }
}

function statusAtLeast(status: number): AccessLogFilter {
  return {
    status_code_filter: {
      comparison: {
        op: 'GE',
        value: { default_value: status, runtime_key: `aigw.local_reply.ge_${String(status)}` },
      },
    },
  };
}

function flags(...names: string[]): AccessLogFilter {
  return { response_flag_filter: { flags: names } };
}

/** A CEL access-log filter (Envoy's `envoy.access_loggers.extension_filters.cel`). */
function celFilter(expression: string): AccessLogFilter {
  return {
    extension_filter: {
      name: 'envoy.access_loggers.extension_filters.cel',
      typed_config: {
        '@type': typeUrl('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter'),
        expression,
      },
    },
  };
}

/**
 * True for a request in Anthropic's dialect (by default `…/v1/messages…` and `/anthropic/…`; see
 * {@link anthropicPathPattern}), judged by the client's original path: the extproc's
 * `original_path` metadata once it saw the body (the upstream filter may have rewritten `:path`
 * by then, e.g. to a Bedrock path), else `:path`. Metadata rather than a request header, so that
 * nothing internal has to travel to the provider.
 */
function anthropicRequest(endpoints: EndpointLayout | undefined): AccessLogFilter {
  return pathMatches(anthropicPathPattern(endpoints));
}

/** True when the client's original path (as {@link anthropicRequest} reads it) matches `pattern`. */
function pathMatches(pattern: string): AccessLogFilter {
  return celFilter(
    `(${hasOriginalPath} ? ${originalPath} : request.path).matches(${celString(pattern)})`,
  );
}

/** The mappers of one dialect, each restricted by `only` when given (first match wins). */
function dialectMappers(dialect: Dialect, only: AccessLogFilter | undefined): ResponseMapper[] {
  const types = errorTypes[dialect];
  const when = (filter: AccessLogFilter): AccessLogFilter =>
    only === undefined ? filter : { and_filter: { filters: [only, filter] } };
  const marker: HeaderValueOption[] = [
    {
      header: { key: localReplyHeader, value: 'true' },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    },
  ];
  const mapper = (
    filter: AccessLogFilter,
    format: JsonBodyFormat,
    status?: number,
  ): ResponseMapper => ({
    filter: when(filter),
    ...(status === undefined ? {} : { status_code: status }),
    headers_to_add: marker,
    body_format_override: format,
  });
  return [
    mapper(flags('RL'), errorFormat(dialect, types.rateLimit, 'rate limit exceeded')),
    mapper(flags('UT'), errorFormat(dialect, types.server, 'upstream request timeout'), 504),
    mapper(
      flags('UH', 'UF', 'UO', 'NC', 'URX', 'UC', 'UR', 'LH'),
      errorFormat(dialect, types.server, '%LOCAL_REPLY_BODY%'),
    ),
    // Everything else Envoy answers itself, e.g. the extproc down (500).
    mapper(statusAtLeast(500), errorFormat(dialect, types.server, '%LOCAL_REPLY_BODY%')),
    // A client error Envoy answers itself, e.g. a body over the buffer limit (413).
    mapper(statusAtLeast(400), errorFormat(dialect, types.client, '%LOCAL_REPLY_BODY%')),
  ];
}

/**
 * Maps Envoy's own local replies to JSON errors in the client's dialect, judged as the extproc's
 * `EndpointMatcher.dialectFor` judges it (first match wins): Google's for the Gemini API's
 * `…/models/{model}:{method}` paths, Cohere's at or under the cohere prefix of `endpoints`
 * (`/cohere/v2/rerank`), Anthropic for `/v1/messages` and the anthropic prefix, else OpenAI. The
 * replies: the extproc unreachable or failing (500), no healthy upstream or a connection failure
 * (503), an upstream timeout (504), a rate limit (429), a client error such as a body over the
 * buffer limit (413). Each mapped reply carries {@link localReplyHeader}. The extproc's own
 * immediate responses (response-code details `aigw_*`, already JSON in the client's dialect) and
 * the route-not-found 404 pass unchanged.
 */
export function localReplyConfig(endpoints?: EndpointLayout): LocalReplyConfig {
  const cohere = coherePathPattern(endpoints);
  return {
    mappers: [
      {
        // Already JSON in the client's dialect: keep as is (no body or format override).
        filter: celFilter(
          "response.code_details.startsWith('aigw_') || response.code_details == 'direct_response'",
        ),
      },
      ...dialectMappers('gemini', pathMatches(geminiPathPattern)),
      ...(cohere === undefined ? [] : dialectMappers('cohere', pathMatches(cohere))),
      ...dialectMappers('anthropic', anthropicRequest(endpoints)),
      ...dialectMappers('openai', undefined),
    ],
  };
}
