/**
 * OpenAI → OpenAI: passthrough for chat completions, completions and embeddings, with the model
 * name override, the backend's path prefix, and token usage read from the response without
 * re-serialising it.
 *
 * Streaming usage: OpenAI reports usage in a stream only when the client asks for it with
 * `stream_options.include_usage`. The gateway needs usage for every request (rate limits, costs),
 * so when the client did not ask, the translator asks on its behalf and removes the extra
 * usage-only chunk (`choices: []`, `usage` set) before the client sees it, so clients get exactly
 * the stream they asked for.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_openai.go
 */
import { errorBody } from '../error-body.js';
import { BodyCollector, truncatedText, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { hasUsageObject, usageFromOpenAI } from '../shared/openai-usage.js';
import { prefixedPath, queryOf } from '../shared/path.js';
import { SseSplicer } from '../shared/sse-splicer.js';
import { isEventStream, SseParser, type SseFrame } from '../shared/sse.js';
import {
  appendFrame,
  mayEndOpenAIStream,
  noteOpenAIChunk,
  StreamIntegrity,
} from '../shared/stream-integrity.js';
import {
  type BackendSchema,
  type Endpoint,
  type ErrorResponse,
  type HeaderChanges,
  noHeaderChanges,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
  upstreamModel,
} from '../translator.js';
import type { Usage } from '../usage.js';

/** The endpoints an OpenAI backend serves through {@link createOpenAIToOpenAITranslator}. */
export type OpenAIEndpoint = Extract<Endpoint, 'chat-completions' | 'completions' | 'embeddings'>;

/** Input of {@link createOpenAIToOpenAITranslator}. */
export interface OpenAIToOpenAITranslatorOptions {
  /** The ingress endpoint (also the upstream one). */
  readonly endpoint: OpenAIEndpoint;
  /** The backend schema; `prefix` (default `v1`) is put before the endpoint path. */
  readonly schema: BackendSchema;
  /**
   * Builds the upstream path from the model sent upstream, replacing the prefix rule and the
   * client's query string (Azure OpenAI puts the deployment in the path).
   */
  readonly upstreamPath?: ((model: string) => string) | undefined;
}

const pathSuffix: Readonly<Record<OpenAIEndpoint, string>> = {
  'chat-completions': '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

const defaultPrefix = 'v1';
const maxErrorMessageBytes = 1024;
const contentTypeJson: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});
// With frames removed the body length changes; SSE responses rarely carry one, but if they do it
// must go (Envoy then streams the body chunked).
const removeContentLength: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze(['content-length']),
});
const noFrames: readonly SseFrame[] = [];

/** Whether the client already asked for streamed usage with `stream_options.include_usage: true`. */
function includesUsage(streamOptions: unknown): boolean {
  return isJsonObject(streamOptions) && streamOptions.include_usage === true;
}

/** The final streamed chunk `include_usage` adds: no choices, only usage. */
function isUsageOnlyChunk(chunk: JsonObject): boolean {
  return Array.isArray(chunk.choices) && chunk.choices.length === 0 && isJsonObject(chunk.usage);
}

/** Whether a body is already an OpenAI error (`{"error":{...}}`), so it can pass through as is. */
export function isOpenAIErrorBody(body: Uint8Array): boolean {
  const json = parseJsonObject(utf8Decoder.decode(body));
  return json !== undefined && isJsonObject(json.error);
}

/**
 * Converts a non-2xx upstream response to an OpenAI error: an OpenAI-shaped error passes through
 * byte for byte; anything else (a proxy's HTML page, plain text) is wrapped, its text (up to 1 KiB)
 * as the message and the type derived from the status.
 */
export function openAIErrorResponse(status: number, body: Uint8Array): ErrorResponse {
  if (isOpenAIErrorBody(body)) {
    return { status, contentType: 'application/json', body };
  }
  const { text, isTruncated } = truncatedText(body, maxErrorMessageBytes);
  const message =
    text.trim() === ''
      ? `upstream responded with status ${status}`
      : `${text}${isTruncated ? ' (truncated)' : ''}`;
  return errorBody({ dialect: 'openai', status, message });
}

/** State of one request attempt; see {@link createOpenAIToOpenAITranslator}. */
class OpenAIToOpenAITranslator implements Translator {
  readonly #endpoint: OpenAIEndpoint;
  readonly #basePath: string;
  readonly #upstreamPath: ((model: string) => string) | undefined;
  #isStreamRequested = false;
  /** The translator injected `include_usage` and removes the usage-only chunk. */
  #shouldStripUsage = false;
  /** From the response content-type; `undefined` until {@link responseHeaders} runs. */
  #isStreaming: boolean | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;
  /** Non-streaming: copies of the chunks before the last (STREAMED mode only). */
  readonly #body = new BodyCollector();
  /** Streaming state, created by the first streamed chunk. */
  #sse: SseParser | undefined = undefined;
  #splicer: SseSplicer | undefined = undefined;
  /** A streamed chunk parsed as JSON already (the model is read from the first one). */
  #hasParsedChunk = false;
  /** `data: [DONE]` seen; later frames are ignored. */
  #isDone = false;
  /** Whether the stream reached its end (`finish_reason`, `[DONE]`) or an error frame. */
  readonly #integrity = new StreamIntegrity();

  constructor(options: OpenAIToOpenAITranslatorOptions) {
    this.#endpoint = options.endpoint;
    this.#basePath = prefixedPath(
      options.schema.prefix ?? defaultPrefix,
      pathSuffix[options.endpoint],
    );
    this.#upstreamPath = options.upstreamPath;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    const path =
      this.#upstreamPath === undefined
        ? this.#basePath + queryOf(options.path)
        : this.#upstreamPath(model);
    this.#isStreamRequested = request.stream;
    this.#shouldStripUsage =
      this.#endpoint !== 'embeddings' &&
      request.stream &&
      !includesUsage(request.body.stream_options);
    if (model === request.model && !this.#shouldStripUsage) {
      return { path, headers: noHeaderChanges, body: undefined, model };
    }
    // A shallow copy: request.body is shared with retries, which re-run a new translator on it.
    // Assigning existing keys keeps their position, so only the changed values differ.
    const body: JsonObject = { ...request.body };
    body.model = model;
    if (this.#shouldStripUsage) {
      const streamOptions = request.body.stream_options;
      body.stream_options = {
        ...(isJsonObject(streamOptions) ? streamOptions : undefined),
        include_usage: true,
      };
    }
    return {
      path,
      headers: contentTypeJson,
      body: utf8Encoder.encode(JSON.stringify(body)),
      model,
    };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const isStreaming = isEventStream(headers.get('content-type'));
    this.#isStreaming = isStreaming;
    return {
      headers: isStreaming && this.#shouldStripUsage ? removeContentLength : noHeaderChanges,
      isStreaming,
    };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) {
      return this.#streamedChunk(chunk, endOfStream);
    }
    return this.#bufferedChunk(chunk, endOfStream);
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return openAIErrorResponse(status, body);
  }

  /** A JSON response: collected until the end, parsed once, forwarded untouched. */
  #bufferedChunk(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(undefined);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json !== undefined) {
      this.#usage = usageFromOpenAI(json.usage);
      this.#noteModel(json);
    }
    return this.#result(undefined);
  }

  /** An SSE response: frames parsed as they complete; bytes forwarded unless a frame is removed. */
  #streamedChunk(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const chunkStart = sse.offset;
    const frames = sse.feed(chunk);
    const isMidFrame = endOfStream && sse.frameStart !== undefined;
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) {
      frames.push(last);
    }
    const drop = this.#framesToDrop(frames);
    let body: Uint8Array | undefined;
    if (this.#shouldStripUsage) {
      const splicer = (this.#splicer ??= new SseSplicer());
      const safeEnd = endOfStream ? sse.offset : (sse.frameStart ?? sse.offset);
      body = splicer.splice({ chunk, chunkStart, drop, safeEnd });
    }
    // A stream cut before its end gets one error frame after its last bytes, never a clean end.
    const frame = endOfStream ? this.#integrity.end('openai') : '';
    return this.#result(frame === '' ? body : appendFrame(body ?? chunk, { frame, isMidFrame }));
  }

  /** Reads every frame; returns the ones to remove (allocating only when there are some). */
  #framesToDrop(frames: readonly SseFrame[]): readonly SseFrame[] {
    let drop: SseFrame[] | undefined;
    for (const frame of frames) {
      if (this.#onFrame(frame)) {
        (drop ??= []).push(frame);
      }
    }
    return drop ?? noFrames;
  }

  /** Reads one complete frame; returns whether it is the injected usage-only chunk to remove. */
  #onFrame(frame: SseFrame): boolean {
    const data = frame.data;
    if (data === undefined || this.#isDone) {
      return false;
    }
    if (data === '[DONE]') {
      this.#isDone = true;
      this.#integrity.finish();
      return false;
    }
    // Parse only the first chunk (for the model), chunks with a usage object, and chunks that may
    // end the stream (a finish reason or an error).
    const hasUsage = hasUsageObject(data);
    const mayEnd = this.#integrity.isOpen && mayEndOpenAIStream(data);
    if (this.#hasParsedChunk && !hasUsage && !mayEnd) {
      return false;
    }
    const json = parseJsonObject(data);
    if (json === undefined) {
      return false;
    }
    this.#hasParsedChunk = true;
    if (mayEnd) {
      noteOpenAIChunk(this.#integrity, json);
    }
    this.#noteModel(json);
    return hasUsage && this.#noteUsage(json);
  }

  /** Keeps a chunk's usage; returns whether it is the injected usage-only chunk to remove. */
  #noteUsage(json: JsonObject): boolean {
    const usage = usageFromOpenAI(json.usage);
    if (usage === undefined) {
      return false;
    }
    this.#usage = usage;
    return this.#shouldStripUsage && isUsageOnlyChunk(json);
  }

  /** Keeps the first non-empty `model` the upstream reports. */
  #noteModel(json: JsonObject): void {
    if (this.#responseModel === undefined && typeof json.model === 'string' && json.model !== '') {
      this.#responseModel = json.model;
    }
  }

  #result(body: Uint8Array | undefined): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel };
  }
}

/**
 * Creates the OpenAI → OpenAI translator for one request attempt: the body passes through
 * byte for byte unless the model is overridden or streamed usage must be requested.
 */
export function createOpenAIToOpenAITranslator(
  options: OpenAIToOpenAITranslatorOptions,
): Translator {
  return new OpenAIToOpenAITranslator(options);
}
