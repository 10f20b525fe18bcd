/**
 * OpenAI chat completions → GCP Vertex AI Gemini `generateContent` and
 * `streamGenerateContent?alt=sse` (re-emitted as OpenAI `chat.completion.chunk` SSE).
 *
 * Path: `/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:{method}`
 * when `CreateTranslatorOptions.gcp` names the location; without it, the location-less
 * `/v1/publishers/google/models/{model}:{method}` (Vertex AI express mode, API-key auth).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_gcpvertexai.go
 */
import { MalformedResponseError } from '../errors.js';
import { errorBody } from '../error-body.js';
import { BodyCollector, truncatedText, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject } from '../shared/json.js';
import { SseParser } from '../shared/sse.js';
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
import { toGenerateContentRequest } from './gcpvertexai-request.js';
import { fromGenerateContentResponse, GeminiStreamConverter } from './gcpvertexai-response.js';
import { includesUsage } from './shared/chat-request.js';
import { sseDone, unixSeconds } from './shared/chat-response.js';
import { vertexGeminiPath } from '../gemini/gcpvertexai.js';

/** Input of {@link createOpenAIToGcpVertexAiTranslator}. */
export interface OpenAIToGcpVertexAiTranslatorOptions {
  /** The backend schema (`GCPVertexAI`; version and prefix unused). */
  readonly schema: BackendSchema;
  /** Project and region; absent → the location-less express-mode path. */
  readonly gcp?: GcpLocation | undefined;
  /** Clock for `created` when Gemini sends no `createTime` (ms since the epoch); defaults to `Date.now`. */
  readonly now?: () => number;
  /** Response id when the provider names none; defaults to `chatcmpl-<random UUID>`. */
  readonly newId?: () => string;
}

const jsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});
const sseHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'text/event-stream'] as const)]),
  remove: Object.freeze(['content-length']),
});
/**
 * A JSON response is rebuilt, so the upstream's `content-length` is wrong: without removing it,
 * Envoy refuses the longer or shorter replacement body and answers 500.
 */
const rebuiltJsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze(['content-length']),
});
const empty = new Uint8Array(0);

/** `chatcmpl-<random UUID>`, like OpenAI's ids. */
function randomId(): string {
  return `chatcmpl-${globalThis.crypto.randomUUID()}`;
}
const maxErrorMessageBytes = 1024;

/** The Vertex AI path for a Gemini model method. */
export function gcpVertexAiPath(options: {
  readonly gcp: GcpLocation | undefined;
  readonly model: string;
  readonly isStream: boolean;
}): string {
  const { gcp, model, isStream } = options;
  return vertexGeminiPath({
    gcp,
    model,
    method: isStream ? 'streamGenerateContent' : 'generateContent',
  });
}

/** The `error` object of a Vertex AI error body (an object, or a one-element array of one). */
function vertexError(body: Uint8Array): Record<string, unknown> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decoder.decode(body));
  } catch {
    return undefined;
  }
  const first: unknown = Array.isArray(json) ? json[0] : json;
  return isJsonObject(first) && isJsonObject(first.error) ? first.error : undefined;
}

/**
 * Converts a Vertex AI error (`{"error":{"code","message","status","details"}}`, or a
 * one-element array of it, as streaming calls answer) to an OpenAI error: `type` is the gRPC
 * status name, `code` the HTTP code; anything else is wrapped with its text as the message.
 */
export function gcpErrorResponse(status: number, body: Uint8Array): ErrorResponse {
  const error = vertexError(body);
  if (error !== undefined && typeof error.message === 'string') {
    const details =
      Array.isArray(error.details) && error.details.length > 0 ? error.details : undefined;
    return errorBody({
      dialect: 'openai',
      status,
      message:
        details === undefined
          ? error.message
          : `${error.message} (details: ${JSON.stringify(details)})`,
      type: typeof error.status === 'string' ? error.status : undefined,
      code: typeof error.code === 'number' ? String(error.code) : undefined,
    });
  }
  const message = truncatedText(body, maxErrorMessageBytes).text;
  return errorBody({
    dialect: 'openai',
    status,
    message: message.trim() === '' ? `GCP Vertex AI responded with status ${status}` : message,
  });
}

/** Whether a content-type is `text/event-stream`. */
function isEventStream(contentType: string | undefined): boolean {
  return contentType?.trim().toLowerCase().startsWith('text/event-stream') === true;
}

/** State of one request attempt; see {@link createOpenAIToGcpVertexAiTranslator}. */
class OpenAIToGcpVertexAiTranslator implements Translator {
  readonly #gcp: GcpLocation | undefined;
  readonly #now: () => number;
  readonly #newId: () => string;
  #model = '';
  #responseModel: string | undefined = undefined;
  #isStreamRequested = false;
  #includeUsage = false;
  #isStreaming: boolean | undefined = undefined;
  #usage: Usage | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;
  #converter: GeminiStreamConverter | undefined = undefined;

  constructor(options: OpenAIToGcpVertexAiTranslatorOptions) {
    this.#gcp = options.gcp;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomId;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    this.#model = model;
    this.#isStreamRequested = request.stream;
    this.#includeUsage = includesUsage(request.body);
    const gemini = toGenerateContentRequest(request.body, model);
    return {
      path: gcpVertexAiPath({ gcp: this.#gcp, model, isStream: request.stream }),
      headers: jsonHeaders,
      body: utf8Encoder.encode(JSON.stringify(gemini)),
      model,
    };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const isStreaming = isEventStream(headers.get('content-type'));
    this.#isStreaming = isStreaming;
    return { headers: isStreaming ? sseHeaders : rebuiltJsonHeaders, isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) {
      return this.#streamed(chunk, endOfStream);
    }
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(empty);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      throw new MalformedResponseError('GCP Vertex AI response body is not a JSON object');
    }
    const converted = fromGenerateContentResponse(json, this.#context());
    this.#usage = converted.usage;
    this.#responseModel = converted.model;
    return this.#result(utf8Encoder.encode(JSON.stringify(converted.body)));
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return gcpErrorResponse(status, body);
  }

  #context(): { id: string; model: string; created: number } {
    return {
      id: this.#newId(),
      model: this.#model,
      created: unixSeconds(this.#now()),
    };
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const converter = (this.#converter ??= new GeminiStreamConverter({
      ...this.#context(),
      includeUsage: this.#includeUsage,
    }));
    const frames = sse.feed(chunk);
    if (endOfStream) {
      const last = sse.end();
      if (last !== undefined) {
        frames.push(last);
      }
    }
    let out = '';
    for (const frame of frames) {
      const json = frame.data === undefined ? undefined : parseJsonObject(frame.data);
      if (json !== undefined) {
        out += converter.convert(json);
      }
    }
    this.#usage = converter.usage;
    this.#responseModel = converter.model;
    if (endOfStream) {
      // The usage chunk and `[DONE]` after a `finishReason` or an error frame (as before); a
      // stream cut before either gets one truncation error frame instead, and no `[DONE]`.
      out += converter.integrity.isOpen
        ? converter.integrity.end('openai')
        : converter.finish() + sseDone;
    }
    return this.#result(out === '' ? empty : utf8Encoder.encode(out));
  }

  #result(body: Uint8Array): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel ?? this.#model };
  }
}

/**
 * Creates the OpenAI → GCP Vertex AI Gemini translator for one request attempt (chat
 * completions). Request fields Gemini cannot honour are refused with a 400.
 */
export function createOpenAIToGcpVertexAiTranslator(
  options: OpenAIToGcpVertexAiTranslatorOptions,
): Translator {
  return new OpenAIToGcpVertexAiTranslator(options);
}
