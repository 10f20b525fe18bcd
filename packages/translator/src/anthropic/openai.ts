/**
 * Anthropic Messages → an OpenAI chat completions backend, translated both ways, streams
 * included (see `to-openai-request.ts`, `from-openai-response.ts`, `from-openai-stream.ts`).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_openai.go
 */
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject } from '../shared/json.js';
import { prefixedPath } from '../shared/path.js';
import { SseParser } from '../shared/sse.js';
import type {
  BackendSchema,
  ErrorResponse,
  ResponseBodyResult,
  ResponseHeadersResult,
  TranslatedRequest,
  TranslateRequestOptions,
  Translator,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { anthropicErrorFromProvider } from './error.js';
import { anthropicMessageFromOpenAI } from './from-openai-response.js';
import { OpenAIToAnthropicStream } from './from-openai-stream.js';
import { openAIChatFromAnthropicRequest } from './to-openai-request.js';

/** Input of {@link createAnthropicToOpenAITranslator}. */
export interface AnthropicToOpenAITranslatorOptions {
  /** The backend schema; `prefix` (default `v1`) is put before `/chat/completions`. */
  readonly schema: BackendSchema;
}

/** State of one request attempt; see {@link createAnthropicToOpenAITranslator}. */
class AnthropicToOpenAITranslator implements Translator {
  readonly #path: string;
  #model = '';
  #isStreamRequested = false;
  #isStreaming: boolean | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;
  #stream: OpenAIToAnthropicStream | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;

  constructor(options: AnthropicToOpenAITranslatorOptions) {
    this.#path = prefixedPath(options.schema.prefix ?? 'v1', '/chat/completions');
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request, modelNameOverride } = options;
    const model =
      modelNameOverride !== undefined && modelNameOverride !== ''
        ? modelNameOverride
        : request.model;
    this.#model = model;
    this.#isStreamRequested = request.stream;
    const body = openAIChatFromAnthropicRequest(request.body, model);
    return {
      // The Anthropic query (the SDK's `?beta=true`) means nothing to OpenAI: not forwarded.
      path: this.#path,
      headers: {
        set: [['content-type', 'application/json']],
        remove: ['anthropic-version', 'anthropic-beta'],
      },
      body: utf8Encoder.encode(JSON.stringify(body)),
      model,
    };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const contentType = headers.get('content-type');
    const isStreaming =
      contentType === undefined
        ? this.#isStreamRequested
        : contentType.trimStart().toLowerCase().startsWith('text/event-stream');
    this.#isStreaming = isStreaming;
    return {
      headers: {
        set: [['content-type', isStreaming ? 'text/event-stream' : 'application/json']],
        remove: ['content-length'],
      },
      isStreaming,
    };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) {
      return this.#streamed(chunk, endOfStream);
    }
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(new Uint8Array(0));
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      return this.#result(whole);
    }
    const { json: message, usage } = anthropicMessageFromOpenAI(json, this.#model);
    this.#usage = usage;
    this.#responseModel = typeof json.model === 'string' ? json.model : undefined;
    return this.#result(utf8Encoder.encode(JSON.stringify(message)));
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return anthropicErrorFromProvider(status, body);
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const stream = (this.#stream ??= new OpenAIToAnthropicStream(this.#model));
    const frames = sse.feed(chunk);
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) {
      frames.push(last);
    }
    let out = '';
    for (const frame of frames) {
      if (frame.data !== undefined) {
        out += stream.data(frame.data, parseJsonObject(frame.data));
      }
    }
    if (endOfStream) {
      out += stream.end();
    }
    this.#usage = stream.usage;
    this.#responseModel = stream.responseModel;
    return this.#result(utf8Encoder.encode(out));
  }

  #result(body: Uint8Array): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel };
  }
}

/**
 * Creates the Anthropic → OpenAI translator for one request attempt: the Messages body becomes a
 * chat completions body sent to `/<prefix>/chat/completions`; responses and streams come back as
 * Anthropic messages and events.
 */
export function createAnthropicToOpenAITranslator(
  options: AnthropicToOpenAITranslatorOptions,
): Translator {
  return new AnthropicToOpenAITranslator(options);
}
