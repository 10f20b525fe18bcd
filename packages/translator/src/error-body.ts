/** Error bodies in each client dialect. */
import { googleErrorJson } from './gemini/error.js';
import { utf8Encoder } from './shared/bytes.js';
import type { Dialect, ErrorResponse } from './translator.js';

/** OpenAI `error.type` values the gateway produces. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error';

/**
 * Anthropic `error.type` values.
 *
 * @see https://docs.anthropic.com/en/api/errors
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/** Input of {@link errorBody}. */
export interface ErrorBodyOptions {
  /** The client's dialect. */
  readonly dialect: Dialect;
  /** HTTP status, also used to derive the default `type`. */
  readonly status: number;
  /** Human-readable message (already sanitised by the caller). */
  readonly message: string;
  /** Error type; defaults to {@link errorTypeForStatus}. */
  readonly type?: string | undefined;
  /** OpenAI `error.code` (ignored for Anthropic); defaults to `null`. */
  readonly code?: string | undefined;
}

const jsonContentType = 'application/json';

/** Statuses whose error type is not the default for their class (4xx / 5xx). */
const openAITypeByStatus: ReadonlyMap<number, OpenAIErrorType> = new Map([
  [401, 'authentication_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [429, 'rate_limit_error'],
]);

/** As {@link openAITypeByStatus}, for Anthropic. */
const anthropicTypeByStatus: ReadonlyMap<number, AnthropicErrorType> = new Map([
  [401, 'authentication_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [413, 'request_too_large'],
  [429, 'rate_limit_error'],
  [503, 'overloaded_error'],
  [529, 'overloaded_error'],
]);

/**
 * The default error type for an HTTP status in a dialect: the specific type where one exists
 * (401, 403, 404, 429; Anthropic also 413, 503, 529), else `invalid_request_error` for 4xx and
 * `server_error` (OpenAI) / `api_error` (Anthropic) for anything else.
 */
export function errorTypeForStatus(
  dialect: Dialect,
  status: number,
): OpenAIErrorType | AnthropicErrorType {
  const isClientError = status >= 400 && status < 500;
  if (dialect === 'anthropic') {
    return (
      anthropicTypeByStatus.get(status) ?? (isClientError ? 'invalid_request_error' : 'api_error')
    );
  }
  return (
    openAITypeByStatus.get(status) ?? (isClientError ? 'invalid_request_error' : 'server_error')
  );
}

/**
 * Builds an error response body in the client's dialect:
 * OpenAI `{"error":{"message","type","param":null,"code"}}`, Anthropic
 * `{"type":"error","error":{"type","message"}}`, Cohere `{"message"}`, Gemini (Google)
 * `{"error":{"code","message","status"}}` (`type` there: a gRPC status name, else the status's).
 */
export function errorBody(options: ErrorBodyOptions): ErrorResponse {
  const { dialect, status, message } = options;
  const type = options.type ?? errorTypeForStatus(dialect, status);
  const payload =
    dialect === 'gemini'
      ? googleErrorJson({ status, message, statusName: options.type })
      : dialect === 'cohere'
        ? { message } // Cohere's v2 error body: the status carries the kind
        : dialect === 'anthropic'
          ? { type: 'error', error: { type, message } }
          : { error: { message, type, param: null, code: options.code ?? null } };
  return {
    status,
    contentType: jsonContentType,
    body: utf8Encoder.encode(JSON.stringify(payload)),
  };
}
