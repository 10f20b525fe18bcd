import { describe, expect, it } from 'vitest';
import { parseRequest } from './parse-request.js';
import { createTranslator } from './registry.js';
import type { BackendSchemaName, Endpoint } from './translator.js';
import type { Usage } from './usage.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const sse = (events: readonly object[]): string =>
  events
    .map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`)
    .join('');

/** Runs one request and one response (whole, or streamed in two chunks) through a translator. */
function usageOf(options: {
  endpoint: Endpoint;
  schema: BackendSchemaName;
  request: object;
  response: string;
  isStreaming: boolean;
}): { usage: Usage | undefined; body: string } {
  const translator = createTranslator({
    endpoint: options.endpoint,
    schema: { name: options.schema },
    gcp: { project: 'p', region: 'us-east5' },
  });
  const path = options.endpoint === 'messages' ? '/v1/messages' : '/v1/chat/completions';
  translator.request({
    request: parseRequest(options.endpoint, bytes(JSON.stringify(options.request))),
    path,
  });
  const contentType = options.isStreaming ? 'text/event-stream' : 'application/json';
  translator.responseHeaders(200, new Map([['content-type', contentType]]));
  const raw = bytes(options.response);
  const cut = options.isStreaming ? Math.floor(raw.byteLength / 2) : raw.byteLength;
  const chunks = [raw.slice(0, cut), raw.slice(cut)];
  let usage: Usage | undefined;
  let body = '';
  chunks.forEach((chunk, i) => {
    const result = translator.responseBody(chunk, i === chunks.length - 1);
    usage = result.usage ?? usage;
    body += new TextDecoder().decode(result.body ?? chunk);
  });
  return { usage, body };
}

const anthropicUsage = {
  input_tokens: 10,
  cache_creation_input_tokens: 100,
  cache_read_input_tokens: 5,
  output_tokens: 7,
};
const anthropicMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-x',
  content: [{ type: 'text', text: 'hi' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: anthropicUsage,
};
const anthropicStream = sse([
  {
    type: 'message_start',
    message: {
      ...anthropicMessage,
      content: [],
      stop_reason: null,
      usage: { ...anthropicUsage, output_tokens: 1 },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } },
  { type: 'message_stop' },
]);
// Input = uncached 10 + cache reads 5 + cache writes 100.
const expectedAnthropic = { inputTokens: 115, cachedInputTokens: 5, cacheCreationInputTokens: 100 };

describe('cache-creation input tokens reach the usage', () => {
  const messagesRequest = {
    model: 'claude-x',
    max_tokens: 10,
    messages: [{ role: 'user', content: 'hi' }],
  };
  const chatRequest = { model: 'claude-x', messages: [{ role: 'user', content: 'hi' }] };

  it.each([
    ['messages', 'Anthropic', false],
    ['messages', 'Anthropic', true],
    ['messages', 'GCPAnthropic', false],
    ['messages', 'GCPAnthropic', true],
    ['chat-completions', 'Anthropic', false],
    ['chat-completions', 'Anthropic', true],
    ['chat-completions', 'GCPAnthropic', false],
  ] as const)('%s → %s (streaming: %s)', (endpoint, schema, isStreaming) => {
    const request = endpoint === 'messages' ? messagesRequest : chatRequest;
    const { usage } = usageOf({
      endpoint,
      schema,
      request: isStreaming ? { ...request, stream: true } : request,
      response: isStreaming ? anthropicStream : JSON.stringify(anthropicMessage),
      isStreaming,
    });
    expect(usage).toMatchObject({ ...expectedAnthropic, outputTokens: 7, totalTokens: 122 });
  });

  it('messages → OpenAI: reads prompt_tokens_details.cache_creation_tokens and reports it back', () => {
    const completion = {
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-x',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 115,
        completion_tokens: 7,
        total_tokens: 122,
        prompt_tokens_details: { cached_tokens: 5, cache_creation_tokens: 100 },
      },
    };
    const { usage, body } = usageOf({
      endpoint: 'messages',
      schema: 'OpenAI',
      request: messagesRequest,
      response: JSON.stringify(completion),
      isStreaming: false,
    });
    expect(usage).toMatchObject(expectedAnthropic);
    expect((JSON.parse(body) as { usage: unknown }).usage).toEqual(anthropicUsage);
  });

  it('chat completions → AWS Bedrock Converse: counts cacheWriteInputTokens', () => {
    const converse = {
      output: { message: { role: 'assistant', content: [{ text: 'hi' }] } },
      stopReason: 'end_turn',
      usage: {
        inputTokens: 10,
        outputTokens: 7,
        totalTokens: 122,
        cacheReadInputTokens: 5,
        cacheWriteInputTokens: 100,
      },
    };
    const { usage } = usageOf({
      endpoint: 'chat-completions',
      schema: 'AWSBedrock',
      request: chatRequest,
      response: JSON.stringify(converse),
      isStreaming: false,
    });
    expect(usage).toMatchObject({ ...expectedAnthropic, outputTokens: 7, totalTokens: 122 });
  });

  it('leaves the count out when the backend reports no cache writes', () => {
    const { usage } = usageOf({
      endpoint: 'messages',
      schema: 'Anthropic',
      request: messagesRequest,
      response: JSON.stringify({
        ...anthropicMessage,
        usage: { input_tokens: 3, output_tokens: 1 },
      }),
      isStreaming: false,
    });
    expect(usage).toEqual({
      inputTokens: 3,
      outputTokens: 1,
      totalTokens: 4,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
  });
});
