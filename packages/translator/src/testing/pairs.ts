/**
 * The translator pairs the conformance suite runs, each with its codecs and its reasoned skips.
 * Add a pair here when a translator lands; the matrix and the vitest suite pick it up.
 */
import { createAnthropicToAnthropicTranslator } from '../anthropic/anthropic.js';
import { createAnthropicToAwsAnthropicTranslator } from '../anthropic/awsanthropic.js';
import { createAnthropicToAwsBedrockTranslator } from '../anthropic/awsbedrock.js';
import { createAnthropicToGcpAnthropicTranslator } from '../anthropic/gcpanthropic.js';
import { createAnthropicToOpenAITranslator } from '../anthropic/openai.js';
import { createOpenAIToAnthropicTranslator } from '../openai/anthropic.js';
import { createOpenAIToAwsAnthropicTranslator } from '../openai/awsanthropic.js';
import { createOpenAIToAwsBedrockTranslator } from '../openai/awsbedrock.js';
import { createOpenAIToAzureOpenAITranslator } from '../openai/azureopenai.js';
import { createOpenAIToGcpAnthropicTranslator } from '../openai/gcpanthropic.js';
import { createOpenAIToGcpVertexAiTranslator } from '../openai/gcpvertexai.js';
import { createOpenAIToOpenAITranslator } from '../openai/openai.js';
import { createResponsesToChatTranslator } from '../responses/chat.js';
import { createResponsesToOpenAITranslator } from '../responses/openai.js';
import { createGeminiToGcpVertexAiTranslator } from '../gemini/gcpvertexai.js';
import { createGeminiToOpenAITranslator } from '../gemini/openai.js';
import { geminiIngress } from './gemini-ingress-codec.js';
import { anthropicBackend, anthropicIngress } from './anthropic-codec.js';
import { bedrockBackend } from './bedrock-codec.js';
import type { ConformancePair, ConformanceSkip } from './conformance.js';
import { geminiBackend } from './gemini-codec.js';
import { openAIBackend, openAIIngress } from './openai-codec.js';
import { responsesBackend } from './responses-backend-codec.js';
import { responsesIngress } from './responses-codec.js';

const now = (): number => 1700000000;
const gcp = { project: 'proj', region: 'us-east5' };

const passthroughUnsupported: ConformanceSkip = {
  reason: 'passthrough: the backend speaks the client’s API, so it judges every parameter itself',
  tests: ['unsupported-parameter'],
};

/** The chat pairs with OpenAI chat ingress (the `/v1/responses` pairs chain onto them). */
const openAIChatPairs: readonly ConformancePair[] = [
  {
    name: 'openai → openai',
    schema: 'OpenAI',
    ingress: openAIIngress,
    backend: openAIBackend,
    create: () =>
      createOpenAIToOpenAITranslator({ endpoint: 'chat-completions', schema: { name: 'OpenAI' } }),
    skip: [passthroughUnsupported],
  },
  {
    name: 'openai → azureopenai',
    schema: 'AzureOpenAI',
    ingress: openAIIngress,
    backend: openAIBackend,
    create: () =>
      createOpenAIToAzureOpenAITranslator({
        endpoint: 'chat-completions',
        schema: { name: 'AzureOpenAI', version: '2024-10-21' },
      }),
    skip: [passthroughUnsupported],
  },
  {
    name: 'openai → awsbedrock',
    schema: 'AWSBedrock',
    ingress: openAIIngress,
    backend: bedrockBackend,
    create: () =>
      createOpenAIToAwsBedrockTranslator({
        schema: { name: 'AWSBedrock' },
        now: () => 1700000000_000,
      }),
    skip: [
      {
        reason: 'Bedrock Converse takes image bytes only: image URLs are refused with a 400',
        tests: ['multipart-image'],
      },
    ],
  },
  {
    name: 'openai → gcpvertexai',
    schema: 'GCPVertexAI',
    ingress: openAIIngress,
    backend: geminiBackend,
    create: () =>
      createOpenAIToGcpVertexAiTranslator({
        schema: { name: 'GCPVertexAI' },
        gcp,
        now: () => 1700000000_000,
      }),
    skip: [
      {
        reason:
          'Gemini honours n (candidateCount) and logprobs, so the case’s parameters are valid',
        tests: ['unsupported-parameter'],
      },
    ],
  },
  {
    name: 'openai → anthropic',
    schema: 'Anthropic',
    ingress: openAIIngress,
    backend: anthropicBackend('anthropic'),
    create: () => createOpenAIToAnthropicTranslator({ schema: { name: 'Anthropic' }, now }),
    skip: [],
  },
  {
    name: 'openai → gcpanthropic',
    schema: 'GCPAnthropic',
    ingress: openAIIngress,
    backend: anthropicBackend('gcp'),
    create: () =>
      createOpenAIToGcpAnthropicTranslator({ schema: { name: 'GCPAnthropic' }, gcp, now }),
    skip: [],
  },
  {
    name: 'openai → awsanthropic',
    schema: 'AWSAnthropic',
    ingress: openAIIngress,
    backend: anthropicBackend('aws'),
    create: () => createOpenAIToAwsAnthropicTranslator({ schema: { name: 'AWSAnthropic' }, now }),
    skip: [],
  },
];

/** The Responses API has no stop sequences. */
const responsesNoStop: ConformanceSkip = {
  reason: 'the Responses API has no stop sequences (`stop`), so the case cannot be sent',
  tests: ['sampling-and-stop'],
};

/** What the Responses API cannot express or the chat chain cannot carry, for every backend. */
const responsesSkips: readonly ConformanceSkip[] = [
  responsesNoStop,
  {
    reason:
      'an earlier turn’s reasoning item is dropped: chat completions has no field to carry it back',
    tests: ['thinking-history'],
  },
];

/**
 * `/v1/responses` → each chat backend: the Responses translator around the backend's chat
 * translator (as the registry builds it). The Responses translator refuses unknown fields itself,
 * so `unsupported-parameter` runs for every backend.
 */
const responsesChatPairs: readonly ConformancePair[] = openAIChatPairs.map((pair) => ({
  name: pair.name.replace(/^openai → (\S+)/, (_, backend: string) =>
    pair.schema === 'OpenAI' || pair.schema === 'AzureOpenAI'
      ? `responses → ${backend} (chat)`
      : `responses → ${backend}`,
  ),
  schema: pair.schema,
  ingress: responsesIngress,
  backend: pair.backend,
  create: () => createResponsesToChatTranslator({ chat: pair.create(), now }),
  skip: [...responsesSkips, ...pair.skip.filter((s) => !s.tests.includes('unsupported-parameter'))],
}));

/**
 * `/v1/responses` passed through to OpenAI and Azure OpenAI (the default for those schemas; the
 * `(chat)` columns are their `responsesApi: 'chat'` switch).
 */
const responsesPassthroughPairs: readonly ConformancePair[] = [
  {
    name: 'responses → openai',
    schema: 'OpenAI',
    ingress: responsesIngress,
    backend: responsesBackend,
    create: () => createResponsesToOpenAITranslator({ schema: { name: 'OpenAI' } }),
    skip: [responsesNoStop, passthroughUnsupported],
  },
  {
    name: 'responses → azureopenai',
    schema: 'AzureOpenAI',
    ingress: responsesIngress,
    backend: responsesBackend,
    create: () =>
      createResponsesToOpenAITranslator({
        schema: { name: 'AzureOpenAI', version: '2025-04-01-preview' },
      }),
    skip: [responsesNoStop, passthroughUnsupported],
  },
];

/** The chat pairs with Anthropic messages ingress. */
const anthropicPairs: readonly ConformancePair[] = [
  {
    name: 'anthropic → anthropic',
    schema: 'Anthropic',
    ingress: anthropicIngress,
    backend: anthropicBackend('anthropic'),
    create: () => createAnthropicToAnthropicTranslator({ schema: { name: 'Anthropic' } }),
    skip: [passthroughUnsupported],
  },
  {
    name: 'anthropic → gcpanthropic',
    schema: 'GCPAnthropic',
    ingress: anthropicIngress,
    backend: anthropicBackend('gcp'),
    create: () =>
      createAnthropicToGcpAnthropicTranslator({ schema: { name: 'GCPAnthropic' }, gcp }),
    skip: [passthroughUnsupported],
  },
  {
    name: 'anthropic → awsanthropic',
    schema: 'AWSAnthropic',
    ingress: anthropicIngress,
    backend: anthropicBackend('aws'),
    create: () => createAnthropicToAwsAnthropicTranslator({ schema: { name: 'AWSAnthropic' } }),
    skip: [passthroughUnsupported],
  },
  {
    name: 'anthropic → openai',
    schema: 'OpenAI',
    ingress: anthropicIngress,
    backend: openAIBackend,
    create: () => createAnthropicToOpenAITranslator({ schema: { name: 'OpenAI' } }),
    skip: [
      {
        reason:
          'OpenAI chat has no field for an earlier turn’s thinking; its signature only means something to Anthropic, so it is dropped',
        tests: ['thinking-history'],
      },
    ],
  },
  {
    name: 'anthropic → awsbedrock',
    schema: 'AWSBedrock',
    ingress: anthropicIngress,
    backend: bedrockBackend,
    create: () =>
      createAnthropicToAwsBedrockTranslator({
        schema: { name: 'AWSBedrock' },
        newId: () => 'bedrock-id',
      }),
    skip: [
      {
        reason: 'Bedrock Converse takes image bytes only: image URLs are refused with a 400',
        tests: ['multipart-image'],
      },
    ],
  },
];

/** The pairs with Google's native Gemini ingress (`generateContent`). */
const geminiPairs: readonly ConformancePair[] = [
  {
    name: 'gemini → gcpvertexai',
    schema: 'GCPVertexAI',
    ingress: geminiIngress,
    backend: geminiBackend,
    create: () => createGeminiToGcpVertexAiTranslator({ schema: { name: 'GCPVertexAI' }, gcp }),
    skip: [passthroughUnsupported],
  },
  {
    name: 'gemini → openai',
    schema: 'OpenAI',
    ingress: geminiIngress,
    backend: openAIBackend,
    create: () => createGeminiToOpenAITranslator({ schema: { name: 'OpenAI' } }),
    skip: [
      {
        reason:
          'OpenAI chat has no field for an earlier turn’s thoughts; Gemini’s thought signature only means something to Gemini, so it is dropped',
        tests: ['thinking-history'],
      },
    ],
  },
];

/** Every pair under conformance. */
export const conformancePairs: readonly ConformancePair[] = [
  ...openAIChatPairs,
  ...anthropicPairs,
  ...responsesPassthroughPairs,
  ...responsesChatPairs,
  ...geminiPairs,
];

/** What a pair accepts and drops on purpose (advisory: it changes no answer), for the matrix notes. */
export interface DroppedOnPurpose {
  /** The pair's name, as in {@link conformancePairs}. */
  readonly pair: string;
  /** What is dropped. */
  readonly what: string;
  /** Why dropping it changes no answer. */
  readonly why: string;
}

/** Everything dropped on purpose by a pair (anything else a backend cannot honour is a 400). */
export const droppedOnPurpose: readonly DroppedOnPurpose[] = [
  {
    pair: 'anthropic → openai',
    what: '`context_management`',
    why: 'Anthropic editing the context server-side (clearing old tool results); the OpenAI backend is sent the whole history',
  },
  {
    pair: 'anthropic → openai',
    what: '`cache_control`, thinking blocks of earlier turns, `anthropic-beta`',
    why: 'OpenAI caches prompts by itself; thinking signatures only mean something to Anthropic; betas name Anthropic features',
  },
  {
    pair: 'anthropic → awsbedrock',
    what: '`context_management`, `metadata`, `service_tier`',
    why: 'advisory: the backend is sent the whole history; user ids and capacity tiers change no answer',
  },
  {
    pair: 'anthropic → awsbedrock',
    what: 'the `anthropic-beta` header',
    why: 'Converse has no field for it, and the AWSBedrock schema also serves non-Claude models (Claude on Bedrock with betas: use the AWSAnthropic schema)',
  },
  {
    pair: 'responses → every chat backend',
    what: 'the hosted `web_search`, `web_search_preview` and `tool_search` tools',
    why: 'a chat backend cannot run them and the model answers without searching; clients such as Codex CLI offer them on every request (other hosted tools are refused; `namespace` tools are flattened into `<namespace>__<name>` functions and their calls name the namespace again)',
  },
];
