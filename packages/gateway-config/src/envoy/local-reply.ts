import { typeUrl } from './names.js';

/** An OpenAI error body in Envoy's JSON format; `%LOCAL_REPLY_BODY%` is Envoy's own text. */
function openAIError(type: string, message: string): object {
  return {
    json_format: { error: { message, type, param: null, code: null } },
    content_type: 'application/json',
  };
}

function statusAtLeast(status: number): object {
  return {
    status_code_filter: {
      comparison: {
        op: 'GE',
        value: { default_value: status, runtime_key: `aigw.local_reply.ge_${String(status)}` },
      },
    },
  };
}

function flags(...names: string[]): object {
  return { response_flag_filter: { flags: names } };
}

/**
 * Envoy's local replies that the gateway can meet, matched by the local reply's response
 * code details (a CEL access-log filter), so the extproc's own immediate responses (details
 * `aigw_*`, already JSON in the client's dialect) and the JSON 404 route are left alone.
 */
function celFilter(expression: string): object {
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
 * Maps Envoy's own local replies to OpenAI-style JSON errors: the extproc unreachable or failing
 * (500), no healthy upstream or a connection failure (503), an upstream timeout (504), a rate
 * limit (429). The extproc's immediate responses and the route-not-found 404 pass unchanged.
 */
export function localReplyConfig(): object {
  return {
    mappers: [
      {
        // Already JSON in the client's dialect: keep as is (no body or format override).
        filter: celFilter(
          "response.code_details.startsWith('aigw_') || response.code_details == 'direct_response'",
        ),
      },
      {
        filter: flags('RL'),
        body_format_override: openAIError('rate_limit_error', 'rate limit exceeded'),
      },
      {
        filter: flags('UT'),
        status_code: 504,
        body_format_override: openAIError('server_error', 'upstream request timeout'),
      },
      {
        filter: flags('UH', 'UF', 'UO', 'NC', 'URX', 'UC', 'UR', 'LH'),
        body_format_override: openAIError('server_error', '%LOCAL_REPLY_BODY%'),
      },
      {
        // Everything else Envoy answers itself, e.g. the extproc down (500).
        filter: statusAtLeast(500),
        body_format_override: openAIError('server_error', '%LOCAL_REPLY_BODY%'),
      },
      {
        // A client error Envoy answers itself, e.g. a body over the buffer limit (413).
        filter: statusAtLeast(400),
        body_format_override: openAIError('invalid_request_error', '%LOCAL_REPLY_BODY%'),
      },
    ],
  };
}
