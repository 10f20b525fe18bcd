import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
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

  it('ends a stream that lacks [DONE] with message_delta and message_stop', () => {
    const t = createAnthropicToOpenAITranslator({ schema: { name: 'OpenAI' } });
    const body = { model: 'gpt', max_tokens: 5, stream: true, messages: [] };
    t.request({
      request: parseRequest('messages', encoder.encode(JSON.stringify(body))),
      path: '/v1/messages',
    });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const text = decoder.decode(t.responseBody(new Uint8Array(0), true).body);
    expect(text.match(/^event: (\w+)$/gm)).toEqual([
      'event: message_start',
      'event: message_delta',
      'event: message_stop',
    ]);
  });
});
