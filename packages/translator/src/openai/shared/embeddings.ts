/**
 * A translator for OpenAI `/v1/embeddings` to a backend with its own embeddings API (Bedrock
 * Titan, Vertex AI `predict`): the backend-specific parts are a path, a body builder and a
 * response reader; input validation, `encoding_format`, buffering, usage and the OpenAI
 * response shape are shared.
 *
 * @see https://platform.openai.com/docs/api-reference/embeddings
 */
import { MalformedRequestError, MalformedResponseError } from '../../errors.js';
import { concatBytes, utf8Decoder, utf8Encoder } from '../../shared/bytes.js';
import { parseJsonObject, type JsonObject } from '../../shared/json.js';
import {
  type ErrorResponse,
  type HeaderChanges,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
  upstreamModel,
} from '../../translator.js';
import type { Usage } from '../../usage.js';
import { optionalInteger, rejectUnsupported } from './chat-request.js';

/** The embedding vectors and token count a backend answered with. */
export interface BackendEmbeddings {
  /** One vector per input, in input order. */
  readonly vectors: readonly (readonly number[])[];
  /** Input tokens the backend counted. */
  readonly tokens: number;
}

/** What a backend contributes to an {@link EmbeddingsTranslator}. */
export interface EmbeddingsBackend {
  /** Display name for error messages. */
  readonly name: string;
  /** Request fields it reads; build with {@link embeddingFields}. */
  readonly supported: ReadonlySet<string>;
  /** The upstream path for the model sent. */
  path(model: string): string;
  /** The upstream body for the validated inputs. */
  body(inputs: readonly string[], request: JsonObject): JsonObject;
  /** Reads the backend's response JSON. */
  read(json: JsonObject): BackendEmbeddings;
  /** Converts a non-2xx response. */
  error(status: number, headers: ReadonlyMap<string, string>, body: Uint8Array): ErrorResponse;
}

/**
 * The fields an embeddings backend accepts: `model`, `input`, `encoding_format`, `user` (not
 * forwarded: it changes no output) and `extra`.
 */
export function embeddingFields(...extra: readonly string[]): ReadonlySet<string> {
  return new Set(['model', 'input', 'encoding_format', 'user', ...extra]);
}
const jsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});
/** The response body is rebuilt: the upstream's `content-length` must go (Envoy 500s on a mismatch). */
const rebuiltJsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze(['content-length']),
});
const empty = new Uint8Array(0);

/** `input` as a list of strings; token arrays are refused (no backend here takes token ids). */
export function embeddingInputs(body: JsonObject): string[] {
  const input = body.input;
  if (typeof input === 'string') {
    return [input];
  }
  if (Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === 'string')) {
    return input;
  }
  throw new MalformedRequestError(
    'field "input" must be a string or a non-empty array of strings (token arrays are not supported by this backend)',
  );
}

/** `dimensions`, validated. */
export function dimensionsOf(body: JsonObject): number | undefined {
  return optionalInteger(body, 'dimensions');
}

/** `encoding_format`: `float` (default) or `base64`. */
function encodingFormatOf(body: JsonObject): 'float' | 'base64' {
  const format = body.encoding_format;
  if (format === undefined || format === null || format === 'float') {
    return 'float';
  }
  if (format === 'base64') {
    return 'base64';
  }
  throw new MalformedRequestError('field "encoding_format" must be "float" or "base64"');
}

/** A vector as OpenAI's base64: little-endian float32 bytes (what the OpenAI SDKs decode). */
function base64Vector(values: readonly number[]): string {
  const floats = new Float32Array(values);
  const bytes = new Uint8Array(floats.buffer);
  const view = new DataView(floats.buffer);
  // Float32Array uses the platform's byte order; OpenAI's is little-endian.
  for (let i = 0; i < values.length; i++) {
    view.setFloat32(i * 4, floats[i] ?? 0, true);
  }
  let binary = '';
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}

/** State of one embeddings attempt. */
class EmbeddingsTranslator implements Translator {
  readonly #backend: EmbeddingsBackend;
  #model = '';
  #format: 'float' | 'base64' = 'float';
  #usage: Usage | undefined = undefined;
  #parts: Uint8Array[] = [];

  constructor(backend: EmbeddingsBackend) {
    this.#backend = backend;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const body = request.body;
    const model = upstreamModel(options);
    rejectUnsupported(body, { supported: this.#backend.supported, backend: this.#backend.name });
    this.#model = model;
    this.#format = encodingFormatOf(body);
    const upstream = this.#backend.body(embeddingInputs(body), body);
    return {
      path: this.#backend.path(model),
      headers: jsonHeaders,
      body: utf8Encoder.encode(JSON.stringify(upstream)),
      model,
    };
  }

  responseHeaders(): ResponseHeadersResult {
    return { headers: rebuiltJsonHeaders, isStreaming: false };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (!endOfStream) {
      this.#parts.push(chunk.slice());
      return { body: empty, usage: this.#usage, responseModel: this.#model };
    }
    const json = parseJsonObject(utf8Decoder.decode(concatBytes([...this.#parts, chunk])));
    this.#parts = [];
    if (json === undefined) {
      throw new MalformedResponseError(
        `${this.#backend.name} embeddings response is not a JSON object`,
      );
    }
    const { vectors, tokens } = this.#backend.read(json);
    this.#usage = {
      inputTokens: tokens,
      outputTokens: 0,
      totalTokens: tokens,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    };
    const out = {
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: this.#format === 'base64' ? base64Vector(vector) : vector,
      })),
      model: this.#model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
    return {
      body: utf8Encoder.encode(JSON.stringify(out)),
      usage: this.#usage,
      responseModel: this.#model,
    };
  }

  responseError(
    status: number,
    headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return this.#backend.error(status, headers, body);
  }
}

/** Creates an embeddings translator for one attempt against `backend`. */
export function createEmbeddingsTranslator(backend: EmbeddingsBackend): Translator {
  return new EmbeddingsTranslator(backend);
}
