/**
 * Conformance suites for the one-object APIs: `/tokenize` (vLLM), `/v1/responses/input_tokens`
 * (OpenAI) and `/cohere/v2/rerank` (Cohere). Each provider codec reads what the provider would
 * read (the texts it counts, in its own wire format: vLLM/OpenAI passthrough, Bedrock CountTokens
 * with Converse or base64 InvokeModel input, Vertex `countTokens`, Anthropic `count_tokens` on
 * Anthropic and Vertex) and answers as it would.
 */
import { createCountTokensTranslator, isCountTokensSchema } from '../anthropic/count-tokens.js';
import { createCohereToCohereRerankTranslator } from '../cohere/rerank.js';
import { createResponsesInputTokensTranslator } from '../responses/input-tokens.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { createTokenizeTranslator } from '../tokenize/tokenize.js';
import type {
  BackendSchema,
  BackendSchemaName,
  ParsedRequest,
  TranslatedRequest,
  Translator,
} from '../translator.js';
import type { WireResponse } from './conformance.js';
import { assertEqual, ConformanceError, type NeutralError } from './neutral.js';
import type {
  EndpointSuite,
  SuiteBackend,
  SuiteCase,
  SuiteCheck,
  SuiteIngress,
  WireError,
} from './suite.js';

const gcp = { project: 'proj', region: 'us-east5' };
const jsonType = new Map([['content-type', 'application/json']]);

/** A count request in neutral terms: a prompt, or a system text and user texts. */
export interface CountRequest {
  readonly model: string;
  readonly system?: string;
  readonly texts: readonly string[];
}

/** What the provider will count. */
export interface CountUpstream {
  readonly model: string;
  /** The system text, if any. */
  readonly system: string | undefined;
  /** The user texts, in order. */
  readonly texts: readonly string[];
}

/** The provider's count. */
export interface CountResponse {
  readonly count: number;
}

/** What the client read: the count. */
export interface CountView {
  readonly count: number;
}

function json(value: unknown): WireResponse {
  return { contentType: 'application/json', body: utf8Encoder.encode(JSON.stringify(value)) };
}

function bodyOf(translated: TranslatedRequest, original: ParsedRequest): JsonObject {
  const body = parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw));
  if (body === undefined) throw new ConformanceError('the provider got a body that is not JSON');
  return body;
}

function match(path: string, pattern: RegExp): string {
  const found = pattern.exec(path);
  if (found === null) throw new ConformanceError(`unexpected path ${path}`);
  return decodeURIComponent(found[1] ?? '');
}

/** The texts of a content field: a string, or a list of blocks with `text`. */
function textsOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((block) =>
    isJsonObject(block) && typeof block.text === 'string' ? [block.text] : [],
  );
}

/** The texts of a list of messages (`content` or Gemini `parts`). */
function messageTexts(messages: unknown, roles: readonly string[]): string[] {
  if (!Array.isArray(messages)) return [];
  return messages
    .filter(isJsonObject)
    .filter((m) => roles.includes(String(m.role)))
    .flatMap((m) => textsOf(m.content ?? m.parts));
}

function joined(texts: readonly string[]): string | undefined {
  return texts.length === 0 ? undefined : texts.join('\n');
}

/** The system text of an Anthropic or Bedrock body (string or blocks). */
function systemOf(value: unknown): string | undefined {
  return joined(textsOf(value));
}

/** Anthropic `{"type":"error","error":{"type","message"}}`. */
function anthropicError(error: NeutralError): WireError {
  const body = { type: 'error', error: { type: 'invalid_request_error', message: error.message } };
  return { headers: jsonType, body: utf8Encoder.encode(JSON.stringify(body)) };
}

/** An OpenAI-compatible server's error. */
function openAIError(error: NeutralError): WireError {
  const body = { error: { message: error.message, type: 'invalid_request_error', code: null } };
  return { headers: jsonType, body: utf8Encoder.encode(JSON.stringify(body)) };
}

/** A Bedrock error: `{"message"}` with the type in `x-amzn-errortype`. */
function bedrockError(error: NeutralError): WireError {
  return {
    headers: new Map([
      ['content-type', 'application/json'],
      ['x-amzn-errortype', 'ValidationException'],
    ]),
    body: utf8Encoder.encode(JSON.stringify({ message: error.message })),
  };
}

/** A Vertex AI error: `{"error":{"code","message","status"}}`. */
function vertexError(error: NeutralError): WireError {
  const body = {
    error: { code: error.status, message: error.message, status: 'INVALID_ARGUMENT' },
  };
  return { headers: jsonType, body: utf8Encoder.encode(JSON.stringify(body)) };
}

type CountBackend = SuiteBackend<CountUpstream, CountResponse>;

/** Bedrock CountTokens with Converse input. */
const bedrockConverse: CountBackend = {
  readRequest: (translated, original) => {
    const model = match(translated.path, /^\/model\/([^/]+)\/count-tokens$/);
    const converse = (bodyOf(translated, original).input as JsonObject | undefined)?.converse;
    if (!isJsonObject(converse)) throw new ConformanceError('no input.converse');
    const system = Array.isArray(converse.system) ? converse.system : [];
    return {
      model,
      system: joined(textsOf(system)),
      texts: messageTexts(converse.messages, ['user']),
    };
  },
  encodeResponse: (response) => json({ inputTokens: response.count }),
  encodeError: bedrockError,
};

/** Bedrock CountTokens with InvokeModel input (a base64 Anthropic body). */
const bedrockInvoke: CountBackend = {
  readRequest: (translated, original) => {
    const model = match(translated.path, /^\/model\/([^/]+)\/count-tokens$/);
    const invoke = (bodyOf(translated, original).input as JsonObject | undefined)?.invokeModel;
    if (!isJsonObject(invoke) || typeof invoke.body !== 'string') {
      throw new ConformanceError('no input.invokeModel.body');
    }
    const binary = atob(invoke.body);
    const inner = parseJsonObject(
      utf8Decoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    );
    if (inner?.anthropic_version !== 'bedrock-2023-05-31' || typeof inner.max_tokens !== 'number') {
      throw new ConformanceError('the InvokeModel body lacks anthropic_version or max_tokens');
    }
    return { model, system: systemOf(inner.system), texts: messageTexts(inner.messages, ['user']) };
  },
  encodeResponse: (response) => json({ inputTokens: response.count }),
  encodeError: bedrockError,
};

/** Vertex AI Gemini `:countTokens`. */
const vertexGemini: CountBackend = {
  readRequest: (translated, original) => {
    const model = match(
      translated.path,
      /^\/v1\/projects\/proj\/locations\/us-east5\/publishers\/google\/models\/([^/:]+):countTokens$/,
    );
    const body = bodyOf(translated, original);
    const instruction = isJsonObject(body.systemInstruction) ? body.systemInstruction : {};
    return {
      model,
      system: joined(textsOf(instruction.parts)),
      texts: messageTexts(body.contents, ['user']),
    };
  },
  encodeResponse: (response) => json({ totalTokens: response.count }),
  encodeError: vertexError,
};

/** Claude on Vertex AI, `count-tokens:rawPredict`, the model in the body. */
const vertexAnthropic: CountBackend = {
  readRequest: (translated, original) => {
    match(
      translated.path,
      /^\/v1\/projects\/proj\/locations\/us-east5\/publishers\/anthropic\/models\/(count-tokens):rawPredict$/,
    );
    const body = bodyOf(translated, original);
    if (body.anthropic_version !== 'vertex-2023-10-16') {
      throw new ConformanceError('no anthropic_version in the body');
    }
    return {
      model: String(body.model),
      system: systemOf(body.system),
      texts: messageTexts(body.messages, ['user']),
    };
  },
  encodeResponse: (response) => json({ input_tokens: response.count }),
  encodeError: anthropicError,
};

/** Anthropic `/v1/messages/count_tokens`. */
const anthropicCount: CountBackend = {
  readRequest: (translated, original) => {
    match(translated.path, /^\/v1\/messages\/(count_tokens)$/);
    const body = bodyOf(translated, original);
    return {
      model: String(body.model),
      system: systemOf(body.system),
      texts: messageTexts(body.messages, ['user']),
    };
  },
  encodeResponse: (response) => json({ input_tokens: response.count }),
  encodeError: anthropicError,
};

/** vLLM `/tokenize`, passed through. */
const vllmTokenize: CountBackend = {
  readRequest: (translated, original) => {
    match(translated.path, /^\/(tokenize)$/);
    const body = bodyOf(translated, original);
    const texts = typeof body.prompt === 'string' ? [body.prompt] : [];
    return {
      model: String(body.model),
      system: joined(messageTexts(body.messages, ['system'])),
      texts: [...texts, ...messageTexts(body.messages, ['user'])],
    };
  },
  encodeResponse: (response) =>
    json({
      count: response.count,
      max_model_len: 8192,
      tokens: Array.from({ length: response.count }, (_, i) => i),
    }),
  encodeError: openAIError,
};

/** OpenAI or Azure `/responses/input_tokens`, passed through. */
function openAIInputTokens(pattern: RegExp): CountBackend {
  return {
    readRequest: (translated, original) => {
      match(translated.path, pattern);
      const body = bodyOf(translated, original);
      return {
        model: String(body.model),
        system: typeof body.instructions === 'string' ? body.instructions : undefined,
        texts: typeof body.input === 'string' ? [body.input] : [],
      };
    },
    encodeResponse: (response) =>
      json({ object: 'response.input_tokens', input_tokens: response.count }),
    encodeError: openAIError,
  };
}

function readOpenAIError(body: Uint8Array): string {
  const error = parseJsonObject(utf8Decoder.decode(body))?.error;
  return isJsonObject(error) && typeof error.message === 'string' ? error.message : '';
}

/** The vLLM client: a prompt alone, or system + user messages. */
const tokenizeIngress: SuiteIngress<CountRequest, CountView> = {
  endpoint: 'tokenize',
  path: '/tokenize',
  encodeRequest: (request) =>
    request.system === undefined && request.texts.length === 1
      ? { model: request.model, prompt: request.texts[0] }
      : {
          model: request.model,
          messages: [
            ...(request.system === undefined ? [] : [{ role: 'system', content: request.system }]),
            ...request.texts.map((content) => ({ role: 'user', content })),
          ],
        },
  readResponse: (body) => {
    const out = parseJsonObject(utf8Decoder.decode(body));
    if (typeof out?.count !== 'number' || !Array.isArray(out.tokens)) {
      throw new ConformanceError(`not a tokenize answer: ${utf8Decoder.decode(body)}`);
    }
    if (typeof out.max_model_len !== 'number') throw new ConformanceError('no max_model_len');
    return { count: out.count };
  },
  readError: readOpenAIError,
};

/** The OpenAI Responses client: instructions and one input text. */
const inputTokensIngress: SuiteIngress<CountRequest, CountView> = {
  endpoint: 'responses-input-tokens',
  path: '/v1/responses/input_tokens',
  encodeRequest: (request) => ({
    model: request.model,
    ...(request.system === undefined ? {} : { instructions: request.system }),
    input: request.texts.join('\n'),
  }),
  readResponse: (body) => {
    const out = parseJsonObject(utf8Decoder.decode(body));
    if (out?.object !== 'response.input_tokens' || typeof out.input_tokens !== 'number') {
      throw new ConformanceError(`not an input_tokens answer: ${utf8Decoder.decode(body)}`);
    }
    return { count: out.input_tokens };
  },
  readError: readOpenAIError,
};

type CountCase = SuiteCase<CountRequest, CountUpstream, CountResponse, CountView>;

/** The cases shared by both count suites. */
function countCases(usage: 'input' | 'none'): CountCase[] {
  const expectUsage = (got: number | undefined, count: number): void => {
    assertEqual(got, usage === 'input' ? count : undefined, 'gateway input tokens');
  };
  return [
    {
      name: 'count-text',
      description: 'one text reaches the provider’s count API and its count comes back',
      request: { model: 'm-1', texts: ['How many tokens is this?'] },
      checkRequest: (up) => {
        assertEqual(up.texts.join('\n'), 'How many tokens is this?', 'counted text');
      },
      response: { count: 7 },
      checkResponse: ({ client, usage: got }) => {
        assertEqual(client.count, 7, 'count');
        expectUsage(got?.inputTokens, 7);
      },
    },
    {
      name: 'count-system',
      description: 'a system text (instructions) is counted too',
      request: { model: 'm-1', system: 'Be brief.', texts: ['Hello'] },
      checkRequest: (up) => {
        assertEqual(up.system, 'Be brief.', 'system text');
        assertEqual(up.texts.join('\n'), 'Hello', 'user text');
      },
      response: { count: 12 },
      checkResponse: ({ client }) => {
        assertEqual(client.count, 12, 'count');
      },
    },
    {
      name: 'error-response',
      description: 'a provider error reaches the client in its dialect with its status',
      request: { model: 'm-1', texts: ['x'] },
      error: { status: 400, message: 'model does not support counting' },
    },
  ];
}

type CountPair = EndpointSuite<
  CountRequest,
  CountUpstream,
  CountResponse,
  CountView
>['pairs'][number];

/** A pair of a count suite: `create` builds the translator for `schema`. */
function countPair(
  name: string,
  pair: {
    readonly schema: BackendSchema;
    readonly backend: CountBackend;
    readonly create: (schema: BackendSchema) => Translator | undefined;
  },
): CountPair {
  return {
    name,
    schema: pair.schema.name,
    backend: pair.backend,
    create: () => {
      const translator = pair.create(pair.schema);
      if (translator === undefined) throw new ConformanceError(`no translator for ${name}`);
      return translator;
    },
    skip: [],
  };
}

const tokenize = (schema: BackendSchema): Translator | undefined =>
  createTokenizeTranslator({ schema, gcp });
const inputTokens = (schema: BackendSchema): Translator | undefined =>
  createResponsesInputTokensTranslator({ schema, gcp });

/** `/tokenize`: vLLM passthrough and the four count APIs. */
export const tokenizeSuite: EndpointSuite<CountRequest, CountUpstream, CountResponse, CountView> = {
  title: '`/tokenize` (vLLM tokenize)',
  ingress: tokenizeIngress,
  cases: countCases('none'),
  pairs: [
    countPair('tokenize → openai', {
      schema: { name: 'OpenAI' },
      backend: vllmTokenize,
      create: tokenize,
    }),
    countPair('tokenize → awsbedrock', {
      schema: { name: 'AWSBedrock' },
      backend: bedrockConverse,
      create: tokenize,
    }),
    countPair('tokenize → awsanthropic', {
      schema: { name: 'AWSAnthropic' },
      backend: bedrockInvoke,
      create: tokenize,
    }),
    countPair('tokenize → gcpvertexai', {
      schema: { name: 'GCPVertexAI' },
      backend: vertexGemini,
      create: tokenize,
    }),
    countPair('tokenize → gcpanthropic', {
      schema: { name: 'GCPAnthropic' },
      backend: vertexAnthropic,
      create: tokenize,
    }),
  ],
};

/** `/v1/responses/input_tokens`: OpenAI and Azure passthrough, the count APIs by way of chat. */
export const inputTokensSuite: EndpointSuite<
  CountRequest,
  CountUpstream,
  CountResponse,
  CountView
> = {
  title: '`/v1/responses/input_tokens` (OpenAI Responses input-token count)',
  ingress: inputTokensIngress,
  cases: countCases('input'),
  pairs: [
    countPair('input_tokens → openai', {
      schema: { name: 'OpenAI' },
      backend: openAIInputTokens(/^\/v1\/responses\/(input_tokens)$/),
      create: inputTokens,
    }),
    countPair('input_tokens → azureopenai', {
      schema: { name: 'AzureOpenAI', version: '2025-04-01-preview' },
      backend: openAIInputTokens(
        /^\/openai\/responses\/(input_tokens)\?api-version=2025-04-01-preview$/,
      ),
      create: inputTokens,
    }),
    countPair('input_tokens → awsbedrock', {
      schema: { name: 'AWSBedrock' },
      backend: bedrockConverse,
      create: inputTokens,
    }),
    countPair('input_tokens → awsanthropic', {
      schema: { name: 'AWSAnthropic' },
      backend: bedrockInvoke,
      create: inputTokens,
    }),
    countPair('input_tokens → gcpvertexai', {
      schema: { name: 'GCPVertexAI' },
      backend: vertexGemini,
      create: inputTokens,
    }),
    countPair('input_tokens → gcpanthropic', {
      schema: { name: 'GCPAnthropic' },
      backend: vertexAnthropic,
      create: inputTokens,
    }),
    countPair('input_tokens → anthropic', {
      schema: { name: 'Anthropic' },
      backend: anthropicCount,
      create: inputTokens,
    }),
  ],
};

/** The Anthropic client: `/v1/messages/count_tokens` with a system text and user messages. */
const countTokensIngress: SuiteIngress<CountRequest, CountView> = {
  endpoint: 'count-tokens',
  path: '/v1/messages/count_tokens',
  encodeRequest: (request) => ({
    model: request.model,
    ...(request.system === undefined ? {} : { system: request.system }),
    messages: request.texts.map((content) => ({ role: 'user', content })),
  }),
  readResponse: (body) => {
    const out = parseJsonObject(utf8Decoder.decode(body));
    if (typeof out?.input_tokens !== 'number') {
      throw new ConformanceError(`not a count_tokens answer: ${utf8Decoder.decode(body)}`);
    }
    return { count: out.input_tokens };
  },
  readError: (body) => {
    const error = parseJsonObject(utf8Decoder.decode(body))?.error;
    return isJsonObject(error) && typeof error.message === 'string' ? error.message : '';
  },
};

const countTokens = (schema: BackendSchema): Translator | undefined => {
  const { name } = schema;
  return isCountTokensSchema(name)
    ? createCountTokensTranslator({ schema: { ...schema, name }, gcp })
    : undefined;
};

/**
 * `/v1/messages/count_tokens`: Anthropic passthrough, Claude on Vertex AI, and Bedrock CountTokens
 * with an InvokeModel body for Claude on Bedrock (both Bedrock schemas). Counting is free at the
 * providers, so no usage is reported.
 */
export const countTokensSuite: EndpointSuite<
  CountRequest,
  CountUpstream,
  CountResponse,
  CountView
> = {
  title: '`/v1/messages/count_tokens` (Anthropic token count)',
  ingress: countTokensIngress,
  cases: countCases('none'),
  pairs: [
    countPair('count_tokens → anthropic', {
      schema: { name: 'Anthropic' },
      backend: anthropicCount,
      create: countTokens,
    }),
    countPair('count_tokens → gcpanthropic', {
      schema: { name: 'GCPAnthropic' },
      backend: vertexAnthropic,
      create: countTokens,
    }),
    countPair('count_tokens → awsanthropic', {
      schema: { name: 'AWSAnthropic' },
      backend: bedrockInvoke,
      create: countTokens,
    }),
    countPair('count_tokens → awsbedrock', {
      schema: { name: 'AWSBedrock' },
      backend: bedrockInvoke,
      create: countTokens,
    }),
  ],
};

/** A rerank request in neutral terms. */
export interface RerankRequest {
  readonly model: string;
  readonly query: string;
  readonly documents: readonly string[];
  readonly topN?: number;
}

/** The provider's ranking: document indexes by relevance, and the tokens it read. */
export interface RerankResponse {
  readonly ranking: readonly number[];
  readonly inputTokens: number;
}

/** What the Cohere client read. */
export interface RerankView {
  readonly ranking: readonly number[];
}

const rerankIngress: SuiteIngress<RerankRequest, RerankView> = {
  endpoint: 'rerank',
  path: '/cohere/v2/rerank',
  encodeRequest: (request) => ({
    model: request.model,
    query: request.query,
    documents: request.documents,
    ...(request.topN === undefined ? {} : { top_n: request.topN }),
  }),
  readResponse: (body) => {
    const out = parseJsonObject(utf8Decoder.decode(body));
    if (!Array.isArray(out?.results)) throw new ConformanceError('no results');
    return { ranking: out.results.filter(isJsonObject).map((r) => Number(r.index)) };
  },
  readError: (body) => {
    const message = parseJsonObject(utf8Decoder.decode(body))?.message;
    return typeof message === 'string' ? message : '';
  },
};

const cohereBackend: SuiteBackend<RerankRequest, RerankResponse> = {
  readRequest: (translated, original) => {
    match(translated.path, /^\/v2\/(rerank)$/);
    const body = bodyOf(translated, original);
    return {
      model: String(body.model),
      query: String(body.query),
      documents: Array.isArray(body.documents) ? body.documents.map(String) : [],
      ...(typeof body.top_n === 'number' ? { topN: body.top_n } : {}),
    };
  },
  encodeResponse: (response) =>
    json({
      id: 'rr-1',
      results: response.ranking.map((index, rank) => ({ index, relevance_score: 1 - rank / 10 })),
      meta: {
        api_version: { version: '2' },
        billed_units: { search_units: 1 },
        tokens: { input_tokens: response.inputTokens, output_tokens: 0 },
      },
    }),
  encodeError: (error) => ({
    headers: jsonType,
    body: utf8Encoder.encode(JSON.stringify({ id: 'e-1', message: error.message })),
  }),
};

/** `/cohere/v2/rerank`: Cohere passthrough. */
export const rerankSuite: EndpointSuite<RerankRequest, RerankRequest, RerankResponse, RerankView> =
  {
    title: '`/cohere/v2/rerank` (Cohere rerank)',
    ingress: rerankIngress,
    cases: [
      {
        name: 'rerank',
        description:
          'query, documents and top_n reach Cohere; the ranking and its tokens come back',
        request: {
          model: 'rerank-v3.5',
          query: 'capital of France?',
          documents: ['Berlin', 'Paris'],
          topN: 2,
        },
        checkRequest: (up: RerankRequest): void => {
          assertEqual(up.documents, ['Berlin', 'Paris'], 'documents');
          assertEqual(up.topN, 2, 'top_n');
        },
        response: { ranking: [1, 0], inputTokens: 21 },
        checkResponse: ({ client, usage }: SuiteCheck<RerankResponse, RerankView>): void => {
          assertEqual(client.ranking, [1, 0], 'ranking');
          assertEqual(usage?.inputTokens, 21, 'gateway input tokens');
        },
      },
      {
        name: 'error-response',
        description: 'a provider error reaches the client in Cohere’s dialect with its status',
        request: { model: 'rerank-v3.5', query: 'q', documents: ['d'] },
        error: { status: 429, message: 'trial key rate limit' },
      },
    ],
    pairs: [
      {
        name: 'cohere → cohere',
        schema: 'Cohere' satisfies BackendSchemaName,
        backend: cohereBackend,
        create: () => createCohereToCohereRerankTranslator({ schema: { name: 'Cohere' } }),
        skip: [],
      },
    ],
  };
