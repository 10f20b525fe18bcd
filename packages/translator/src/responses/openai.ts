/**
 * OpenAI Responses (`/v1/responses`) → OpenAI and Azure OpenAI: passthrough, as upstream does.
 * The body goes upstream byte for byte (re-serialised only for a model name override), so hosted
 * tools (`web_search`, `file_search`, …), server-side state (`previous_response_id`, `store`,
 * `conversation`) and every field OpenAI adds later reach the provider unchanged.
 *
 * - OpenAI: `/<prefix|v1>/responses` (plus the client's query string).
 * - Azure OpenAI: `/openai/responses?api-version=` — the model is a deployment name and stays in
 *   the body, as in Azure's Responses API.
 *
 * Usage comes from the `Response`'s `usage` (JSON), or streamed from the terminal event
 * (`response.completed`, `response.incomplete`, `response.failed`), read without touching the
 * bytes the client gets. A stream that ends before its terminal event (or an `error` event) was
 * cut: the client gets one Responses `error` event after the provider's last bytes, never a
 * clean end (see `shared/stream-integrity.ts`).
 *
 * For OpenAI-compatible servers without `/v1/responses` (vLLM, Ollama, …) the backend's schema can
 * keep the chat completions translation instead (`responsesApi: 'chat'`, see the registry).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_responses.go
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */
import { MalformedResponseError } from '../errors.js';
import { openAIErrorResponse } from '../openai/openai.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject, isJsonObject, type JsonObject } from '../shared/json.js';
import { prefixedPath, queryOf, withApiVersion } from '../shared/path.js';
import { isEventStream, SseParser, type SseFrame } from '../shared/sse.js';
import {
  appendFrame,
  StreamIntegrity,
  truncatedStreamCode,
  truncatedStreamMessage,
} from '../shared/stream-integrity.js';
import {
  type BackendSchema,
  type BackendSchemaName,
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
import { usageFromResponses } from '../shared/openai-usage.js';

/**
 * Whether a backend schema serves the Responses API (`/v1/responses` and its `input_tokens`)
 * itself, so the request passes through: OpenAI and Azure OpenAI. Every other schema gets the
 * chat completions translation.
 */
export function servesResponsesApi(name: BackendSchemaName): boolean {
  return name === 'OpenAI' || name === 'AzureOpenAI';
}

/** Input of {@link createResponsesToOpenAITranslator}. */
export interface ResponsesToOpenAITranslatorOptions {
  /** An `OpenAI` (path prefix, default `v1`) or `AzureOpenAI` (`version`: api-version) schema. */
  readonly schema: BackendSchema;
}

const contentTypeJson: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});

/** Azure's path: `/openai/responses`, with `?api-version=` when the schema has one. */
export function azureResponsesPath(apiVersion: string | undefined): string {
  const path = '/openai/responses';
  return withApiVersion(path, apiVersion);
}

/** The events that end a Responses stream, and whether each is a clean end. */
const terminalEvents: ReadonlyMap<string, 'finished' | 'failed'> = new Map([
  ['response.completed', 'finished'],
  ['response.incomplete', 'finished'],
  ['response.failed', 'failed'],
  ['error', 'failed'],
]);

/**
 * A cheap test on a frame without an `event:` line (some compatible servers send only `data:`):
 * whether its data may be one of the events read here. A false positive costs one parse; the
 * parsed `type` decides.
 */
const readEventPattern =
  /"type"\s*:\s*"(?:response\.(?:created|completed|incomplete|failed)|error)"/;

/** The type of event a frame carries: its `event:` field, else (maybe) one read from its data. */
function frameType(frame: SseFrame): string | undefined {
  if (frame.event !== undefined) return frame.event;
  return frame.data !== undefined && readEventPattern.test(frame.data) ? '' : undefined;
}

/**
 * The Responses `error` event for a stream cut before its terminal event, numbered after the
 * provider's last event. The OpenAI SDKs raise an `APIError` on an `error` event.
 */
export function responsesTruncatedFrame(sequenceNumber: number): string {
  const event = {
    type: 'error',
    code: truncatedStreamCode,
    message: truncatedStreamMessage,
    param: null,
    sequence_number: sequenceNumber,
  };
  return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
}

/** State of one request attempt; see {@link createResponsesToOpenAITranslator}. */
class ResponsesToOpenAITranslator implements Translator {
  readonly #schema: BackendSchema;
  #isStreamRequested = false;
  #isStreaming: boolean | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #responseModel: string | undefined = undefined;
  readonly #body = new BodyCollector();
  #sse: SseParser | undefined = undefined;
  /** The next event's `sequence_number` (the provider's last plus one). */
  #nextSequence = 0;
  readonly #integrity = new StreamIntegrity();

  constructor(options: ResponsesToOpenAITranslatorOptions) {
    this.#schema = options.schema;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request } = options;
    const model = upstreamModel(options);
    const schema = this.#schema;
    const path =
      schema.name === 'AzureOpenAI'
        ? azureResponsesPath(schema.version)
        : prefixedPath(schema.prefix ?? 'v1', '/responses') + queryOf(options.path);
    this.#isStreamRequested = request.stream;
    if (model === request.model) {
      return { path, headers: noHeaderChanges, body: undefined, model };
    }
    // A shallow copy: request.body is shared with retries, which re-run a new translator on it.
    const body = utf8Encoder.encode(JSON.stringify({ ...request.body, model }));
    return { path, headers: contentTypeJson, body, model };
  }

  responseHeaders(_status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult {
    const isStreaming = isEventStream(headers.get('content-type'));
    this.#isStreaming = isStreaming;
    return { headers: noHeaderChanges, isStreaming };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (this.#isStreaming ?? this.#isStreamRequested) return this.#streamed(chunk, endOfStream);
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return this.#result(undefined);
    const json = parseJsonObject(utf8Decoder.decode(whole));
    if (json === undefined) {
      throw new MalformedResponseError('OpenAI Responses response body is not a JSON object');
    }
    this.#usage = usageFromResponses(json.usage);
    this.#noteModel(json);
    return this.#result(undefined);
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return openAIErrorResponse(status, body);
  }

  /** An SSE response: forwarded as it is; the events that carry the model or usage are read. */
  #streamed(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const sse = (this.#sse ??= new SseParser());
    const frames = sse.feed(chunk);
    const isMidFrame = endOfStream && sse.frameStart !== undefined;
    const last = endOfStream ? sse.end() : undefined;
    if (last !== undefined) frames.push(last);
    for (const frame of frames) this.#onFrame(frame);
    if (!endOfStream || !this.#integrity.isOpen) return this.#result(undefined);
    this.#integrity.fail();
    const frame = responsesTruncatedFrame(this.#nextSequence);
    return this.#result(appendFrame(chunk, { frame, isMidFrame }));
  }

  #onFrame(frame: SseFrame): void {
    if (frame.data === undefined || !this.#integrity.isOpen) return;
    this.#nextSequence++;
    const json = readEvent(frame);
    if (json === undefined) return;
    if (typeof json.sequence_number === 'number') this.#nextSequence = json.sequence_number + 1;
    const response = isJsonObject(json.response) ? json.response : undefined;
    if (response !== undefined) {
      this.#noteModel(response);
      this.#usage = usageFromResponses(response.usage) ?? this.#usage;
    }
    const end = terminalEvents.get(String(json.type));
    if (end === 'finished') this.#integrity.finish();
    if (end === 'failed') this.#integrity.fail();
  }

  /** Keeps the first non-empty `model` the provider reports. */
  #noteModel(json: JsonObject): void {
    if (this.#responseModel === undefined && typeof json.model === 'string' && json.model !== '') {
      this.#responseModel = json.model;
    }
  }

  #result(body: Uint8Array | undefined): ResponseBodyResult {
    return { body, usage: this.#usage, responseModel: this.#responseModel };
  }
}

/** Whether an event is one {@link ResponsesToOpenAITranslator} reads (model, usage, end). */
function isReadEvent(type: string): boolean {
  return type === 'response.created' || terminalEvents.has(type);
}

/** A frame's event parsed, when it is one of the events read (others are not parsed). */
function readEvent(frame: SseFrame): JsonObject | undefined {
  const type = frameType(frame);
  if (type === undefined || (type !== '' && !isReadEvent(type))) return undefined;
  const json = parseJsonObject(frame.data ?? '');
  return json !== undefined && typeof json.type === 'string' ? json : undefined;
}

/**
 * Creates the `/v1/responses` passthrough to an OpenAI or Azure OpenAI backend for one attempt.
 */
export function createResponsesToOpenAITranslator(
  options: ResponsesToOpenAITranslatorOptions,
): Translator {
  return new ResponsesToOpenAITranslator(options);
}
