import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { encodeEventStreamMessage } from '../shared/aws-eventstream.js';
import { concatBytes, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import type { JsonObject } from '../shared/json.js';
import { createAnthropicToAwsBedrockTranslator } from './awsbedrock.js';
import { converseFromAnthropicRequest } from './to-bedrock-request.js';

const base = { model: 'anthropic.claude-sonnet-4-5-v1:0', max_tokens: 100 };
const user = (content: unknown) => ({ role: 'user', content });

function translator() {
  return createAnthropicToAwsBedrockTranslator({
    schema: { name: 'AWSBedrock' },
    newId: () => 'fixed',
  });
}

describe('anthropic → awsbedrock request', () => {
  it('sends the model in the path (":" kept) and picks converse-stream for streams', () => {
    const body = { ...base, stream: true, messages: [user('hi')] };
    const raw = utf8Encoder.encode(JSON.stringify(body));
    const out = translator().request({
      request: parseRequest('messages', raw),
      path: '/anthropic/v1/messages',
      modelNameOverride: 'arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.claude',
    });
    expect(out.path).toBe(
      '/model/arn:aws:bedrock:us-east-1:1:inference-profile%2Fus.anthropic.claude/converse-stream',
    );
  });

  it('maps cache_control on system, messages and tools to cache points after the block', () => {
    const cached = { cache_control: { type: 'ephemeral' } };
    const converse = converseFromAnthropicRequest({
      ...base,
      system: [{ type: 'text', text: 'Long rules.', ...cached }],
      messages: [
        user([
          { type: 'text', text: 'Big file', ...cached },
          { type: 'text', text: 'q' },
        ]),
      ],
      tools: [{ name: 'read', input_schema: { type: 'object' }, ...cached }],
    });
    const point = { cachePoint: { type: 'default' } };
    expect(converse.system).toEqual([{ text: 'Long rules.' }, point]);
    expect(converse.messages).toEqual([
      { role: 'user', content: [{ text: 'Big file' }, point, { text: 'q' }] },
    ]);
    expect(converse.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'read', inputSchema: { json: { type: 'object' } } } }, point],
    });
  });

  it('keeps thinking with its signature, redacted thinking and tool_use ids across turns', () => {
    const converse = converseFromAnthropicRequest({
      ...base,
      messages: [
        user('weather?'),
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Use the tool.', signature: 'sig-1' },
            { type: 'redacted_thinking', data: 'cmVkYWN0ZWQ=' },
            { type: 'tool_use', id: 'toolu_01', name: 'weather', input: { city: 'Lisbon' } },
          ],
        },
        user([{ type: 'tool_result', tool_use_id: 'toolu_01', content: '19 °C' }]),
      ],
      tools: [{ name: 'weather', input_schema: { type: 'object' } }],
    });
    expect(converse.messages).toEqual([
      { role: 'user', content: [{ text: 'weather?' }] },
      {
        role: 'assistant',
        content: [
          { reasoningContent: { reasoningText: { text: 'Use the tool.', signature: 'sig-1' } } },
          { reasoningContent: { redactedContent: 'cmVkYWN0ZWQ=' } },
          { toolUse: { toolUseId: 'toolu_01', name: 'weather', input: { city: 'Lisbon' } } },
        ],
      },
      {
        role: 'user',
        content: [{ toolResult: { toolUseId: 'toolu_01', content: [{ text: '19 °C' }] } }],
      },
    ]);
  });

  it('accepts what Claude Code sends: context_management dropped, a mid-conversation system joins the system prompt, same-role turns merged', () => {
    const converse = converseFromAnthropicRequest({
      ...base,
      system: 'You are terse.',
      context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] },
      metadata: { user_id: 'u1' },
      messages: [
        user('hi'),
        { role: 'system', content: 'The user is in /tmp.' },
        user('where am I?'),
      ],
      thinking: { type: 'enabled', budget_tokens: 2048 },
      output_config: { effort: 'high' },
      top_k: 5,
    });
    expect(converse.system).toEqual([{ text: 'You are terse.' }, { text: 'The user is in /tmp.' }]);
    expect(converse.messages).toEqual([
      { role: 'user', content: [{ text: 'hi' }, { text: 'where am I?' }] },
    ]);
    expect(converse.additionalModelRequestFields).toEqual({
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      output_config: { effort: 'high' },
    });
    expect(converse).not.toHaveProperty('context_management');
  });

  it.each([
    [{ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /server tool type/],
    [
      {
        tools: [{ name: 't', input_schema: { type: 'object' } }],
        tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      },
      /disable_parallel_tool_use/,
    ],
    [{ messages: [user([{ type: 'image', source: { type: 'url', url: 'https://x' } }])] }, /"url"/],
    [{ container: 'c1' }, /parameter "container"/],
    [{ output_config: { task_budget: 1 } }, /output_config\.task_budget/],
  ])('refuses what would change the answer: %j', (extra, message) => {
    const body = { ...base, messages: [user('hi')], ...extra };
    expect(() => converseFromAnthropicRequest(body)).toThrow(MalformedRequestError);
    expect(() => converseFromAnthropicRequest(body)).toThrow(message);
  });
});

function json(body: Uint8Array | undefined): JsonObject {
  return JSON.parse(utf8Decoder.decode(body)) as JsonObject;
}

describe('anthropic → awsbedrock response', () => {
  it('converts a Converse answer: thinking with signature, tool use, usage with cache reads and writes', () => {
    const t = translator();
    const raw = utf8Encoder.encode(JSON.stringify({ ...base, messages: [user('hi')] }));
    t.request({ request: parseRequest('messages', raw), path: '/v1/messages' });
    t.responseHeaders(
      200,
      new Map([
        ['content-type', 'application/json'],
        ['x-amzn-requestid', 'r1'],
      ]),
    );
    const answer = {
      output: {
        message: {
          role: 'assistant',
          content: [
            { reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } },
            { text: 'Calling.' },
            { toolUse: { toolUseId: 'tooluse_1', name: 'weather', input: { city: 'Porto' } } },
          ],
        },
      },
      stopReason: 'tool_use',
      usage: {
        inputTokens: 10,
        outputTokens: 5,
        cacheReadInputTokens: 100,
        cacheWriteInputTokens: 20,
      },
    };
    const out = t.responseBody(utf8Encoder.encode(JSON.stringify(answer)), true);
    expect(json(out.body)).toEqual({
      id: 'msg_r1',
      type: 'message',
      role: 'assistant',
      model: base.model,
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 'tooluse_1', name: 'weather', input: { city: 'Porto' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 20,
      },
    });
    expect(out.usage).toMatchObject({
      inputTokens: 130,
      outputTokens: 5,
      cachedInputTokens: 100,
      cacheCreationInputTokens: 20,
    });
  });

  it('answers a Bedrock error in Anthropic’s error JSON', () => {
    const t = translator();
    const error = t.responseError(
      429,
      new Map([['x-amzn-errortype', 'ThrottlingException:http://internal.amazon.com/']]),
      utf8Encoder.encode('{"message":"Too many requests"}'),
    );
    expect(error.status).toBe(429);
    expect(json(error.body)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Too many requests' },
    });
  });
});

function event(type: string, payload: JsonObject): Uint8Array {
  return encodeEventStreamMessage({
    headers: { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    payload: utf8Encoder.encode(JSON.stringify(payload)),
  });
}

/** The SSE events of a translated stream, fed in 5-byte chunks. */
function streamEvents(frames: Uint8Array[]): JsonObject[] {
  const t = translator();
  const raw = utf8Encoder.encode(JSON.stringify({ ...base, stream: true, messages: [user('hi')] }));
  t.request({ request: parseRequest('messages', raw), path: '/v1/messages' });
  const headers = t.responseHeaders(
    200,
    new Map([
      ['content-type', 'application/vnd.amazon.eventstream'],
      ['x-amzn-requestid', 'r2'],
    ]),
  );
  expect(headers.isStreaming).toBe(true);
  const bytes = concatBytes(frames);
  let text = '';
  for (let i = 0; i < bytes.length; i += 5) {
    const end = Math.min(i + 5, bytes.length);
    text += utf8Decoder.decode(t.responseBody(bytes.subarray(i, end), end === bytes.length).body);
  }
  return text
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => JSON.parse(frame.split('\n')[1]?.slice('data: '.length) ?? '{}') as JsonObject);
}

describe('anthropic → awsbedrock stream', () => {
  it('re-emits ConverseStream as Anthropic events: thinking + signature, text, tool use, usage', () => {
    const events = streamEvents([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', {
        contentBlockIndex: 0,
        delta: { reasoningContent: { text: 'hm' } },
      }),
      event('contentBlockDelta', {
        contentBlockIndex: 0,
        delta: { reasoningContent: { signature: 'sig-9' } },
      }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Hi' } }),
      event('contentBlockStop', { contentBlockIndex: 1 }),
      event('contentBlockStart', {
        contentBlockIndex: 2,
        start: { toolUse: { toolUseId: 'tooluse_7', name: 'weather' } },
      }),
      event('contentBlockDelta', {
        contentBlockIndex: 2,
        delta: { toolUse: { input: '{"city"' } },
      }),
      event('contentBlockDelta', {
        contentBlockIndex: 2,
        delta: { toolUse: { input: ':"Faro"}' } },
      }),
      event('contentBlockStop', { contentBlockIndex: 2 }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: { inputTokens: 3, outputTokens: 4, cacheReadInputTokens: 50 } }),
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]).toMatchObject({ message: { id: 'msg_r2', model: base.model } });
    expect(events[1]).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'thinking', thinking: '', signature: '' },
    });
    expect(events[3]).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'signature_delta', signature: 'sig-9' },
    });
    expect(events[8]).toEqual({
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'tool_use', id: 'tooluse_7', name: 'weather', input: {} },
    });
    expect(events[12]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: {
        input_tokens: 3,
        output_tokens: 4,
        cache_read_input_tokens: 50,
        cache_creation_input_tokens: 0,
      },
    });
  });

  it('ends a stream cut before messageStop with one error event, never message_stop', () => {
    const events = streamEvents([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(events.map((e) => e.type)).not.toContain('message_stop');
  });

  it('turns a Bedrock exception mid-stream into an Anthropic error event', () => {
    const exception = encodeEventStreamMessage({
      headers: {
        ':message-type': 'exception',
        ':exception-type': 'throttlingException',
        ':content-type': 'application/json',
      },
      payload: utf8Encoder.encode('{"message":"slow down"}'),
    });
    const events = streamEvents([event('messageStart', { role: 'assistant' }), exception]);
    expect(events.at(-1)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'throttlingException: slow down' },
    });
  });
});
