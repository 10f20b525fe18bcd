import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import { encodeEventStreamMessage } from '../shared/aws-eventstream.js';
import { anthropicBetas, createAnthropicToAnthropicTranslator, platformBody } from './anthropic.js';
import { createAnthropicToAwsAnthropicTranslator } from './awsanthropic.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function request(body: Record<string, unknown>) {
  return parseRequest('messages', encoder.encode(JSON.stringify(body)));
}

describe('anthropic → anthropic family', () => {
  it('splits the anthropic-beta header', () => {
    expect(anthropicBetas(new Map([['anthropic-beta', ' a , ,b ']]))).toEqual(['a', 'b']);
    expect(anthropicBetas(undefined)).toEqual([]);
  });

  it('merges header betas into the body without duplicates and never touches the request', () => {
    const body = { model: 'm', stream: true, anthropic_beta: ['a'], max_tokens: 1 };
    const out = platformBody(body, { version: 'v', betas: ['a', 'b'], keepStream: false });
    expect(out).toEqual({ anthropic_version: 'v', anthropic_beta: ['a', 'b'], max_tokens: 1 });
    expect(body).toEqual({ model: 'm', stream: true, anthropic_beta: ['a'], max_tokens: 1 });
  });

  it('reads streamed usage, cache counts corrected by message_delta, without changing bytes', () => {
    const t = createAnthropicToAnthropicTranslator({ schema: { name: 'Anthropic' } });
    t.request({
      request: request({ model: 'm', stream: true, messages: [] }),
      path: '/v1/messages',
    });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const start = {
      type: 'message_start',
      message: {
        model: 'claude-y',
        usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 1 },
      },
    };
    const delta = {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 9, cache_read_input_tokens: 7 },
    };
    const chunks = [
      `event: message_start\ndata: ${JSON.stringify(start)}\n\nevent: message_delta\ndata: `,
      `${JSON.stringify(delta)}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`,
    ];
    const results = chunks.map((c, i) => t.responseBody(encoder.encode(c), i === 1));
    expect(results.map((r) => r.body)).toEqual([undefined, undefined]);
    expect(results[1]?.usage).toEqual({
      inputTokens: 17,
      outputTokens: 9,
      totalTokens: 26,
      cachedInputTokens: 7,
      reasoningTokens: 0,
    });
    expect(results[1]?.responseModel).toBe('claude-y');
  });

  it('re-emits Bedrock eventstream frames as Anthropic SSE and maps exceptions', () => {
    const t = createAnthropicToAwsAnthropicTranslator({ schema: { name: 'AWSAnthropic' } });
    t.request({
      request: request({ model: 'm', stream: true, messages: [] }),
      path: '/v1/messages',
    });
    const headers = t.responseHeaders(
      200,
      new Map([['content-type', 'application/vnd.amazon.eventstream']]),
    );
    expect(headers.headers.set).toEqual([['content-type', 'text/event-stream']]);
    const event = encoder.encode(JSON.stringify({ type: 'ping' }));
    const frames = [
      encodeEventStreamMessage({
        headers: { ':message-type': 'event', ':event-type': 'chunk' },
        payload: encoder.encode(JSON.stringify({ bytes: btoa(String.fromCharCode(...event)) })),
      }),
      encodeEventStreamMessage({
        headers: { ':message-type': 'exception', ':exception-type': 'modelStreamErrorException' },
        payload: encoder.encode('{"message":"boom"}'),
      }),
    ];
    const out = frames.map((f, i) => decoder.decode(t.responseBody(f, i === 1).body)).join('');
    expect(out).toBe(
      'event: ping\ndata: {"type":"ping"}\n\n' +
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"modelStreamErrorException: boom"}}\n\n',
    );
  });
});
