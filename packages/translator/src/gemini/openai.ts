/**
 * Gemini (Google's native API) `generateContent` / `streamGenerateContent` → an OpenAI chat
 * completions backend, both ways, streams included (see `to-openai-request.ts` and
 * `from-openai.ts`). Errors come back in Google's format.
 */
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject } from '../shared/json.js';
import { prefixedPath } from '../shared/path.js';
import { SseParser } from '../shared/sse.js';
import { MalformedResponseError } from '../errors.js';
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
import { googleErrorFromProvider } from './error.js';
import { geminiResponseFromOpenAI, OpenAIToGeminiStream } from './from-openai.js';
import { openAIChatFromGeminiRequest } from './to-openai-request.js';

/** Input of {@link createGeminiToOpenAITranslator}. */
export interface GeminiToOpenAITranslatorOptions {
  /** The backend schema; `prefix` (default `v1`) is put before `/chat/completions`. */
  readonly schema: BackendSchema;
}

const empty = new Uint8Array(0);

/** State of one request attempt; see {@link createGeminiToOpenAITranslator}. */
class GeminiToOpenAITranslator implements Translator {
  readonly #path: string;
  #model = '';
  #isStreamRequested = false;
  #isStreaming: boolean | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;
  #stream: OpenAIToGeminiStream | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;

  constructor(options: GeminiToOpenAITranslatorOptions) {
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
    const body = openAIChatFromGeminiRequest(request.body, { model, stream: request.stream });
    return {
      // Google's query (`alt=sse`, `key=`) means nothing to OpenAI, and a key must not leak.
      path: this.#path,
      headers: { set: [['content-type', 'application/json']], remove: ['x-goog-api-key'] },
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
    if (this.#isStreaming ?? this.#isStreamRequested) return this.#streamed(chunk, endOfStream);
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(empty);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      throw new MalformedResponseError('OpenAI chat completion body is not a JSON object');
    }
    const converted = geminiResponseFromOpenAI(json, { model: this.#model });
    this.#usage = converted.usage;
    this.#responseModel = converted.model;
    return this.#result(utf8Encoder.encode(JSON.stringify(converted.body)));
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return googleErrorFromProvider(status, body, 'the OpenAI backend');
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const stream = (this.#stream ??= new OpenAIToGeminiStream(this.#model));
    const frames = sse.feed(chunk);
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) frames.push(last);
    let out = '';
    for (const frame of frames) {
      if (frame.data !== undefined) out += stream.data(frame.data);
    }
    if (endOfStream) out += stream.end();
    this.#usage = stream.usage;
    this.#responseModel = stream.responseModel;
    return this.#result(out === '' ? empty : utf8Encoder.encode(out));
  }

  #result(body: Uint8Array): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel ?? this.#model };
  }
}

/**
 * Creates the Gemini → OpenAI translator for one request attempt: the `generateContent` body
 * becomes a chat completions body sent to `/<prefix>/chat/completions`; responses and streams
 * come back as Gemini `GenerateContentResponse`s.
 */
export function createGeminiToOpenAITranslator(
  options: GeminiToOpenAITranslatorOptions,
): Translator {
  return new GeminiToOpenAITranslator(options);
}
