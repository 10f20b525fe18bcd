/**
 * OpenAI media endpoints → OpenAI-compatible backends (OpenAI, Azure OpenAI): image generation,
 * speech, transcriptions and translations. The body passes through byte for byte unless the model
 * is overridden (JSON: the `model` key; multipart: the `model` part's content, spliced in place so
 * the boundary and the file stay as sent). Responses pass through unchanged; the translator only
 * reads the token usage a provider reports:
 *
 * - images: `usage` of the JSON answer (gpt-image models; dall-e reports none), or of the
 *   `image_generation.completed` event of a stream;
 * - speech: binary audio has none; the `speech.audio.done` event of an SSE stream has it;
 * - transcriptions: `usage` with `type: "tokens"` (gpt-4o-transcribe) in the JSON answer or the
 *   `transcript.text.done` event; whisper's `type: "duration"` (seconds of audio) is not tokens and
 *   is not counted (upstream records no transcription usage at all);
 * - translations: whisper only, no usage.
 *
 * None of these answers names a model: the response model is the one sent upstream.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/imagegeneration_openai_openai.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_speech.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_transcription.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_translation.go
 */
import { openAIErrorResponse } from '../openai/openai.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { hasUsageObject } from '../shared/openai-usage.js';
import { prefixedPath, queryOf, withApiVersion } from '../shared/path.js';
import { SseParser } from '../shared/sse.js';
import {
  type BackendSchema,
  type Endpoint,
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
import { replacePartContent } from './multipart.js';

/** The OpenAI media endpoints. */
export type MediaEndpoint = Extract<
  Endpoint,
  'image-generations' | 'audio-speech' | 'audio-transcriptions' | 'audio-translations'
>;

/** The path of each media endpoint below the API version (`/v1/<operation>`). */
export const mediaOperation: Readonly<Record<MediaEndpoint, string>> = {
  'image-generations': 'images/generations',
  'audio-speech': 'audio/speech',
  'audio-transcriptions': 'audio/transcriptions',
  'audio-translations': 'audio/translations',
};

/** Input of {@link createOpenAIMediaTranslator}. */
export interface OpenAIMediaTranslatorOptions {
  /** The ingress endpoint (also the upstream one). */
  readonly endpoint: MediaEndpoint;
  /** The backend schema; `prefix` (default `v1`) is put before the operation path. */
  readonly schema: BackendSchema;
  /**
   * Builds the upstream path from the model sent upstream, replacing the prefix rule and the
   * client's query string (Azure OpenAI puts the deployment in the path).
   */
  readonly upstreamPath?: ((model: string) => string) | undefined;
}

/** How the response body is read, from its content-type. */
type BodyKind = 'json' | 'sse' | 'opaque';

const contentTypeJson: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});

/** A token count, or 0 for anything that is not a finite non-negative number. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * The tokens of a media `usage` object (`input_tokens`, `output_tokens`, `total_tokens`), or
 * `undefined` when there is none or it counts something else (whisper's `type: "duration"`).
 */
export function usageFromMedia(value: unknown): Usage | undefined {
  if (!isJsonObject(value) || (value.type !== undefined && value.type !== 'tokens')) {
    return undefined;
  }
  if (value.input_tokens === undefined && value.output_tokens === undefined) return undefined;
  const inputTokens = count(value.input_tokens);
  const outputTokens = count(value.output_tokens);
  return {
    inputTokens,
    outputTokens,
    totalTokens:
      typeof value.total_tokens === 'number'
        ? count(value.total_tokens)
        : inputTokens + outputTokens,
    cachedInputTokens: 0,
    reasoningTokens: 0,
  };
}

function bodyKind(contentType: string | undefined): BodyKind {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/event-stream') return 'sse';
  return type === 'application/json' || type.endsWith('+json') ? 'json' : 'opaque';
}

/** The request body with the model replaced, or `undefined` when it cannot be (no model part). */
function withModel(request: ParsedRequest, model: string): Uint8Array | undefined {
  const form = request.form;
  if (form === undefined) {
    // A shallow copy: request.body is shared with retries. Existing keys keep their position.
    const body: JsonObject = { ...request.body, model };
    return utf8Encoder.encode(JSON.stringify(body));
  }
  const part = form.parts.find((p) => p.name === 'model' && p.filename === undefined);
  return part === undefined
    ? undefined
    : replacePartContent(request.raw, part, utf8Encoder.encode(model));
}

/** State of one request attempt; see {@link createOpenAIMediaTranslator}. */
class OpenAIMediaTranslator implements Translator {
  readonly #endpoint: MediaEndpoint;
  readonly #basePath: string;
  readonly #upstreamPath: ((model: string) => string) | undefined;
  #kind: BodyKind = 'opaque';
  #usage: Usage | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;

  constructor(options: OpenAIMediaTranslatorOptions) {
    this.#endpoint = options.endpoint;
    this.#basePath = prefixedPath(
      options.schema.prefix ?? 'v1',
      `/${mediaOperation[options.endpoint]}`,
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
    const body = model === request.model ? undefined : withModel(request, model);
    if (body === undefined) return { path, headers: noHeaderChanges, body: undefined, model };
    // A multipart body keeps its content-type (same boundary); a JSON one is JSON again.
    const headers = request.form === undefined ? contentTypeJson : noHeaderChanges;
    return { path, headers, body, model };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    this.#kind = bodyKind(headers.get('content-type'));
    // SSE, and speech's binary audio (the provider sends it chunked as it is synthesised), go to
    // the client as they arrive instead of being buffered whole.
    const isStreaming =
      this.#kind === 'sse' || (this.#kind === 'opaque' && this.#endpoint === 'audio-speech');
    return { headers: noHeaderChanges, isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#kind === 'json') {
      const whole = this.#body.add(chunk, endOfStream);
      if (whole !== undefined) {
        this.#usage = usageFromMedia(parseJsonObject(utf8Decoder.decode(whole))?.usage);
      }
    } else if (this.#kind === 'sse') {
      this.#streamed(chunk, endOfStream);
    }
    return { body: undefined, usage: this.#usage, responseModel: undefined };
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return openAIErrorResponse(status, body);
  }

  /** Reads the usage of SSE events as they complete; the bytes pass unchanged. */
  #streamed(chunk: Uint8Array, endOfStream: boolean): void {
    const sse = (this.#sse ??= new SseParser());
    const frames = sse.feed(chunk);
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) frames.push(last);
    for (const frame of frames) {
      const data = frame.data;
      if (data === undefined || !hasUsageObject(data)) continue;
      const usage = usageFromMedia(parseJsonObject(data)?.usage);
      if (usage !== undefined) this.#usage = usage;
    }
  }
}

/** Creates the translator of an OpenAI media endpoint to an OpenAI backend for one attempt. */
export function createOpenAIMediaTranslator(options: OpenAIMediaTranslatorOptions): Translator {
  return new OpenAIMediaTranslator(options);
}

/** The Azure OpenAI path of a media endpoint for a deployment (`api-version` when configured). */
export function azureMediaPath(options: {
  readonly endpoint: MediaEndpoint;
  readonly deployment: string;
  readonly apiVersion: string | undefined;
}): string {
  const { endpoint, deployment, apiVersion } = options;
  const path = `/openai/deployments/${encodeURIComponent(deployment)}/${mediaOperation[endpoint]}`;
  return withApiVersion(path, apiVersion);
}

/** Creates the translator of an OpenAI media endpoint to an Azure OpenAI deployment. */
export function createAzureOpenAIMediaTranslator(options: {
  readonly endpoint: MediaEndpoint;
  readonly schema: BackendSchema;
}): Translator {
  const { endpoint, schema } = options;
  return new OpenAIMediaTranslator({
    endpoint,
    schema,
    upstreamPath: (model) =>
      azureMediaPath({ endpoint, deployment: model, apiVersion: schema.version }),
  });
}
