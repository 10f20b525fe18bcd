/**
 * Token counting on backends that have a count API but not the client's: AWS Bedrock
 * (`/model/{id}/count-tokens`, Converse or InvokeModel input), Vertex AI Gemini (`:countTokens`),
 * Claude on Vertex AI (`count-tokens:rawPredict`) and Anthropic (`/v1/messages/count_tokens`).
 *
 * The client's request (vLLM `/tokenize`, OpenAI `/v1/responses/input_tokens`) is first turned into
 * a chat completions body; the backend's own chat translator then builds its generate request, and
 * the fields that count (messages, system, tools) are moved into the count request. So a count
 * sees exactly what a generation of the same input would send, and refuses what it would refuse.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/tokenize_awsbedrock.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/tokenize_awsanthropic.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/tokenize_gcpvertexai.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/tokenize_gcpanthropic.go
 */
import {
  bedrockAnthropicVersion,
  vertexAnthropicVersion,
} from '../apischema/anthropic/messages.js';
import { MalformedResponseError } from '../errors.js';
import { vertexGeminiPath } from '../gemini/gcpvertexai.js';
import { createOpenAIToAnthropicTranslator } from '../openai/anthropic.js';
import { createOpenAIToAwsAnthropicTranslator } from '../openai/awsanthropic.js';
import { createOpenAIToAwsBedrockTranslator } from '../openai/awsbedrock.js';
import { createOpenAIToGcpAnthropicTranslator, gcpAnthropicPath } from '../openai/gcpanthropic.js';
import { createOpenAIToGcpVertexAiTranslator } from '../openai/gcpvertexai.js';
import { escapePathSegment } from '../openai/shared/path-segment.js';
import { BodyCollector, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { parseJsonObject, type JsonObject } from '../shared/json.js';
import type {
  BackendSchema,
  BackendSchemaName,
  ErrorResponse,
  GcpLocation,
  HeaderChanges,
  ParsedRequest,
  ResponseBodyResult,
  ResponseHeadersResult,
  TranslatedRequest,
  TranslateRequestOptions,
  Translator,
} from '../translator.js';
import type { Usage } from '../usage.js';
import { tokenCount } from './json-passthrough.js';

/** The backend schemas with a count API reachable through their chat translator. */
export type CountingSchemaName = Extract<
  BackendSchemaName,
  'AWSBedrock' | 'AWSAnthropic' | 'GCPVertexAI' | 'GCPAnthropic' | 'Anthropic'
>;

/** Whether a schema is a {@link CountingSchemaName}. */
export function isCountingSchema(name: BackendSchemaName): name is CountingSchemaName {
  return (
    name === 'AWSBedrock' ||
    name === 'AWSAnthropic' ||
    name === 'GCPVertexAI' ||
    name === 'GCPAnthropic' ||
    name === 'Anthropic'
  );
}

/** The count request built from the chat translator's generate request. */
interface CountRequest {
  readonly path: string;
  readonly body: JsonObject;
}

/** How one backend counts. */
interface CountBackend {
  /** The backend's chat translator, for the generate request and the error mapping. */
  chat(schema: BackendSchema, gcp: GcpLocation | undefined): Translator;
  /** Builds the count request from the generate request (body parsed) and the model sent. */
  count(generate: TranslatedRequest, body: JsonObject, target: CountTarget): CountRequest;
  /** The count in the backend's whole 2xx answer. */
  read(json: JsonObject): number | undefined;
}

interface CountTarget {
  readonly model: string;
  readonly schema: BackendSchema;
  readonly gcp: GcpLocation | undefined;
}

/** The fields of `body` listed in `keys` that are present. */
function pick(body: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) {
    if (body[key] !== undefined) out[key] = body[key];
  }
  return out;
}

/**
 * Bedrock's CountTokens does not take cross-region inference profile ids (`us.anthropic.…`):
 * the geography prefix is dropped for counting only, as upstream does.
 */
const crossRegionPrefix = /^(?:us|eu|apac|jp|au|ca|us-gov|global)\./;

/** `/model/{id without a cross-region prefix}/count-tokens`. */
export function bedrockCountTokensPath(model: string): string {
  return `/model/${escapePathSegment(model.replace(crossRegionPrefix, ''))}/count-tokens`;
}

/** Standard base64 of the UTF-8 bytes of `text` (no Node Buffer: the translator is runtime-neutral). */
function base64(text: string): string {
  let binary = '';
  for (const byte of utf8Encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const backends: Readonly<Record<CountingSchemaName, CountBackend>> = {
  AWSBedrock: {
    chat: (schema) => createOpenAIToAwsBedrockTranslator({ schema }),
    count: (_generate, body, { model }) => ({
      path: bedrockCountTokensPath(model),
      body: { input: { converse: pick(body, ['messages', 'system', 'toolConfig']) } },
    }),
    read: (json) => tokenCount(json.inputTokens),
  },
  AWSAnthropic: {
    chat: (schema) => createOpenAIToAwsAnthropicTranslator({ schema }),
    count: (_generate, body, { model }) => {
      // Bedrock validates the wrapped body as an InvokeModel request: version and max_tokens stay.
      const invoke = {
        anthropic_version: bedrockAnthropicVersion,
        max_tokens: 1,
        ...pick(body, ['max_tokens', 'messages', 'system', 'tools', 'thinking']),
      };
      return {
        path: bedrockCountTokensPath(model),
        body: { input: { invokeModel: { body: base64(JSON.stringify(invoke)) } } },
      };
    },
    read: (json) => tokenCount(json.inputTokens),
  },
  GCPVertexAI: {
    chat: (schema, gcp) => createOpenAIToGcpVertexAiTranslator({ schema, gcp }),
    count: (_generate, body, { model, gcp }) => ({
      path: vertexGeminiPath({ gcp, model, method: 'countTokens' }),
      body: pick(body, ['contents', 'systemInstruction', 'tools']),
    }),
    read: (json) => tokenCount(json.totalTokens),
  },
  GCPAnthropic: {
    chat: (schema, gcp) => createOpenAIToGcpAnthropicTranslator({ schema, gcp }),
    count: (_generate, body, { model, schema, gcp }) => ({
      // The model is `count-tokens` in the path; the real one goes in the body, without the
      // `@default` / `@latest` aliases the count endpoint refuses.
      path: gcpAnthropicPath({ gcp, model: 'count-tokens', stream: false }),
      body: {
        anthropic_version: schema.version ?? vertexAnthropicVersion,
        model: model.replace(/@(?:default|latest)$/, ''),
        ...pick(body, ['messages', 'system', 'tools']),
      },
    }),
    read: (json) => tokenCount(json.input_tokens),
  },
  Anthropic: {
    chat: (schema) => createOpenAIToAnthropicTranslator({ schema }),
    count: (generate, body) => {
      const query = generate.path.indexOf('?');
      const path = query === -1 ? generate.path : generate.path.slice(0, query);
      const rest = query === -1 ? '' : generate.path.slice(query);
      return {
        path: `${path}/count_tokens${rest}`,
        body: pick(body, ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking']),
      };
    },
    read: (json) => tokenCount(json.input_tokens),
  },
};

/** Input of {@link createChatCountTranslator}. */
export interface ChatCountTranslatorOptions {
  /** The backend (one with a count API). */
  readonly schema: BackendSchema & { readonly name: CountingSchemaName };
  /** GCP project and region, for Vertex AI paths. */
  readonly gcp?: GcpLocation | undefined;
  /** The client body as a chat completions body (`model` set, no `stream`). */
  toChat(request: ParsedRequest): JsonObject;
  /** The client's answer for a count. */
  render(count: number): JsonObject;
  /** The usage a count reports to the gateway, if any. */
  usage(count: number): Usage | undefined;
  /** The backend's name for messages (e.g. "AWS Bedrock"). */
  readonly backendName: string;
}

const jsonHeaderName = 'content-type';
/** The response body is rebuilt: the upstream's `content-length` must go. */
const rebuiltHeaders: HeaderChanges = Object.freeze({
  set: Object.freeze([Object.freeze(['content-type', 'application/json'] as const)]),
  remove: Object.freeze(['content-length']),
});
const empty = new Uint8Array(0);

/** State of one attempt; see {@link createChatCountTranslator}. */
class ChatCountTranslator implements Translator {
  readonly #options: ChatCountTranslatorOptions;
  readonly #backend: CountBackend;
  readonly #chat: Translator;
  readonly #body = new BodyCollector();
  #model: string | undefined = undefined;
  #usage: Usage | undefined = undefined;

  constructor(options: ChatCountTranslatorOptions) {
    this.#options = options;
    this.#backend = backends[options.schema.name];
    this.#chat = this.#backend.chat(options.schema, options.gcp);
  }

  request(options: TranslateRequestOptions): TranslatedRequest {
    const chatBody = this.#options.toChat(options.request);
    const chatRequest: ParsedRequest = {
      endpoint: 'chat-completions',
      raw: utf8Encoder.encode(JSON.stringify(chatBody)),
      body: chatBody,
      model: options.request.model,
      stream: false,
    };
    const generate = this.#chat.request({ ...options, request: chatRequest });
    const generateBody =
      parseJsonObject(utf8Decoder.decode(generate.body ?? chatRequest.raw)) ?? {};
    const target = { model: generate.model, schema: this.#options.schema, gcp: this.#options.gcp };
    const counted = this.#backend.count(generate, generateBody, target);
    this.#model = generate.model;
    return {
      path: counted.path,
      headers: {
        set: [
          ...generate.headers.set.filter(([name]) => name !== jsonHeaderName),
          ['content-type', 'application/json'],
        ],
        remove: generate.headers.remove,
      },
      body: utf8Encoder.encode(JSON.stringify(counted.body)),
      model: generate.model,
    };
  }

  responseHeaders(): ResponseHeadersResult {
    return { headers: rebuiltHeaders, isStreaming: false };
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): ResponseBodyResult {
    const whole = this.#body.add(chunk, endOfStream);
    if (whole === undefined) return { body: empty, usage: undefined, responseModel: this.#model };
    const json = parseJsonObject(utf8Decoder.decode(whole));
    const count = json === undefined ? undefined : this.#backend.read(json);
    if (count === undefined) {
      throw new MalformedResponseError(
        `${this.#options.backendName} token count response has no token count`,
      );
    }
    this.#usage = this.#options.usage(count);
    return {
      body: utf8Encoder.encode(JSON.stringify(this.#options.render(count))),
      usage: this.#usage,
      responseModel: this.#model,
    };
  }

  responseError(
    status: number,
    headers: ReadonlyMap<string, string>,
    body: Uint8Array,
  ): ErrorResponse {
    // The count API answers errors as the backend's generate API does.
    return this.#chat.responseError(status, headers, body);
  }
}

/**
 * Creates a translator that counts the tokens of a client request on a backend's count API, by
 * way of the backend's chat translator (see the module comment).
 */
export function createChatCountTranslator(options: ChatCountTranslatorOptions): Translator {
  return new ChatCountTranslator(options);
}

/** The display names of the counting backends, for messages. */
export const countingBackendNames: Readonly<Record<CountingSchemaName, string>> = {
  AWSBedrock: 'AWS Bedrock',
  AWSAnthropic: 'Claude on AWS Bedrock',
  GCPVertexAI: 'GCP Vertex AI',
  GCPAnthropic: 'Claude on GCP Vertex AI',
  Anthropic: 'Anthropic',
};
