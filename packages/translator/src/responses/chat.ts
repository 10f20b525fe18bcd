/**
 * OpenAI Responses (`/v1/responses`) → any backend that the chat completions translators serve
 * (AWS Bedrock, GCP Vertex AI, Anthropic and its GCP / AWS variants; OpenAI and Azure OpenAI only
 * with `responsesApi: 'chat'`, else `responses/openai.ts` passes the request through). The
 * Responses body becomes a chat completions body, which the backend's own chat translator then
 * takes the rest of the way; what comes back as chat completions (JSON or SSE chunks, the chat
 * translator's output) becomes a Responses object or event stream. Token usage is the chat
 * translator's, read from the provider's answer.
 */
import { utf8Decoder, utf8Encoder, BodyCollector } from '../shared/bytes.js';
import { parseJsonObject } from '../shared/json.js';
import { SseParser } from '../shared/sse.js';
import type {
  ErrorResponse,
  HeaderChanges,
  ParsedRequest,
  ResponseBodyResult,
  ResponseHeadersResult,
  TranslatedRequest,
  TranslateRequestOptions,
  Translator,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { responseEcho, responseFromChat, type ResponseContext } from './from-chat-response.js';
import { ChatToResponsesStream } from './from-chat-stream.js';
import {
  chatRequestFromResponses,
  customToolNames,
  namespacedToolNames,
} from './to-chat-request.js';

/** Input of {@link createResponsesToChatTranslator}. */
export interface ResponsesToChatTranslatorOptions {
  /** A fresh chat completions translator for the backend (one per attempt). */
  readonly chat: Translator;
  /** Seconds since the epoch, for `created_at` when the provider gives none (tests). */
  readonly now?: (() => number) | undefined;
}

const defaultNow = (): number => Math.floor(Date.now() / 1000);

/** The chat translator's header changes with the client's content-type and no content-length. */
function clientHeaders(chat: HeaderChanges, isStreaming: boolean): HeaderChanges {
  const contentType = isStreaming ? 'text/event-stream' : 'application/json';
  return {
    set: [...chat.set.filter(([name]) => name !== 'content-type'), ['content-type', contentType]],
    remove: [...chat.remove.filter((name) => name !== 'content-length'), 'content-length'],
  };
}

/** State of one request attempt; see {@link createResponsesToChatTranslator}. */
class ResponsesToChatTranslator implements Translator {
  readonly #chat: Translator;
  readonly #now: () => number;
  #context: ResponseContext | undefined = undefined;
  #isStreamRequested = false;
  #isStreaming: boolean | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;
  #stream: ChatToResponsesStream | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;

  constructor(options: ResponsesToChatTranslatorOptions) {
    this.#chat = options.chat;
    this.#now = options.now ?? defaultNow;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const chatBody = chatRequestFromResponses(request.body, request.model);
    const raw = utf8Encoder.encode(JSON.stringify(chatBody));
    const chatRequest: ParsedRequest = {
      endpoint: 'chat-completions',
      raw,
      body: chatBody,
      model: request.model,
      stream: request.stream,
    };
    this.#isStreamRequested = request.stream;
    this.#context = {
      model: request.model,
      echo: responseEcho(request.body),
      now: this.#now,
      customTools: customToolNames(request.body),
      namespacedTools: namespacedToolNames(request.body),
    };
    const translated = this.#chat.request({ ...options, request: chatRequest });
    const headers = translated.headers;
    return {
      ...translated,
      headers: {
        set: [
          ...headers.set.filter(([name]) => name !== 'content-type'),
          ['content-type', 'application/json'],
        ],
        remove: headers.remove,
      },
      // The chat translator's passthrough (`undefined`) means "the chat body as it is".
      body: translated.body ?? raw,
    };
  }

  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const chat = this.#chat.responseHeaders(status, headers);
    this.#isStreaming = chat.isStreaming;
    return {
      headers: clientHeaders(chat.headers, chat.isStreaming),
      isStreaming: chat.isStreaming,
    };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const chat = this.#chat.responseBody(chunk, endOfStream);
    this.#usage = chat.usage;
    this.#responseModel = chat.responseModel;
    const bytes = chat.body ?? chunk;
    if (this.#isStreaming ?? this.#isStreamRequested) {
      return this.#streamed(bytes, endOfStream);
    }
    const whole = this.#body.add(bytes, endOfStream);
    if (whole === undefined) return this.#result(new Uint8Array(0));
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) return this.#result(whole);
    const { json: response } = responseFromChat(json, this.#contextOf());
    return this.#result(utf8Encoder.encode(JSON.stringify(response)));
  }

  responseError(
    status: number,
    headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    // The chat translators answer errors in OpenAI's format, which the Responses API shares.
    return this.#chat.responseError(status, headers, body);
  }

  #contextOf(): ResponseContext {
    return (this.#context ??= {
      model: '',
      echo: responseEcho({}),
      now: this.#now,
      customTools: new Set(),
      namespacedTools: new Map(),
    });
  }

  #streamed(bytes: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const stream = (this.#stream ??= new ChatToResponsesStream(this.#contextOf()));
    const frames = sse.feed(bytes);
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) frames.push(last);
    let out = '';
    for (const frame of frames) {
      if (frame.data !== undefined) out += stream.data(frame.data, parseJsonObject(frame.data));
    }
    if (endOfStream) out += stream.end();
    // The chat translator read the provider's own usage; the stream's copy is the same numbers.
    this.#usage ??= stream.usage;
    this.#responseModel ??= stream.responseModel;
    return this.#result(utf8Encoder.encode(out));
  }

  #result(body: Uint8Array): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel };
  }
}

/**
 * Creates the Responses → chat completions translator for one request attempt around `chat`, the
 * backend's chat completions translator (see the registry).
 */
export function createResponsesToChatTranslator(
  options: ResponsesToChatTranslatorOptions,
): Translator {
  return new ResponsesToChatTranslator(options);
}
