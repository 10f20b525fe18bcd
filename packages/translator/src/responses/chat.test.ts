import { describe, expect, it } from 'vitest';
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { truncatedStreamMessage } from '../shared/stream-integrity.js';
import type { Translator } from '../translator.js';
import { feedChunked } from '../testing/conformance.js';

const codexBody = {
  model: 'gpt-5-codex',
  instructions: 'You are Codex.',
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'sandbox: on' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] },
    { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: null },
    {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Running ls.' }],
    },
    { type: 'function_call', call_id: 'call_a', name: 'shell', arguments: '{"cmd":["ls"]}' },
    { type: 'function_call', call_id: 'call_b', name: 'shell', arguments: '{"cmd":["pwd"]}' },
    { type: 'function_call_output', call_id: 'call_a', output: 'README.md' },
    {
      type: 'function_call_output',
      call_id: 'call_b',
      output: [{ type: 'input_text', text: '/w' }],
    },
  ],
  tools: [
    {
      type: 'function',
      name: 'shell',
      description: 'Runs a command',
      strict: false,
      parameters: { type: 'object', properties: { cmd: { type: 'array' } } },
    },
  ],
  tool_choice: 'auto',
  parallel_tool_calls: false,
  reasoning: { effort: 'high', summary: 'auto' },
  store: false,
  stream: true,
  include: ['reasoning.encrypted_content'],
  prompt_cache_key: 'thread-1',
  text: { verbosity: 'low' },
  max_output_tokens: 1000,
};

function translatorFor(body: Record<string, unknown>): { t: Translator; sent: unknown } {
  const t = createTranslator({
    endpoint: 'responses',
    schema: { name: 'OpenAI', responsesApi: 'chat' },
  });
  const request = parseRequest('responses', utf8Encoder.encode(JSON.stringify(body)));
  const out = t.request({ request, path: '/v1/responses' });
  expect(out.path).toBe('/v1/chat/completions');
  return { t, sent: JSON.parse(utf8Decoder.decode(out.body)) };
}

function refusal(body: Record<string, unknown>): string {
  try {
    translatorFor({ model: 'm', input: 'hi', ...body });
  } catch (err) {
    expect(isUserFacing(err) && err.status === 400).toBe(true);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('responses → openai chat: request', () => {
  it('translates a Codex request (developer message, tool round trip, effort, stream)', () => {
    expect(translatorFor(codexBody).sent).toEqual({
      model: 'gpt-5-codex',
      messages: [
        { role: 'system', content: 'You are Codex.' },
        { role: 'developer', content: 'sandbox: on' },
        { role: 'user', content: [{ type: 'text', text: 'list files' }] },
        {
          role: 'assistant',
          content: 'Running ls.',
          tool_calls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'shell', arguments: '{"cmd":["ls"]}' },
            },
            {
              id: 'call_b',
              type: 'function',
              function: { name: 'shell', arguments: '{"cmd":["pwd"]}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: 'README.md' },
        { role: 'tool', tool_call_id: 'call_b', content: '/w' },
      ],
      parallel_tool_calls: false,
      max_completion_tokens: 1000,
      tools: [
        {
          type: 'function',
          function: {
            name: 'shell',
            description: 'Runs a command',
            parameters: { type: 'object', properties: { cmd: { type: 'array' } } },
            strict: false,
          },
        },
      ],
      tool_choice: 'auto',
      reasoning_effort: 'high',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('maps text.format json_schema to response_format and a named tool choice', () => {
    const { sent } = translatorFor({
      model: 'm',
      input: 'who?',
      tool_choice: { type: 'function', name: 'f' },
      text: {
        format: { type: 'json_schema', name: 'p', schema: { type: 'object' }, strict: true },
      },
    });
    expect(sent).toMatchObject({
      messages: [{ role: 'user', content: 'who?' }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'p', schema: { type: 'object' }, strict: true },
      },
    });
  });

  it.each([
    [{ previous_response_id: 'resp_1' }, /previous_response_id.*stores no responses/],
    [{ conversation: 'conv_1' }, /conversation/],
    [{ background: true }, /background/],
    [{ tools: [{ type: 'code_interpreter' }] }, /"code_interpreter".*hosted/],
    [{ tools: [{ type: 'namespace', name: 'n' }] }, /tools\[0\]\.tools must be an array/],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, /item_reference.*stores none/],
    [{ n: 2 }, /field "n" is not supported/],
    [{ tool_choice: { type: 'web_search' } }, /tool_choice/],
  ])('refuses %j with a 400 naming it', (body, message) => {
    expect(refusal(body)).toMatch(message);
  });

  it('accepts store: true (nothing is stored) and null previous_response_id', () => {
    expect(
      translatorFor({ model: 'm', input: 'x', store: true, previous_response_id: null }).sent,
    ).toEqual({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
  });
});

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-2024',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'shell', arguments: '{"a":1}' } },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: {
    prompt_tokens: 20,
    completion_tokens: 7,
    total_tokens: 27,
    prompt_tokens_details: { cached_tokens: 8 },
    completion_tokens_details: { reasoning_tokens: 2 },
  },
};

describe('responses → openai chat: JSON response', () => {
  it('becomes a Response with message and function_call items and usage', () => {
    const { t } = translatorFor({ model: 'gpt-4o', input: 'hi', instructions: 'be brief' });
    const got = feedChunked({
      translator: t,
      wire: {
        contentType: 'application/json',
        body: utf8Encoder.encode(JSON.stringify(completion)),
      },
      chunkSize: 7,
    });
    expect(got.contentType).toBe('application/json');
    expect(got.usage).toMatchObject({ inputTokens: 20, outputTokens: 7, cachedInputTokens: 8 });
    expect(JSON.parse(utf8Decoder.decode(got.body))).toMatchObject({
      id: 'resp_chatcmpl-1',
      object: 'response',
      created_at: 1700000000,
      status: 'completed',
      model: 'gpt-4o-2024',
      instructions: 'be brief',
      store: false,
      output: [
        {
          type: 'message',
          id: 'msg_chatcmpl-1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
        },
        {
          type: 'function_call',
          id: 'fc_call_1',
          call_id: 'call_1',
          name: 'shell',
          arguments: '{"a":1}',
          status: 'completed',
        },
      ],
      usage: {
        input_tokens: 20,
        input_tokens_details: { cached_tokens: 8 },
        output_tokens: 7,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 27,
      },
    });
  });

  it('reports a length stop as incomplete (max_output_tokens)', () => {
    const { t } = translatorFor({ model: 'gpt-4o', input: 'hi' });
    const cut = {
      ...completion,
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hel' }, finish_reason: 'length' },
      ],
    };
    const got = feedChunked({
      translator: t,
      wire: { contentType: 'application/json', body: utf8Encoder.encode(JSON.stringify(cut)) },
      chunkSize: Infinity,
    });
    expect(JSON.parse(utf8Decoder.decode(got.body))).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
  });
});

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  const body = {
    id: 'chatcmpl-2',
    object: 'chat.completion.chunk',
    created: 1700000001,
    model: 'gpt-4o-2024',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

const usageChunk = `data: ${JSON.stringify({ id: 'chatcmpl-2', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } })}\n\n`;

const streamBody = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ reasoning_content: 'think' }),
  chunk({ content: 'Hi ' }),
  chunk({ content: 'there' }),
  chunk({
    tool_calls: [
      { index: 0, id: 'call_9', type: 'function', function: { name: 'f', arguments: '' } },
    ],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
  chunk({}, 'tool_calls'),
  usageChunk,
  'data: [DONE]\n\n',
].join('');

function streamed(body: string, chunkSize: number): { text: string; usage: unknown } {
  const { t } = translatorFor({ model: 'gpt-4o', input: 'hi', stream: true });
  const got = feedChunked({
    translator: t,
    wire: { contentType: 'text/event-stream', body: utf8Encoder.encode(body) },
    chunkSize,
  });
  expect(got.contentType).toBe('text/event-stream');
  return { text: utf8Decoder.decode(got.body), usage: got.usage };
}

function events(sse: string): Record<string, unknown>[] {
  return sse
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      const [event, data] = frame.split('\n');
      const json = JSON.parse(String(data).slice('data: '.length)) as Record<string, unknown>;
      expect(event).toBe(`event: ${String(json.type)}`);
      return json;
    });
}

describe('responses → openai chat: stream', () => {
  it('emits the Responses event sequence with monotonic sequence numbers and usage', () => {
    const whole = streamed(streamBody, Infinity);
    expect(streamed(streamBody, 7).text).toBe(whole.text);
    expect(whole.usage).toMatchObject({ inputTokens: 9, outputTokens: 4, totalTokens: 13 });
    const list = events(whole.text);
    expect(list.map((e) => e.sequence_number)).toEqual(list.map((_, i) => i));
    expect(list.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = list.at(-1)?.response as Record<string, unknown>;
    expect(completed).toMatchObject({
      id: 'resp_chatcmpl-2',
      status: 'completed',
      usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13 },
      output: [
        {
          type: 'reasoning',
          id: 'rs_chatcmpl-2',
          content: [{ type: 'reasoning_text', text: 'think' }],
        },
        {
          type: 'message',
          id: 'msg_chatcmpl-2',
          content: [{ type: 'output_text', text: 'Hi there' }],
        },
        {
          type: 'function_call',
          id: 'fc_call_9',
          call_id: 'call_9',
          name: 'f',
          arguments: '{"x":1}',
        },
      ],
    });
  });

  it('ends a stream cut before finish_reason in response.failed, never response.completed', () => {
    const cut = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hi' })].join('');
    for (const size of [Infinity, 7]) {
      const list = events(streamed(cut, size).text);
      const types = list.map((e) => e.type);
      expect(types).not.toContain('response.completed');
      expect(types.at(-1)).toBe('response.failed');
      expect(list.at(-1)).toMatchObject({
        response: {
          status: 'failed',
          error: { code: 'server_error', message: truncatedStreamMessage },
        },
      });
    }
  });

  it('turns a provider error frame into response.failed with its message', () => {
    const body =
      chunk({ content: 'Hi' }) +
      `data: ${JSON.stringify({ error: { message: 'Overloaded', type: 'server_error' } })}\n\n`;
    const list = events(streamed(body, Infinity).text);
    expect(list.at(-1)).toMatchObject({
      type: 'response.failed',
      response: { error: { message: 'Overloaded' } },
    });
  });
});
