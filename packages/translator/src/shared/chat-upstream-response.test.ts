import { describe, expect, it } from 'vitest';
import { createAnthropicToOpenAITranslator } from '../anthropic/openai.js';
import { malformedResponseMessage, toClientError } from '../errors.js';
import { createGeminiToOpenAITranslator } from '../gemini/openai.js';
import { parseRequest } from '../parse-request.js';
import type { Translator } from '../translator.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Ingress {
  readonly name: string;
  /** A started translator for model `gpt` (overridden by `override` when given). */
  start(options: { stream: boolean; override?: string; prefix?: string }): {
    translator: Translator;
    path: string;
    headers: unknown;
  };
}

const anthropic: Ingress = {
  name: 'anthropic',
  start: ({ stream, override, prefix }) => {
    const translator = createAnthropicToOpenAITranslator({
      schema: { name: 'OpenAI', ...(prefix === undefined ? {} : { prefix }) },
    });
    const body = {
      model: 'gpt',
      max_tokens: 5,
      stream,
      messages: [{ role: 'user', content: 'x' }],
    };
    const out = translator.request({
      request: parseRequest('messages', encoder.encode(JSON.stringify(body))),
      path: '/v1/messages?beta=true',
      ...(override === undefined ? {} : { modelNameOverride: override }),
    });
    return { translator, path: out.path, headers: out.headers };
  },
};

const gemini: Ingress = {
  name: 'gemini',
  start: ({ stream, override, prefix }) => {
    const translator = createGeminiToOpenAITranslator({
      schema: { name: 'OpenAI', ...(prefix === undefined ? {} : { prefix }) },
    });
    const path = `/v1beta/models/gpt:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
    const body = { contents: [{ role: 'user', parts: [{ text: 'x' }] }] };
    const out = translator.request({
      request: parseRequest('gemini-generate-content', encoder.encode(JSON.stringify(body)), {
        path,
      }),
      path,
      ...(override === undefined ? {} : { modelNameOverride: override }),
    });
    return { translator, path: out.path, headers: out.headers };
  },
};

const completion = (model?: string): Uint8Array =>
  encoder.encode(
    JSON.stringify({
      id: 'c1',
      ...(model === undefined ? {} : { model }),
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    }),
  );

const chunk = (value: object): string => `data: ${JSON.stringify(value)}\n\n`;

describe.each([anthropic, gemini])('$name → openai: the shared chat-upstream half', (ingress) => {
  it('sends to /<prefix>/chat/completions without the client’s query', () => {
    expect(ingress.start({ stream: false }).path).toBe('/v1/chat/completions');
    expect(ingress.start({ stream: true, prefix: '/api/v2/' }).path).toBe(
      '/api/v2/chat/completions',
    );
  });

  it.each(['<html>bad gateway</html>', '[1,2]', '"text"', ''])(
    'refuses a 2xx body %j it cannot translate with a 502 and the generic message',
    (text) => {
      const { translator } = ingress.start({ stream: false });
      translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
      let caught: unknown;
      try {
        translator.responseBody(encoder.encode(text), true);
      } catch (err) {
        caught = err;
      }
      expect(toClientError(caught)).toEqual({ status: 502, message: malformedResponseMessage });
    },
  );

  it.each([
    { title: 'the provider’s model', model: 'gpt-4o-2024', expected: 'gpt-4o-2024' },
    { title: 'the model sent, when the provider names none', expected: 'gpt' },
    { title: 'the model sent, when the provider names an empty one', model: '', expected: 'gpt' },
    {
      title: 'the overridden model sent, when the provider names none',
      override: 'o/gpt',
      expected: 'o/gpt',
    },
    {
      title: 'the provider’s model over the override',
      model: 'gpt-4o-2024',
      override: 'o/gpt',
      expected: 'gpt-4o-2024',
    },
  ] as { title: string; model?: string; override?: string; expected: string }[])(
    'reports $title as the response model',
    ({ model, override, expected }) => {
      const { translator } = ingress.start({
        stream: false,
        ...(override === undefined ? {} : { override }),
      });
      translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
      const result = translator.responseBody(completion(model), true);
      expect(result.responseModel).toBe(expected);
      expect(result.usage).toMatchObject({ inputTokens: 3, outputTokens: 1 });
    },
  );

  it('reports the model sent until a chunk names the provider’s, then that one', () => {
    const { translator } = ingress.start({ stream: true, override: 'o/gpt' });
    translator.responseHeaders(200, new Map([['content-type', 'text/event-stream']]));
    const first = translator.responseBody(encoder.encode(': keep-alive\n\n'), false);
    expect(first.responseModel).toBe('o/gpt');
    expect(first.body).toEqual(new Uint8Array(0));
    const delta = {
      id: 'c',
      model: 'gpt-4o-2024',
      choices: [{ index: 0, delta: { content: 'Hi' } }],
    };
    const second = translator.responseBody(encoder.encode(chunk(delta)), false);
    expect(second.responseModel).toBe('gpt-4o-2024');
    expect(decoder.decode(second.body)).toContain('Hi');
    const end = { id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
    const usage = { id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } };
    const last = translator.responseBody(
      encoder.encode(chunk(end) + chunk(usage) + 'data: [DONE]\n\n'),
      true,
    );
    expect(last.responseModel).toBe('gpt-4o-2024');
    expect(last.usage).toMatchObject({ inputTokens: 3, outputTokens: 1 });
  });

  it('streams when the provider answers SSE, whatever the request asked', () => {
    const { translator } = ingress.start({ stream: false });
    const headers = translator.responseHeaders(
      200,
      new Map([['content-type', 'text/event-stream']]),
    );
    expect(headers).toEqual({
      headers: { set: [['content-type', 'text/event-stream']], remove: ['content-length'] },
      isStreaming: true,
    });
  });
});

describe('the client dialect’s own request headers', () => {
  it('drops Anthropic’s version and beta headers, and Google’s API key', () => {
    expect(anthropic.start({ stream: false }).headers).toEqual({
      set: [['content-type', 'application/json']],
      remove: ['anthropic-version', 'anthropic-beta'],
    });
    expect(gemini.start({ stream: false }).headers).toEqual({
      set: [['content-type', 'application/json']],
      remove: ['x-goog-api-key'],
    });
  });
});
