/** The conformance cases: one behaviour each, in neutral terms (see `conformance.ts`). */
import { truncatedStreamMessage } from '../shared/stream-integrity.js';
import type { Usage } from '../usage.js';
import {
  assertEqual,
  ConformanceError,
  type ClientView,
  type NeutralError,
  type NeutralRequest,
  type NeutralResponse,
  type UpstreamView,
} from './neutral.js';

/** Input of {@link ConformanceCase.checkResponse}. */
export interface ResponseCheck {
  /** What the client decoded. */
  readonly client: ClientView;
  /** What the translator reported. */
  readonly usage: Usage | undefined;
  /** What the provider answered. */
  readonly response: NeutralResponse;
}

/** One behavioural case. */
export interface ConformanceCase {
  /** Stable name (matrix column). */
  readonly name: string;
  /** One-line description of the behaviour. */
  readonly description: string;
  /** The client request. */
  readonly request: NeutralRequest;
  /** The request must be rejected with a user-facing 400. */
  readonly expectRejected?: boolean;
  /** Checks what the provider received. */
  readonly checkRequest?: (upstream: UpstreamView) => void;
  /** The provider's answer. */
  readonly response?: NeutralResponse;
  /** A whole non-2xx provider error instead of a response. */
  readonly error?: NeutralError;
  /** Checks what the client got. */
  readonly checkResponse?: (check: ResponseCheck) => void;
}

const model = 'test-model';
const hello: NeutralRequest = {
  model,
  messages: [{ role: 'user', text: 'Hello 👋' }],
  maxTokens: 256,
  stream: false,
};
const usage = { input: 12, output: 5, cached: 0 };
const textResponse: NeutralResponse = {
  id: 'resp-1',
  model: 'test-model-2025',
  text: 'Hi there! 日本語',
  finish: 'stop',
  usage,
};
const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};
const personSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, born: { type: 'integer' } },
  required: ['name', 'born'],
  additionalProperties: false,
};
const toolResponse: NeutralResponse = {
  id: 'resp-2',
  model: 'test-model-2025',
  toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris', days: [1, 2] } }],
  finish: 'tool_calls',
  usage: { input: 40, output: 18, cached: 0 },
};

/** Checks the client saw the provider's text, finish reason and usage. */
function checkText({ client, response }: ResponseCheck): void {
  assertEqual(client.error, undefined, 'error');
  assertEqual(client.text, response.text ?? '', 'text');
  assertEqual(client.finish, response.finish, 'finish reason');
  assertEqual(client.usage, response.usage, 'client usage');
}

/** Checks the gateway's usage matches the provider's. */
function checkUsage({ usage: got, response }: ResponseCheck): void {
  const want = response.usage;
  assertEqual(
    got === undefined
      ? undefined
      : { input: got.inputTokens, output: got.outputTokens, cached: got.cachedInputTokens },
    want,
    'gateway usage',
  );
  assertEqual(got?.totalTokens, want.input + want.output, 'gateway total tokens');
}

function checkToolCalls({ client, response }: ResponseCheck): void {
  assertEqual(client.toolCalls, response.toolCalls, 'tool calls');
  assertEqual(client.finish, 'tool_calls', 'finish reason');
  assertEqual(client.usage, response.usage, 'client usage');
}

const reasoningResponse: NeutralResponse = {
  ...textResponse,
  reasoning: { text: 'The user greets me; greet back.', signature: 'EqQBCgIYAhIMsig' },
};

/** Checks the client saw the reasoning text, and its signature when its dialect carries one. */
function checkReasoning(check: ResponseCheck): void {
  checkText(check);
  const { client, response } = check;
  assertEqual(client.reasoning?.text, response.reasoning?.text, 'reasoning text');
  const signature = client.reasoning?.signature;
  if (signature !== undefined && signature !== '') {
    assertEqual(signature, response.reasoning?.signature, 'reasoning signature');
  }
}

/** Every conformance case, in matrix order. */
export const conformanceCases: readonly ConformanceCase[] = [
  {
    name: 'text-chat',
    description: 'a user message reaches the provider; text, finish reason and usage come back',
    request: hello,
    checkRequest: (up: UpstreamView): void => {
      assertEqual(up.messages, hello.messages, 'messages');
      assertEqual(up.maxTokens, 256, 'max tokens');
      assertEqual(up.stream, false, 'stream');
    },
    response: textResponse,
    checkResponse: (check: ResponseCheck): void => {
      checkText(check);
      checkUsage(check);
    },
  },
  {
    name: 'system-prompt',
    description: 'the system prompt is delivered as the provider’s system instruction',
    request: { ...hello, system: 'You are terse.' },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(up.system, 'You are terse.', 'system');
      assertEqual(up.messages, hello.messages, 'messages');
    },
  },
  {
    name: 'sampling-and-stop',
    description: 'temperature, max tokens and stop sequences are honoured',
    request: { ...hello, temperature: 0.3, maxTokens: 77, stop: ['END', '###'] },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(up.temperature, 0.3, 'temperature');
      assertEqual(up.maxTokens, 77, 'max tokens');
      assertEqual(up.stop, ['END', '###'], 'stop');
    },
  },
  {
    name: 'multipart-image',
    description: 'text plus images by URL and by base64 reach the provider',
    request: {
      ...hello,
      messages: [
        {
          role: 'user',
          text: 'What is in these?',
          images: [
            { url: 'https://example.com/cat.png' },
            { base64: { mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
      ],
    },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(up.messages[0]?.images?.length, 2, 'image count');
      assertEqual(
        up.messages[0]?.images,
        [
          { url: 'https://example.com/cat.png' },
          { base64: { mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
        'images',
      );
      assertEqual(up.messages[0]?.text, 'What is in these?', 'text');
    },
  },
  {
    name: 'tools-and-tool-choice',
    description: 'function tools and a forced tool choice are delivered',
    request: { ...hello, tools: [weatherTool], toolChoice: { name: 'get_weather' } },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(up.tools, [weatherTool], 'tools');
      assertEqual(up.toolChoice, { name: 'get_weather' }, 'tool choice');
    },
  },
  {
    name: 'structured-output',
    description: 'a JSON schema for the answer (structured output) reaches the provider',
    request: { ...hello, responseSchema: { name: 'person', schema: personSchema } },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(up.responseSchema, personSchema, 'response schema');
    },
  },
  {
    name: 'tool-round-trip',
    description: 'assistant tool calls and tool results in the history are delivered',
    request: {
      ...hello,
      tools: [weatherTool],
      messages: [
        { role: 'user', text: 'Weather in Paris?' },
        {
          role: 'assistant',
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
        },
        { role: 'tool', toolCallId: 'call_1', text: '{"temp":21}' },
      ],
    },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(
        up.messages.at(1)?.toolCalls,
        [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
        'tool calls',
      );
      assertEqual(
        up.messages.at(2),
        { role: 'tool', toolCallId: 'call_1', text: '{"temp":21}' },
        'tool result',
      );
    },
  },
  {
    name: 'tool-call-response',
    description: 'a tool call in a response reaches the client with id, name and arguments',
    request: { ...hello, tools: [weatherTool] },
    response: toolResponse,
    checkResponse: checkToolCalls,
  },
  {
    name: 'streaming-text',
    description: 'a streamed text answer reaches the client as its dialect’s stream',
    request: { ...hello, stream: true },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(up.stream, true, 'stream');
    },
    response: textResponse,
    checkResponse: (check: ResponseCheck): void => {
      checkText(check);
      checkUsage(check);
    },
  },
  {
    name: 'streaming-tool-call',
    description: 'streamed tool-call argument deltas re-assemble into the same call',
    request: { ...hello, stream: true, tools: [weatherTool] },
    response: toolResponse,
    checkResponse: (check: ResponseCheck): void => {
      checkToolCalls(check);
      checkUsage(check);
    },
  },
  {
    name: 'cached-usage',
    description: 'cached prompt tokens are reported to the client and the gateway',
    request: hello,
    response: { ...textResponse, usage: { input: 2006, output: 300, cached: 1920 } },
    checkResponse: (check: ResponseCheck): void => {
      checkText(check);
      checkUsage(check);
    },
  },
  {
    name: 'streaming-cached-usage',
    description: 'cached prompt tokens are reported for streams too',
    request: { ...hello, stream: true },
    response: { ...textResponse, usage: { input: 2006, output: 300, cached: 1920 } },
    checkResponse: (check: ResponseCheck): void => {
      checkText(check);
      checkUsage(check);
    },
  },
  {
    name: 'stop-reason-length',
    description: 'hitting the token limit is reported as such',
    request: hello,
    response: { ...textResponse, finish: 'length' },
    checkResponse: checkText,
  },
  {
    name: 'reasoning-response',
    description: 'reasoning (thinking) text reaches the client, with its signature where kept',
    request: hello,
    response: reasoningResponse,
    checkResponse: checkReasoning,
  },
  {
    name: 'streaming-reasoning',
    description: 'streamed reasoning deltas reach the client, with the signature where kept',
    request: { ...hello, stream: true },
    response: reasoningResponse,
    checkResponse: checkReasoning,
  },
  {
    name: 'thinking-history',
    description: 'an earlier turn’s thinking goes back upstream with its signature',
    request: {
      ...hello,
      messages: [
        { role: 'user', text: 'Hi' },
        {
          role: 'assistant',
          text: 'Hello!',
          reasoning: { text: 'Greet back.', signature: 'EqQBCgIYAhIMsig' },
        },
        { role: 'user', text: 'How are you?' },
      ],
    },
    checkRequest: (up: UpstreamView): void => {
      assertEqual(
        up.messages.at(1)?.reasoning,
        { text: 'Greet back.', signature: 'EqQBCgIYAhIMsig' },
        'thinking',
      );
      assertEqual(up.messages.at(1)?.text, 'Hello!', 'assistant text');
    },
  },
  {
    name: 'error-mid-stream',
    description: 'a provider error after some text reaches the client as its dialect’s error',
    request: { ...hello, stream: true },
    response: { ...textResponse, streamError: { status: 529, message: 'Overloaded' } },
    checkResponse: ({ client }: ResponseCheck): void => {
      assertEqual(client.text, textResponse.text, 'text before the error');
      assertEqual(client.errorCount, 1, 'error frames');
      if (client.error?.includes('Overloaded') !== true) {
        throw new ConformanceError(`client error ${String(client.error)} lacks "Overloaded"`);
      }
    },
  },
  {
    name: 'cut-mid-stream',
    description:
      'a provider stream that ends before its terminal event reaches the client as one error, never a clean finish',
    request: { ...hello, stream: true },
    response: { ...textResponse, streamCut: true },
    checkResponse: ({ client }: ResponseCheck): void => {
      assertEqual(client.text, textResponse.text, 'text before the cut');
      assertEqual(client.finish, undefined, 'finish reason');
      assertEqual(client.errorCount, 1, 'error frames');
      if (client.error?.includes(truncatedStreamMessage) !== true) {
        throw new ConformanceError(`client error ${String(client.error)} is not the truncation`);
      }
    },
  },
  {
    name: 'error-response',
    description: 'a provider error response is mapped into the client’s dialect with its status',
    request: hello,
    error: { status: 429, message: 'Rate limited, slow down' },
  },
  {
    name: 'unsupported-parameter',
    description: 'a parameter the backend cannot honour is a 400, never silently dropped',
    request: {
      ...hello,
      extra: { openai: { n: 3, logprobs: true }, anthropic: { top_k: 5, container: 'c-1' } },
    },
    expectRejected: true,
  },
];
