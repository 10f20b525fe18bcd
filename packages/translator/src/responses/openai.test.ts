import { describe, expect, it } from 'vitest';
import { MalformedResponseError } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import type { BackendSchema, TranslatedRequest, Translator } from '../translator.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function translate(
  schema: BackendSchema,
  body: Record<string, unknown>,
  options: { override?: string; path?: string } = {},
): { translator: Translator; out: TranslatedRequest; sent: Record<string, unknown> } {
  const translator = createTranslator({ endpoint: 'responses', schema });
  const request = parseRequest('responses', encoder.encode(JSON.stringify(body)));
  const out = translator.request({
    request,
    path: options.path ?? '/v1/responses',
    ...(options.override === undefined ? {} : { modelNameOverride: options.override }),
  });
  const sent = JSON.parse(decoder.decode(out.body ?? request.raw)) as Record<string, unknown>;
  return { translator, out, sent };
}

const usage = {
  input_tokens: 36,
  input_tokens_details: { cached_tokens: 12 },
  output_tokens: 87,
  output_tokens_details: { reasoning_tokens: 40 },
  total_tokens: 123,
};

const expectedUsage = {
  inputTokens: 36,
  outputTokens: 87,
  totalTokens: 123,
  cachedInputTokens: 12,
  reasoningTokens: 40,
};

const hostedBody = {
  model: 'gpt-5',
  input: 'what is new today?',
  tools: [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: ['vs_1'] }],
  previous_response_id: 'resp_earlier',
  store: true,
};

/** A Responses event frame as OpenAI sends it. */
function frame(type: string, sequence: number, fields: Record<string, unknown> = {}): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence })}\n\n`;
}

const created = { id: 'resp_1', object: 'response', model: 'gpt-5-2025-08-07', status: 'x' };

function streamOf(terminal: string | undefined): string {
  const frames = [
    frame('response.created', 0, { response: { ...created, status: 'in_progress' } }),
    frame('response.in_progress', 1, { response: { ...created, status: 'in_progress' } }),
    frame('response.output_text.delta', 2, { item_id: 'msg_1', output_index: 0, delta: 'Hi' }),
  ];
  if (terminal !== undefined) {
    const status = terminal.replace('response.', '');
    frames.push(frame(terminal, 3, { response: { ...created, status, usage } }));
  }
  return frames.join('');
}

/** Feeds a body in `size`-byte chunks; returns the client's bytes and the last result. */
function feed(translator: Translator, body: string, size: number) {
  translator.responseHeaders(200, new Map([['content-type', 'text/event-stream; charset=utf-8']]));
  const bytes = encoder.encode(body);
  let out = '';
  let last = translator.responseBody(new Uint8Array(0), bytes.length === 0);
  for (let at = 0; at < bytes.length; at += size) {
    const chunk = bytes.slice(at, at + size);
    last = translator.responseBody(chunk, at + size >= bytes.length);
    out += decoder.decode(last.body ?? chunk, { stream: true });
  }
  return { out, last };
}

describe('responses → openai (passthrough)', () => {
  it('sends the body byte for byte to /v1/responses, hosted tools and state included', () => {
    const { out, sent } = translate({ name: 'OpenAI' }, hostedBody);
    expect(out.path).toBe('/v1/responses');
    expect(out.body).toBeUndefined();
    expect(out.headers.set).toEqual([]);
    expect(sent).toEqual(hostedBody);
  });

  it.each([
    [{ name: 'OpenAI', prefix: '' }, '/responses'],
    [{ name: 'OpenAI', prefix: '/api/v1/' }, '/api/v1/responses'],
  ] as const)('honours the path prefix of %j: %s', (schema, path) => {
    expect(translate(schema, { model: 'm', input: 'hi' }).out.path).toBe(path);
  });

  it('keeps the client query string on OpenAI', () => {
    const { out } = translate(
      { name: 'OpenAI' },
      { model: 'm', input: 'hi' },
      { path: '/v1/responses?x=1' },
    );
    expect(out.path).toBe('/v1/responses?x=1');
  });

  it('rewrites only the model for a model name override', () => {
    const { out, sent } = translate({ name: 'OpenAI' }, hostedBody, { override: 'gpt-5-mini' });
    expect(out.model).toBe('gpt-5-mini');
    expect(out.headers.set).toEqual([['content-type', 'application/json']]);
    expect(sent).toEqual({ ...hostedBody, model: 'gpt-5-mini' });
  });

  it('sends Azure OpenAI to /openai/responses?api-version=, the deployment in the body', () => {
    const { out, sent } = translate(
      { name: 'AzureOpenAI', version: '2025-04-01-preview' },
      { model: 'gpt-5', input: 'hi' },
      { override: 'my-deployment' },
    );
    expect(out.path).toBe('/openai/responses?api-version=2025-04-01-preview');
    expect(sent).toEqual({ model: 'my-deployment', input: 'hi' });
  });

  it('reads usage and model from a JSON Response and forwards it untouched', () => {
    const { translator } = translate({ name: 'OpenAI' }, { model: 'gpt-5', input: 'hi' });
    const headers = translator.responseHeaders(
      200,
      new Map([['content-type', 'application/json']]),
    );
    expect(headers).toEqual({ headers: { set: [], remove: [] }, isStreaming: false });
    const body = { id: 'resp_1', object: 'response', model: 'gpt-5-2025-08-07', usage };
    const bytes = encoder.encode(JSON.stringify(body));
    expect(translator.responseBody(bytes.slice(0, 10), false).body).toBeUndefined();
    const result = translator.responseBody(bytes.slice(10), true);
    expect(result).toEqual({
      body: undefined,
      usage: expectedUsage,
      responseModel: 'gpt-5-2025-08-07',
    });
  });

  it('reads cache writes a gateway reports as input_tokens_details.cache_creation_tokens', () => {
    const { translator } = translate({ name: 'OpenAI' }, { model: 'gpt-5', input: 'hi' });
    translator.responseHeaders(200, new Map([['content-type', 'application/json']]));
    const withWrites = {
      ...usage,
      input_tokens_details: { cached_tokens: 12, cache_creation_tokens: 5 },
    };
    const body = encoder.encode(JSON.stringify({ object: 'response', usage: withWrites }));
    expect(translator.responseBody(body, true).usage).toEqual({
      ...expectedUsage,
      cacheCreationInputTokens: 5,
    });
  });

  it('refuses a 2xx body that is not JSON as a malformed response (502)', () => {
    const { translator } = translate({ name: 'OpenAI' }, { model: 'gpt-5', input: 'hi' });
    translator.responseHeaders(200, new Map([['content-type', 'text/html']]));
    expect(() => translator.responseBody(encoder.encode('<html>oops</html>'), true)).toThrow(
      MalformedResponseError,
    );
  });

  it('passes OpenAI errors through and wraps others in OpenAI format', () => {
    const { translator } = translate({ name: 'OpenAI' }, { model: 'gpt-5', input: 'hi' });
    const error = encoder.encode(
      '{"error":{"message":"Previous response not found","type":"invalid_request_error","param":"previous_response_id","code":"previous_response_not_found"}}',
    );
    expect(translator.responseError(404, new Map(), error)).toEqual({
      status: 404,
      contentType: 'application/json',
      body: error,
    });
    const wrapped = translator.responseError(503, new Map(), encoder.encode('upstream down'));
    expect(JSON.parse(decoder.decode(wrapped.body))).toMatchObject({
      error: { message: 'upstream down' },
    });
  });

  it.each(['response.completed', 'response.incomplete', 'response.failed'])(
    'reads streamed usage from %s, forwarding every byte (7-byte chunks)',
    (terminal) => {
      const { translator } = translate(
        { name: 'OpenAI' },
        { model: 'gpt-5', input: 'hi', stream: true },
      );
      const body = streamOf(terminal);
      const { out, last } = feed(translator, body, 7);
      expect(out).toBe(body);
      expect(last.usage).toEqual(expectedUsage);
      expect(last.responseModel).toBe('gpt-5-2025-08-07');
    },
  );

  it('reads streams whose frames carry no event: line', () => {
    const { translator } = translate(
      { name: 'OpenAI' },
      { model: 'gpt-5', input: 'hi', stream: true },
    );
    const body = streamOf('response.completed').replace(/^event: .*\n/gm, '');
    const { out, last } = feed(translator, body, 1000);
    expect(out).toBe(body);
    expect(last.usage).toEqual(expectedUsage);
  });

  it.each([1000, 7])(
    'ends a stream cut before its terminal event with a Responses error event (%i-byte chunks)',
    (size) => {
      const { translator } = translate(
        { name: 'OpenAI' },
        { model: 'gpt-5', input: 'hi', stream: true },
      );
      const body = streamOf(undefined);
      const { out, last } = feed(translator, body, size);
      expect(out.startsWith(body)).toBe(true);
      const tail = out.slice(body.length);
      expect(tail).toMatch(/^event: error\ndata: /);
      expect(JSON.parse(tail.slice(tail.indexOf('{')))).toEqual({
        type: 'error',
        code: 'stream_truncated',
        message: expect.stringContaining('ended before it finished') as unknown,
        param: null,
        sequence_number: 3,
      });
      expect(last.usage).toBeUndefined();
    },
  );

  it('puts the error event on its own after a frame cut in the middle', () => {
    const { translator } = translate(
      { name: 'OpenAI' },
      { model: 'gpt-5', input: 'hi', stream: true },
    );
    const body = streamOf(undefined) + 'event: response.output_text.delta\ndata: {"ty';
    const { out } = feed(translator, body, 1000);
    expect(out).toContain('{"ty\n\nevent: error\ndata: ');
  });

  it('adds nothing after a provider error event', () => {
    const { translator } = translate(
      { name: 'OpenAI' },
      { model: 'gpt-5', input: 'hi', stream: true },
    );
    const body =
      streamOf(undefined) +
      frame('error', 3, { code: 'server_error', message: 'boom', param: null });
    expect(feed(translator, body, 1000).out).toBe(body);
  });

  it('keeps the chat translation when the schema says responsesApi: chat', () => {
    const { out, sent } = translate(
      { name: 'OpenAI', responsesApi: 'chat' },
      { model: 'llama', input: 'hi' },
    );
    expect(out.path).toBe('/v1/chat/completions');
    expect(sent).toMatchObject({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('keeps the chat translation for Azure OpenAI with responsesApi: chat', () => {
    const { out } = translate(
      { name: 'AzureOpenAI', version: '2024-10-21', responsesApi: 'chat' },
      { model: 'dep', input: 'hi' },
    );
    expect(out.path).toBe('/openai/deployments/dep/chat/completions?api-version=2024-10-21');
  });
});
