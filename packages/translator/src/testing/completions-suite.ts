/**
 * The `/v1/completions` (legacy text completions) conformance suite: neutral cases, the OpenAI
 * client codec, the OpenAI / Azure OpenAI provider codec in the real wire format
 * (`text_completion` objects, SSE chunks with `choices[].text`, a usage-only chunk only when
 * `stream_options.include_usage` asked for it, `{"error"}` frames and bodies) and the pairs.
 *
 * @see https://platform.openai.com/docs/api-reference/completions
 */
import { createOpenAIToAzureOpenAITranslator } from '../openai/azureopenai.js';
import { createOpenAIToOpenAITranslator } from '../openai/openai.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { SseParser } from '../shared/sse.js';
import { truncatedStreamMessage } from '../shared/stream-integrity.js';
import { assertEqual, ConformanceError, type NeutralError } from './neutral.js';
import {
  gatewayUsage,
  type EndpointSuite,
  type SuiteBackend,
  type SuiteCase,
  type SuiteCheck,
  type SuiteIngress,
} from './suite.js';

/** A completions request in neutral terms. */
export interface CompletionsRequest {
  /** Model name the client asks for. */
  readonly model: string;
  /** The prompt. */
  readonly prompt: string;
  /** `max_tokens`. */
  readonly maxTokens?: number;
  /** Stop sequences. */
  readonly stop?: readonly string[];
  /** Streaming. */
  readonly stream?: boolean;
  /** `stream_options.include_usage`. */
  readonly includeUsage?: boolean;
}

/** What the provider received. */
export interface CompletionsUpstream {
  /** Model (body or Azure deployment). */
  readonly model: string;
  /** Prompt. */
  readonly prompt: string;
  /** `max_tokens`. */
  readonly maxTokens: number | undefined;
  /** Stop sequences. */
  readonly stop: readonly string[] | undefined;
  /** Streaming. */
  readonly stream: boolean;
  /** Whether the provider will send a usage chunk. */
  readonly includeUsage: boolean;
}

/** Token usage. */
export interface CompletionsUsage {
  /** Prompt tokens. */
  readonly input: number;
  /** Completion tokens. */
  readonly output: number;
}

/** The provider's answer. */
export interface CompletionsResponse {
  /** Response id. */
  readonly id: string;
  /** Model the provider reports. */
  readonly model: string;
  /** Generated text. */
  readonly text: string;
  /** Why it stopped. */
  readonly finish: 'stop' | 'length';
  /** Usage. */
  readonly usage: CompletionsUsage;
  /** Streams only: an error frame after the first half of the text, ending the stream. */
  readonly streamError?: NeutralError;
  /** Streams only: the body ends cleanly after the text, before any finish reason or `[DONE]`. */
  readonly streamCut?: boolean;
}

/** What an OpenAI client decoded. */
export interface CompletionsView {
  /** Text (streamed pieces joined). */
  readonly text: string;
  /** `finish_reason`, if any. */
  readonly finish: string | undefined;
  /** Usage, if the client got it. */
  readonly usage: CompletionsUsage | undefined;
  /** An error frame's message. */
  readonly error: string | undefined;
  /** How many error frames the client saw. */
  readonly errorCount: number;
}

function usageView(value: unknown): CompletionsUsage | undefined {
  if (!isJsonObject(value)) return undefined;
  const input = Number(value.prompt_tokens);
  const output = Number(value.completion_tokens);
  if (Number(value.total_tokens) !== input + output) {
    throw new ConformanceError(`usage total is not prompt + completion: ${JSON.stringify(value)}`);
  }
  return { input, output };
}

interface ViewState {
  text: string;
  finish: string | undefined;
  usage: CompletionsUsage | undefined;
  error: string | undefined;
  errorCount: number;
}

function applyChunk(state: ViewState, json: JsonObject): void {
  if (isJsonObject(json.error)) {
    state.error = String(json.error.message);
    state.errorCount++;
    return;
  }
  const choice: unknown = Array.isArray(json.choices) ? json.choices[0] : undefined;
  if (isJsonObject(choice)) {
    if (typeof choice.text === 'string') state.text += choice.text;
    if (typeof choice.finish_reason === 'string') state.finish = choice.finish_reason;
  }
  state.usage = usageView(json.usage) ?? state.usage;
}

function readCompletions(body: Uint8Array, stream: boolean): CompletionsView {
  const state: ViewState = {
    text: '',
    finish: undefined,
    usage: undefined,
    error: undefined,
    errorCount: 0,
  };
  if (!stream) {
    applyChunk(state, parseJsonObject(utf8Decoder.decode(body)) ?? {});
    return state;
  }
  const parser = new SseParser();
  const frames = parser.feed(body);
  const last = parser.end();
  if (last !== undefined) frames.push(last);
  for (const frame of frames) {
    const json = frame.data === undefined ? undefined : parseJsonObject(frame.data);
    if (json !== undefined) applyChunk(state, json);
  }
  return state;
}

/** The OpenAI `/v1/completions` client. */
export const openAICompletionsIngress: SuiteIngress<CompletionsRequest, CompletionsView> = {
  endpoint: 'completions',
  path: '/v1/completions',
  encodeRequest: (request) => {
    const body: JsonObject = { model: request.model, prompt: request.prompt };
    if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
    if (request.stop !== undefined) body.stop = request.stop;
    if (request.stream === true) body.stream = true;
    if (request.includeUsage === true) body.stream_options = { include_usage: true };
    return body;
  },
  readResponse: readCompletions,
  readError: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    return isJsonObject(json?.error) ? String(json.error.message) : '';
  },
};

// Provider side.

function wireUsage(usage: CompletionsUsage): JsonObject {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
  };
}

function halves(text: string): [string, string] {
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

/** The SSE transcript OpenAI sends for a streamed completion. */
function completionFrames(response: CompletionsResponse, includeUsage: boolean): string {
  const base = {
    id: response.id,
    object: 'text_completion',
    created: 1700000000,
    model: response.model,
    system_fingerprint: null,
    // With include_usage every chunk carries `usage: null` until the usage-only chunk.
    ...(includeUsage ? { usage: null } : {}),
  };
  const frame = (value: JsonObject): string => `data: ${JSON.stringify(value)}\n\n`;
  const chunk = (text: string, finish: string | null): string =>
    frame({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] });
  const [first, second] = halves(response.text);
  const frames = [chunk(first, null)];
  if (response.streamCut === true) {
    frames.push(chunk(second, null));
    return frames.join('');
  }
  if (response.streamError !== undefined) {
    const { message } = response.streamError;
    frames.push(frame({ error: { message, type: 'server_error', param: null, code: null } }));
    return frames.join('');
  }
  frames.push(chunk(second, null), chunk('', response.finish));
  if (includeUsage) {
    frames.push(frame({ ...base, choices: [], usage: wireUsage(response.usage) }));
  }
  frames.push('data: [DONE]\n\n');
  return frames.join('');
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** OpenAI (`/v1/completions`) or Azure OpenAI (`/openai/deployments/{d}/completions`). */
function openAICompletionsBackend(
  platform: 'openai' | 'azure',
): SuiteBackend<CompletionsUpstream, CompletionsResponse> {
  const pathPattern =
    platform === 'openai'
      ? /^\/v1\/completions$/
      : /^\/openai\/deployments\/([^/?]+)\/completions\?api-version=2024-10-21$/;
  return {
    readRequest: (translated, original) => {
      const match = pathPattern.exec(translated.path);
      if (match === null) throw new ConformanceError(`unexpected path ${translated.path}`);
      const body = parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {};
      const streamOptions = isJsonObject(body.stream_options) ? body.stream_options : {};
      return {
        model: match[1] === undefined ? String(body.model) : decodeURIComponent(match[1]),
        prompt: String(body.prompt),
        maxTokens: typeof body.max_tokens === 'number' ? body.max_tokens : undefined,
        stop: stringList(body.stop),
        stream: body.stream === true,
        includeUsage: streamOptions.include_usage === true,
      };
    },
    encodeResponse: (response, upstream) => {
      if (upstream.stream) {
        const sse = completionFrames(response, upstream.includeUsage);
        return { contentType: 'text/event-stream', body: utf8Encoder.encode(sse) };
      }
      const body = {
        id: response.id,
        object: 'text_completion',
        created: 1700000000,
        model: response.model,
        system_fingerprint: 'fp_44709d6fcb',
        choices: [
          { text: response.text, index: 0, logprobs: null, finish_reason: response.finish },
        ],
        usage: wireUsage(response.usage),
      };
      return { contentType: 'application/json', body: utf8Encoder.encode(JSON.stringify(body)) };
    },
    encodeError: (error) => ({
      headers: new Map([['content-type', 'application/json']]),
      body: utf8Encoder.encode(
        JSON.stringify(
          platform === 'openai'
            ? { error: { message: error.message, type: 'requests', param: null, code: null } }
            : { error: { code: String(error.status), message: error.message } },
        ),
      ),
    }),
  };
}

// Cases.

type CompletionsCase = SuiteCase<
  CompletionsRequest,
  CompletionsUpstream,
  CompletionsResponse,
  CompletionsView
>;
type CompletionsCheck = SuiteCheck<CompletionsResponse, CompletionsView>;

const model = 'instruct-model';
const say: CompletionsRequest = { model, prompt: 'Say this is a test 👋', maxTokens: 16 };
const usage = { input: 6, output: 7 };
const textResponse: CompletionsResponse = {
  id: 'cmpl-1',
  model: 'instruct-model-0914',
  text: '\n\nThis is indeed a test. 日本語',
  finish: 'stop',
  usage,
};

function checkUpstream(want: Partial<CompletionsUpstream>): (up: CompletionsUpstream) => void {
  return (up) => {
    assertEqual(up.model, model, 'upstream model');
    assertEqual(up.prompt, say.prompt, 'upstream prompt');
    assertEqual(up.maxTokens, want.maxTokens ?? say.maxTokens, 'upstream max_tokens');
    assertEqual(up.stop, want.stop, 'upstream stop');
    assertEqual(up.stream, want.stream ?? false, 'upstream stream');
  };
}

/** Checks text and finish reason; and the client's usage is `clientUsage`. */
function checkText(clientUsage: 'reported' | 'absent'): (check: CompletionsCheck) => void {
  return ({ client, response }) => {
    assertEqual(client.error, undefined, 'client error');
    assertEqual(client.text, response.text, 'text');
    assertEqual(client.finish, response.finish, 'finish reason');
    assertEqual(
      client.usage,
      clientUsage === 'reported' ? response.usage : undefined,
      'client usage',
    );
  };
}

/** Checks the gateway got the provider's usage. */
function checkGatewayUsage({ usage: got, response }: CompletionsCheck): void {
  const { input, output } = response.usage;
  assertEqual(gatewayUsage(got), { input, output, total: input + output }, 'gateway usage');
}

function checkTextAndUsage(check: CompletionsCheck): void {
  checkText('reported')(check);
  checkGatewayUsage(check);
}

function checkIncludeUsage(up: CompletionsUpstream): void {
  assertEqual(up.includeUsage, true, 'upstream include_usage');
}

function checkErrorMidStream({ client, response }: CompletionsCheck): void {
  assertEqual(client.text, halves(response.text)[0], 'text before the error');
  assertEqual(client.errorCount, 1, 'error frames');
  if (client.error?.includes('The server had an error') !== true) {
    throw new ConformanceError(`client error ${String(client.error)} lacks the message`);
  }
}

/** The `/v1/completions` cases. */
export const completionsCases: readonly CompletionsCase[] = [
  {
    name: 'text',
    description: 'a prompt reaches the provider; text, finish reason and usage come back',
    request: say,
    checkRequest: checkUpstream({}),
    response: textResponse,
    checkResponse: checkText('reported'),
  },
  {
    name: 'streaming-text',
    description:
      'a streamed answer reaches the client as SSE text chunks (no usage chunk it did not ask for)',
    request: { ...say, stream: true },
    stream: true,
    checkRequest: checkUpstream({ stream: true }),
    response: textResponse,
    checkResponse: checkText('absent'),
  },
  {
    name: 'usage',
    description: 'prompt and completion tokens are reported to the client and the gateway',
    request: say,
    response: textResponse,
    checkResponse: checkTextAndUsage,
  },
  {
    name: 'streaming-usage',
    description:
      'streamed usage reaches the gateway always, and the client when it sets `include_usage`',
    request: { ...say, stream: true, includeUsage: true },
    stream: true,
    checkRequest: checkIncludeUsage,
    response: textResponse,
    checkResponse: checkTextAndUsage,
  },
  {
    name: 'stop-sequence',
    description: 'stop sequences reach the provider; a stop is reported as `stop`',
    request: { ...say, stop: ['\n\n\n', 'END'] },
    checkRequest: checkUpstream({ stop: ['\n\n\n', 'END'] }),
    response: textResponse,
    checkResponse: checkText('reported'),
  },
  {
    name: 'stop-reason-length',
    description: 'hitting `max_tokens` is reported as `length`',
    request: { ...say, maxTokens: 5 },
    checkRequest: checkUpstream({ maxTokens: 5 }),
    response: {
      ...textResponse,
      text: '\n\nThis is',
      finish: 'length',
      usage: { ...usage, output: 5 },
    },
    checkResponse: checkText('reported'),
  },
  {
    name: 'error-response',
    description: 'a provider error response reaches the client as an OpenAI error with its status',
    request: say,
    error: { status: 429, message: 'Rate limited, slow down' },
  },
  {
    name: 'error-mid-stream',
    description: 'a provider error after some text reaches the client as an SSE error frame',
    request: { ...say, stream: true },
    stream: true,
    response: { ...textResponse, streamError: { status: 500, message: 'The server had an error' } },
    checkResponse: checkErrorMidStream,
  },
  {
    name: 'cut-mid-stream',
    description:
      'a stream that ends before a finish reason or `[DONE]` reaches the client as one SSE error frame',
    request: { ...say, stream: true },
    stream: true,
    response: { ...textResponse, streamCut: true },
    checkResponse: ({ client, response }: CompletionsCheck): void => {
      assertEqual(client.text, response.text, 'text before the cut');
      assertEqual(client.finish, undefined, 'finish reason');
      assertEqual(client.errorCount, 1, 'error frames');
      if (client.error?.includes(truncatedStreamMessage) !== true) {
        throw new ConformanceError(`client error ${String(client.error)} is not the truncation`);
      }
    },
  },
];

/** The `/v1/completions` suite: cases × OpenAI and Azure OpenAI. */
export const completionsSuite: EndpointSuite<
  CompletionsRequest,
  CompletionsUpstream,
  CompletionsResponse,
  CompletionsView
> = {
  title: '`/v1/completions` (OpenAI legacy completions)',
  ingress: openAICompletionsIngress,
  cases: completionsCases,
  pairs: [
    {
      name: 'openai → openai',
      schema: 'OpenAI',
      backend: openAICompletionsBackend('openai'),
      create: () =>
        createOpenAIToOpenAITranslator({ endpoint: 'completions', schema: { name: 'OpenAI' } }),
      skip: [],
    },
    {
      name: 'openai → azureopenai',
      schema: 'AzureOpenAI',
      backend: openAICompletionsBackend('azure'),
      create: () =>
        createOpenAIToAzureOpenAITranslator({
          endpoint: 'completions',
          schema: { name: 'AzureOpenAI', version: '2024-10-21' },
        }),
      skip: [],
    },
  ],
};
