/**
 * The (endpoint, backend schema) → translator registry. Each switch is exhaustive over its
 * string-literal union (lint: switch-exhaustiveness-check), so adding an endpoint or a schema
 * forces a decision here.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/endpointspec/endpointspec.go
 */
import { UnsupportedSchemaError } from './errors.js';
import { createAnthropicToAnthropicTranslator } from './anthropic/anthropic.js';
import { createAnthropicToAwsAnthropicTranslator } from './anthropic/awsanthropic.js';
import { createAnthropicToAwsBedrockTranslator } from './anthropic/awsbedrock.js';
import { createAnthropicToGcpAnthropicTranslator } from './anthropic/gcpanthropic.js';
import { createAnthropicToOpenAITranslator } from './anthropic/openai.js';
import { createCountTokensTranslator, isCountTokensSchema } from './anthropic/count-tokens.js';
import { createOpenAIToAnthropicTranslator } from './openai/anthropic.js';
import { createOpenAIToAwsAnthropicTranslator } from './openai/awsanthropic.js';
import { createOpenAIToGcpAnthropicTranslator } from './openai/gcpanthropic.js';
import { createOpenAIToAwsBedrockTranslator } from './openai/awsbedrock.js';
import { createOpenAIToAwsBedrockEmbeddingsTranslator } from './openai/awsbedrock-embeddings.js';
import { createOpenAIToAzureOpenAITranslator } from './openai/azureopenai.js';
import { createOpenAIToGcpVertexAiTranslator } from './openai/gcpvertexai.js';
import { createOpenAIToGcpVertexAiEmbeddingsTranslator } from './openai/gcpvertexai-embeddings.js';
import { createOpenAIToOpenAITranslator } from './openai/openai.js';
import {
  createAzureOpenAIMediaTranslator,
  createOpenAIMediaTranslator,
  type MediaEndpoint,
} from './audio/media-passthrough.js';
import { createResponsesToChatTranslator } from './responses/chat.js';
import { createResponsesToOpenAITranslator, servesResponsesApi } from './responses/openai.js';
import { createGeminiToGcpVertexAiTranslator } from './gemini/gcpvertexai.js';
import { createGeminiToOpenAITranslator } from './gemini/openai.js';
import { isGeminiEndpoint, type GeminiEndpoint } from './gemini/path.js';
import {
  createResponsesInputTokensTranslator,
  responsesInputTokensSupports,
} from './responses/input-tokens.js';
import { createTokenizeTranslator, tokenizeSupports } from './tokenize/tokenize.js';
import { createCohereToCohereRerankTranslator } from './cohere/rerank.js';
import type {
  BackendSchema,
  BackendSchemaName,
  CreateTranslatorOptions,
  Endpoint,
  GcpLocation,
  Translator,
} from './translator.js';

/** The endpoints dispatched per backend (the rest are dispatched first, in `factoryFor`). */
type BackendEndpoint = Exclude<Endpoint, CountOrRankEndpoint | GeminiEndpoint>;

/** The one-object endpoints of {@link forCountOrRank}. */
type CountOrRankEndpoint = 'responses-input-tokens' | 'tokenize' | 'rerank';

function isCountOrRankEndpoint(endpoint: Endpoint): endpoint is CountOrRankEndpoint {
  return endpoint === 'responses-input-tokens' || endpoint === 'tokenize' || endpoint === 'rerank';
}

/** Builds a translator for one request attempt to a backend of a given schema. */
type TranslatorFactory = (schema: BackendSchema, options: CreateTranslatorOptions) => Translator;

/** Factories for the Anthropic family (Anthropic, GCP Anthropic, AWS Anthropic backends). */
function forAnthropicFamily(
  endpoint: Endpoint,
  schemaName: 'Anthropic' | 'GCPAnthropic' | 'AWSAnthropic',
): TranslatorFactory | undefined {
  const isChat = endpoint === 'chat-completions';
  if (!isChat && endpoint !== 'messages') {
    return undefined;
  }
  switch (schemaName) {
    case 'Anthropic':
      return isChat
        ? (schema) => createOpenAIToAnthropicTranslator({ schema })
        : (schema) => createAnthropicToAnthropicTranslator({ schema });
    case 'GCPAnthropic':
      return isChat
        ? (schema, { gcp }) => createOpenAIToGcpAnthropicTranslator({ schema, gcp })
        : (schema, { gcp }) => createAnthropicToGcpAnthropicTranslator({ schema, gcp });
    case 'AWSAnthropic':
      return isChat
        ? (schema) => createOpenAIToAwsAnthropicTranslator({ schema })
        : (schema) => createAnthropicToAwsAnthropicTranslator({ schema });
  }
}

/** Factories for an OpenAI backend. */
function forOpenAI(endpoint: BackendEndpoint): TranslatorFactory | undefined {
  switch (endpoint) {
    case 'chat-completions':
    case 'completions':
    case 'embeddings':
      return (schema) => createOpenAIToOpenAITranslator({ endpoint, schema });
    case 'messages':
      return (schema) => createAnthropicToOpenAITranslator({ schema });
    case 'image-generations':
    case 'audio-speech':
    case 'audio-transcriptions':
    case 'audio-translations': // see forMedia
    case 'responses':
      return undefined; // see forResponses
    case 'count-tokens':
      return undefined; // see forCountTokens
  }
}

/** Factories for an AWS Bedrock backend (Converse for chat, Titan for embeddings). */
function forAwsBedrock(endpoint: BackendEndpoint): TranslatorFactory | undefined {
  switch (endpoint) {
    case 'chat-completions':
      return (schema) => createOpenAIToAwsBedrockTranslator({ schema });
    case 'embeddings':
      return (schema) => createOpenAIToAwsBedrockEmbeddingsTranslator({ schema });
    case 'messages':
      return (schema) => createAnthropicToAwsBedrockTranslator({ schema });
    case 'completions':
    case 'responses': // see forResponses
    case 'image-generations':
    case 'audio-speech':
    case 'audio-transcriptions':
    case 'audio-translations': // see forMedia
    case 'count-tokens': // see forCountTokens
      return undefined;
  }
}

/** Factories for a GCP Vertex AI backend (Gemini for chat, `predict` for embeddings). */
function forGcpVertexAi(endpoint: BackendEndpoint): TranslatorFactory | undefined {
  switch (endpoint) {
    case 'chat-completions':
      return (schema, { gcp }) => createOpenAIToGcpVertexAiTranslator({ schema, gcp });
    case 'embeddings':
      return (schema, { gcp }) => createOpenAIToGcpVertexAiEmbeddingsTranslator({ schema, gcp });
    case 'completions':
    case 'messages':
    case 'responses': // see forResponses
    case 'image-generations':
    case 'audio-speech':
    case 'audio-transcriptions':
    case 'audio-translations': // see forMedia
    case 'count-tokens': // see forCountTokens
      return undefined;
  }
}

/**
 * `/v1/responses` for a backend. OpenAI and Azure OpenAI serve the Responses API themselves: the
 * request passes through (as upstream), unless the backend's schema says `responsesApi: 'chat'`
 * (an OpenAI-compatible server without `/v1/responses`). Otherwise the Responses body is
 * translated to chat completions and the backend's chat translator does the rest, so every
 * backend with a chat translator serves it.
 */
function forResponses(schemaName: BackendSchemaName): TranslatorFactory | undefined {
  const chat = factoryFor('chat-completions', schemaName);
  if (chat === undefined) return undefined;
  const canPassThrough = servesResponsesApi(schemaName);
  return (schema, options) =>
    canPassThrough && schema.responsesApi !== 'chat'
      ? createResponsesToOpenAITranslator({ schema })
      : createResponsesToChatTranslator({
          chat: chat(schema, { ...options, endpoint: 'chat-completions' }),
        });
}

/**
 * `/v1/messages/count_tokens`: Anthropic (passthrough), Claude on Vertex AI (`count-tokens:rawPredict`)
 * and Bedrock's `CountTokens` (for AWS Anthropic and AWS Bedrock backends).
 */
function forCountTokens(schemaName: BackendSchemaName): TranslatorFactory | undefined {
  if (!isCountTokensSchema(schemaName)) return undefined;
  return (schema, { gcp }) =>
    createCountTokensTranslator({ schema: { ...schema, name: schemaName }, gcp });
}

/** Whether an endpoint is one of OpenAI's media endpoints (images, audio). */
function isMediaEndpoint(endpoint: Endpoint): endpoint is MediaEndpoint {
  return (
    endpoint === 'image-generations' ||
    endpoint === 'audio-speech' ||
    endpoint === 'audio-transcriptions' ||
    endpoint === 'audio-translations'
  );
}

/**
 * OpenAI's media endpoints (image generation, speech, transcriptions, translations): OpenAI, and
 * Azure OpenAI deployments, which serve the same APIs. Upstream translates them for OpenAI only.
 */
function forMedia(
  endpoint: MediaEndpoint,
  schemaName: BackendSchemaName,
): TranslatorFactory | undefined {
  if (schemaName === 'OpenAI') return (schema) => createOpenAIMediaTranslator({ endpoint, schema });
  if (schemaName === 'AzureOpenAI') {
    return (schema) => createAzureOpenAIMediaTranslator({ endpoint, schema });
  }
  return undefined;
}

/**
 * `/v1/responses/input_tokens`, `/tokenize` and Cohere's `/v2/rerank` (one JSON object each way):
 * the translator modules decide which schemas they serve.
 */
function forCountOrRank(
  endpoint: CountOrRankEndpoint,
  schemaName: BackendSchemaName,
): TranslatorFactory | undefined {
  const create = (schema: BackendSchema, gcp: GcpLocation | undefined): Translator | undefined => {
    switch (endpoint) {
      case 'responses-input-tokens':
        return createResponsesInputTokensTranslator({ schema, gcp });
      case 'tokenize':
        return createTokenizeTranslator({ schema, gcp });
      case 'rerank':
        return schema.name === 'Cohere'
          ? createCohereToCohereRerankTranslator({ schema })
          : undefined;
    }
  };
  const isSupported =
    endpoint === 'responses-input-tokens'
      ? responsesInputTokensSupports(schemaName)
      : endpoint === 'tokenize'
        ? tokenizeSupports(schemaName)
        : schemaName === 'Cohere';
  if (!isSupported) return undefined;
  return (schema, { gcp }) => {
    const translator = create(schema, gcp);
    if (translator === undefined) throw new UnsupportedSchemaError({ endpoint, schemaName });
    return translator;
  };
}

/**
 * Google's native Gemini API: Gemini on Vertex AI (near passthrough, countTokens included) and
 * OpenAI-compatible backends (`generateContent` translated to chat completions). countTokens has
 * no OpenAI translator: the extproc answers it with its local estimate (docs/translation-matrix.md).
 */
function forGemini(
  endpoint: GeminiEndpoint,
  schemaName: BackendSchemaName,
): TranslatorFactory | undefined {
  if (schemaName === 'GCPVertexAI') {
    return (schema, { gcp }) => createGeminiToGcpVertexAiTranslator({ schema, gcp });
  }
  if (schemaName === 'OpenAI' && endpoint === 'gemini-generate-content') {
    return (schema) => createGeminiToOpenAITranslator({ schema });
  }
  return undefined;
}

/** The factory for a pair, or `undefined` when the pair is not implemented (yet). */
function factoryFor(
  endpoint: Endpoint,
  schemaName: BackendSchemaName,
): TranslatorFactory | undefined {
  if (endpoint === 'responses') return forResponses(schemaName);
  if (isMediaEndpoint(endpoint)) return forMedia(endpoint, schemaName);
  if (endpoint === 'count-tokens') return forCountTokens(schemaName);
  if (isGeminiEndpoint(endpoint)) return forGemini(endpoint, schemaName);
  if (isCountOrRankEndpoint(endpoint)) return forCountOrRank(endpoint, schemaName);
  return forBackend(endpoint, schemaName);
}

/** The endpoints left to {@link forBackend} once `factoryFor` dispatched the others. */
type PerBackendEndpoint = Exclude<BackendEndpoint, 'responses' | MediaEndpoint | 'count-tokens'>;

/** The factory for an endpoint dispatched per backend (chat, completions, embeddings, messages). */
function forBackend(
  endpoint: PerBackendEndpoint,
  schemaName: BackendSchemaName,
): TranslatorFactory | undefined {
  switch (schemaName) {
    case 'OpenAI':
      return forOpenAI(endpoint);
    // Planned: OpenAI ingress → Azure OpenAI, AWS Bedrock, GCP Vertex (Gemini), GCP and AWS
    // Anthropic, Anthropic; Anthropic ingress → Anthropic, GCP/AWS Anthropic, AWS Bedrock, OpenAI.
    case 'AzureOpenAI':
      return endpoint === 'messages'
        ? undefined
        : (schema) => createOpenAIToAzureOpenAITranslator({ endpoint, schema });
    case 'AWSBedrock':
      return forAwsBedrock(endpoint);
    case 'GCPVertexAI':
      return forGcpVertexAi(endpoint);
    case 'GCPAnthropic':
    case 'AWSAnthropic':
    case 'Anthropic':
      return forAnthropicFamily(endpoint, schemaName);
    case 'Cohere':
      return undefined;
  }
}

/** Whether {@link createTranslator} supports a pair (for validating configuration up front). */
export function hasTranslator(options: CreateTranslatorOptions): boolean {
  return factoryFor(options.endpoint, options.schema.name) !== undefined;
}

/**
 * Creates the translator for one request attempt. The registry is exhaustive over
 * (endpoint, schema); throws {@link UnsupportedSchemaError} for pairs not implemented yet.
 */
export function createTranslator(options: CreateTranslatorOptions): Translator {
  const { endpoint, schema } = options;
  const factory = factoryFor(endpoint, schema.name);
  if (factory === undefined) {
    throw new UnsupportedSchemaError({ endpoint, schemaName: schema.name });
  }
  return factory(schema, options);
}
