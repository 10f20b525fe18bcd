/**
 * The translator contract: what the extproc upstream processor calls on every request attempt.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/translator.go
 */
import type { Usage } from './usage.js';

/** The ingress APIs the gateway accepts. */
export type Endpoint =
  | 'chat-completions'
  | 'completions'
  | 'embeddings'
  | 'messages'
  | 'responses'
  | 'image-generations'
  | 'audio-speech'
  | 'audio-transcriptions'
  | 'audio-translations'
  /** `/v1/responses/input_tokens`: OpenAI's input-token count for a Responses body. */
  | 'responses-input-tokens'
  /** `/tokenize`: vLLM's tokenize API (`{model, prompt}` or `{model, messages}`). */
  | 'tokenize'
  /** `/cohere/v2/rerank`: Cohere's rerank API. */
  | 'rerank'
  /** `/v1/messages/count_tokens`: Anthropic's input-token count for a Messages body. */
  | 'count-tokens'
  /** Gemini `…/models/{model}:generateContent` and `:streamGenerateContent` (stream by path). */
  | 'gemini-generate-content'
  /** Gemini `…/models/{model}:countTokens`. */
  | 'gemini-count-tokens';

/** Every {@link Endpoint}, for exhaustive loops (tests, config validation). */
export const endpoints: readonly Endpoint[] = [
  'chat-completions',
  'completions',
  'embeddings',
  'messages',
  'responses',
  'image-generations',
  'audio-speech',
  'audio-transcriptions',
  'audio-translations',
  'responses-input-tokens',
  'tokenize',
  'rerank',
  'count-tokens',
  'gemini-generate-content',
  'gemini-count-tokens',
];

/** Backend API schemas (upstream's AIServiceBackend schema names). */
export type BackendSchemaName =
  | 'OpenAI'
  | 'AzureOpenAI'
  | 'AWSBedrock'
  | 'GCPVertexAI'
  | 'GCPAnthropic'
  | 'AWSAnthropic'
  | 'Anthropic'
  | 'Cohere';

/** Every {@link BackendSchemaName}, for exhaustive loops (tests, config validation). */
export const backendSchemaNames: readonly BackendSchemaName[] = [
  'OpenAI',
  'AzureOpenAI',
  'AWSBedrock',
  'GCPVertexAI',
  'GCPAnthropic',
  'AWSAnthropic',
  'Anthropic',
  'Cohere',
];

/** A backend's API schema as configured on its AIServiceBackend. */
export interface BackendSchema {
  /** Which API the backend speaks. */
  readonly name: BackendSchemaName;
  /** API version where the schema has one (Azure `api-version`, Anthropic version header). */
  readonly version?: string;
  /** Path prefix for OpenAI-compatible backends; defaults to `v1`, `''` means no prefix. */
  readonly prefix?: string;
  /**
   * How `/v1/responses` reaches an `OpenAI` or `AzureOpenAI` backend: `passthrough` (the default,
   * as upstream: the provider serves the Responses API itself) or `chat` (translated to chat
   * completions, for OpenAI-compatible servers without `/v1/responses`). Ignored by other schemas,
   * which always get the chat translation.
   */
  readonly responsesApi?: ResponsesApiMode;
}

/** See {@link BackendSchema.responsesApi}. */
export type ResponsesApiMode = 'passthrough' | 'chat';

/** The client's API dialect, for error bodies. */
export type Dialect = 'openai' | 'anthropic' | 'cohere' | 'gemini';

/** The parsed client request, produced once by the router level. */
export interface ParsedRequest {
  /** The ingress API the request arrived on. */
  readonly endpoint: Endpoint;
  /** Original body bytes, exactly as received. */
  readonly raw: Uint8Array;
  /** `JSON.parse(raw)`, guaranteed a plain object. Never mutated by translators. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The `model` field: a non-empty string (for Gemini endpoints: the model named in the path). */
  readonly model: string;
  /**
   * The `stream` field (false when absent; always false for embeddings); for Gemini endpoints
   * whether the path's method is `streamGenerateContent`.
   */
  readonly stream: boolean;
  /**
   * The parts of a `multipart/form-data` body (audio transcriptions and translations), as offsets
   * into {@link raw}; `body` then holds the text fields. Absent for JSON bodies.
   */
  readonly form?: MultipartForm;
}

/** A `multipart/form-data` body's layout: its boundary and parts, as offsets into the raw body. */
export interface MultipartForm {
  /** The boundary from the request's content-type. */
  readonly boundary: string;
  /** The parts, in body order. */
  readonly parts: readonly MultipartPart[];
}

/** One part of a {@link MultipartForm}; its content is `raw.subarray(start, end)` (not copied). */
export interface MultipartPart {
  /** The `name` of its `content-disposition: form-data`. */
  readonly name: string;
  /** The `filename`, for a file part. */
  readonly filename: string | undefined;
  /** The part's own content-type, if given. */
  readonly contentType: string | undefined;
  /** Offset of the first content byte in the raw body. */
  readonly start: number;
  /** Offset after the last content byte. */
  readonly end: number;
}

/** Input of {@link Translator.request}. */
export interface TranslateRequestOptions {
  /** The client request; shared across retries, so translators never mutate it. */
  readonly request: ParsedRequest;
  /** The backend's model name override; absent or `''` means "send the client's model". */
  readonly modelNameOverride?: string;
  /** The original `:path`, including the query string. */
  readonly path: string;
  /**
   * The client's request headers (lowercase names), for translators whose upstream carries some of
   * them in the body (Anthropic `anthropic-beta` on Bedrock and Vertex AI). Optional.
   */
  readonly headers?: ReadonlyMap<string, string>;
}

/** Header mutations, applied by the caller in order: `remove` first, then `set`. */
export interface HeaderChanges {
  /** Headers to set (replacing any existing value); names are lowercase. */
  readonly set: readonly (readonly [name: string, value: string])[];
  /** Lowercase names of headers to remove. */
  readonly remove: readonly string[];
}

/** Output of {@link Translator.request}. */
export interface TranslatedRequest {
  /** The upstream `:path`. */
  readonly path: string;
  /** Header changes, e.g. content-type when the body changes; never credentials (the caller adds auth). */
  readonly headers: HeaderChanges;
  /** The new body, or `undefined` to send the original bytes unchanged (passthrough fast path). */
  readonly body: Uint8Array | undefined;
  /** The model actually sent upstream (override applied). */
  readonly model: string;
}

/** Output of {@link Translator.responseHeaders}. */
export interface ResponseHeadersResult {
  /** Header changes for the client response. */
  readonly headers: HeaderChanges;
  /** Whether the upstream answers with server-sent events (the caller streams the body). */
  readonly isStreaming: boolean;
}

/** Output of {@link Translator.responseBody}. */
export interface ResponseBodyResult {
  /** `undefined` = forward this chunk unchanged; otherwise replace this chunk with these bytes (may be empty). */
  readonly body: Uint8Array | undefined;
  /** Cumulative usage known so far (final once `endOfStream`); treat as read-only. */
  readonly usage: Usage | undefined;
  /** The model the upstream says it used, once known; callers fall back to {@link TranslatedRequest.model}. */
  readonly responseModel: string | undefined;
}

/** A complete error response in the client's dialect. */
export interface ErrorResponse {
  /** HTTP status for the client. */
  readonly status: number;
  /** Value for the content-type header. */
  readonly contentType: string;
  /** The whole response body. */
  readonly body: Uint8Array;
}

/** One translator instance per request attempt (it holds streaming state). Created by the registry. */
export interface Translator {
  /** Translates the client request for the upstream; call once per instance. */
  request(options: TranslateRequestOptions): TranslatedRequest;
  /**
   * Inspects the upstream's 2xx response headers. `headers` keys are lowercase (as Envoy sends
   * them).
   */
  responseHeaders(status: number, headers: ReadonlyMap<string, string>): ResponseHeadersResult;
  /**
   * Called for each body chunk (BUFFERED mode: once, with endOfStream true; STREAMED: many). A
   * stream that ends without an end-of-stream body chunk (trailers) must be finished with
   * `responseBody(new Uint8Array(0), true)` so held-back bytes are released.
   */
  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult;
  /**
   * Converts a non-2xx upstream response (whole body) into the client's dialect; an
   * already-well-formed error of the same dialect passes through unchanged (same bytes).
   */
  responseError(
    status: number,
    headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse;
}

/** Input of `createTranslator`. */
export interface CreateTranslatorOptions {
  /** The ingress API of the client request. */
  readonly endpoint: Endpoint;
  /** The schema of the backend the attempt goes to. */
  readonly schema: BackendSchema;
  /**
   * GCP project and region for Vertex AI backends (`GCPAnthropic`); they live in the backend's
   * credentials, not its schema. Without them GCP paths are relative (`publishers/…`), for an auth
   * layer that adds `/v1/projects/{project}/locations/{region}/`.
   */
  readonly gcp?: GcpLocation | undefined;
}

/** Where a Vertex AI backend lives. */
export interface GcpLocation {
  /** GCP project id. */
  readonly project: string;
  /** GCP region, e.g. `us-east5`. */
  readonly region: string;
}

/** The model sent upstream: the route's override when set, else the client's. */
export function upstreamModel(options: TranslateRequestOptions): string {
  const override = options.modelNameOverride;
  return override !== undefined && override !== '' ? override : options.request.model;
}

/** Header changes that change nothing; shared so passthrough results allocate nothing. */
export const noHeaderChanges: HeaderChanges = Object.freeze({
  set: Object.freeze([]),
  remove: Object.freeze([]),
});
