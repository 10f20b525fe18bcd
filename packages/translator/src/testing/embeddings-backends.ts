/**
 * Provider codecs and pairs for the `/v1/embeddings` suite, each in the provider's real wire
 * format: OpenAI and Azure OpenAI (`{"object":"list","data":[{"embedding"}]}`, base64 when asked),
 * AWS Bedrock Titan text embeddings (`/model/{id}/invoke`, `{"inputText","dimensions"}` →
 * `{"embedding","inputTextTokenCount"}`, errors as `{"message"}` + `x-amzn-errortype`) and Vertex
 * AI `predict` (`{"instances":[{"content"}],"parameters":{"outputDimensionality"}}` →
 * `{"predictions":[{"embeddings":{"values","statistics":{"token_count"}}}]}`).
 */
import { createOpenAIToAwsBedrockEmbeddingsTranslator } from '../openai/awsbedrock-embeddings.js';
import { createOpenAIToAzureOpenAITranslator } from '../openai/azureopenai.js';
import { createOpenAIToGcpVertexAiEmbeddingsTranslator } from '../openai/gcpvertexai-embeddings.js';
import { createOpenAIToOpenAITranslator } from '../openai/openai.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import type { TranslatedRequest, ParsedRequest } from '../translator.js';
import type { WireResponse } from './conformance.js';
import {
  embeddingsCases,
  encodeBase64Vector,
  openAIEmbeddingsIngress,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type EmbeddingsUpstream,
  type EmbeddingsView,
} from './embeddings-suite.js';
import { ConformanceError } from './neutral.js';
import type { EndpointSuite, SuiteBackend, WireError } from './suite.js';

type Backend = SuiteBackend<EmbeddingsUpstream, EmbeddingsResponse>;

const jsonHeaders = new Map([['content-type', 'application/json']]);

function json(value: unknown): WireResponse {
  return { contentType: 'application/json', body: utf8Encoder.encode(JSON.stringify(value)) };
}

function bodyOf(translated: TranslatedRequest, original: ParsedRequest): JsonObject {
  return parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {};
}

/** Throws unless every key of `object` is one the provider accepts (they 400 on others). */
function onlyKeys(object: JsonObject, allowed: readonly string[], where: string): void {
  const extra = Object.keys(object).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new ConformanceError(`${where} has fields the provider rejects: ${extra.join(', ')}`);
  }
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function inputsOf(input: unknown): string[] {
  return typeof input === 'string' ? [input] : Array.isArray(input) ? input.map(String) : [];
}

/** OpenAI (`/v1/embeddings`, model in the body) or Azure OpenAI (deployment in the path). */
function openAIEmbeddingsBackend(platform: 'openai' | 'azure'): Backend {
  const pathPattern =
    platform === 'openai'
      ? /^\/v1\/embeddings$/
      : /^\/openai\/deployments\/([^/?]+)\/embeddings\?api-version=2024-10-21$/;
  return {
    readRequest: (translated, original) => {
      const match = pathPattern.exec(translated.path);
      if (match === null) throw new ConformanceError(`unexpected path ${translated.path}`);
      const body = bodyOf(translated, original);
      return {
        model: match[1] === undefined ? String(body.model) : decodeURIComponent(match[1]),
        inputs: inputsOf(body.input),
        dimensions: optionalNumber(body.dimensions),
        encodingFormat: body.encoding_format === 'base64' ? 'base64' : 'float',
      };
    },
    encodeResponse: (response, upstream) =>
      json({
        object: 'list',
        data: response.vectors.map((vector, index) => ({
          object: 'embedding',
          index,
          embedding: upstream.encodingFormat === 'base64' ? encodeBase64Vector(vector) : vector,
        })),
        model: response.model,
        usage: { prompt_tokens: response.tokens, total_tokens: response.tokens },
      }),
    encodeError: (error): WireError => ({
      headers: jsonHeaders,
      body: utf8Encoder.encode(
        JSON.stringify(
          platform === 'openai'
            ? {
                error: {
                  message: error.message,
                  type: 'requests',
                  param: null,
                  code: 'rate_limit_exceeded',
                },
              }
            : { error: { code: String(error.status), message: error.message } },
        ),
      ),
    }),
  };
}

/** AWS Bedrock Titan text embeddings (`InvokeModel`). */
const titanBackend: Backend = {
  readRequest: (translated, original) => {
    const match = /^\/model\/([^/]+)\/invoke$/.exec(translated.path);
    if (match?.[1] === undefined) throw new ConformanceError(`unexpected path ${translated.path}`);
    const body = bodyOf(translated, original);
    onlyKeys(body, ['inputText', 'dimensions', 'normalize', 'embeddingTypes'], 'Titan request');
    return {
      model: decodeURIComponent(match[1]),
      inputs: typeof body.inputText === 'string' ? [body.inputText] : [],
      dimensions: optionalNumber(body.dimensions),
      encodingFormat: 'float',
    };
  },
  encodeResponse: (response) => {
    if (response.vectors.length !== 1) {
      throw new ConformanceError('Titan answers exactly one vector per request');
    }
    return json({ embedding: response.vectors[0], inputTextTokenCount: response.tokens });
  },
  encodeError: (error): WireError => ({
    headers: new Map([
      ['content-type', 'application/json'],
      [
        'x-amzn-errortype',
        'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
      ],
    ]),
    body: utf8Encoder.encode(JSON.stringify({ message: error.message })),
  }),
};

/** The texts of Vertex AI `instances`. */
function vertexInputs(instances: unknown): string[] {
  const list = Array.isArray(instances) ? instances.filter(isJsonObject) : [];
  for (const instance of list) onlyKeys(instance, ['content', 'task_type', 'title'], 'instance');
  return list.map((instance) => String(instance.content));
}

/** GCP Vertex AI text embeddings (`:predict`). */
const vertexBackend: Backend = {
  readRequest: (translated, original) => {
    const match =
      /^\/v1\/projects\/proj\/locations\/us-east5\/publishers\/google\/models\/([^/:]+):predict$/.exec(
        translated.path,
      );
    if (match?.[1] === undefined) throw new ConformanceError(`unexpected path ${translated.path}`);
    const body = bodyOf(translated, original);
    onlyKeys(body, ['instances', 'parameters'], 'Vertex AI request');
    const parameters = isJsonObject(body.parameters) ? body.parameters : {};
    onlyKeys(parameters, ['outputDimensionality', 'autoTruncate'], 'parameters');
    return {
      model: decodeURIComponent(match[1]),
      inputs: vertexInputs(body.instances),
      dimensions: optionalNumber(parameters.outputDimensionality),
      encodingFormat: 'float',
    };
  },
  encodeResponse: (response) => {
    // Vertex AI counts tokens per instance; spread the total so the sum is exact.
    const each = Math.floor(response.tokens / response.vectors.length);
    const first = response.tokens - each * (response.vectors.length - 1);
    return json({
      predictions: response.vectors.map((values, i) => ({
        embeddings: {
          statistics: { truncated: false, token_count: i === 0 ? first : each },
          values,
        },
      })),
      metadata: { billableCharacterCount: 42 },
    });
  },
  encodeError: (error): WireError => ({
    headers: jsonHeaders,
    body: utf8Encoder.encode(
      JSON.stringify({
        error: { code: error.status, message: error.message, status: 'RESOURCE_EXHAUSTED' },
      }),
    ),
  }),
};

/** The `/v1/embeddings` suite: cases × the four registered backends. */
export const embeddingsSuite: EndpointSuite<
  EmbeddingsRequest,
  EmbeddingsUpstream,
  EmbeddingsResponse,
  EmbeddingsView
> = {
  title: '`/v1/embeddings` (OpenAI embeddings)',
  ingress: openAIEmbeddingsIngress,
  cases: embeddingsCases,
  pairs: [
    {
      name: 'openai → openai',
      schema: 'OpenAI',
      backend: openAIEmbeddingsBackend('openai'),
      create: () =>
        createOpenAIToOpenAITranslator({ endpoint: 'embeddings', schema: { name: 'OpenAI' } }),
      skip: [],
    },
    {
      name: 'openai → azureopenai',
      schema: 'AzureOpenAI',
      backend: openAIEmbeddingsBackend('azure'),
      create: () =>
        createOpenAIToAzureOpenAITranslator({
          endpoint: 'embeddings',
          schema: { name: 'AzureOpenAI', version: '2024-10-21' },
        }),
      skip: [],
    },
    {
      name: 'openai → awsbedrock',
      schema: 'AWSBedrock',
      backend: titanBackend,
      create: () =>
        createOpenAIToAwsBedrockEmbeddingsTranslator({ schema: { name: 'AWSBedrock' } }),
      skip: [],
      refuse: [
        {
          reason:
            'Bedrock Titan embeds one text per request: a batch is refused with a 400 naming the limit',
          tests: ['batch-input'],
        },
      ],
    },
    {
      name: 'openai → gcpvertexai',
      schema: 'GCPVertexAI',
      backend: vertexBackend,
      create: () =>
        createOpenAIToGcpVertexAiEmbeddingsTranslator({
          schema: { name: 'GCPVertexAI' },
          gcp: { project: 'proj', region: 'us-east5' },
        }),
      skip: [],
    },
  ],
};
