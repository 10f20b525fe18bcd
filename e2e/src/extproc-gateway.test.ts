import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';
import { useHarness, waitFor, type EnvoyProcess, type FakeUpstream } from '@aigw/testkit';
import { startTestExtProc, type TestExtProc } from './support/extproc-harness.js';
import { fakeOpenAI, streamFrames } from './support/fake-openai.js';
import { accessLogLine as readAccessLogLine } from './support/access-log.js';
import { gatewayBootstrap } from './support/gateway-bootstrap.js';

/**
 * The extproc through real Envoy, shaped like upstream's data plane: router-level filter (model →
 * route), upstream-level filter (backend, credential, translation), two fake OpenAI backends.
 */
const keyA = 'sk-test-secret-aaaaaaaaaaaa';
const keyB = 'sk-test-secret-bbbbbbbbbbbb';
const backendA = 'default/openai-a/route/r/rule/0/ref/0';
const backendB = 'default/openai-b/route/r/rule/1/ref/0';

describe('extproc through Envoy: routing, passthrough, credentials, token metadata', () => {
  const harness = useHarness();
  let envoy: EnvoyProcess;
  let extproc: TestExtProc;
  let upstreamA: FakeUpstream;
  let upstreamB: FakeUpstream;
  let url: string;
  let accessLog: string;
  let baseConfig: FilterConfigInput;

  beforeAll(async () => {
    const dir = harness.tempDir('gw');
    writeFileSync(join(dir, 'key-a'), `${keyA}\n`);
    writeFileSync(join(dir, 'key-b'), keyB);
    upstreamA = await harness.upstream(
      fakeOpenAI({ name: 'a', usage: { prompt: 11, completion: 7, cached: 3 } }),
      { name: 'openai-a' },
    );
    upstreamB = await harness.upstream(
      fakeOpenAI({ name: 'b', usage: { prompt: 21, completion: 13, cached: 0 } }),
      { name: 'openai-b' },
    );
    baseConfig = {
      version: 'v1',
      backends: [
        {
          name: backendA,
          schema: { name: 'OpenAI', prefix: 'v1' },
          auth: { apiKey: { file: join(dir, 'key-a') } },
        },
        {
          name: backendB,
          schema: { name: 'OpenAI' },
          auth: { apiKey: { file: join(dir, 'key-b') } },
          modelNameOverride: 'gpt-b-2025',
        },
      ],
      routes: {
        rules: [
          { models: ['gpt-a'], cluster: 'openai-a' },
          { models: ['gpt-b', 'gpt-b-*'], cluster: 'openai-b' },
        ],
      },
      llmRequestCosts: [
        { metadataKey: 'weighted_cost', type: 'CEL', cel: 'input_tokens + output_tokens * 4u' },
      ],
    };
    extproc = await startTestExtProc({ dir, config: baseConfig });
    accessLog = join(dir, 'access.log');
    envoy = await harness.envoy({
      // Flush the access log every 50 ms instead of Envoy's default 10 s.
      extraArgs: ['--file-flush-interval-msec', '50'],
      bootstrap: gatewayBootstrap({
        extprocSocket: extproc.socket,
        accessLogPath: accessLog,
        routeTimeout: '3s',
        backends: [
          { cluster: 'openai-a', backendName: backendA, upstream: upstreamA },
          { cluster: 'openai-b', backendName: backendB, upstream: upstreamB },
        ],
      }),
    });
    url = await envoy.listenerUrl('ingress');
  });

  afterAll(async () => {
    await extproc.stop();
  });

  function chat(body: object | string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer client-own-key',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  const accessLogLine = (
    match: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> => readAccessLogLine(accessLog, match);

  it('routes by model to the right backend and passes the body through byte for byte', async () => {
    const body =
      '{"model":"gpt-a","messages":[{"role":"user","content":"hi"}],  "temperature":0.5}';
    const before = upstreamA.requests.length;
    const response = await chat(body, { 'x-request-id': 'route-a-1' });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { backend: string; model: string };
    expect(json.backend).toBe('a');
    expect(upstreamA.requests).toHaveLength(before + 1);
    const seen = upstreamA.requests.at(-1)!;
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.body.toString('utf8')).toBe(body);
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen.headers.authorization).toBe(`Bearer ${keyA}`);
    // The gateway's own headers (request id, model, cluster) picked the route and never reach
    // the provider; Envoy's access log still names the model, from the extproc's metadata.
    expect(Object.keys(seen.headers).filter((h) => h.startsWith('x-ai-eg-'))).toEqual([]);
    const logged = await accessLogLine((l) => l.request_id === 'route-a-1');
    expect(logged.model).toBe('gpt-a');
  });

  it('returns the upstream JSON response unchanged and records exact token metadata', async () => {
    const response = await chat({ model: 'gpt-a', messages: [] }, { 'x-request-id': 'tokens-a' });
    const text = await response.text();
    const upstreamJson = JSON.parse(text) as { usage: object };
    expect(upstreamJson.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: 7,
      total_tokens: 18,
      prompt_tokens_details: { cached_tokens: 3 },
    });
    const line = await accessLogLine((l) => l.model === 'gpt-a' && l.input === 11);
    expect(line).toMatchObject({
      status: 200,
      cluster: 'openai-a',
      backend: backendA,
      input: 11,
      output: 7,
      total: 18,
      cached: 3,
      cost: 11 + 7 * 4,
    });
  });

  it('applies the model name override and sets a correct content-length', async () => {
    const response = await chat({ model: 'gpt-b', messages: [{ role: 'user', content: 'é' }] });
    expect(response.status).toBe(200);
    const seen = upstreamB.requests.at(-1)!;
    const sent = JSON.parse(seen.body.toString('utf8')) as { model: string; messages: unknown[] };
    expect(sent).toEqual({ model: 'gpt-b-2025', messages: [{ role: 'user', content: 'é' }] });
    expect(seen.headers['content-length']).toBe(String(seen.body.byteLength));
    expect(seen.headers.authorization).toBe(`Bearer ${keyB}`);
  });

  it('streams SSE through unchanged when the client asked for usage', async () => {
    const response = await chat({
      model: 'gpt-a',
      stream: true,
      stream_options: { include_usage: true },
      messages: [],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const text = await response.text();
    expect(text).toBe(
      streamFrames({
        model: 'gpt-a-a',
        usage: { prompt: 11, completion: 7, cached: 3 },
        includeUsage: true,
      }).join(''),
    );
    const line = await accessLogLine(
      (l) => l.model === 'gpt-a' && l.output === 7 && l.status === 200,
    );
    expect(line.total).toBe(18);
  });

  it('asks upstream for usage when the client did not, and strips that chunk from the client stream', async () => {
    const response = await chat(
      { model: 'gpt-b', stream: true, messages: [] },
      { 'x-request-id': 'stream-b' },
    );
    const text = await response.text();
    const sent = JSON.parse(upstreamB.requests.at(-1)!.body.toString('utf8')) as {
      stream_options?: object;
    };
    expect(sent.stream_options).toEqual({ include_usage: true });
    const upstreamFrames = streamFrames({
      model: 'gpt-b-2025-b',
      usage: { prompt: 21, completion: 13, cached: 0 },
      includeUsage: true,
    });
    const usageFrame = upstreamFrames.at(-2)!;
    expect(text).toBe(upstreamFrames.filter((frame) => frame !== usageFrame).join(''));
    const line = await accessLogLine((l) => l.model === 'gpt-b' && l.total === 34);
    expect(line).toMatchObject({ input: 21, output: 13, backend: backendB });
  });

  it('never writes a credential to the extproc or Envoy logs', () => {
    for (const secret of [keyA, keyB, 'client-own-key']) {
      expect(extproc.logs()).not.toContain(secret);
      expect(envoy.logs()).not.toContain(secret);
    }
  });

  it.each([
    ['malformed JSON', '{"model": "gpt-a",', /not valid JSON/],
    ['a body that is not an object', '["gpt-a"]', /must be a JSON object/],
    ['a missing model', '{"messages":[]}', /model/],
  ])('answers %s with a 400 OpenAI error', async (_title, body, message) => {
    const response = await chat(body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { error: { message: string; type: string } };
    expect(json.error.type).toBe('invalid_request_error');
    expect(json.error.message).toMatch(message);
  });

  it('answers malformed Anthropic requests in the Anthropic dialect', async () => {
    const response = await fetch(`${url}/v1/messages`, { method: 'POST', body: 'not json' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });

  it('answers an unknown endpoint with a 404 and an unknown model with a 404, both as OpenAI errors', async () => {
    const unknownPath = await fetch(`${url}/v1/nope`, { method: 'POST', body: '{}' });
    expect(unknownPath.status).toBe(404);
    expect(((await unknownPath.json()) as { error: { message: string } }).error.message).toMatch(
      /unsupported path: \/v1\/nope/,
    );
    // The Gemini API's path with a model no route serves: a 404 in Google's error format.
    const gemini = await fetch(`${url}/v1beta/models/gemini-2.5-pro:generateContent`, {
      method: 'POST',
      body: '{}',
    });
    expect(gemini.status).toBe(404);
    expect(await gemini.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    const unknownModel = await chat({ model: 'gpt-unknown', messages: [] });
    expect(unknownModel.status).toBe(404);
    expect(((await unknownModel.json()) as { error: { message: string } }).error.message).toMatch(
      /gpt-unknown/,
    );
  });

  it('passes a 5 MB+ body through intact', async () => {
    const content = 'x'.repeat(5 * 1024 * 1024 + 17);
    const body = JSON.stringify({ model: 'gpt-a', messages: [{ role: 'user', content }] });
    const response = await chat(body);
    expect(response.status).toBe(200);
    const seen = upstreamA.requests.at(-1)!;
    expect(seen.body.byteLength).toBe(Buffer.byteLength(body));
    expect(seen.body.toString('utf8') === body).toBe(true);
  });

  it('maps a non-JSON upstream 5xx to an OpenAI error and passes an OpenAI 429 through', async () => {
    const exploded = await chat({ model: 'gpt-a', messages: [] }, { 'x-fake': 'error-500-text' });
    expect(exploded.status).toBe(500);
    expect(await exploded.json()).toMatchObject({
      error: {
        message: expect.stringContaining('upstream exploded') as string,
        type: 'server_error',
      },
    });
    const limited = await chat({ model: 'gpt-a', messages: [] }, { 'x-fake': 'error-429-json' });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: { message: 'slow down', type: 'rate_limit_error', param: null, code: null },
    });
  });

  it('turns an upstream that hangs into a 504 OpenAI error after the route timeout', async () => {
    const response = await chat({ model: 'gpt-a', messages: [] }, { 'x-fake': 'hang' });
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: { type: 'server_error' } });
  });

  it('leaves no request state behind when the client cancels mid-stream', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        `${url}/v1/chat/completions`,
        { method: 'POST', headers: { 'x-fake': 'slow-stream' } },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET') reject(err);
      });
      req.end(JSON.stringify({ model: 'gpt-a', stream: true, messages: [] }));
    });
    await waitFor(() => extproc.server.inFlight() === 0, {
      timeoutMs: 5_000,
      description: 'no in-flight request state',
    });
    expect(extproc.server.inFlight()).toBe(0);
  });

  it('serves 1,500 requests at concurrency 16 without a single error (no rapid-reset GOAWAY)', async () => {
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 1_500) {
        next += 1;
        const response = await chat({ model: 'gpt-a', messages: [] });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(Object.fromEntries(statuses)).toEqual({ 200: next });
  }, 120_000);

  it('moves a model to the other backend when the config file changes, without a restart', async () => {
    extproc.writeConfig({
      ...baseConfig,
      routes: { rules: [{ models: ['gpt-a', 'gpt-b'], cluster: 'openai-b' }] },
    });
    const moved = await waitFor(
      async () => {
        const response = await chat({ model: 'gpt-a', messages: [] });
        const json = (await response.json()) as { backend?: string };
        return json.backend === 'b' ? json : undefined;
      },
      { timeoutMs: 2_000, intervalMs: 100, description: 'gpt-a served by backend b' },
    );
    expect(moved.backend).toBe('b');
    extproc.writeConfig(baseConfig);
  });

  it('keeps the last good config when the file turns invalid, and says so once', async () => {
    writeFileSync(extproc.configPath, 'version: v1\nbackends: [ {name: broken');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const response = await chat({ model: 'gpt-a', messages: [] });
    expect(response.status).toBe(200);
    const rejections = extproc
      .logs()
      .split('\n')
      .filter((line) => line.includes('config change rejected'));
    expect(rejections).toHaveLength(1);
    extproc.writeConfig(baseConfig);
  });
});
