import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extProc } from '@aigw/proto';
import {
  bodyOf,
  commonOf,
  envoy,
  setHeadersOf,
  type ProcessStream,
  type TestServer,
} from './support/ext-proc-harness.js';
import { backends, routeRequest, startGateway, upstreamAttempt } from './support/gateway.js';

const { CONTINUE } = extProc.CommonResponse_ResponseStatus;
const { NONE, STREAMED } = extProc.ProcessingMode_BodySendMode;

const usage = {
  prompt_tokens: 11,
  completion_tokens: 7,
  total_tokens: 18,
  prompt_tokens_details: { cached_tokens: 3 },
  completion_tokens_details: { reasoning_tokens: 2 },
};

/** The SSE frames of a streamed chat completion; the usage-only chunk is second to last. */
function sseFrames(model: string): string[] {
  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model };
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' } }], usage: null },
    { ...base, choices: [{ index: 0, delta: { content: 'Hé 👋' } }], usage: null },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null },
    { ...base, choices: [], usage },
  ]
    .map((frame) => `data: ${JSON.stringify(frame)}\n\n`)
    .concat('data: [DONE]\n\n');
}

/** The token metadata every finished 2xx response of 11/7/18 (3 cached, 2 reasoning) carries. */
const tokens = {
  llm_input_token: 11,
  llm_output_token: 7,
  llm_total_token: 18,
  llm_cached_input_token: 3,
  llm_cache_creation_input_token: 0,
  llm_reasoning_token: 2,
};

/** Splits text into chunks of `size` bytes (cutting frames and UTF-8 characters anywhere). */
function chunksOf(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** What the client receives for one response body message: the replacement, or the original. */
function forwarded(response: extProc.ProcessingResponse, original: Buffer): string {
  return bodyOf(commonOf(response, 'responseBody')) ?? original.toString('utf8');
}

describe('router level: response', () => {
  let gateway: TestServer;
  const routers: ProcessStream[] = [];

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    for (const router of routers) router.end();
    await gateway.stop();
  });

  /** A request that went through the router and one upstream attempt per backend, in order. */
  async function exchange(body: object, attempts: readonly string[]): Promise<ProcessStream> {
    const { router, id } = await routeRequest(gateway, body);
    routers.push(router);
    for (const backend of attempts) await upstreamAttempt(gateway, id, backend);
    return router;
  }

  /** Sends body chunks (the last one ends the stream) and returns the responses. */
  async function sendChunks(
    router: ProcessStream,
    chunks: readonly Buffer[],
  ): Promise<extProc.ProcessingResponse[]> {
    const responses: extProc.ProcessingResponse[] = [];
    for (const [i, chunk] of chunks.entries()) {
      responses.push(await router.send(envoy.responseBody(chunk, i === chunks.length - 1)));
    }
    return responses;
  }

  it('switches a 2xx SSE response to STREAMED and reports tokens and costs at its end', async () => {
    const router = await exchange(
      { model: 'gpt-a', stream: true, stream_options: { include_usage: true }, messages: [] },
      [backends.a],
    );
    const headers = await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    const common = commonOf(headers, 'responseHeaders');
    expect(common.status).toBe(CONTINUE);
    expect(common.headerMutation).toBeUndefined();
    expect(headers.modeOverride?.responseBodyMode).toBe(STREAMED);
    expect(headers.dynamicMetadata).toBeUndefined();

    const text = sseFrames('gpt-a-2025-01-01').join('');
    const chunks = chunksOf(text, 37);
    const responses = await sendChunks(router, chunks);
    // The client asked for usage itself: every byte passes through untouched.
    expect(responses.every((r) => commonOf(r, 'responseBody').bodyMutation === undefined)).toBe(
      true,
    );
    expect(responses.slice(0, -1).every((r) => r.dynamicMetadata === undefined)).toBe(true);
    expect(responses.every((r) => r.modeOverride === undefined)).toBe(true);
    expect(responses.at(-1)!.dynamicMetadata).toEqual({
      'io.envoy.ai_gateway': {
        ...tokens,
        backend_name: backends.a,
        ai_service_backend_name: 'default/openai-a',
        // The model sent upstream, override or not (as upstream writes it).
        model_name_override: 'gpt-a',
        request_model: 'gpt-a',
        response_model: 'gpt-a-2025-01-01',
        weighted_cost: 11 + 7 * 4,
        model_cost: 11 * 2,
        input_cost: 11,
      },
    });
  });

  it('reports tokens as soon as the usage is known, before the end of the body', async () => {
    // The openai client stops reading at `[DONE]` and closes the connection: Envoy may never
    // deliver the provider's end of body, so the usage must not wait for it.
    const router = await exchange(
      { model: 'gpt-a', stream: true, stream_options: { include_usage: true }, messages: [] },
      [backends.a],
    );
    await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    const frames = sseFrames('gpt-a-2025-01-01').map((frame) => Buffer.from(frame));
    const responses = await sendChunks(router, [...frames, Buffer.alloc(0)]);
    const usageAt = frames.findIndex((frame) => frame.toString().includes('"total_tokens"'));
    expect(responses.map((r) => r.dynamicMetadata !== undefined)).toEqual(
      responses.map((_, i) => i === usageAt || i === responses.length - 1),
    );
    expect(responses[usageAt]!.dynamicMetadata?.['io.envoy.ai_gateway']).toMatchObject(tokens);
    // The chunk that carried the usage still passes through untouched.
    expect(commonOf(responses[usageAt]!, 'responseBody').bodyMutation).toBeUndefined();
  });

  it('strips the usage chunk it asked for, drops content-length and names the override', async () => {
    const router = await exchange({ model: 'gpt-b', stream: true, messages: [] }, [backends.b]);
    const headers = await router.send(
      envoy.responseHeaders({
        ':status': '200',
        'content-type': 'text/event-stream; charset=utf-8',
        'content-length': '999',
      }),
    );
    const common = commonOf(headers, 'responseHeaders');
    expect(common.headerMutation?.removeHeaders).toEqual(['content-length']);
    expect(common.headerMutation?.setHeaders).toEqual([]);
    expect(headers.modeOverride?.responseBodyMode).toBe(STREAMED);

    const frames = sseFrames('gpt-b-2025');
    const chunks = frames.map((frame) => Buffer.from(frame));
    const responses = await sendChunks(router, chunks);
    const client = responses.map((r, i) => forwarded(r, chunks[i]!)).join('');
    expect(client).toBe(frames.filter((_, i) => i !== frames.length - 2).join(''));
    expect(bodyOf(commonOf(responses.at(-2)!, 'responseBody'))).toBe('');
    expect(responses.at(-1)!.dynamicMetadata).toEqual({
      'io.envoy.ai_gateway': {
        ...tokens,
        backend_name: backends.b,
        ai_service_backend_name: 'default/openai-b',
        model_name_override: 'gpt-b-2025',
        request_model: 'gpt-b',
        response_model: 'gpt-b-2025',
        weighted_cost: 39,
        // The CEL `model` is the client's model, not the override.
        model_cost: 7,
        input_cost: 11,
        b_total: 18,
      },
    });
  });

  it('passes a 2xx JSON response through and reports its usage', async () => {
    const router = await exchange({ model: 'gpt-a', messages: [] }, [backends.a]);
    const headers = await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(commonOf(headers, 'responseHeaders')).toEqual(
      extProc.CommonResponse.fromPartial({ status: CONTINUE }),
    );
    expect(headers.modeOverride).toBeUndefined();
    const json = {
      id: 'chatcmpl-2',
      object: 'chat.completion',
      model: 'gpt-a-2025-01-01',
      choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      usage,
    };
    const body = await router.send(envoy.responseBody(json, true));
    const common = commonOf(body, 'responseBody');
    expect(common.status).toBe(CONTINUE);
    expect(common.bodyMutation).toBeUndefined();
    expect(common.headerMutation).toBeUndefined();
    expect(body.dynamicMetadata).toEqual({
      'io.envoy.ai_gateway': {
        ...tokens,
        backend_name: backends.a,
        ai_service_backend_name: 'default/openai-a',
        // The model sent upstream, override or not (as upstream writes it).
        model_name_override: 'gpt-a',
        request_model: 'gpt-a',
        response_model: 'gpt-a-2025-01-01',
        weighted_cost: 39,
        model_cost: 22,
        input_cost: 11,
      },
    });
  });

  it('names the backend of the last attempt after a retry', async () => {
    const router = await exchange({ model: 'gpt-b', messages: [] }, [backends.b, backends.a]);
    await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    const body = await router.send(envoy.responseBody({ model: 'gpt-b', usage }, true));
    const metadata = body.dynamicMetadata?.['io.envoy.ai_gateway'] as Record<string, unknown>;
    expect(metadata.backend_name).toBe(backends.a);
    // The last attempt went to a backend without an override: the client's model was sent.
    expect(metadata.model_name_override).toBe('gpt-b');
    expect(metadata.ai_service_backend_name).toBe('default/openai-a');
    expect(metadata).not.toHaveProperty('b_total');
  });

  it('replaces a non-JSON upstream error with an OpenAI error and fixes the headers', async () => {
    const router = await exchange({ model: 'gpt-a', messages: [] }, [backends.a]);
    const headers = await router.send(
      envoy.responseHeaders({ ':status': '500', 'content-type': 'text/plain' }),
    );
    expect(commonOf(headers, 'responseHeaders')).toEqual(
      extProc.CommonResponse.fromPartial({ status: CONTINUE }),
    );
    expect(headers.modeOverride).toBeUndefined();
    const body = await router.send(envoy.responseBody('upstream exploded', true));
    const common = commonOf(body, 'responseBody');
    const replaced = bodyOf(common)!;
    expect(JSON.parse(replaced)).toEqual({
      error: { message: 'upstream exploded', type: 'server_error', param: null, code: null },
    });
    expect(setHeadersOf(common.headerMutation)).toEqual({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(replaced)),
    });
    expect(body.dynamicMetadata).toBeUndefined();
  });

  it('collects a chunked non-JSON error and replaces it whole', async () => {
    const router = await exchange({ model: 'gpt-a', messages: [] }, [backends.a]);
    await router.send(envoy.responseHeaders({ ':status': '502', 'content-type': 'text/html' }));
    const html = '<html><body>Bad gateway — wörld</body></html>';
    const chunks = chunksOf(html, 10);
    const responses = await sendChunks(router, chunks);
    const client = responses.map((r, i) => forwarded(r, chunks[i]!)).join('');
    expect(JSON.parse(client)).toEqual({
      error: { message: html, type: 'server_error', param: null, code: null },
    });
  });

  it('passes an upstream OpenAI error through byte for byte', async () => {
    const router = await exchange({ model: 'gpt-a', messages: [] }, [backends.a]);
    await router.send(
      envoy.responseHeaders({ ':status': '429', 'content-type': 'application/json' }),
    );
    const error =
      '{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}';
    const body = await router.send(envoy.responseBody(error, true));
    const common = commonOf(body, 'responseBody');
    expect(common.bodyMutation).toBeUndefined();
    expect(common.headerMutation).toBeUndefined();
    expect(body.dynamicMetadata).toBeUndefined();
  });

  // Regression test (found by review before release).
  it('passes a chunked upstream OpenAI error through whole', async () => {
    const router = await exchange({ model: 'gpt-a', messages: [] }, [backends.a]);
    await router.send(
      envoy.responseHeaders({ ':status': '429', 'content-type': 'application/json' }),
    );
    const error =
      '{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}';
    const chunks = chunksOf(error, 30);
    const responses = await sendChunks(router, chunks);
    expect(responses.map((r, i) => forwarded(r, chunks[i]!)).join('')).toBe(error);
  });

  it('reports nothing for a 2xx response whose headers end the stream (no usage known)', async () => {
    const router = await exchange({ model: 'gpt-a', messages: [] }, [backends.a]);
    const headers = await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }, true),
    );
    expect(commonOf(headers, 'responseHeaders').status).toBe(CONTINUE);
    expect(headers.dynamicMetadata).toBeUndefined();
  });
});

describe('router level: Envoy local replies (no upstream attempt)', () => {
  let gateway: TestServer;
  const routers: ProcessStream[] = [];

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    for (const router of routers) router.end();
    await gateway.stop();
  });

  async function localReply(options: {
    path?: string;
    body: object;
    status: string;
    reply: string;
  }): Promise<{ headers: extProc.ProcessingResponse; body: extProc.ProcessingResponse }> {
    const { router } = await routeRequest(
      gateway,
      options.body,
      options.path === undefined ? {} : { path: options.path },
    );
    routers.push(router);
    const headers = await router.send(
      envoy.responseHeaders({ ':status': options.status, 'content-type': 'text/plain' }),
    );
    const body = await router.send(envoy.responseBody(options.reply, true));
    return { headers, body };
  }

  it.each([
    ['503', 'no healthy upstream', { message: 'no healthy upstream', type: 'server_error' }],
    ['500', '', { message: 'request failed with status 500', type: 'server_error' }],
    [
      '404',
      'route not found',
      { message: 'model "gpt-a" is not configured in the gateway', type: 'not_found_error' },
    ],
    ['429', 'local rate limited', { message: 'local rate limited', type: 'rate_limit_error' }],
  ])('turns a %s local reply %j into an OpenAI error', async (status, reply, error) => {
    const { headers, body } = await localReply({ body: { model: 'gpt-a' }, status, reply });
    expect(commonOf(headers, 'responseHeaders').status).toBe(CONTINUE);
    const common = commonOf(body, 'responseBody');
    const replaced = bodyOf(common)!;
    expect(JSON.parse(replaced)).toEqual({ error: { ...error, param: null, code: null } });
    expect(setHeadersOf(common.headerMutation)).toEqual({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(replaced)),
    });
  });

  it('turns a local reply to an Anthropic client into an Anthropic error', async () => {
    const { body } = await localReply({
      path: '/v1/messages',
      body: { model: 'claude-3-haiku', max_tokens: 1 },
      status: '503',
      reply: 'no healthy upstream',
    });
    expect(JSON.parse(bodyOf(commonOf(body, 'responseBody'))!)).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'no healthy upstream' },
    });
  });

  it('passes a 2xx local reply through without counting anything', async () => {
    const { router } = await routeRequest(gateway, { model: 'gpt-a' });
    routers.push(router);
    const headers = await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    expect(headers.modeOverride).toBeUndefined();
    const body = await router.send(envoy.responseBody('ok', true));
    expect(commonOf(body, 'responseBody').bodyMutation).toBeUndefined();
    expect(body.dynamicMetadata).toBeUndefined();
  });

  it('passes a marked Envoy local reply through untranslated and removes the marker', async () => {
    const { router } = await routeRequest(gateway, { model: 'gpt-a' });
    routers.push(router);
    const mapped = JSON.stringify({
      error: { message: 'no healthy upstream', type: 'server_error', param: null, code: null },
    });
    const headers = await router.send(
      envoy.responseHeaders({
        ':status': '503',
        'content-type': 'application/json',
        'x-aigw-local-reply': 'true',
      }),
    );
    const common = commonOf(headers, 'responseHeaders');
    expect(common.headerMutation?.removeHeaders).toEqual(['x-aigw-local-reply']);
    expect(headers.modeOverride?.responseBodyMode).toBe(NONE);
    // Should Envoy send the body anyway, it goes through unchanged (one level of JSON).
    const body = await router.send(envoy.responseBody(mapped, true));
    expect(commonOf(body, 'responseBody').bodyMutation).toBeUndefined();
    expect(forwarded(body, Buffer.from(mapped))).toBe(mapped);
  });

  it("rewrites a budget's 429 (Envoy's draft headers) into the client's dialect, marker removed", async () => {
    const { router } = await routeRequest(gateway, { model: 'gpt-a' });
    routers.push(router);
    const headers = await router.send(
      envoy.responseHeaders({
        ':status': '429',
        'content-type': 'application/json',
        'x-aigw-local-reply': 'true',
        'x-ratelimit-limit': '1000, 1000;w=3600',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '125',
      }),
    );
    const common = commonOf(headers, 'responseHeaders');
    expect(setHeadersOf(common.headerMutation)).toEqual({
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '2m5s',
      'retry-after': '125',
    });
    expect(common.headerMutation?.removeHeaders).toEqual([
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
      'x-aigw-local-reply',
    ]);
    expect(headers.modeOverride?.responseBodyMode).toBe(NONE);
  });

  it('puts the budget on a provider’s 2xx, in the Anthropic dialect for an Anthropic client', async () => {
    const { router, id } = await routeRequest(
      gateway,
      { model: 'gpt-a', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
      { path: '/v1/messages' },
    );
    routers.push(router);
    await upstreamAttempt(gateway, id, backends.a);
    const headers = await router.send(
      envoy.responseHeaders({
        ':status': '200',
        'content-type': 'application/json',
        'x-ratelimit-limit': '500',
        'x-ratelimit-remaining': '120',
        'x-ratelimit-reset': '30',
      }),
    );
    const set = setHeadersOf(commonOf(headers, 'responseHeaders').headerMutation);
    expect(set['anthropic-ratelimit-tokens-limit']).toBe('500');
    expect(set['anthropic-ratelimit-tokens-remaining']).toBe('120');
    const reset = Date.parse(set['anthropic-ratelimit-tokens-reset'] ?? '');
    expect(reset).toBeGreaterThan(Date.now() + 25_000);
    expect(reset).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(set['retry-after']).toBeUndefined();
  });
});
