/** Parses a client body once, at the router level; translators reuse the result on every retry. */
import { MalformedRequestError } from './errors.js';
import { parseFormRequest } from './audio/parse-form.js';
import { utf8Decoder } from './shared/bytes.js';
import { isJsonObject } from './shared/json.js';
import { isGeminiEndpoint, parseGeminiPath } from './gemini/path.js';
import type { Endpoint, ParsedRequest } from './translator.js';

/** `JSON.parse` of the body, as an object, or a {@link MalformedRequestError}. */
function parseBody(raw: Uint8Array): Readonly<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decoder.decode(raw));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new MalformedRequestError(`request body is not valid JSON: ${detail}`, { cause: err });
  }
  if (!isJsonObject(value)) {
    throw new MalformedRequestError('request body must be a JSON object');
  }
  return value;
}

/** The `model` field: a non-empty string. */
function modelOf(body: Readonly<Record<string, unknown>>): string {
  const model = body.model;
  if (model === undefined || model === null) {
    throw new MalformedRequestError('missing required field "model"');
  }
  if (typeof model !== 'string') {
    throw new MalformedRequestError('field "model" must be a string');
  }
  if (model === '') {
    throw new MalformedRequestError('field "model" must not be empty');
  }
  return model;
}

/** Token counts, tokenize and rerank answer one JSON object: their APIs have no `stream`. */
function isCountOrRank(endpoint: Endpoint): boolean {
  return endpoint === 'responses-input-tokens' || endpoint === 'tokenize' || endpoint === 'rerank';
}

/** The `stream` field: absent or `null` mean false (the OpenAI schema allows null). */
function streamOf(endpoint: Endpoint, body: Readonly<Record<string, unknown>>): boolean {
  if (endpoint === 'embeddings' || endpoint === 'count-tokens' || isCountOrRank(endpoint)) {
    return false;
  }
  // Speech streams as SSE with `stream_format: "sse"` (it has no `stream` field).
  if (endpoint === 'audio-speech') {
    return body.stream_format === 'sse';
  }
  const stream = body.stream;
  if (stream === undefined || stream === null) {
    return false;
  }
  if (typeof stream !== 'boolean') {
    throw new MalformedRequestError('field "stream" must be a boolean');
  }
  return stream;
}

/** Optional input of {@link parseRequest}. */
export interface ParseRequestOptions {
  /**
   * The request's content-type; required for the `multipart/form-data` endpoints (audio
   * transcriptions and translations: the boundary is in it), ignored for JSON ones.
   */
  readonly contentType?: string | undefined;
  /**
   * The request `:path`: where the Gemini endpoints take the model and the streaming choice from
   * (`…/models/{model}:streamGenerateContent`); other endpoints ignore it.
   */
  readonly path?: string | undefined;
}

/**
 * Parses and validates a client body: throws {@link MalformedRequestError} (400) for invalid JSON,
 * a non-object body, a missing/empty/non-string `model`, or a non-boolean `stream`. Embeddings:
 * `stream` is always false (the field is not part of that API and is not validated). Audio
 * speech: `stream` is `stream_format: "sse"`. Audio transcriptions and translations are
 * `multipart/form-data` (see `parseFormRequest`: the text fields become `body`).
 */
export function parseRequest(
  endpoint: Endpoint,
  raw: Uint8Array,
  options: ParseRequestOptions = {},
): ParsedRequest {
  if (endpoint === 'audio-transcriptions' || endpoint === 'audio-translations') {
    return parseFormRequest({ endpoint, raw, contentType: options.contentType });
  }
  if (isGeminiEndpoint(endpoint)) return parseGeminiRequest(endpoint, raw, options.path ?? '');
  const body = parseBody(raw);
  return { endpoint, raw, body, model: modelOf(body), stream: streamOf(endpoint, body) };
}

/**
 * A Gemini request: the model and streaming come from the path, not the body (a `model` field in
 * it, if any, is ignored, as Google does); the body must be a JSON object.
 */
function parseGeminiRequest(endpoint: Endpoint, raw: Uint8Array, path: string): ParsedRequest {
  const gemini = parseGeminiPath(path);
  if (gemini === undefined) {
    throw new MalformedRequestError(`not a Gemini model path: ${path.split('?')[0] ?? path}`);
  }
  const body = parseBody(raw);
  return {
    endpoint,
    raw,
    body,
    model: gemini.model,
    stream: gemini.method === 'streamGenerateContent',
  };
}
