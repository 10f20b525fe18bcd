/**
 * Anthropic Messages → the Anthropic family: the native API (a passthrough), and Claude on
 * Vertex AI and Bedrock (`gcpanthropic.ts`, `awsanthropic.ts`), which take the same body with
 * the model in the path and `anthropic_version` in the body.
 *
 * `anthropic-version` and `anthropic-beta` request headers are never touched; for Vertex AI and
 * Bedrock the `anthropic-beta` values are also copied into the body's `anthropic_beta` array,
 * where those platforms read them. Usage and the response model are read from responses and
 * streams without changing them, except Bedrock streams, which arrive as AWS eventstream frames
 * and are re-emitted as the Anthropic SSE the client expects. A stream that ends without
 * `message_stop` or an `error` event (cut by the provider) gets one truncation `event: error`
 * after its last bytes.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_anthropic.go
 */
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject, type JsonObject } from '../shared/json.js';
import { prefixedPath, queryOf } from '../shared/path.js';
import { appendFrame, StreamIntegrity } from '../shared/stream-integrity.js';
import {
  noHeaderChanges,
  type BackendSchema,
  type ErrorResponse,
  type HeaderChanges,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { anthropicErrorFromProvider } from './error.js';
import {
  createAnthropicEventSource,
  type AnthropicEventSource,
  type AnthropicStreamFormat,
} from './event-source.js';
import { AnthropicUsageTracker } from './usage.js';

/** How an Anthropic-family backend takes a native Messages request. */
export interface AnthropicNativeEnvelope {
  /** The stream wire format of the backend. */
  readonly streamFormat: AnthropicStreamFormat;
  /** The upstream path. */
  path(target: { model: string; stream: boolean; query: string }): string;
  /**
   * The body to send, or `undefined` to send the client's bytes unchanged (the native API when
   * the model is not overridden).
   */
  body(
    request: Readonly<JsonObject>,
    target: { model: string; isOverridden: boolean; betas: readonly string[] },
  ): JsonObject | undefined;
}

/** Input of {@link createAnthropicToAnthropicTranslator}. */
export interface AnthropicToAnthropicTranslatorOptions {
  /** The backend schema; `prefix` (default `v1`) is put before `/messages`. */
  readonly schema: BackendSchema;
}

/** The `anthropic-beta` header split into its comma-separated values. */
export function anthropicBetas(headers: ReadonlyMap<string, string> | undefined): string[] {
  const header = headers?.get('anthropic-beta') ?? '';
  return header
    .split(',')
    .map((beta) => beta.trim())
    .filter((beta) => beta !== '');
}

/**
 * The body for Vertex AI and Bedrock: `model` (and for Bedrock `stream`) removed,
 * `anthropic_version` set, `anthropic_beta` from the header merged with any in the body.
 */
export function platformBody(
  request: Readonly<JsonObject>,
  options: { version: string; betas: readonly string[]; keepStream: boolean },
): JsonObject {
  const body: JsonObject = { anthropic_version: options.version, ...request };
  body.anthropic_version = options.version;
  delete body.model;
  if (!options.keepStream) {
    delete body.stream;
  }
  const existing: unknown[] = Array.isArray(request.anthropic_beta) ? request.anthropic_beta : [];
  const betas = [...new Set([...existing, ...options.betas])];
  if (betas.length > 0) {
    body.anthropic_beta = betas;
  }
  return body;
}

const jsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});
const sseHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'text/event-stream'] as const)]),
  remove: Object.freeze(['content-length']),
});

/** Whether a content-type is SSE or AWS eventstream. */
function isStreamType(contentType: string | undefined): boolean {
  const type = contentType?.trimStart().toLowerCase() ?? '';
  return (
    type.startsWith('text/event-stream') || type.startsWith('application/vnd.amazon.eventstream')
  );
}

/** The Anthropic → Anthropic-family translator for one request attempt. */
export class AnthropicToAnthropicFamilyTranslator implements Translator {
  readonly #envelope: AnthropicNativeEnvelope;
  #isStreamRequested = false;
  #isStreaming: boolean | undefined = undefined;
  readonly #body = new BodyCollector();
  #source: AnthropicEventSource | undefined = undefined;
  readonly #usage = new AnthropicUsageTracker();
  #responseModel: string | undefined = undefined;
  /** `message_stop` (finished) or an `error` event (failed) seen. */
  readonly #integrity = new StreamIntegrity();

  constructor(envelope: AnthropicNativeEnvelope) {
    this.#envelope = envelope;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request, modelNameOverride } = options;
    const isOverridden =
      modelNameOverride !== undefined &&
      modelNameOverride !== '' &&
      modelNameOverride !== request.model;
    const model = isOverridden ? modelNameOverride : request.model;
    this.#isStreamRequested = request.stream;
    const path = this.#envelope.path({
      model,
      stream: request.stream,
      query: queryOf(options.path),
    });
    const body = this.#envelope.body(request.body, {
      model,
      isOverridden,
      betas: anthropicBetas(options.headers),
    });
    if (body === undefined) {
      return { path, headers: noHeaderChanges, body: undefined, model };
    }
    return { path, headers: jsonHeaders, body: utf8Encoder.encode(JSON.stringify(body)), model };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const contentType = headers.get('content-type');
    const isStreaming =
      contentType === undefined ? this.#isStreamRequested : isStreamType(contentType);
    this.#isStreaming = isStreaming;
    const isReframed = isStreaming && this.#envelope.streamFormat === 'eventstream';
    return { headers: isReframed ? sseHeaders : noHeaderChanges, isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) {
      return this.#streamed(chunk, endOfStream);
    }
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(undefined);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json !== undefined) {
      this.#usage.add(json.usage);
      this.#noteModel(json.model);
    }
    return this.#result(undefined);
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return anthropicErrorFromProvider(status, body);
  }

  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const source = (this.#source ??= createAnthropicEventSource(this.#envelope.streamFormat));
    const isReframed = this.#envelope.streamFormat === 'eventstream';
    let out = '';
    for (const event of source.feed(chunk, endOfStream)) {
      this.#noteEvent(event);
      if (isReframed) {
        out += `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
      }
    }
    // A stream cut before `message_stop` gets one error event after its last bytes.
    const frame = endOfStream ? this.#integrity.end('anthropic') : '';
    if (isReframed) {
      return this.#result(utf8Encoder.encode(out + frame));
    }
    // Passthrough: the chunk goes unchanged unless the truncation error must follow it.
    return this.#result(
      frame === '' ? undefined : appendFrame(chunk, { frame, isMidFrame: source.hasEndedMidFrame }),
    );
  }

  /** Reads usage, the model and the stream's end from one event. */
  #noteEvent(event: JsonObject): void {
    switch (event.type) {
      case 'message_start':
        if (typeof event.message === 'object' && event.message !== null) {
          const message = event.message as JsonObject;
          this.#usage.add(message.usage);
          this.#noteModel(message.model);
        }
        return;
      case 'message_delta':
        this.#usage.add(event.usage);
        return;
      case 'message_stop':
        this.#integrity.finish();
        return;
      case 'error':
        this.#integrity.fail();
        return;
      default:
        return;
    }
  }

  #noteModel(model: unknown): void {
    if (this.#responseModel === undefined && typeof model === 'string' && model !== '') {
      this.#responseModel = model;
    }
  }

  #result(body: Uint8Array | undefined): ResponseBodyResult {
    const usage: Usage | undefined = this.#usage.toUsage();
    return { body, usage, responseModel: this.#responseModel };
  }
}

/** The native API envelope: `/<prefix>/messages`, the body changed only to override the model. */
function nativeEnvelope(schema: BackendSchema): AnthropicNativeEnvelope {
  const path = prefixedPath(schema.prefix ?? 'v1', '/messages');
  return {
    streamFormat: 'sse',
    path: ({ query }) => path + query,
    body: (request, { model, isOverridden }) => (isOverridden ? { ...request, model } : undefined),
  };
}

/**
 * Creates the Anthropic → Anthropic translator: a passthrough to `/<prefix>/messages` that
 * overrides the model when configured and reads usage (cache reads and writes included).
 * The `anthropic-version` and `anthropic-beta` headers the client sent are forwarded as they are.
 */
export function createAnthropicToAnthropicTranslator(
  options: AnthropicToAnthropicTranslatorOptions,
): Translator {
  return new AnthropicToAnthropicFamilyTranslator(nativeEnvelope(options.schema));
}
