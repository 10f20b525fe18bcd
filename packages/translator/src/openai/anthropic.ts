/**
 * OpenAI chat completions → the Anthropic family: Anthropic Messages (this file), and, through
 * the same translator with another envelope, GCP Vertex AI rawPredict (`gcpanthropic.ts`) and
 * AWS Bedrock InvokeModel (`awsanthropic.ts`).
 *
 * The request is fully rebuilt (see `anthropic/openai-request.ts` for what maps where and what is
 * rejected); responses are rebuilt as OpenAI chat completions, streams event by event.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_anthropic.go
 */
import { openAIErrorFromProvider } from '../anthropic/error.js';
import {
  createAnthropicEventSource,
  type AnthropicEventSource,
  type AnthropicStreamFormat,
} from '../anthropic/event-source.js';
import { anthropicParamsFromOpenAI } from '../anthropic/openai-request.js';
import { openAIChatFromAnthropic } from '../anthropic/openai-response.js';
import { AnthropicToOpenAIStream } from '../anthropic/openai-stream.js';
import { anthropicApiVersion } from '../apischema/anthropic/messages.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { prefixedPath, queryOf } from '../shared/path.js';
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

/** Where and how an Anthropic-family backend takes a request; one per backend schema. */
export interface AnthropicEnvelope {
  /** The stream wire format of the backend. */
  readonly streamFormat: AnthropicStreamFormat;
  /** The upstream path for `model` (already overridden) and streaming, keeping `query` if wanted. */
  path(target: { model: string; stream: boolean; query: string }): string;
  /** Completes the Messages body (adds `model`/`stream` or `anthropic_version`). */
  body(params: JsonObject, target: { model: string; stream: boolean }): JsonObject;
  /** Extra request headers (e.g. `anthropic-version`). */
  readonly headers: readonly (readonly [string, string])[];
}

/** Input of {@link createOpenAIToAnthropicTranslator}. */
export interface OpenAIToAnthropicTranslatorOptions {
  /** The backend schema: `prefix` (default `v1`) and `version` (the `anthropic-version` header). */
  readonly schema: BackendSchema;
  /** Clock for `created` (Unix seconds); tests pass a fixed one. */
  readonly now?: () => number;
}

/** The default clock: Unix seconds. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Whether a content-type is an SSE or AWS eventstream (parameters and case ignored). */
export function isStreamContentType(contentType: string | undefined): boolean {
  const type = contentType?.trimStart().toLowerCase() ?? '';
  return (
    type.startsWith('text/event-stream') || type.startsWith('application/vnd.amazon.eventstream')
  );
}

/** Header changes for a rebuilt response body. */
function rebuiltBodyHeaders(isStreaming: boolean): HeaderChanges {
  return {
    set: [['content-type', isStreaming ? 'text/event-stream' : 'application/json']],
    remove: ['content-length'],
  };
}

/** The OpenAI → Anthropic-family translator for one request attempt. */
export class OpenAIToAnthropicFamilyTranslator implements Translator {
  readonly #envelope: AnthropicEnvelope;
  readonly #now: () => number;
  #model = '';
  #isStreamRequested = false;
  #includeUsage = false;
  #isStreaming: boolean | undefined = undefined;
  readonly #body = new BodyCollector();
  #source: AnthropicEventSource | undefined = undefined;
  #stream: AnthropicToOpenAIStream | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;

  constructor(options: { envelope: AnthropicEnvelope; now?: (() => number) | undefined }) {
    this.#envelope = options.envelope;
    this.#now = options.now ?? unixSeconds;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    this.#model = model;
    this.#isStreamRequested = request.stream;
    const streamOptions = request.body.stream_options;
    this.#includeUsage = isJsonObject(streamOptions) && streamOptions.include_usage === true;
    const params = anthropicParamsFromOpenAI(request.body);
    const target = { model, stream: request.stream };
    const body = this.#envelope.body(params, target);
    return {
      path: this.#envelope.path({ ...target, query: queryOf(options.path) }),
      headers: {
        set: [['content-type', 'application/json'], ...this.#envelope.headers],
        remove: [],
      },
      body: utf8Encoder.encode(JSON.stringify(body)),
      model,
    };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const contentType = headers.get('content-type');
    const isStreaming =
      contentType === undefined ? this.#isStreamRequested : isStreamContentType(contentType);
    this.#isStreaming = isStreaming;
    return { headers: rebuiltBodyHeaders(isStreaming), isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) {
      return this.#streamed(chunk, endOfStream);
    }
    return this.#buffered(chunk, endOfStream);
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return openAIErrorFromProvider(status, body);
  }

  #buffered(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(new Uint8Array(0));
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      return this.#result(whole);
    }
    const { json: completion, usage } = openAIChatFromAnthropic(json, {
      model: this.#model,
      created: this.#now(),
    });
    this.#usage = usage.toUsage();
    if (typeof json.model === 'string' && json.model !== '') {
      this.#responseModel = json.model;
    }
    return this.#result(utf8Encoder.encode(JSON.stringify(completion)));
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const source = (this.#source ??= createAnthropicEventSource(this.#envelope.streamFormat));
    const stream = (this.#stream ??= new AnthropicToOpenAIStream({
      model: this.#model,
      created: this.#now(),
      includeUsage: this.#includeUsage,
    }));
    let out = '';
    for (const event of source.feed(chunk, endOfStream)) {
      out += stream.event(event);
    }
    if (endOfStream) {
      out += stream.end();
    }
    this.#usage = stream.usage.toUsage();
    this.#responseModel = stream.responseModel;
    return this.#result(utf8Encoder.encode(out));
  }

  #result(body: Uint8Array): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel };
  }
}

/** The native Anthropic API envelope: `POST /v1/messages` with `model` and `stream` in the body. */
function anthropicEnvelope(schema: BackendSchema): AnthropicEnvelope {
  const path = prefixedPath(schema.prefix ?? 'v1', '/messages');
  return {
    streamFormat: 'sse',
    path: ({ query }) => path + query,
    body: (params, { model, stream }) => ({ model, ...params, ...(stream ? { stream } : {}) }),
    headers: [['anthropic-version', schema.version ?? anthropicApiVersion]],
  };
}

/**
 * Creates the OpenAI → Anthropic translator for one request attempt: the chat completions body
 * becomes a Messages body sent to `/<prefix>/messages` with an `anthropic-version` header
 * (`schema.version`, default `2023-06-01`).
 */
export function createOpenAIToAnthropicTranslator(
  options: OpenAIToAnthropicTranslatorOptions,
): Translator {
  return new OpenAIToAnthropicFamilyTranslator({
    envelope: anthropicEnvelope(options.schema),
    now: options.now,
  });
}
