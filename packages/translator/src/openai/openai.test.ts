import { describe, expect, it } from 'vitest';
import { itMatchesGoldens, prettyJson, readFixtureJson, testdataDir } from '../../test/golden.js';
import { parseRequest } from '../parse-request.js';
import type { BackendSchema, Endpoint, Translator } from '../translator.js';
import type { Usage } from '../usage.js';
import { createOpenAIToOpenAITranslator, type OpenAIEndpoint } from './openai.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function translatorFor(endpoint: OpenAIEndpoint, schema: Partial<BackendSchema> = {}): Translator {
  return createOpenAIToOpenAITranslator({ endpoint, schema: { name: 'OpenAI', ...schema } });
}

/** A translator that has seen a request with `body`, and the translated request. */
function translate(options: {
  endpoint?: OpenAIEndpoint;
  body: Record<string, unknown>;
  modelNameOverride?: string;
  prefix?: string;
  path?: string;
}) {
  const endpoint = options.endpoint ?? 'chat-completions';
  const translator = translatorFor(
    endpoint,
    options.prefix === undefined ? {} : { prefix: options.prefix },
  );
  const request = parseRequest(endpoint, bytes(JSON.stringify(options.body)));
  const translated = translator.request({
    request,
    path: options.path ?? '/v1/chat/completions',
    ...(options.modelNameOverride === undefined
      ? {}
      : { modelNameOverride: options.modelNameOverride }),
  });
  return { translator, request, translated };
}

interface StreamRun {
  output: Uint8Array;
  bodies: (Uint8Array | undefined)[];
  usage: Usage | undefined;
  model: string | undefined;
}

/** Feeds `chunks` as Envoy would (the last with end of stream) and reassembles what the client sees. */
function runStream(translator: Translator, chunks: readonly Uint8Array[]): StreamRun {
  translator.responseHeaders(200, new Map([['content-type', 'text/event-stream; charset=utf-8']]));
  const out: Uint8Array[] = [];
  const bodies: (Uint8Array | undefined)[] = [];
  let usage: Usage | undefined;
  let model: string | undefined;
  chunks.forEach((chunk, i) => {
    const result = translator.responseBody(chunk, i === chunks.length - 1);
    bodies.push(result.body);
    out.push(result.body ?? chunk);
    usage = result.usage;
    model = result.responseModel;
  });
  return { output: concat(out), bodies, usage, model };
}

function splitAt(data: Uint8Array, points: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.slice(from, point));
    from = point;
  }
  return chunks;
}

/** A small deterministic PRNG (mulberry32) so random splits are reproducible. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const chunkBase =
  '"id":"chatcmpl-9x","object":"chat.completion.chunk","created":1730000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1"';
const roleFrame = `data: {${chunkBase},"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`;
const contentFrames = ['Héllo', ' 👋 wörld', '! 日本語'].map(
  (text) =>
    `data: {${chunkBase},"choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
);
const finishFrame = `data: {${chunkBase},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n`;
const usageFrame = `data: {${chunkBase},"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}\n\n`;
const doneFrame = 'data: [DONE]\n\n';
const streamFrames = [roleFrame, ...contentFrames, finishFrame, usageFrame, doneFrame];
const streamText = streamFrames.join('');
const expectedUsage: Usage = {
  inputTokens: 12,
  outputTokens: 7,
  totalTokens: 19,
  cachedInputTokens: 4,
  reasoningTokens: 2,
};

const streamCases = [
  {
    name: 'LF',
    input: streamText,
    stripped: streamText.replace(usageFrame, ''),
  },
  {
    name: 'CRLF',
    input: streamText.replaceAll('\n', '\r\n'),
    stripped: streamText.replace(usageFrame, '').replaceAll('\n', '\r\n'),
  },
  {
    name: 'CR',
    input: streamText.replaceAll('\n', '\r'),
    stripped: streamText.replace(usageFrame, '').replaceAll('\n', '\r'),
  },
];

const streamingBody = { model: 'gpt-4o-mini', stream: true, messages: [] };
const streamingBodyWithUsage = { ...streamingBody, stream_options: { include_usage: true } };

describe('openai → openai request', () => {
  const dir = testdataDir('openai-openai');
  itMatchesGoldens({ dir, input: '.in.json', output: '.out.json' }, (name) => {
    const input = readFixtureJson<{
      endpoint: OpenAIEndpoint;
      schema: BackendSchema;
      path: string;
      modelNameOverride?: string;
      body: Record<string, unknown>;
    }>(dir, `${name}.in.json`);
    const translator = createOpenAIToOpenAITranslator({
      endpoint: input.endpoint,
      schema: input.schema,
    });
    const request = parseRequest(input.endpoint, bytes(JSON.stringify(input.body)));
    const { body, ...rest } = translator.request({
      request,
      path: input.path,
      ...(input.modelNameOverride === undefined
        ? {}
        : { modelNameOverride: input.modelNameOverride }),
    });
    const out = {
      ...rest,
      body: body === undefined ? null : (JSON.parse(decoder.decode(body)) as unknown),
    };
    return prettyJson(out);
  });

  it('passes the body through untouched by default', () => {
    const { translated } = translate({ body: { model: 'gpt-4o', messages: [] } });
    expect(translated.body).toBeUndefined();
    expect(translated.path).toBe('/v1/chat/completions');
    expect(translated.model).toBe('gpt-4o');
    expect(translated.headers).toEqual({ set: [], remove: [] });
  });

  it.each([
    { prefix: '/v1', endpoint: 'chat-completions', path: '/v1/chat/completions' },
    { prefix: 'v1/', endpoint: 'completions', path: '/v1/completions' },
    { prefix: '//v1//', endpoint: 'embeddings', path: '/v1/embeddings' },
    { prefix: '', endpoint: 'chat-completions', path: '/chat/completions' },
    { prefix: '/', endpoint: 'embeddings', path: '/embeddings' },
    { prefix: '/openai/v1', endpoint: 'chat-completions', path: '/openai/v1/chat/completions' },
    { prefix: 'api/v2', endpoint: 'completions', path: '/api/v2/completions' },
  ] as const)('prefix $prefix gives $path for $endpoint', ({ prefix, endpoint, path }) => {
    const { translated } = translate({ endpoint, prefix, body: { model: 'm' } });
    expect(translated.path).toBe(path);
  });

  it('keeps the query string', () => {
    const { translated } = translate({
      body: { model: 'm' },
      path: '/v1/chat/completions?api-version=2024-10-21&x=a%20b',
    });
    expect(translated.path).toBe('/v1/chat/completions?api-version=2024-10-21&x=a%20b');
  });

  it('changes only the model when overridden, keeping field order', () => {
    const body = { temperature: 0.5, model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] };
    const { translated } = translate({ body, modelNameOverride: 'gpt-4o-2024-08-06' });
    const sent = decoder.decode(translated.body);
    expect(JSON.parse(sent)).toEqual({ ...body, model: 'gpt-4o-2024-08-06' });
    expect(Object.keys(JSON.parse(sent) as object)).toEqual(['temperature', 'model', 'messages']);
    expect(translated.model).toBe('gpt-4o-2024-08-06');
    expect(translated.headers.set).toEqual([['content-type', 'application/json']]);
  });

  it.each([
    { override: 'gpt-4o', reason: 'equals the request model' },
    { override: '', reason: 'is empty' },
  ])('passes through when the override $reason', ({ override }) => {
    const { translated } = translate({ body: { model: 'gpt-4o' }, modelNameOverride: override });
    expect(translated.body).toBeUndefined();
    expect(translated.model).toBe('gpt-4o');
  });

  it.each([
    { endpoint: 'chat-completions', body: streamingBody, injects: true },
    { endpoint: 'completions', body: streamingBody, injects: true },
    {
      endpoint: 'chat-completions',
      body: { ...streamingBody, stream_options: { include_usage: false } },
      injects: true,
    },
    {
      endpoint: 'chat-completions',
      body: { ...streamingBody, stream_options: null },
      injects: true,
    },
    { endpoint: 'chat-completions', body: streamingBodyWithUsage, injects: false },
    { endpoint: 'chat-completions', body: { ...streamingBody, stream: false }, injects: false },
    { endpoint: 'chat-completions', body: { model: 'm' }, injects: false },
    { endpoint: 'embeddings', body: { model: 'm', input: 'x', stream: true }, injects: false },
  ] as const)(
    '$endpoint $body.stream $body.stream_options injects include_usage: $injects',
    ({ endpoint, body, injects }) => {
      const { translated } = translate({ endpoint, body });
      if (!injects) {
        expect(translated.body).toBeUndefined();
        return;
      }
      const sent = JSON.parse(decoder.decode(translated.body)) as Record<string, unknown>;
      expect(sent).toEqual({ ...body, stream_options: { include_usage: true } });
    },
  );

  it('keeps existing stream_options fields when injecting include_usage', () => {
    const body = { ...streamingBody, stream_options: { include_obfuscation: false } };
    const { translated } = translate({ body, modelNameOverride: 'other' });
    const sent = JSON.parse(decoder.decode(translated.body)) as Record<string, unknown>;
    expect(sent).toEqual({
      ...body,
      model: 'other',
      stream_options: { include_obfuscation: false, include_usage: true },
    });
  });

  it('never mutates the parsed request, so retries start from the client body', () => {
    const body = { ...streamingBody, stream_options: { include_obfuscation: false } };
    const endpoint: Endpoint = 'chat-completions';
    const request = parseRequest(endpoint, bytes(JSON.stringify(body)));
    const snapshot = structuredClone(request.body);
    for (const override of ['a', 'b']) {
      const translated = translatorFor(endpoint).request({
        request,
        path: '/v1/chat/completions',
        modelNameOverride: override,
      });
      expect((JSON.parse(decoder.decode(translated.body)) as { model: string }).model).toBe(
        override,
      );
    }
    expect(request.body).toEqual(snapshot);
  });
});

describe('openai → openai response headers', () => {
  it.each([
    { contentType: 'text/event-stream', isStreaming: true },
    { contentType: 'text/event-stream; charset=utf-8', isStreaming: true },
    { contentType: 'Text/Event-Stream', isStreaming: true },
    { contentType: 'application/json', isStreaming: false },
    { contentType: undefined, isStreaming: false },
  ])('content-type $contentType is streaming: $isStreaming', ({ contentType, isStreaming }) => {
    const { translator } = translate({ body: { model: 'm' } });
    const headers = new Map(contentType === undefined ? [] : [['content-type', contentType]]);
    expect(translator.responseHeaders(200, headers)).toEqual({
      headers: { set: [], remove: [] },
      isStreaming,
    });
  });

  it('drops content-length when it will remove the usage chunk', () => {
    const { translator } = translate({ body: streamingBody });
    const result = translator.responseHeaders(
      200,
      new Map([['content-type', 'text/event-stream']]),
    );
    expect(result.headers).toEqual({ set: [], remove: ['content-length'] });
  });
});

describe('openai → openai streamed response', () => {
  describe.each(streamCases)('$name line endings', ({ input, stripped }) => {
    const data = bytes(input);
    const expectedStripped = bytes(stripped);

    it('strips the injected usage chunk from a stream fed whole', () => {
      const run = runStream(translate({ body: streamingBody }).translator, [data]);
      expect(decoder.decode(run.output)).toBe(stripped);
      expect(run.usage).toEqual(expectedUsage);
      expect(run.model).toBe('gpt-4o-mini-2024-07-18');
    });

    it('strips the injected usage chunk from a stream fed byte by byte', () => {
      const chunks = splitAt(
        data,
        Array.from({ length: data.length - 1 }, (_, i) => i + 1),
      );
      const run = runStream(translate({ body: streamingBody }).translator, chunks);
      expect(run.output).toEqual(expectedStripped);
      expect(run.usage).toEqual(expectedUsage);
      expect(run.model).toBe('gpt-4o-mini-2024-07-18');
    });

    it('strips the injected usage chunk whatever the split point', () => {
      for (let point = 0; point <= data.length; point++) {
        const run = runStream(
          translate({ body: streamingBody }).translator,
          splitAt(data, [point]),
        );
        expect(run.output, `split at ${point}`).toEqual(expectedStripped);
        expect(run.usage, `split at ${point}`).toEqual(expectedUsage);
      }
    });

    it('strips the injected usage chunk for random multi-way splits', () => {
      const random = prng(42);
      for (let round = 0; round < 300; round++) {
        const points = new Set<number>();
        const count = 1 + Math.floor(random() * 12);
        for (let i = 0; i < count; i++) {
          points.add(Math.floor(random() * (data.length + 1)));
        }
        const sorted = [...points].sort((a, b) => a - b);
        const run = runStream(translate({ body: streamingBody }).translator, splitAt(data, sorted));
        expect(run.output, `split at ${sorted.join(',')}`).toEqual(expectedStripped);
        expect(run.usage).toEqual(expectedUsage);
      }
    });

    it('forwards every chunk untouched when the client asked for usage itself', () => {
      for (let point = 0; point <= data.length; point++) {
        const translator = translate({ body: streamingBodyWithUsage }).translator;
        const run = runStream(translator, splitAt(data, [point]));
        expect(run.bodies.every((body) => body === undefined)).toBe(true);
        expect(run.output).toEqual(data);
        expect(run.usage, `split at ${point}`).toEqual(expectedUsage);
        expect(run.model).toBe('gpt-4o-mini-2024-07-18');
      }
    });
  });

  it('forwards frame-aligned chunks untouched and empties only the usage chunk', () => {
    const run = runStream(
      translate({ body: streamingBody }).translator,
      streamFrames.map((frame) => bytes(frame)),
    );
    const usageIndex = streamFrames.indexOf(usageFrame);
    run.bodies.forEach((body, i) => {
      if (i === usageIndex) {
        expect(body).toEqual(new Uint8Array(0));
      } else {
        expect(body, `chunk ${i}`).toBeUndefined();
      }
    });
  });

  it('releases held bytes when the end of stream comes as an empty chunk', () => {
    // A truncated stream: the last frame never gets its blank line, so it is held until the end.
    const input = streamText.slice(0, -1);
    const run = runStream(translate({ body: streamingBody }).translator, [
      bytes(input),
      new Uint8Array(0),
    ]);
    expect(decoder.decode(run.output)).toBe(input.replace(usageFrame, ''));
    expect(decoder.decode(run.bodies[1])).toBe('data: [DONE]\n');
  });

  it('strips a usage chunk that ends the stream without a blank line', () => {
    const input = `${roleFrame}${finishFrame}${usageFrame.trimEnd()}`;
    const run = runStream(translate({ body: streamingBody }).translator, [bytes(input)]);
    expect(decoder.decode(run.output)).toBe(`${roleFrame}${finishFrame}`);
    expect(run.usage).toEqual(expectedUsage);
  });

  it('keeps usage that arrives on a chunk with choices (nothing to strip)', () => {
    const combined = finishFrame.replace(
      '"usage":null',
      usageFrame.slice(usageFrame.indexOf('"usage"'), -3),
    );
    const input = `${roleFrame}${combined}${doneFrame}`;
    const run = runStream(translate({ body: streamingBody }).translator, [bytes(input)]);
    expect(run.bodies).toEqual([undefined]);
    expect(run.usage).toEqual(expectedUsage);
  });

  it('keeps comments, event fields and extra blank lines byte for byte', () => {
    const input = `: keep-alive\n\n\n${roleFrame}event: message\n${finishFrame}\n${usageFrame}${doneFrame}`;
    const expected = `: keep-alive\n\n\n${roleFrame}event: message\n${finishFrame}\n${doneFrame}`;
    const data = bytes(input);
    for (let point = 0; point <= data.length; point++) {
      const run = runStream(translate({ body: streamingBody }).translator, splitAt(data, [point]));
      expect(decoder.decode(run.output), `split at ${point}`).toBe(expected);
    }
  });

  it('reads usage from legacy completions streams', () => {
    const usage = '{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}';
    const input = [
      `data: {"id":"cmpl-1","object":"text_completion","model":"gpt-3.5-turbo-instruct","choices":[{"text":"hi","index":0,"finish_reason":null}],"usage":null}\n\n`,
      `data: {"id":"cmpl-1","object":"text_completion","model":"gpt-3.5-turbo-instruct","choices":[],"usage":${usage}}\n\n`,
      doneFrame,
    ];
    const { translator } = translate({ endpoint: 'completions', body: streamingBody });
    const run = runStream(translator, [bytes(input.join(''))]);
    expect(decoder.decode(run.output)).toBe(`${input[0]}${doneFrame}`);
    expect(run.usage).toEqual({
      ...expectedUsage,
      inputTokens: 3,
      outputTokens: 2,
      totalTokens: 5,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    });
    expect(run.model).toBe('gpt-3.5-turbo-instruct');
  });

  it('ignores frames after [DONE] and data that is not JSON', () => {
    const input = `data: not json\n\n${roleFrame}${doneFrame}${usageFrame}`;
    const run = runStream(translate({ body: streamingBodyWithUsage }).translator, [bytes(input)]);
    expect(run.usage).toBeUndefined();
    expect(run.model).toBe('gpt-4o-mini-2024-07-18');
  });

  it('treats a response as streamed when the request was, if headers were not seen', () => {
    const { translator } = translate({ body: streamingBody });
    const result = translator.responseBody(bytes(streamText), true);
    expect(decoder.decode(result.body)).toBe(streamText.replace(usageFrame, ''));
  });
});

describe('openai → openai buffered response', () => {
  const completion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1730000000,
    model: 'gpt-4o-2024-08-06',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'Hi 👋' }, finish_reason: 'stop' },
    ],
    usage: {
      prompt_tokens: 2006,
      completion_tokens: 300,
      total_tokens: 2306,
      prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 64, audio_tokens: 0 },
    },
  };
  const json = new Map([['content-type', 'application/json']]);
  const usage: Usage = {
    inputTokens: 2006,
    outputTokens: 300,
    totalTokens: 2306,
    cachedInputTokens: 1920,
    reasoningTokens: 64,
  };

  it('reads usage, cached and reasoning tokens, and the model, forwarding the body', () => {
    const { translator } = translate({ body: { model: 'gpt-4o' } });
    expect(translator.responseHeaders(200, json).isStreaming).toBe(false);
    const result = translator.responseBody(bytes(JSON.stringify(completion)), true);
    expect(result).toEqual({ body: undefined, usage, responseModel: 'gpt-4o-2024-08-06' });
  });

  it('collects a body that arrives in several chunks and parses it once at the end', () => {
    const { translator } = translate({ body: { model: 'gpt-4o' } });
    translator.responseHeaders(200, json);
    const data = bytes(JSON.stringify(completion));
    const cut = data.indexOf(0xf0); // inside the emoji
    const first = data.slice(0, cut + 2);
    const early = translator.responseBody(first, false);
    first.fill(0); // the caller may reuse its buffer
    expect(early).toEqual({ body: undefined, usage: undefined, responseModel: undefined });
    const result = translator.responseBody(data.slice(cut + 2), true);
    expect(result).toEqual({ body: undefined, usage, responseModel: 'gpt-4o-2024-08-06' });
  });

  it('reads embeddings usage', () => {
    const { translator } = translate({ endpoint: 'embeddings', body: { model: 'e', input: 'x' } });
    translator.responseHeaders(200, json);
    const body = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 8, total_tokens: 8 },
    };
    expect(translator.responseBody(bytes(JSON.stringify(body)), true)).toEqual({
      body: undefined,
      usage: {
        inputTokens: 8,
        outputTokens: 0,
        totalTokens: 8,
        cachedInputTokens: 0,
        reasoningTokens: 0,
      },
      responseModel: 'text-embedding-3-small',
    });
  });

  it.each([
    { name: 'not JSON', body: '<html>oops</html>' },
    { name: 'a JSON array', body: '[1,2]' },
    { name: 'empty', body: '' },
    { name: 'without usage', body: '{"model":"m"}' },
  ])('reports no usage for a body that is $name', ({ body }) => {
    const { translator } = translate({ body: { model: 'gpt-4o' } });
    translator.responseHeaders(200, json);
    expect(translator.responseBody(bytes(body), true).usage).toBeUndefined();
  });
});

describe('openai → openai error response', () => {
  const { translator } = translate({ body: { model: 'm' } });
  const none = new Map<string, string>();

  it('passes an OpenAI error through byte for byte', () => {
    const body = bytes(
      '{\n  "error": {\n    "message": "Rate limit reached",\n    "type": "requests",\n    "param": null,\n    "code": "rate_limit_exceeded"\n  }\n}\n',
    );
    const result = translator.responseError(429, none, body);
    expect(result.body).toBe(body);
    expect(result.status).toBe(429);
    expect(result.contentType).toBe('application/json');
  });

  it.each([
    {
      status: 503,
      body: 'upstream connect error or disconnect/reset before headers',
      type: 'server_error',
    },
    { status: 502, body: '<html><body>Bad Gateway</body></html>', type: 'server_error' },
    { status: 404, body: '{"detail":"Not Found"}', type: 'not_found_error' },
    { status: 400, body: '{"error":"a string, not an object"}', type: 'invalid_request_error' },
  ])('wraps a $status body that is not an OpenAI error', ({ status, body, type }) => {
    const result = translator.responseError(
      status,
      new Map([['content-type', 'text/plain']]),
      bytes(body),
    );
    expect(result.status).toBe(status);
    expect(result.contentType).toBe('application/json');
    expect(JSON.parse(decoder.decode(result.body))).toEqual({
      error: { message: body, type, param: null, code: null },
    });
  });

  it('truncates long bodies to 1 KiB without splitting a character', () => {
    const body = bytes(`${'a'.repeat(1023)}é${'b'.repeat(2000)}`);
    const result = translator.responseError(500, none, body);
    const { error } = JSON.parse(decoder.decode(result.body)) as { error: { message: string } };
    expect(error.message).toBe(`${'a'.repeat(1023)} (truncated)`);
  });

  it('names the status when the body is empty', () => {
    const result = translator.responseError(504, none, new Uint8Array(0));
    const { error } = JSON.parse(decoder.decode(result.body)) as { error: { message: string } };
    expect(error.message).toBe('upstream responded with status 504');
  });
});
