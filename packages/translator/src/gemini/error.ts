/**
 * Errors in Google's format, `{"error":{"code","message","status"}}` (`code` the HTTP status,
 * `status` the gRPC status name), as the Gemini API answers and Google's SDKs read them.
 *
 * @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 * @see https://cloud.google.com/apis/design/errors#http_mapping
 */
import { truncatedText, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject } from '../shared/json.js';
import type { ErrorResponse } from '../translator.js';

/** gRPC status names by HTTP status (Google's HTTP mapping). */
const statusNames: ReadonlyMap<number, string> = new Map([
  [400, 'INVALID_ARGUMENT'],
  [401, 'UNAUTHENTICATED'],
  [403, 'PERMISSION_DENIED'],
  [404, 'NOT_FOUND'],
  [409, 'ABORTED'],
  [413, 'INVALID_ARGUMENT'],
  [422, 'INVALID_ARGUMENT'],
  [429, 'RESOURCE_EXHAUSTED'],
  [499, 'CANCELLED'],
  [500, 'INTERNAL'],
  [501, 'UNIMPLEMENTED'],
  [502, 'UNAVAILABLE'],
  [503, 'UNAVAILABLE'],
  [504, 'DEADLINE_EXCEEDED'],
  [529, 'UNAVAILABLE'],
]);

/** The gRPC status name Google uses for an HTTP status. */
export function googleStatusName(status: number): string {
  return (
    statusNames.get(status) ??
    (status >= 400 && status < 500 ? 'FAILED_PRECONDITION' : status >= 500 ? 'INTERNAL' : 'UNKNOWN')
  );
}

const googleStatusPattern = /^[A-Z][A-Z_]+$/;

/** The `{"error":{…}}` object of a Google error; `status` defaults to {@link googleStatusName}. */
export function googleErrorJson(options: {
  readonly status: number;
  readonly message: string;
  readonly statusName?: string | undefined;
}): { error: { code: number; message: string; status: string } } {
  const { status, message, statusName } = options;
  const name =
    statusName !== undefined && googleStatusPattern.test(statusName)
      ? statusName
      : googleStatusName(status);
  return { error: { code: status, message, status: name } };
}

/** A whole error response in Google's format. */
export function googleErrorResponse(status: number, message: string): ErrorResponse {
  return {
    status,
    contentType: 'application/json',
    body: utf8Encoder.encode(JSON.stringify(googleErrorJson({ status, message }))),
  };
}

const maxErrorMessageBytes = 1024;

/** The `error` object of a body (an object, or a one-element array of one, as streams answer). */
function errorObject(body: Uint8Array): Record<string, unknown> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(body));
  } catch {
    return undefined;
  }
  const first: unknown = Array.isArray(json) ? json[0] : json;
  if (!isJsonObject(first)) return undefined;
  if (isJsonObject(first.error)) return first.error;
  // Cohere-style `{"message"}` and similar flat bodies.
  return typeof first.message === 'string' ? first : undefined;
}

/**
 * Any provider's error body in Google's format: a Google error (object or one-element array)
 * keeps its message and status name; an OpenAI or Anthropic error keeps its message; anything
 * else becomes its (truncated) text. The HTTP status is the provider's.
 */
export function googleErrorFromProvider(
  status: number,
  body: Uint8Array,
  provider: string,
): ErrorResponse {
  const error = errorObject(body);
  if (error !== undefined && typeof error.message === 'string') {
    const statusName = typeof error.status === 'string' ? error.status : undefined;
    const json = googleErrorJson({ status, message: error.message, statusName });
    return {
      status,
      contentType: 'application/json',
      body: utf8Encoder.encode(JSON.stringify(json)),
    };
  }
  const text = truncatedText(body, maxErrorMessageBytes).text.trim();
  return googleErrorResponse(
    status,
    text === '' ? `${provider} responded with status ${String(status)}` : text,
  );
}

/**
 * An error inside a Gemini stream: the bare error JSON on its own line, not an SSE `data:` frame.
 * That is what Google's SDKs recognise mid-stream (`@google/genai` raises an `ApiError` for a
 * chunk that parses as `{"error":…}`, and refuses a stream that ends in text no `data:` line
 * matched), so a client never takes a failed or cut stream for a finished one.
 */
export function geminiStreamErrorFrame(options: {
  readonly status: number;
  readonly message: string;
  readonly statusName?: string | undefined;
}): string {
  return `${JSON.stringify(googleErrorJson(options))}\n`;
}
