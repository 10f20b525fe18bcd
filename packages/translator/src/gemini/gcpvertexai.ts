/**
 * Gemini (Google's native API) → GCP Vertex AI Gemini: a near passthrough. The client's body is
 * sent unchanged to the Vertex AI method the client's path names —
 * `publishers/google/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` or
 * `:countTokens` — under the same project/location path the OpenAI → Vertex AI translator uses
 * (location-less, express mode, without one). Responses pass through; usage is read from
 * `usageMetadata` (cached and thought tokens included) and a stream cut before its `finishReason`
 * gets one error in Google's stream format.
 *
 * The Gemini API and Vertex AI share the `GenerateContentRequest` / `GenerateContentResponse`
 * schema; only `countTokens` differs (the Gemini API may wrap the request in
 * `generateContentRequest`, which Vertex AI takes unwrapped).
 */
import { MalformedResponseError } from '../errors.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { isEventStream, SseParser } from '../shared/sse.js';
import { appendFrame, StreamIntegrity, truncatedStreamFrame } from '../shared/stream-integrity.js';
import {
  type BackendSchema,
  type ErrorResponse,
  type GcpLocation,
  type HeaderChanges,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
  upstreamModel,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { usageFromGemini } from '../openai/gcpvertexai-response.js';
import { escapePathSegment } from '../openai/shared/path-segment.js';
import { googleErrorFromProvider } from './error.js';
import type { GeminiMethod } from './path.js';

/** Input of {@link createGeminiToGcpVertexAiTranslator}. */
export interface GeminiToGcpVertexAiTranslatorOptions {
  /** The backend schema (`GCPVertexAI`; version and prefix unused). */
  readonly schema: BackendSchema;
  /** Project and region; absent → the location-less express-mode path. */
  readonly gcp?: GcpLocation | undefined;
}

/** The Vertex AI path of a Gemini model method (streams always as SSE). */
export function vertexGeminiPath(options: {
  readonly gcp: GcpLocation | undefined;
  readonly model: string;
  readonly method: GeminiMethod;
}): string {
  const { gcp, model, method } = options;
  const location =
    gcp === undefined
      ? ''
      : `/projects/${escapePathSegment(gcp.project)}/locations/${escapePathSegment(gcp.region)}`;
  const suffix = method === 'streamGenerateContent' ? 'streamGenerateContent?alt=sse' : method;
  return `/v1${location}/publishers/google/models/${escapePathSegment(model)}:${suffix}`;
}

/** The Gemini method of a parsed Gemini request. */
export function geminiMethodOf(request: TranslateRequestOptions['request']): GeminiMethod {
  if (request.endpoint === 'gemini-count-tokens') return 'countTokens';
  return request.stream ? 'streamGenerateContent' : 'generateContent';
}

/** The client's Google API key is the client's, never the provider's: the backend's auth is set. */
const requestHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze(['x-goog-api-key']),
});
const countTokensHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze(['x-goog-api-key']),
});
const passthroughHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze([]),
});
const empty = new Uint8Array(0);

/** The countTokens body Vertex AI takes: the Gemini API's `generateContentRequest` unwrapped. */
function countTokensBody(body: Readonly<JsonObject>): JsonObject | undefined {
  const wrapped = body.generateContentRequest;
  if (!isJsonObject(wrapped)) return undefined;
  return Object.fromEntries(Object.entries(wrapped).filter(([key]) => key !== 'model'));
}

/** State of one request attempt; see {@link createGeminiToGcpVertexAiTranslator}. */
class GeminiToGcpVertexAiTranslator implements Translator {
  readonly #gcp: GcpLocation | undefined;
  #model = '';
  #method: GeminiMethod = 'generateContent';
  #isStreaming = false;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;
  readonly #integrity = new StreamIntegrity();

  constructor(options: GeminiToGcpVertexAiTranslatorOptions) {
    this.#gcp = options.gcp;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    this.#model = model;
    this.#method = geminiMethodOf(request);
    this.#isStreaming = this.#method === 'streamGenerateContent';
    const path = vertexGeminiPath({ gcp: this.#gcp, model, method: this.#method });
    const unwrapped = this.#method === 'countTokens' ? countTokensBody(request.body) : undefined;
    if (unwrapped !== undefined) {
      const body = utf8Encoder.encode(JSON.stringify(unwrapped));
      return { path, headers: countTokensHeaders, body, model };
    }
    return { path, headers: requestHeaders, body: undefined, model };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const contentType = headers.get('content-type');
    this.#isStreaming = contentType === undefined ? this.#isStreaming : isEventStream(contentType);
    return { headers: passthroughHeaders, isStreaming: this.#isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming) return this.#streamed(chunk, endOfStream);
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(empty);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      throw new MalformedResponseError('GCP Vertex AI response body is not a JSON object');
    }
    this.#note(json);
    return this.#result(whole);
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    const error = googleErrorFromProvider(status, body, 'GCP Vertex AI');
    // Already Google's format (an object, not the array streams answer with): the same bytes.
    return utf8Decoder.decode(error.body) === utf8Decoder.decode(body).trim()
      ? { ...error, body }
      : error;
  }

  /** Usage and model of one response (or stream frame); a countTokens answer has no usage. */
  #note(json: JsonObject): void {
    if (this.#method !== 'countTokens') {
      this.#usage = usageFromGemini(json.usageMetadata) ?? this.#usage;
    }
    if (typeof json.modelVersion === 'string') this.#responseModel = json.modelVersion;
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const frames = sse.feed(chunk);
    const isMidFrame = sse.frameStart !== undefined;
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) frames.push(last);
    for (const frame of frames) {
      const json = frame.data === undefined ? undefined : parseJsonObject(frame.data);
      if (json === undefined) continue;
      if (isJsonObject(json.error)) {
        this.#integrity.fail();
        continue;
      }
      this.#note(json);
      const candidates = Array.isArray(json.candidates) ? json.candidates : [];
      if (candidates.some((c) => isJsonObject(c) && typeof c.finishReason === 'string')) {
        this.#integrity.finish();
      }
    }
    if (endOfStream && this.#integrity.isOpen) {
      this.#integrity.end('gemini');
      const frame = truncatedStreamFrame('gemini');
      return this.#result(appendFrame(chunk, { frame, isMidFrame }));
    }
    return this.#result(undefined);
  }

  #result(body: Uint8Array | undefined): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel ?? this.#model };
  }
}

/**
 * Creates the Gemini → GCP Vertex AI translator for one request attempt (`generateContent`,
 * streamed or not, and `countTokens`).
 */
export function createGeminiToGcpVertexAiTranslator(
  options: GeminiToGcpVertexAiTranslatorOptions,
): Translator {
  return new GeminiToGcpVertexAiTranslator(options);
}
