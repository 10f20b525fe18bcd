/**
 * The bodies the translator bench feeds each registered pair: requests in the client's dialect
 * and responses in the provider's wire format (JSON, SSE or AWS eventstream), small and large,
 * plus a 1,000-frame stream transcript. Chat bodies are written in the conformance suite's
 * neutral terms and encoded with its codecs (`src/testing/`); streams, embeddings and legacy
 * completions are built here, because the suite's codecs only emit short streams.
 */
import { anthropicBackend, anthropicRequestBody } from '../src/testing/anthropic-codec.js';
import { bedrockBackend } from '../src/testing/bedrock-codec.js';
import type { BackendCodec } from '../src/testing/conformance.js';
import { geminiBackend } from '../src/testing/gemini-codec.js';
import { geminiRequestBody } from '../src/testing/gemini-ingress-codec.js';
import { isGeminiEndpoint, type GeminiEndpoint } from '../src/gemini/path.js';
import type { NeutralMessage, NeutralRequest, NeutralResponse } from '../src/testing/neutral.js';
import { openAIBackend, openAIRequestBody } from '../src/testing/openai-codec.js';
import { responsesBackend } from '../src/testing/responses-backend-codec.js';
import { responsesRequestBody } from '../src/testing/responses-codec.js';
import { mediaOperation, type MediaEndpoint } from '../src/audio/media-passthrough.js';
import type { BackendSchemaName, Endpoint } from '../src/translator.js';
import {
  anthropicStream,
  awsAnthropicStream,
  converseStream,
  geminiStream,
  openAIChatStream,
  openAICompletionsStream,
  openAIResponsesStream,
  prose,
  sse,
  streamFrames,
  type WireBody,
} from './streams.js';

export { prose, streamFrames, type WireBody } from './streams.js';

/** Everything the bench feeds one (endpoint, schema) pair. */
export interface PairWorkload {
  /** The ingress path the client called. */
  readonly path: string;
  /** Request bodies in the client's dialect (non-streamed). */
  readonly requests: { readonly small: Uint8Array; readonly large: Uint8Array };
  /** A small streamed request, to put a translator in streaming mode. */
  readonly streamRequest: Uint8Array | undefined;
  /** Whole provider responses. */
  readonly responses: { readonly small: WireBody; readonly large: WireBody };
  /** A provider stream transcript, one chunk per frame; `undefined` where the API has no stream. */
  readonly stream: WireBody | undefined;
  /** The requests' content-type when it is not JSON (the multipart audio uploads). */
  readonly requestContentType?: string;
  /** The streamed request's path, where the API streams by path (Gemini); else {@link path}. */
  readonly streamPath?: string;
  /** The API's answers carry no token usage (token counts), so none is checked. */
  readonly reportsNoUsage?: boolean;
}

/** Messages in the large chat request. */
const largeMessages = 200;
/** Characters per message of the large chat request (≈ 200 KB in all). */
const largeMessageChars = 1000;
/** Inputs (and vectors) of the large embeddings batch, and vector dimensions. */
const largeBatch = 100;
const dimensions = 256;

const encoder = new TextEncoder();

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** The small chat request: one short user message. */
function smallChat(model: string): NeutralRequest {
  return {
    model,
    messages: [{ role: 'user', text: 'Hello, how are you?' }],
    maxTokens: 256,
    stream: false,
  };
}

/** The large chat request: a system prompt, tools and 200 alternating messages of ~1 KB. */
function largeChat(model: string): NeutralRequest {
  const messages: NeutralMessage[] = Array.from({ length: largeMessages }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    text: prose(largeMessageChars, i + 1),
  }));
  return {
    model,
    system: prose(500, 999),
    messages,
    maxTokens: 1024,
    temperature: 0.5,
    tools: [weatherTool],
    stream: false,
  };
}

/** A text answer with usage. */
function textResponse(model: string, chars: number): NeutralResponse {
  return {
    id: 'resp-bench',
    model,
    text: chars < 100 ? 'I am fine, thank you!' : prose(chars, 7),
    finish: 'stop',
    usage: { input: 50_000, output: Math.max(8, Math.round(chars / 4)), cached: 1024 },
  };
}

/** Bytes of a JSON value. */
function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** A whole JSON body as one chunk. */
function whole(body: Uint8Array, contentType = 'application/json'): WireBody {
  return { contentType, chunks: [body] };
}

// Chat (OpenAI chat completions and Anthropic Messages ingress).

/** The model name a backend of this schema would be asked for. */
function modelFor(schema: BackendSchemaName): string {
  switch (schema) {
    case 'AWSBedrock':
      return 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    case 'GCPVertexAI':
      return 'gemini-2.5-flash';
    case 'Anthropic':
    case 'GCPAnthropic':
    case 'AWSAnthropic':
      return 'claude-sonnet-4-5';
    case 'OpenAI':
    case 'AzureOpenAI':
    case 'Cohere':
      return 'gpt-4o-mini';
  }
}

/** The conformance codec that speaks a chat backend's wire format. */
function chatBackend(schema: BackendSchemaName): BackendCodec {
  switch (schema) {
    case 'AWSBedrock':
      return bedrockBackend;
    case 'GCPVertexAI':
      return geminiBackend;
    case 'Anthropic':
      return anthropicBackend('anthropic');
    case 'GCPAnthropic':
      return anthropicBackend('gcp');
    case 'AWSAnthropic':
      return anthropicBackend('aws');
    case 'OpenAI':
    case 'AzureOpenAI':
    case 'Cohere':
      return openAIBackend;
  }
}

/** A chat backend's 1,000-frame stream. */
function chatStream(schema: BackendSchemaName, model: string): WireBody {
  switch (schema) {
    case 'AWSBedrock':
      return converseStream();
    case 'GCPVertexAI':
      return geminiStream(model);
    case 'Anthropic':
    case 'GCPAnthropic':
      return anthropicStream(model);
    case 'AWSAnthropic':
      return awsAnthropicStream(model);
    case 'OpenAI':
    case 'AzureOpenAI':
    case 'Cohere':
      return openAIChatStream(model);
  }
}

/** Workload of a chat pair: OpenAI chat completions or Anthropic Messages ingress. */
const chatPaths = {
  'chat-completions': '/v1/chat/completions',
  messages: '/v1/messages',
  responses: '/v1/responses',
} as const;

function chatWorkload(
  endpoint: 'chat-completions' | 'messages' | 'responses',
  schema: BackendSchemaName,
): PairWorkload {
  const model = modelFor(schema);
  const encode =
    endpoint === 'messages'
      ? anthropicRequestBody
      : endpoint === 'responses'
        ? responsesRequestBody
        : openAIRequestBody;
  // OpenAI and Azure take `/v1/responses` as it is (passthrough); the others through chat.
  const isPassthrough =
    endpoint === 'responses' && (schema === 'OpenAI' || schema === 'AzureOpenAI');
  const backend = isPassthrough ? responsesBackend : chatBackend(schema);
  const response = (chars: number): WireBody => {
    const wire = backend.encodeResponse(textResponse(model, chars), false);
    return whole(wire.body, wire.contentType);
  };
  return {
    path: chatPaths[endpoint],
    requests: { small: json(encode(smallChat(model))), large: json(encode(largeChat(model))) },
    streamRequest: json(encode({ ...smallChat(model), stream: true })),
    responses: { small: response(20), large: response(largeMessages * largeMessageChars) },
    stream: isPassthrough ? openAIResponsesStream(model) : chatStream(schema, model),
  };
}

// Embeddings and legacy completions.

/** A vector of `dimensions` floats. */
function vector(seed: number, size = dimensions): number[] {
  return Array.from({ length: size }, (_, i) => Math.round(Math.sin(seed * 31 + i) * 1e6) / 1e6);
}

/** An embeddings response in the backend's format: `count` vectors of `size` floats. */
function embeddingsResponse(
  schema: BackendSchemaName,
  shape: { readonly count: number; readonly size: number },
): Uint8Array {
  const { count, size } = shape;
  switch (schema) {
    case 'AWSBedrock':
      return json({ embedding: vector(1, size), inputTextTokenCount: 42 });
    case 'GCPVertexAI':
      return json({
        predictions: Array.from({ length: count }, (_, i) => ({
          embeddings: {
            values: vector(i, size),
            statistics: { token_count: 12, truncated: false },
          },
        })),
      });
    case 'OpenAI':
    case 'AzureOpenAI':
    case 'Anthropic':
    case 'GCPAnthropic':
    case 'AWSAnthropic':
    case 'Cohere':
      return json({
        object: 'list',
        data: Array.from({ length: count }, (_, i) => ({
          object: 'embedding',
          index: i,
          embedding: vector(i, size),
        })),
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: 12 * count, total_tokens: 12 * count },
      });
  }
}

const embeddingModels: Partial<Record<BackendSchemaName, string>> = {
  AWSBedrock: 'amazon.titan-embed-text-v2:0',
  GCPVertexAI: 'text-embedding-005',
};

/**
 * Workload of an embeddings pair. Titan (Bedrock) embeds one input per call, so its large request
 * is one long text and its large response one 1,024-float vector; the others take a batch.
 */
function embeddingsWorkload(schema: BackendSchemaName): PairWorkload {
  const model = embeddingModels[schema] ?? 'text-embedding-3-small';
  const isSingle = schema === 'AWSBedrock';
  const large = isSingle
    ? prose(largeBatch * 2000)
    : Array.from({ length: largeBatch }, (_, i) => prose(2000, i + 1));
  const largeShape = isSingle ? { count: 1, size: 1024 } : { count: largeBatch, size: dimensions };
  return {
    path: '/v1/embeddings',
    requests: {
      small: json({ model, input: 'The food was delicious and the waiter was kind.' }),
      large: json({ model, input: large, dimensions }),
    },
    streamRequest: undefined,
    responses: {
      small: whole(embeddingsResponse(schema, { count: 1, size: dimensions })),
      large: whole(embeddingsResponse(schema, largeShape)),
    },
    stream: undefined,
  };
}

/** Workload of a legacy completions pair (OpenAI-compatible backends only). */
function completionsWorkload(): PairWorkload {
  const model = 'gpt-3.5-turbo-instruct';
  const completion = (text: string): Uint8Array =>
    json({
      id: 'cmpl-bench',
      object: 'text_completion',
      created: 1700000000,
      model,
      choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 500, completion_tokens: 100, total_tokens: 600 },
    });
  return {
    path: '/v1/completions',
    requests: {
      small: json({ model, prompt: 'Say this is a test', max_tokens: 16 }),
      large: json({ model, prompt: prose(largeMessages * largeMessageChars), max_tokens: 1024 }),
    },
    streamRequest: json({ model, prompt: 'Say this is a test', stream: true }),
    responses: {
      small: whole(completion('This is a test.')),
      large: whole(completion(prose(largeMessages * largeMessageChars, 5))),
    },
    stream: openAICompletionsStream(model),
  };
}

/** Workload of `/v1/messages/count_tokens` (Anthropic ingress; Bedrock answers `inputTokens`). */
function countTokensWorkload(schema: BackendSchemaName): PairWorkload {
  const model = 'claude-sonnet-4-5';
  const isBedrock = schema === 'AWSBedrock' || schema === 'AWSAnthropic';
  const answer = (count: number): Uint8Array =>
    json(isBedrock ? { inputTokens: count } : { input_tokens: count });
  const messages = (count: number, chars: number) =>
    Array.from({ length: count }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: prose(chars, i + 1),
    }));
  return {
    path: '/v1/messages/count_tokens',
    requests: {
      small: json({ model, messages: messages(1, 40) }),
      large: json({ model, messages: messages(largeMessages + 1, largeMessageChars) }),
    },
    streamRequest: undefined,
    responses: { small: whole(answer(12)), large: whole(answer(50000)) },
    stream: undefined,
    // Counting is free at the providers: the translator reports no usage (docs/extproc.md).
    reportsNoUsage: true,
  };
}

/** The provider's answer to a token count or rerank, in its own schema. */
function countOrRankAnswer(
  endpoint: 'tokenize' | 'responses-input-tokens' | 'rerank',
  schema: BackendSchemaName,
  count: number,
): Record<string, unknown> {
  if (endpoint === 'rerank') {
    return {
      id: 'r',
      results: [{ index: 0, relevance_score: 0.9 }],
      meta: { tokens: { input_tokens: count } },
    };
  }
  if (schema === 'AWSBedrock' || schema === 'AWSAnthropic') return { inputTokens: count };
  if (schema === 'GCPVertexAI') return { totalTokens: count };
  if (schema !== 'OpenAI') return { input_tokens: count }; // Anthropic's count_tokens shape
  return endpoint === 'tokenize'
    ? { count, max_model_len: 8192, tokens: [1, 2, 3] }
    : { object: 'response.input_tokens', input_tokens: count };
}

/** `/tokenize`, `/v1/responses/input_tokens` and Cohere rerank: one JSON object each way. */
function countOrRankWorkload(
  endpoint: 'tokenize' | 'responses-input-tokens' | 'rerank',
  schema: BackendSchemaName,
): PairWorkload {
  const texts = (count: number, chars: number): string[] =>
    Array.from({ length: count }, (_, i) => prose(chars, i + 1));
  const request = (count: number, chars: number): Record<string, unknown> => {
    const [first = ''] = texts(1, chars);
    switch (endpoint) {
      case 'tokenize':
        return { model: 'm', prompt: texts(count, chars).join(' ') || first };
      case 'responses-input-tokens':
        return { model: 'm', input: texts(count, chars).join(' ') || first };
      case 'rerank':
        return { model: 'rerank-v3.5', query: first, documents: texts(count, chars) };
    }
  };
  const paths = {
    tokenize: '/tokenize',
    'responses-input-tokens': '/v1/responses/input_tokens',
    rerank: '/cohere/v2/rerank',
  } as const;
  const answer = (count: number): Uint8Array => json(countOrRankAnswer(endpoint, schema, count));
  return {
    path: paths[endpoint],
    requests: {
      small: json(request(1, 40)),
      large: json(request(largeMessages, largeMessageChars)),
    },
    streamRequest: undefined,
    responses: { small: whole(answer(12)), large: whole(answer(50000)) },
    stream: undefined,
    // `/tokenize` answers a count and charges nothing (docs/extproc.md).
    ...(endpoint === 'tokenize' ? { reportsNoUsage: true } : {}),
  };
}

/** OpenAI media usage (gpt-image, gpt-4o-transcribe, gpt-4o-mini-tts report tokens). */
const mediaUsage = (input: number, output: number): Record<string, unknown> => ({
  input_tokens: input,
  output_tokens: output,
  total_tokens: input + output,
});

/** A multipart upload of `audioBytes` of fake audio plus a model field. */
function audioUpload(boundary: string, audioBytes: number): Uint8Array {
  const head = `--${boundary}\r\ncontent-disposition: form-data; name="model"\r\n\r\ngpt-4o-transcribe\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.mp3"\r\ncontent-type: audio/mpeg\r\n\r\n`;
  const audio = Uint8Array.from({ length: audioBytes }, (_, i) => (i * 31 + 7) & 0xff);
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const start = encoder.encode(head);
  const out = new Uint8Array(start.length + audio.length + tail.length);
  out.set(start, 0);
  out.set(audio, start.length);
  out.set(tail, start.length + audio.length);
  return out;
}

/**
 * Workload of the OpenAI media endpoints: images and speech are JSON requests (speech answers
 * its SSE format here, as binary audio reports no usage), transcriptions and translations are
 * multipart uploads of 16 KiB and 4 MiB of audio.
 */
function mediaWorkload(endpoint: MediaEndpoint): PairWorkload {
  const path = `/v1/${mediaOperation[endpoint]}`;
  const done = (type: string): Uint8Array => sse({ type, usage: mediaUsage(20, 1000) });
  if (endpoint === 'image-generations' || endpoint === 'audio-speech') {
    const isImage = endpoint === 'image-generations';
    const request = (chars: number): Uint8Array =>
      json(
        isImage
          ? { model: 'gpt-image-1', prompt: prose(chars) }
          : { model: 'gpt-4o-mini-tts', input: prose(chars), voice: 'alloy', stream_format: 'sse' },
      );
    const answer = (bytes: number): WireBody =>
      isImage
        ? whole(
            json({
              created: 1,
              data: [{ b64_json: 'A'.repeat(bytes) }],
              usage: mediaUsage(20, 4160),
            }),
          )
        : {
            contentType: 'text/event-stream',
            chunks: [
              sse({ type: 'speech.audio.delta', audio: 'A'.repeat(bytes) }),
              done('speech.audio.done'),
            ],
          };
    const frames = Array.from({ length: streamFrames - 1 }, () =>
      sse({
        type: isImage ? 'image_generation.partial_image' : 'speech.audio.delta',
        b64_json: 'A'.repeat(64),
      }),
    );
    return {
      path,
      requests: { small: request(40), large: request(4000) },
      streamRequest: request(40),
      responses: { small: answer(1000), large: answer(1_000_000) },
      stream: {
        contentType: 'text/event-stream',
        chunks: [...frames, done(isImage ? 'image_generation.completed' : 'speech.audio.done')],
      },
    };
  }
  const boundary = 'bench-boundary-7f3a';
  const text = (chars: number): WireBody =>
    whole(json({ text: prose(chars), usage: { type: 'tokens', ...mediaUsage(120, 40) } }));
  return {
    path,
    requests: { small: audioUpload(boundary, 16 * 1024), large: audioUpload(boundary, 4 << 20) },
    streamRequest: undefined,
    responses: { small: text(200), large: text(20000) },
    stream: undefined,
    requestContentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * Google's native Gemini API ingress: `generateContent` (streamed by path) to Gemini on Vertex AI
 * (passthrough) or an OpenAI backend (translated, the chat workload's answers); `countTokens`.
 */
function geminiWorkload(endpoint: GeminiEndpoint, schema: BackendSchemaName): PairWorkload {
  const model = modelFor(schema);
  const body = (request: NeutralRequest): Uint8Array => json(geminiRequestBody(request));
  const requests = { small: body(smallChat(model)), large: body(largeChat(model)) };
  const chat = { ...chatWorkload('chat-completions', schema), requests };
  const path = (method: string): string => `/v1beta/models/${model}:${method}`;
  if (endpoint === 'gemini-generate-content') {
    const streamRequest = body({ ...smallChat(model), stream: true });
    const streamPath = path('streamGenerateContent?alt=sse');
    return { ...chat, path: path('generateContent'), streamPath, streamRequest };
  }
  const answer = (count: number): WireBody => whole(json({ totalTokens: count }));
  const responses = { small: answer(12), large: answer(50000) };
  const none = { streamRequest: undefined, stream: undefined, reportsNoUsage: true };
  return { ...chat, ...none, path: path('countTokens'), responses };
}

/** The workload for a registered (endpoint, schema) pair. */
export function workloadFor(endpoint: Endpoint, schema: BackendSchemaName): PairWorkload {
  if (isGeminiEndpoint(endpoint)) return geminiWorkload(endpoint, schema);
  if (endpoint === 'tokenize' || endpoint === 'responses-input-tokens' || endpoint === 'rerank') {
    return countOrRankWorkload(endpoint, schema);
  }
  return coreWorkload(endpoint, schema);
}

/** The workload of an endpoint with one switch case each (the rest are dispatched above). */
function coreWorkload(
  endpoint: Exclude<Endpoint, GeminiEndpoint | 'tokenize' | 'responses-input-tokens' | 'rerank'>,
  schema: BackendSchemaName,
): PairWorkload {
  switch (endpoint) {
    case 'chat-completions':
    case 'messages':
    case 'responses':
      return chatWorkload(endpoint, schema);
    case 'embeddings':
      return embeddingsWorkload(schema);
    case 'completions':
      return completionsWorkload();
    case 'count-tokens':
      return countTokensWorkload(schema);
    case 'image-generations':
    case 'audio-speech':
    case 'audio-transcriptions':
    case 'audio-translations':
      return mediaWorkload(endpoint);
  }
}
