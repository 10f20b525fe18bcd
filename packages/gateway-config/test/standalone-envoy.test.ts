import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getFreePort,
  jsonResponder,
  socketPath,
  useHarness,
  waitFor,
  type EnvoyProcess,
  type FakeUpstream,
  type ManagedProcess,
} from '@aigw/testkit';

import { buildStandalone, loadResources, type StandaloneConfig } from '@aigw/gateway-config';

import { chat as post, chatCompletion, startExtProc, writeStandalone } from './support.js';

/**
 * The generated standalone configuration through a real Envoy and the real extproc (started from
 * its sources through tsx, as `aigw run` would start it): routing on the model, fallback to the
 * next priority, the JSON 404 and local replies, and reloads by atomic rename of the xDS files
 * without draining the listener.
 */
const key = 'sk-test-gateway-config';

function resourcesYaml(
  ports: { a: number; b: number; dead: number; slow: number },
  extra = '',
): string {
  const backend = (name: string, port: number): string => `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: ${name}}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: ${String(port)}}}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: ${name}}
spec:
  schema: {name: OpenAI}
  backendRef: {name: ${name}, kind: Backend, group: gateway.envoyproxy.io}
---`;
  return `${backend('a', ports.a)}${backend('b', ports.b)}${backend('dead', ports.dead)}${backend('slow', ports.slow)}
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: cohere-dead}
spec:
  schema: {name: Cohere}
  backendRef: {name: dead, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: a-key}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: a}]
  type: APIKey
  apiKey: {secretRef: {name: a-key}}
---
apiVersion: v1
kind: Secret
metadata: {name: a-key}
stringData: {apiKey: ${key}}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: chat}
spec:
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-a}]}]
      backendRefs: [{name: a}]
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-b}]}]
      backendRefs: [{name: dead}, {name: b, priority: 1}]
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-dead}]}]
      backendRefs: [{name: dead}]
    - matches: [{headers: [{name: x-ai-eg-model, value: rerank-dead}]}]
      backendRefs: [{name: cohere-dead}]
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-slow}]}]
      backendRefs: [{name: slow}]
      timeouts: {request: 1s}
${extra}`;
}

describe('standalone config through Envoy and the extproc', () => {
  const harness = useHarness();
  let stateDir: string;
  let ports: { a: number; b: number; dead: number; slow: number };
  let upstreamA: FakeUpstream;
  let upstreamB: FakeUpstream;
  let extproc: ManagedProcess;
  let envoy: EnvoyProcess;
  let url: string;
  let options: Parameters<typeof buildStandalone>[1];

  function write(config: StandaloneConfig): void {
    writeStandalone(stateDir, config);
  }

  function build(extra = ''): StandaloneConfig {
    const resources = loadResources([{ path: 'test.yaml', text: resourcesYaml(ports, extra) }]);
    return buildStandalone(resources, options);
  }

  beforeAll(async () => {
    stateDir = harness.tempDir('gw-state');
    upstreamA = await harness.upstream(jsonResponder(200, chatCompletion('a')), { name: 'a' });
    upstreamB = await harness.upstream(jsonResponder(200, chatCompletion('b')), { name: 'b' });
    const slow = await harness.upstream(() => new Promise(() => undefined), { name: 'slow' });
    ports = { a: upstreamA.port, b: upstreamB.port, dead: await getFreePort(), slow: slow.port };
    options = {
      listenPort: await getFreePort(),
      adminPort: await getFreePort(),
      extprocSocket: socketPath('extproc.sock', harness.tempDir('sock')),
      stateDir,
    };
    write(build());
    extproc = await startExtProc(stateDir, options.extprocSocket);
    envoy = await harness.envoy({ bootstrap: build().bootstrap });
    url = `http://127.0.0.1:${String(options.listenPort)}`;
    await waitFor(
      async () =>
        (await envoy.stats('listener_manager.total_listeners_active'))[
          'listener_manager.total_listeners_active'
        ] === 1 || undefined,
      { timeoutMs: 10_000, description: 'listener active' },
    );
  });

  afterAll(async () => {
    await extproc.stop();
  });

  function chat(model: string): Promise<Response> {
    return post(url, model);
  }

  it('routes by model, with the credential of the backend', async () => {
    const response = await chat('gpt-a');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model: string }).model).toBe('a');
    const seen = upstreamA.requests.at(-1)!;
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${key}`);
  });

  it('falls back to the next priority when the first backend refuses connections', async () => {
    const response = await chat('gpt-b');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model: string }).model).toBe('b');
  });

  it('answers an unknown model with a JSON 404', async () => {
    const response = await chat('gpt-unknown');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ error: { type: 'not_found_error' } });
  });

  it("leaves the extproc's own error responses unchanged", async () => {
    const response = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    // Anthropic's dialect, as the extproc wrote it: the local-reply mapper did not touch it.
    expect(await response.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });

  it.each([
    ['/v1/chat/completions', { error: { type: 'server_error', param: null, code: null } }],
    ['/v1/messages', { type: 'error', error: { type: 'api_error' } }],
    // Google's Gemini API: the model comes from the path.
    ['/v1beta/models/gpt-dead:generateContent', { error: { code: 503, status: 'UNAVAILABLE' } }],
  ])(
    "answers %s with nothing listening upstream with one level of JSON in the client's dialect",
    async (path, shape) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-dead',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('x-aigw-local-reply')).toBeNull();
      const body = (await response.json()) as {
        error: { message: string; type: string };
      };
      expect(body).toMatchObject(shape);
      // Envoy's own text, not an error JSON wrapped in another one's message.
      expect(body.error.message).toMatch(/^upstream connect error/);
      expect(Object.keys(body).sort()).toEqual(Object.keys(shape).sort());
    },
  );

  it("answers Cohere's rerank with nothing listening upstream in Cohere's {message} JSON", async () => {
    const response = await fetch(`${url}/cohere/v2/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rerank-dead', query: 'q', documents: ['a', 'b'] }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-aigw-local-reply')).toBeNull();
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['message']);
    expect(body.message).toMatch(/^upstream connect error/);
  });

  it('maps an upstream timeout to a JSON 504', async () => {
    const response = await chat('gpt-slow');
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({
      error: { type: 'server_error', message: 'upstream request timeout' },
    });
  });

  it('reloads routes and clusters on an atomic rename, without touching the listener', async () => {
    const before = await envoy.stats('listener_manager');
    const started = Date.now();
    write(
      build(`---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: more}
spec:
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-new}]}]
      backendRefs: [{name: b}]
`),
    );
    await waitFor(
      async () =>
        (await envoy.admin('/config_dump')).includes('default/more/rule/0/match/0') || undefined,
      { timeoutMs: 1_000, intervalMs: 20, description: 'the new route in /config_dump' },
    );
    const envoyMs = Date.now() - started;
    // The extproc polls its config every 100 ms; the request goes through once both reloaded.
    const status = await waitFor(
      async () => {
        const response = await chat('gpt-new');
        await response.text();
        return response.status === 200 ? response.status : undefined;
      },
      { timeoutMs: 3_000, intervalMs: 50, description: 'gpt-new answered' },
    );
    expect(status).toBe(200);
    expect(envoyMs).toBeLessThan(1_000);
    const after = await envoy.stats('listener_manager');
    expect(after['listener_manager.listener_modified']).toBe(
      before['listener_manager.listener_modified'],
    );
    expect(after['listener_manager.total_listeners_draining']).toBe(0);
  });

  it('maps the extproc being down to a JSON 500', async () => {
    await extproc.stop();
    const response = await chat('gpt-a');
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toMatchObject({ error: { type: 'server_error' } });
  });
});
