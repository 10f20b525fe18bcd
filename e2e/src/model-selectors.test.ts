import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type FakeUpstream } from '@aigw/testkit';
import { aigwAccessLines } from './support/access-log.js';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * Token budgets that select on the model header, which never reaches the provider (docs/extproc.md,
 * "Headers: what reaches the provider"), through `aigw run` (real Envoy, extproc, limiter) and a
 * real Redis. The upstream-level filter removes `x-ai-eg-model` from the request header map that
 * Envoy's rate-limit filter reads again when the stream ends, so the limits read the extproc's
 * copy in dynamic metadata: an Exact, a RegularExpression and an inverted selector, each charged
 * when the stream ends. A charge that went missing would leave the model unlimited.
 *
 * Each answer costs 5 tokens (3 in, 2 out); every budget is 10 or 20 tokens per hour, checked
 * with hits 0 before the request and charged after it: 0 → 5 → 10 pass, the next check at 15 is
 * refused.
 */
const harness = useHarness();
const key = 'sk-model-selectors';

function config(upstream: FakeUpstream): string {
  const rule = (selector: string, tokens: number) => `
        - clientSelectors: [{headers: [${selector}]}]
          limit: {requests: ${String(tokens)}, unit: Hour}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}`;
  return [
    `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: aigw}
spec:
  gatewayClassName: aigw
  listeners: [{name: http, protocol: HTTP, port: 1975}]`,
    `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: models}
spec:
  parentRefs: [{name: aigw}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, type: RegularExpression, value: '.+'}]}]
      backendRefs: [{name: openai}]
  llmRequestCosts:
    - {metadataKey: llm_total_token, type: TotalToken}`,
    `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: model-budgets}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: models}]
  rateLimit:
    type: Global
    global:
      rules:${rule('{name: x-ai-eg-model, value: gpt-a}', 10)}${rule(
        "{name: x-ai-eg-model, type: RegularExpression, value: 'llama-.*'}",
        10,
      )}${rule('{name: x-ai-eg-model, value: gpt-a, invert: true}', 20)}`,
    aiBackendYaml({ name: 'openai', schema: 'OpenAI', port: upstream.port, key }),
  ].join('\n---\n');
}

describe('budgets on the model header, which never reaches the provider (aigw run + Envoy + Redis)', () => {
  let fake: FakeUpstream;
  let aigw: RunningAigw;

  beforeAll(async () => {
    const redis = await harness.redis();
    fake = await harness.upstream(
      fakeOpenAI({ apiKey: key, azureApiKey: 'unused', usage: { input: 3, output: 2 } }),
      { name: 'fake-openai' },
    );
    const file = join(harness.tempDir('model-selectors'), 'gateway.yaml');
    writeFileSync(file, config(fake));
    aigw = await startAigw({ args: [file, '--redis-url', redis.url] });
  }, 90_000);
  afterAll(async () => {
    await aigw.stop();
  });

  /** The statuses of `count` requests for `model`, one after the other. */
  async function statuses(model: string, count: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${aigw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      out.push(response.status);
      if (response.status === 429) {
        expect(await response.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
      } else {
        await response.text();
      }
      // The charge is sent when the stream ends, after the client has its answer.
      await sleep(300);
    }
    return out;
  }

  it('charges Exact, RegularExpression and inverted selectors when the stream ends', async () => {
    // Stay inside one hour window of the budgets.
    const left = 3600 - (Math.floor(Date.now() / 1000) % 3600);
    if (left < 30) await sleep(left * 1000 + 100);
    // `gpt-a` (10): three answers, then refused. Not charged to the inverted budget.
    expect(await statuses('gpt-a', 4)).toEqual([200, 200, 200, 429]);
    // `llama-3` (regex, 10): the same; it also charges the inverted budget (not gpt-a): 15 of 20.
    expect(await statuses('llama-3', 4)).toEqual([200, 200, 200, 429]);
    // `gpt-b`, only under the inverted budget: 15 → 20 → 25, then refused.
    expect(await statuses('gpt-b', 3)).toEqual([200, 200, 429]);
    expect(fake.requests).toHaveLength(3 + 3 + 2);
  });

  it('never sends the gateway’s own headers to the provider; the access log still names the model', () => {
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const request of fake.requests) {
      expect(Object.keys(request.headers).filter((h) => h.startsWith('x-ai-eg-'))).toEqual([]);
    }
    const logged = aigwAccessLines(aigw.output(), 'llama-3').map((l) => l.status);
    expect(logged).toEqual([200, 200, 200, 429]);
  });
});
