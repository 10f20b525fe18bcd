/**
 * Cohere → Cohere rerank (`POST /cohere/v2/rerank` → `/{version}/rerank`, version `v2` unless the
 * schema says otherwise): a passthrough with the model override. Usage comes from the response's
 * `meta.tokens` (`input_tokens`, `output_tokens`; Cohere sends floats) or, when that is absent,
 * `meta.billed_units`; rerank responses do not name the model, so the one sent is reported.
 * Errors are Cohere's `{"message"}`: a Cohere error passes through, anything else is wrapped.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/cohere_rerank_v2.go
 * @see https://docs.cohere.com/reference/rerank
 */
import { errorBody } from '../error-body.js';
import { MalformedRequestError } from '../errors.js';
import { truncatedText, utf8Decoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { createJsonPassthroughTranslator, tokenCount } from '../tokenize/json-passthrough.js';
import type { BackendSchema, ErrorResponse, ParsedRequest, Translator } from '../translator.js';
import type { Usage } from '../usage.js';

/** Input of {@link createCohereToCohereRerankTranslator}. */
export interface CohereToCohereRerankTranslatorOptions {
  /** The backend schema; `version` is the path's API version (default `v2`). */
  readonly schema: BackendSchema;
}

const maxErrorMessageBytes = 1024;

/** `/{version}/rerank`, slashes around the version tolerated. */
export function cohereRerankPath(version: string | undefined): string {
  const trimmed = (version ?? '').replace(/^\/+|\/+$/g, '');
  return `/${trimmed === '' ? 'v2' : trimmed}/rerank`;
}

/** Checks what Cohere requires: a `query` string and a `documents` array. */
function validateRerankRequest(request: ParsedRequest): void {
  const { query, documents, top_n: topN } = request.body;
  if (typeof query !== 'string') {
    throw new MalformedRequestError('field "query" is required and must be a string');
  }
  if (!Array.isArray(documents)) {
    throw new MalformedRequestError('field "documents" is required and must be an array');
  }
  if (topN !== undefined && (typeof topN !== 'number' || !Number.isInteger(topN) || topN < 1)) {
    throw new MalformedRequestError('field "top_n" must be a positive integer');
  }
}

/** The usage in a rerank response's `meta`. */
export function rerankUsage(json: JsonObject): Usage | undefined {
  const meta = json.meta;
  if (!isJsonObject(meta)) return undefined;
  const counts = isJsonObject(meta.tokens)
    ? meta.tokens
    : isJsonObject(meta.billed_units)
      ? meta.billed_units
      : undefined;
  if (counts === undefined) return undefined;
  const input = tokenCount(counts.input_tokens);
  const output = tokenCount(counts.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  return {
    inputTokens: input ?? 0,
    outputTokens: output ?? 0,
    totalTokens: (input ?? 0) + (output ?? 0),
    cachedInputTokens: 0,
    reasoningTokens: 0,
  };
}

/** A Cohere error (`{"message": …}`) passes through; anything else becomes one. */
export function cohereErrorResponse(status: number, body: Uint8Array): ErrorResponse {
  const json = parseJsonObject(utf8Decoder.decode(body));
  if (json !== undefined && typeof json.message === 'string') {
    return { status, contentType: 'application/json', body };
  }
  const { text, isTruncated } = truncatedText(body, maxErrorMessageBytes);
  const message =
    text.trim() === ''
      ? `upstream responded with status ${String(status)}`
      : `${text}${isTruncated ? ' (truncated)' : ''}`;
  return errorBody({ dialect: 'cohere', status, message });
}

/** Creates the Cohere rerank translator for one attempt. */
export function createCohereToCohereRerankTranslator(
  options: CohereToCohereRerankTranslatorOptions,
): Translator {
  const path = cohereRerankPath(options.schema.version);
  return createJsonPassthroughTranslator({
    path: () => path,
    validate: validateRerankRequest,
    usage: rerankUsage,
    error: cohereErrorResponse,
  });
}
