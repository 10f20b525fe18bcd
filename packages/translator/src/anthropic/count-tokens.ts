/**
 * Anthropic `POST /v1/messages/count_tokens` for the backends that can count Claude tokens:
 *
 * - `Anthropic`: a passthrough to `/<prefix>/messages/count_tokens` (the model overridden when
 *   configured), as upstream's `counttokens_anthropic.go`.
 * - `GCPAnthropic`: Vertex AI's `publishers/anthropic/models/count-tokens:rawPredict`; the model
 *   stays in the body (the path names no model), `anthropic_version` (and `anthropic_beta` from
 *   the header) are added. The answer is Anthropic's `{"input_tokens": n}`.
 * - `AWSAnthropic` and `AWSBedrock`: Bedrock's `POST /model/{modelId}/count-tokens` with
 *   `{"input":{"invokeModel":{"body": base64(<the Claude InvokeModel body>)}}}`; Bedrock answers
 *   `{"inputTokens": n}`, re-emitted as `{"input_tokens": n}`. The InvokeModel body needs
 *   `max_tokens`, which count requests do not carry, so 1 is sent (it does not change the count).
 *
 * Counting costs nothing at the providers, so no token usage is reported (the gateway charges no
 * budget for it). Errors are converted to Anthropic's error JSON.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/counttokens_anthropic.go
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
 */
import {
  bedrockAnthropicVersion,
  vertexAnthropicVersion,
} from '../apischema/anthropic/messages.js';
import { MalformedRequestError } from '../errors.js';
import { gcpAnthropicPath } from '../openai/gcpanthropic.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject, type JsonObject } from '../shared/json.js';
import { prefixedPath, queryOf } from '../shared/path.js';
import {
  noHeaderChanges,
  type BackendSchema,
  type ErrorResponse,
  type GcpLocation,
  type HeaderChanges,
  type ResponseBodyResult,
  type ResponseHeadersResult,
  type TranslatedRequest,
  type TranslateRequestOptions,
  type Translator,
} from '../translator.js';
import { anthropicBetas, platformBody } from './anthropic.js';
import { anthropicErrorFromProvider } from './error.js';

/** The backend schemas that can count tokens. */
export type CountTokensSchemaName = 'Anthropic' | 'GCPAnthropic' | 'AWSAnthropic' | 'AWSBedrock';

/** Input of {@link createCountTokensTranslator}. */
export interface CountTokensTranslatorOptions {
  /** The backend schema (`version` is the platforms' `anthropic_version`). */
  readonly schema: BackendSchema & { readonly name: CountTokensSchemaName };
  /** Project and region of a `GCPAnthropic` backend; without them the path is relative. */
  readonly gcp?: GcpLocation | undefined;
}

/** Whether a schema can serve `count_tokens`. */
export function isCountTokensSchema(name: string): name is CountTokensSchemaName {
  return (
    name === 'Anthropic' ||
    name === 'GCPAnthropic' ||
    name === 'AWSAnthropic' ||
    name === 'AWSBedrock'
  );
}

/** How one backend takes a count request: path and body (`undefined` = the client's bytes). */
interface CountEnvelope {
  path(model: string, query: string): string;
  body(request: Readonly<JsonObject>, target: CountTarget): JsonObject | undefined;
  /** Whether the answer is Bedrock's `{"inputTokens"}` (re-emitted in Anthropic's shape). */
  readonly isBedrockAnswer: boolean;
}

interface CountTarget {
  readonly model: string;
  readonly isOverridden: boolean;
  readonly betas: readonly string[];
}

/**
 * Vertex AI's count-tokens path: Claude's `rawPredict` path with the model `count-tokens` (the
 * model itself goes in the body).
 */
export function gcpCountTokensPath(gcp: GcpLocation | undefined): string {
  return gcpAnthropicPath({ gcp, model: 'count-tokens', stream: false });
}

/** Bedrock's count-tokens path for a model id (URL-encoded: ids carry `:`). */
export function bedrockCountTokensPath(model: string): string {
  return `/model/${encodeURIComponent(model)}/count-tokens`;
}

/** Standard base64 of UTF-8 text. */
function base64Of(text: string): string {
  let binary = '';
  for (const byte of utf8Encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function envelopeFor(options: CountTokensTranslatorOptions): CountEnvelope {
  const { schema, gcp } = options;
  switch (schema.name) {
    case 'Anthropic': {
      const path = prefixedPath(schema.prefix ?? 'v1', '/messages/count_tokens');
      return {
        path: (_model, query) => path + query,
        body: (request, { model, isOverridden }) =>
          isOverridden ? { ...request, model } : undefined,
        isBedrockAnswer: false,
      };
    }
    case 'GCPAnthropic': {
      const version = schema.version ?? vertexAnthropicVersion;
      return {
        path: () => gcpCountTokensPath(gcp),
        body: (request, { model, betas }) => ({
          ...platformBody(request, { version, betas, keepStream: false }),
          model,
        }),
        isBedrockAnswer: false,
      };
    }
    case 'AWSAnthropic':
    case 'AWSBedrock': {
      const version =
        schema.name === 'AWSAnthropic'
          ? (schema.version ?? bedrockAnthropicVersion)
          : bedrockAnthropicVersion;
      return {
        path: (model) => bedrockCountTokensPath(model),
        body: (request, { betas }) => {
          const invoke = platformBody(request, { version, betas, keepStream: false });
          invoke.max_tokens ??= 1;
          return { input: { invokeModel: { body: base64Of(JSON.stringify(invoke)) } } };
        },
        isBedrockAnswer: true,
      };
    }
  }
}

const jsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze([]),
});

const rebuiltJsonHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze(['content-length']),
});

/** The count-tokens translator for one request attempt. */
class CountTokensTranslator implements Translator {
  readonly #envelope: CountEnvelope;
  readonly #body = new BodyCollector();
  #model = '';

  constructor(envelope: CountEnvelope) {
    this.#envelope = envelope;
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const { request, modelNameOverride } = options;
    if (!Array.isArray(request.body.messages)) {
      throw new MalformedRequestError('field "messages" must be an array');
    }
    const isOverridden =
      modelNameOverride !== undefined &&
      modelNameOverride !== '' &&
      modelNameOverride !== request.model;
    const model = isOverridden ? modelNameOverride : request.model;
    this.#model = model;
    const path = this.#envelope.path(model, queryOf(options.path));
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

  responseHeaders(): ResponseHeadersResult {
    // Bedrock's answer is rebuilt, so its content-length would be wrong (Envoy fails on that).
    const headers = this.#envelope.isBedrockAnswer ? rebuiltJsonHeaders : noHeaderChanges;
    return { headers, isStreaming: false };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    if (!this.#envelope.isBedrockAnswer) {
      return { body: undefined, usage: undefined, responseModel: this.#model };
    }
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) {
      return { body: new Uint8Array(0), usage: undefined, responseModel: this.#model };
    }
    const json = parseJsonObject(utf8Decoder.decode(whole));
    const count = json?.inputTokens;
    // An answer without a count is passed on as it came, for the client to judge.
    const body =
      typeof count === 'number'
        ? utf8Encoder.encode(JSON.stringify({ input_tokens: count }))
        : whole;
    return { body, usage: undefined, responseModel: this.#model };
  }

  responseError(
    status: number,
    _headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    return anthropicErrorFromProvider(status, body);
  }
}

/**
 * Creates the `/v1/messages/count_tokens` translator for an Anthropic, GCP Anthropic, AWS
 * Anthropic or AWS Bedrock backend.
 */
export function createCountTokensTranslator(options: CountTokensTranslatorOptions): Translator {
  return new CountTokensTranslator(envelopeFor(options));
}
