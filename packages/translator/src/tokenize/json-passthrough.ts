/**
 * A JSON passthrough for the one-object APIs whose backend speaks the client's own schema
 * (`/tokenize` on vLLM, `/v1/responses/input_tokens` on OpenAI and Azure OpenAI, `/v2/rerank` on
 * Cohere): the body goes upstream byte for byte unless the model is overridden, the response comes
 * back untouched, and usage is read from it.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/tokenize.go
 */
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject, type JsonObject } from '../shared/json.js';
import {
  type ErrorResponse,
  type HeaderChanges,
  noHeaderChanges,
  type ParsedRequest,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
  upstreamModel,
} from '../translator.js';
import type { Usage } from '../usage.js';

/** What differs between the passthrough APIs. */
export interface JsonPassthroughOptions {
  /** The upstream path for the model sent upstream and the client's `:path`. */
  path(model: string, clientPath: string): string;
  /** Throws a user-facing error for a body the API cannot take; optional. */
  validate?(request: ParsedRequest): void;
  /** The usage in a whole 2xx response body, if it reports any. */
  usage(json: JsonObject): Usage | undefined;
  /** The non-2xx upstream response in the client's dialect. */
  error(status: number, body: Uint8Array): ErrorResponse;
}

const jsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});

/** State of one attempt; see {@link createJsonPassthroughTranslator}. */
class JsonPassthroughTranslator implements Translator {
  readonly #options: JsonPassthroughOptions;
  readonly #body = new BodyCollector();
  #usage: Usage | undefined = undefined;
  #model: string | undefined = undefined;

  constructor(options: JsonPassthroughOptions) {
    this.#options = options;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    this.#options.validate?.(request);
    const model = upstreamModel(options);
    this.#model = model;
    const path = this.#options.path(model, options.path);
    if (model === request.model) {
      return { path, headers: noHeaderChanges, body: undefined, model };
    }
    // A shallow copy: the parsed body is shared with retries.
    const body = utf8Encoder.encode(JSON.stringify({ ...request.body, model }));
    return { path, headers: jsonHeaders, body, model };
  }

  responseHeaders(): ResponseHeadersResult {
    return { headers: noHeaderChanges, isStreaming: false };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const whole = this.#body.add(chunk, endOfStream);
    if (whole !== undefined) {
      // A body that is not JSON is forwarded as it is, without usage: the client judges it.
      const json = parseJsonObject(utf8Decoder.decode(whole));
      if (json !== undefined) this.#usage = this.#options.usage(json);
    }
    return { body: undefined, usage: this.#usage, responseModel: this.#model };
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return this.#options.error(status, body);
  }
}

/** Creates a JSON passthrough translator for one attempt. */
export function createJsonPassthroughTranslator(options: JsonPassthroughOptions): Translator {
  return new JsonPassthroughTranslator(options);
}

/** A non-negative integer from a JSON number (Cohere reports floats), else `undefined`. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.floor(value)
    : undefined;
}
