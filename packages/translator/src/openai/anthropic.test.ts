import { describe, expect, it } from 'vitest';
import { defaultAnthropicMaxTokens } from '../anthropic/openai-request.js';
import { parseRequest } from '../parse-request.js';
import { truncatedStreamFrame } from '../shared/stream-integrity.js';
import type { Translator } from '../translator.js';
import { createOpenAIToAnthropicTranslator, isStreamContentType } from './anthropic.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const now = (): number => 1700000000;

function translator(body: Record<string, unknown>): Translator {
  const t = createOpenAIToAnthropicTranslator({ schema: { name: 'Anthropic' }, now });
  t.request({
    request: parseRequest('chat-completions', encoder.encode(JSON.stringify(body))),
    path: '/v1/chat/completions',
  });
  return t;
}

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-x',
  content: [{ type: 'text', text: 'Hi 👋' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 5, output_tokens: 2 },
};

describe('openai → anthropic', () => {
  it('defaults max_tokens and never mutates the parsed request', () => {
    const request = parseRequest(
      'chat-completions',
      encoder.encode('{"model":"m","messages":[{"role":"user","content":"x"}]}'),
    );
    const before = JSON.stringify(request.body);
    const out = createOpenAIToAnthropicTranslator({ schema: { name: 'Anthropic' } }).request({
      request,
      path: '/v1/chat/completions',
    });
    const body = JSON.parse(decoder.decode(out.body)) as { max_tokens: number };
    expect(body.max_tokens).toBe(defaultAnthropicMaxTokens);
    expect(JSON.stringify(request.body)).toBe(before);
  });

  it('collects a JSON body split across chunks, emitting nothing until the end', () => {
    const t = translator({ model: 'm', messages: [] });
    t.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const bytes = encoder.encode(JSON.stringify(message));
    const cut = bytes.indexOf(0xf0) + 1; // inside the emoji
    const first = bytes.slice(0, cut);
    expect(t.responseBody(first, false).body).toEqual(new Uint8Array(0));
    first.fill(0);
    const result = t.responseBody(bytes.slice(cut), true);
    const json = JSON.parse(decoder.decode(result.body)) as {
      choices: { message: { content: string } }[];
    };
    expect(json.choices[0]?.message.content).toBe('Hi 👋');
    expect(result.usage?.totalTokens).toBe(7);
    expect(result.responseModel).toBe('claude-x');
  });

  it('forwards a body that is not JSON unchanged', () => {
    const t = translator({ model: 'm', messages: [] });
    t.responseHeaders(200, new Map([['content-type', 'application/json']]));
    expect(decoder.decode(t.responseBody(encoder.encode('oops'), true).body)).toBe('oops');
  });

  it('ends a stream cut before message_stop with one error frame, keeping the usage counted (issue 7)', () => {
    const t = translator({ model: 'm', stream: true, messages: [] });
    expect(t.responseHeaders(200, new Map()).isStreaming).toBe(true);
    const sse = [
      'event: message_start',
      `data: ${JSON.stringify({ type: 'message_start', message: { ...message, content: [], usage: { input_tokens: 3 } } })}`,
      '',
      'event: content_block_delta',
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}',
      '',
      '',
    ].join('\n');
    const first = t.responseBody(encoder.encode(sse), false);
    const last = t.responseBody(new Uint8Array(0), true);
    const text = decoder.decode(first.body) + decoder.decode(last.body);
    expect(text).not.toContain('"finish_reason":"stop"');
    expect(text).not.toContain('[DONE]');
    expect(decoder.decode(last.body)).toBe(truncatedStreamFrame('openai'));
    expect(last.usage).toEqual({
      inputTokens: 3,
      outputTokens: 0,
      totalTokens: 3,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('ends a stream with message_stop cleanly: finish reason and [DONE], no error', () => {
    const t = translator({ model: 'm', stream: true, messages: [] });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const sse = [
      `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { ...message, content: [] } })}\n`,
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ].join('\n');
    const text = decoder.decode(t.responseBody(encoder.encode(sse), true).body);
    expect(text).toContain('"finish_reason":"stop"');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).not.toContain('"error"');
  });

  it('passes an error event on as one error frame, without a second one at the end', () => {
    const t = translator({ model: 'm', stream: true, messages: [] });
    t.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const sse =
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const text = decoder.decode(t.responseBody(encoder.encode(sse), true).body);
    expect(text.match(/"error":/g)).toHaveLength(1);
    expect(text).toContain('Overloaded');
  });

  it.each([
    ['text/event-stream; charset=utf-8', true],
    ['application/vnd.amazon.eventstream', true],
    ['application/json', false],
    [undefined, false],
  ])('content-type %s is a stream: %s', (type, expected) => {
    expect(isStreamContentType(type)).toBe(expected);
  });
});
