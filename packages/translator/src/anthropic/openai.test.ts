import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import { truncatedStreamFrame } from '../shared/stream-integrity.js';
import { createAnthropicToOpenAITranslator } from './openai.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe('anthropic → openai', () => {
  it('translates a buffered completion split across chunks', () => {
    const t = createAnthropicToOpenAITranslator({ schema: { name: 'OpenAI' } });
    const body = { model: 'gpt', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] };
    const out = t.request({
      request: parseRequest('messages', encoder.encode(JSON.stringify(body))),
      path: '/v1/messages?beta=true',
    });
    expect(out.path).toBe('/v1/chat/completions');
    expect(
      t.responseHeaders(200, new Map([['content-type', 'application/json']])).isStreaming,
    ).toBe(false);
    const completion = encoder.encode(
      JSON.stringify({
        id: 'c1',
        model: 'gpt-4o',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'hey', refusal: null },
            finish_reason: 'content_filter',
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      }),
    );
    expect(t.responseBody(completion.slice(0, 10), false).body).toEqual(new Uint8Array(0));
    const result = t.responseBody(completion.slice(10), true);
    expect(JSON.parse(decoder.decode(result.body))).toMatchObject({
      type: 'message',
      content: [{ type: 'text', text: 'hey' }],
      stop_reason: 'refusal',
      usage: { input_tokens: 3, output_tokens: 1 },
    });
    expect(result.responseModel).toBe('gpt-4o');
  });

  it('ends a stream with a finish reason but no [DONE] with message_delta and message_stop', () => {
    const t = createAnthropicToOpenAITranslator({ schema: { name: 'OpenAI' } });
    const body = { model: 'gpt', max_tokens: 5, stream: true, messages: [] };
    t.request({
      request: parseRequest('messages', encoder.encode(JSON.stringify(body))),
      path: '/v1/messages',
    });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const chunk = { id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
    const sse = `data: ${JSON.stringify(chunk)}\n\n`;
    const text = decoder.decode(t.responseBody(encoder.encode(sse), true).body);
    expect(text.match(/^event: (\w+)$/gm)).toEqual([
      'event: message_start',
      'event: message_delta',
      'event: message_stop',
    ]);
  });

  it('ends a stream cut before any finish reason with one error event, not message_stop (issue 7)', () => {
    const t = createAnthropicToOpenAITranslator({ schema: { name: 'OpenAI' } });
    const body = { model: 'gpt', max_tokens: 5, stream: true, messages: [] };
    t.request({
      request: parseRequest('messages', encoder.encode(JSON.stringify(body))),
      path: '/v1/messages',
    });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const chunk = {
      id: 'c',
      choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    };
    const first = t.responseBody(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`), false);
    const last = t.responseBody(new Uint8Array(0), true);
    const text = decoder.decode(first.body) + decoder.decode(last.body);
    expect(text.match(/^event: (\w+)$/gm)).toEqual([
      'event: message_start',
      'event: content_block_start',
      'event: content_block_delta',
      'event: error',
    ]);
    expect(decoder.decode(last.body)).toBe(truncatedStreamFrame('anthropic'));
    expect(last.usage?.totalTokens).toBe(4);
  });
});
