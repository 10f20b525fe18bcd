import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort, useHarness, waitFor, type FakeUpstream } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * Backend header and body mutations, and route-scoped costs, through `aigw run` (real Envoy, the
 * extproc and the rate limiter): the fake provider sees what the mutations set and not what they
 * removed, a fallback backend sees only its own mutations, and two routes to the same backend
 * charge their own cost under one metadata key (read by the rate limiter from
 * `%DYNAMIC_METADATA(io.envoy.ai_gateway:charge)%`).
 */
const harness = useHarness();
const apiKey = 'sk-mutations-e2e-0123456789';
// Every answer of the fake: 5 input tokens, 3 output tokens.
const usage = { input: 5, output: 3 };

function resources(openai: FakeUpstream, downPort: number): string {
  const backend = (name: string, port: number): string => `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: ${name}, namespace: default}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: ${String(port)}}}]`;
  const budget = (route: string): string => `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: ${route}-budget, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${route}}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-user-id, type: Distinct}]}]
          limit: {requests: 1000, unit: Hour}
          cost:
            request: {from: Number, number: 0}
            response:
              from: Metadata
              metadata: {namespace: io.envoy.ai_gateway, key: charge}`;
  return [
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: route-a, namespace: default}
spec:
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: model-a}]}]
      backendRefs:
        - name: openai
          headerMutation: {set: [{name: x-team, value: route-a}]}
  llmRequestCosts:
    - {metadataKey: charge, type: CEL, cel: 'route_name == "default/route-a" ? input_tokens * 150u : 0u'}`,
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: route-b, namespace: default}
spec:
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: model-b}]}]
      backendRefs: [{name: openai}]
  llmRequestCosts:
    - {metadataKey: charge, type: OutputToken}`,
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: fallback, namespace: default}
spec:
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: model-fallback}]}]
      backendRefs: [{name: failing, priority: 0}, {name: openai, priority: 1}]`,
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: openai, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: openai, kind: Backend, group: gateway.envoyproxy.io}
  headerMutation:
    set: [{name: x-team, value: platform}, {name: x-tier, value: gold}]
    remove: [x-debug]
  bodyMutation:
    set: [{path: service_tier, value: '"flex"'}, {path: temperature, value: '0.25'}]
    remove: [user]`,
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: failing, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: failing, kind: Backend, group: gateway.envoyproxy.io}
  headerMutation: {set: [{name: x-failing, value: 'yes'}]}
  bodyMutation: {set: [{path: failing_field, value: 'true'}]}`,
    backend('openai', openai.port),
    backend('failing', downPort),
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: openai-key, namespace: default}
spec:
  targetRefs:
    - {group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai}
    - {group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: failing}
  type: APIKey
  apiKey: {secretRef: {name: openai-key}}`,
    `
apiVersion: v1
kind: Secret
metadata: {name: openai-key, namespace: default}
stringData: {apiKey: ${apiKey}}`,
    budget('route-a'),
    budget('route-b'),
  ].join('\n---');
}

interface AccessLine {
  readonly model: string;
  readonly status: number;
  readonly backend: string;
  readonly model_name_override: string;
}

/** The access-log lines Envoy printed so far (aigw passes Envoy's stdout through). */
function accessLines(aigw: RunningAigw): AccessLine[] {
  return aigw
    .output()
    .split('\n')
    .filter((line) => line.includes('"model_name_override"'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as AccessLine);
}

describe('backend mutations and route-scoped costs through aigw run', () => {
  let openai: FakeUpstream;
  let aigw: RunningAigw;

  beforeAll(async () => {
    openai = await harness.upstream(fakeOpenAI({ apiKey, azureApiKey: 'unused', usage }), {
      name: 'fake-openai',
    });
    // Nothing listens there: the first attempt fails to connect, after its mutations were applied.
    const downPort = await getFreePort();
    const file = join(harness.tempDir('mutations-costs'), 'gateway.yaml');
    writeFileSync(file, resources(openai, downPort));
    aigw = await startAigw({ args: [file] });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  async function ask(
    model: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string }> {
    const response = await fetch(`${aigw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        model,
        user: 'alice',
        temperature: 1,
        messages: [{ role: 'user', content: `hello ${model}` }],
      }),
    });
    return { status: response.status, text: await response.text() };
  }

  it('sends the set headers and fields, not the removed ones; the backendRef wins', async () => {
    const { status } = await ask('model-a', { 'x-debug': 'secret', 'x-user-id': 'mut' });
    expect(status).toBe(200);
    const seen = openai.requests.at(-1)!;
    expect(seen.headers['x-team']).toBe('route-a');
    expect(seen.headers['x-tier']).toBe('gold');
    expect(seen.headers['x-debug']).toBeUndefined();
    expect(seen.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(Number(seen.headers['content-length'])).toBe(seen.body.byteLength);
    const body = JSON.parse(seen.body.toString('utf8')) as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'model-a', service_tier: 'flex', temperature: 0.25 });
    expect(body).not.toHaveProperty('user');
  });

  it("applies the AIServiceBackend's own mutation on a route without a backendRef one", async () => {
    expect((await ask('model-b', { 'x-user-id': 'mut' })).status).toBe(200);
    expect(openai.requests.at(-1)!.headers['x-team']).toBe('platform');
  });

  it('gives a fallback attempt only its own backend mutations', async () => {
    const before = openai.requests.length;
    const { status, text } = await ask('model-fallback');
    expect(status, text).toBe(200);
    const retry = openai.requests[before]!;
    expect(retry.headers['x-failing']).toBeUndefined();
    expect(retry.headers['x-team']).toBe('platform');
    const body = JSON.parse(retry.body.toString('utf8')) as Record<string, unknown>;
    expect(body).not.toHaveProperty('failing_field');
    expect(body).toMatchObject({ service_tier: 'flex' });
  });

  it('writes the backend and the model sent into the dynamic metadata', async () => {
    await ask('model-b', { 'x-user-id': 'meta' });
    const line = await waitFor(
      () => accessLines(aigw).find((l) => l.model === 'model-b' && l.status === 200),
      { timeoutMs: 10_000, description: 'the access-log line of a model-b request' },
    );
    expect(line.backend).toBe('default/openai/route/route-b/rule/0/ref/0');
    expect(line.model_name_override).toBe('model-b');
  });

  it('charges each route its own cost under one key: route-a runs out, route-b does not', async () => {
    // route-a charges 750 per answer (5 input tokens × 150) against 1000 an hour; route-b 3 (its
    // output tokens). The charge lands when a response ends, so route-a may answer a request or
    // two more before the limiter sees it; it must still run out long before route-b would.
    const statusesA: number[] = [];
    for (let i = 0; i < 8 && !statusesA.includes(429); i++) {
      statusesA.push((await ask('model-a', { 'x-user-id': 'bob' })).status);
    }
    expect(statusesA.slice(0, 2)).toEqual([200, 200]);
    expect(statusesA).toContain(429);
    const statusesB: number[] = [];
    for (let i = 0; i < statusesA.length + 2; i++) {
      statusesB.push((await ask('model-b', { 'x-user-id': 'bob' })).status);
    }
    expect(statusesB.every((s) => s === 200)).toBe(true);
  });
});
