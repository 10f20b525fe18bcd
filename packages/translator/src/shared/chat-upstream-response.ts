/**
 * The machinery shared by translators from a non-OpenAI client API (Anthropic Messages, Google's
 * Gemini API) to an OpenAI chat completions backend: the upstream path, the model sent, and the
 * whole response half — body collection, SSE framing, the stream converter, usage, the response
 * model and the error hook. Each ingress supplies only its converters
 * ({@link ChatUpstreamHooks}).
 */
import { MalformedResponseError } from '../errors.js';
import {
  type BackendSchema,
  type ErrorResponse,
  type HeaderChanges,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
  upstreamModel,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from './bytes.js';
import { parseJsonObject, type JsonObject } from './json.js';
import { prefixedPath } from './path.js';
import { isEventStream, SseParser } from './sse.js';

/** Converts one OpenAI chat completions SSE stream into the client's dialect, frame by frame. */
export interface ChatStreamConverter {
  /** The client's text for one `data:` payload (`json`: the payload parsed, when an object). */
  data(payload: string, json: JsonObject | undefined): string;
  /** The client's text at the end of the body (the last frame, or a truncation error). */
  end(): string;
  /** Usage reported so far. */
  readonly usage: Usage | undefined;
  /** The model the provider names in its chunks, once known. */
  readonly responseModel: string | undefined;
}

/** What one ingress dialect supplies to {@link createChatUpstreamTranslator}. */
export interface ChatUpstreamHooks {
  /** The chat completions body for the client's body, `model` the model sent. */
  toChat(body: Readonly<JsonObject>, options: { model: string; stream: boolean }): JsonObject;
  /** Request header changes (set `content-type`, drop the client dialect's own headers). */
  readonly requestHeaders: HeaderChanges;
  /** The client's body and the usage for a whole 2xx chat completion. */
  fromCompletion(
    json: JsonObject,
    model: string,
  ): { readonly body: JsonObject; readonly usage: Usage | undefined };
  /** A stream converter for one response; `model` the model sent. */
  stream(model: string): ChatStreamConverter;
  /** A non-2xx answer of the backend as an error in the client's dialect. */
  error(status: number, body: Uint8Array): ErrorResponse;
}

/** Input of {@link createChatUpstreamTranslator}. */
export interface ChatUpstreamTranslatorOptions {
  /** The backend schema; `prefix` (default `v1`) is put before `/chat/completions`. */
  readonly schema: BackendSchema;
  /** The client dialect's converters. */
  readonly hooks: ChatUpstreamHooks;
}

const empty = new Uint8Array(0);

/** The model a chat completion or chunk names, when it names one. */
function reportedModel(json: JsonObject): string | undefined {
  return typeof json.model === 'string' && json.model !== '' ? json.model : undefined;
}

/** State of one request attempt; see {@link createChatUpstreamTranslator}. */
class ChatUpstreamTranslator implements Translator {
  readonly #path: string;
  readonly #hooks: ChatUpstreamHooks;
  #model = '';
  #isStreamRequested = false;
  #isStreaming: boolean | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;
  #stream: ChatStreamConverter | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;

  constructor(options: ChatUpstreamTranslatorOptions) {
    this.#path = prefixedPath(options.schema.prefix ?? 'v1', '/chat/completions');
    this.#hooks = options.hooks;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    this.#model = model;
    this.#isStreamRequested = request.stream;
    const body = this.#hooks.toChat(request.body, { model, stream: request.stream });
    return {
      // The client's query (Anthropic's `?beta=true`, Google's `alt=sse` and `key=`) means
      // nothing to OpenAI, and a key must not leak: not forwarded.
      path: this.#path,
      headers: this.#hooks.requestHeaders,
      body: utf8Encoder.encode(JSON.stringify(body)),
      model,
    };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const contentType = headers.get('content-type');
    const isStreaming =
      contentType === undefined ? this.#isStreamRequested : isEventStream(contentType);
    this.#isStreaming = isStreaming;
    return {
      headers: {
        set: [['content-type', isStreaming ? 'text/event-stream' : 'application/json']],
        remove: ['content-length'],
      },
      isStreaming,
    };
  }

  /**
   * A 2xx body the gateway cannot translate (not a JSON object) throws a
   * {@link MalformedResponseError}: the client gets a 502 in its own dialect, never a body in
   * OpenAI's format it did not ask for.
   */
  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) return this.#streamed(chunk, endOfStream);
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(empty);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      throw new MalformedResponseError('OpenAI chat completion body is not a JSON object');
    }
    const converted = this.#hooks.fromCompletion(json, this.#model);
    this.#usage = converted.usage;
    this.#responseModel = reportedModel(json);
    return this.#result(utf8Encoder.encode(JSON.stringify(converted.body)));
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return this.#hooks.error(status, body);
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const stream = (this.#stream ??= this.#hooks.stream(this.#model));
    const frames = sse.feed(chunk);
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) frames.push(last);
    let out = '';
    for (const frame of frames) {
      if (frame.data !== undefined) out += stream.data(frame.data, parseJsonObject(frame.data));
    }
    if (endOfStream) out += stream.end();
    this.#usage = stream.usage;
    this.#responseModel = stream.responseModel;
    return this.#result(out === '' ? empty : utf8Encoder.encode(out));
  }

  /** The model the provider answered with, else the model sent. */
  #result(body: Uint8Array): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel ?? this.#model };
  }
}

/**
 * Creates a translator for one request attempt from a client API to an OpenAI chat completions
 * backend: the client's body becomes a chat completions body sent to
 * `/<prefix>/chat/completions`; completions and streams come back through `hooks`.
 */
export function createChatUpstreamTranslator(options: ChatUpstreamTranslatorOptions): Translator {
  return new ChatUpstreamTranslator(options);
}
