/**
 * Provider errors in the Anthropic family (Anthropic, Vertex AI, Bedrock) converted to either
 * client dialect, for whole responses and for `error` events in the middle of a stream.
 */
import { errorBody, errorTypeForStatus } from '../error-body.js';
import { truncatedText, utf8Decoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import type { ErrorResponse } from '../translator.js';

const maxErrorMessageBytes = 1024;

/** What an upstream error body says, whatever its shape. */
export interface ProviderError {
  /** Provider error type (`error.type` of Anthropic/OpenAI bodies), when it names one. */
  readonly type: string | undefined;
  /** Human-readable message. */
  readonly message: string;
}

/** Whether a parsed body is an Anthropic error (`{"type":"error","error":{"type","message"}}`). */
export function isAnthropicErrorJson(json: JsonObject | undefined): boolean {
  return (
    json !== undefined &&
    json.type === 'error' &&
    isJsonObject(json.error) &&
    typeof json.error.type === 'string' &&
    typeof json.error.message === 'string'
  );
}

/** The message and type of an `{"error":{...}}` or Bedrock `{"message":...}` body. */
function fromJson(json: JsonObject): ProviderError | undefined {
  const error = json.error;
  if (isJsonObject(error) && typeof error.message === 'string') {
    const type = typeof error.type === 'string' ? error.type : undefined;
    return { type, message: error.message };
  }
  if (typeof error === 'string') {
    return { type: undefined, message: error };
  }
  const message = json.message ?? json.Message;
  return typeof message === 'string' ? { type: undefined, message } : undefined;
}

/**
 * Reads an upstream error body: Anthropic, OpenAI and Vertex `{"error":{"message"}}`, Bedrock
 * `{"message"}`, or any text (up to 1 KiB).
 */
export function readProviderError(status: number, body: Uint8Array): ProviderError {
  const json = parseJsonObject(utf8Decoder.decode(body));
  const parsed = json === undefined ? undefined : fromJson(json);
  if (parsed !== undefined) {
    return parsed;
  }
  const { text, isTruncated } = truncatedText(body, maxErrorMessageBytes);
  const message =
    text.trim() === ''
      ? `upstream responded with status ${status}`
      : `${text}${isTruncated ? ' (truncated)' : ''}`;
  return { type: undefined, message };
}

/** Anthropic error types with no OpenAI twin. */
const openAITypeByAnthropicType: ReadonlyMap<string, string> = new Map([
  ['api_error', 'server_error'],
  ['overloaded_error', 'server_error'],
  ['request_too_large', 'invalid_request_error'],
]);

/** An Anthropic (or unknown) error type in OpenAI terms. */
export function openAIErrorType(type: string | undefined, status: number): string {
  if (type === undefined) {
    return errorTypeForStatus('openai', status);
  }
  return openAITypeByAnthropicType.get(type) ?? type;
}

/** Converts any Anthropic-family upstream error into an OpenAI error response. */
export function openAIErrorFromProvider(status: number, body: Uint8Array): ErrorResponse {
  const { type, message } = readProviderError(status, body);
  return errorBody({ dialect: 'openai', status, message, type: openAIErrorType(type, status) });
}

/**
 * Converts an upstream error into an Anthropic error response: an Anthropic-shaped body passes
 * through byte for byte, anything else is rewrapped.
 */
export function anthropicErrorFromProvider(status: number, body: Uint8Array): ErrorResponse {
  const json = parseJsonObject(utf8Decoder.decode(body));
  if (isAnthropicErrorJson(json)) {
    return { status, contentType: 'application/json', body };
  }
  const { message } = readProviderError(status, body);
  return errorBody({ dialect: 'anthropic', status, message });
}

/** Bedrock `:exception-type` values and the HTTP status they stand for. */
const statusByBedrockException: ReadonlyMap<string, number> = new Map([
  ['validationException', 400],
  ['accessDeniedException', 403],
  ['resourceNotFoundException', 404],
  ['throttlingException', 429],
  ['serviceQuotaExceededException', 429],
  ['modelTimeoutException', 408],
  ['modelNotReadyException', 503],
  ['serviceUnavailableException', 503],
  ['internalServerException', 500],
  ['modelStreamErrorException', 500],
]);

/** The Anthropic `error` stream event equivalent to a Bedrock eventstream exception. */
export function anthropicErrorEventFromBedrock(exceptionType: string, payload: string): JsonObject {
  const json = parseJsonObject(payload);
  const message = json === undefined ? payload : (fromJson(json)?.message ?? payload);
  const status = statusByBedrockException.get(exceptionType) ?? 500;
  return {
    type: 'error',
    error: {
      type: errorTypeForStatus('anthropic', status),
      message: `${exceptionType}: ${message}`,
    },
  };
}
