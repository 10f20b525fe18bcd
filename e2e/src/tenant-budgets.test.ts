import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RespClient,
  useHarness,
  waitFor,
  type FakeUpstream,
  type RedisProcess,
} from '@aigw/testkit';
import { aigwAccessLines } from './support/access-log.js';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * Issue 8/10, tenants and money budgets through `aigw run` (real Envoy, extproc, limiter) and a
 * real Redis: client keys stored as SHA-256 digests name the tenant; per-tenant token budgets;
 * a money budget from the price catalog (calendar month in Berlin); the client key never
 * reaches the provider; an unknown key is a 401, an unpriced model a 403, in the client's dialect.
 */
const harness = useHarness();
const providerKey = 'sk-provider-0123456789';
const keys = {
  acme: 'sk-acme-client-key-1',
  globex: 'sk-globex-client-key',
  initech: 'sk-initech-key',
};
const sha = (key: string): string => createHash('sha256').update(key).digest('hex');
// 400 input + 200 output per answer: 600 tokens; at $0.15 / $0.60 per 1M, 60 + 120 = 180 µ$.
const usage = { input: 400, output: 200 };
const tokenBudget = 1000;

/** The first instant (Unix seconds) of the current calendar month in Berlin. */
function berlinMonthStart(now: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Berlin',
    year: 'numeric',
    month: 'numeric',
  }).formatToParts(now);
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const midnightUtc = Date.UTC(part('year'), part('month') - 1, 1);
  // Berlin's offset at that midnight (+01:00 or +02:00): local midnight is that much earlier.
  const zone = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Berlin',
    timeZoneName: 'longOffset',
  })
    .formatToParts(new Date(midnightUtc))
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(zone ?? '');
  if (!match) throw new Error(`unexpected offset ${String(zone)}`);
  const offsetMs = (Number(match[2]) * 60 + Number(match[3])) * 60_000;
  return (midnightUtc - (match[1] === '+' ? offsetMs : -offsetMs)) / 1000;
}
const moneyBudget = 100;

function config(fake: FakeUpstream): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: aigw
  annotations: {aigateway.envoyproxy.io/gateway-config: tenants}
spec:
  gatewayClassName: aigw
  listeners: [{name: http, protocol: HTTP, port: 1975}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: GatewayConfig
metadata:
  name: tenants
  annotations:
    aigateway.envoyproxy.io/client-keys: client-keys
    aigateway.envoyproxy.io/price-catalog: prices
spec: {}
---
apiVersion: v1
kind: Secret
metadata: {name: client-keys}
stringData:
  acme: ${sha(keys.acme)}
  globex: ${sha(keys.globex)}
  initech: ${sha(keys.initech)}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: prices}
data:
  prices.yaml: |
    currency: USD
    models:
      - model: gpt-4o-mini
        price: {input: 150000, cachedInput: 75000, output: 600000}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: chat}
spec:
  parentRefs: [{name: aigw}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o-mini}]}]
      backendRefs: [{name: openai}]
    - matches: [{headers: [{name: x-ai-eg-model, type: RegularExpression, value: 'llama-.*'}]}]
      backendRefs: [{name: openai}]
  llmRequestCosts:
    - {metadataKey: llm_total_token, type: TotalToken}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: tokens}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Distinct}]}]
          limit: {requests: ${String(tokenBudget)}, unit: Hour}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: money
  annotations: {aigateway.envoyproxy.io/budget-time-zone: Europe/Berlin}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Exact, value: initech}]}]
          limit: {requests: ${String(moneyBudget)}, unit: Month}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_cost}}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: openai}
spec:
  schema: {name: OpenAI}
  backendRef: {name: openai, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: openai}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: ${String(fake.port)}}}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: openai-apikey}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai}]
  type: APIKey
  apiKey: {secretRef: {name: openai-apikey}}
---
apiVersion: v1
kind: Secret
metadata: {name: openai-apikey}
stringData: {apiKey: ${providerKey}}
`;
}

describe('tenants and money budgets (aigw run + Envoy + Redis)', () => {
  let fake: FakeUpstream;
  let redis: RedisProcess;
  let aigw: RunningAigw;
  let resp: RespClient;

  beforeAll(async () => {
    redis = await harness.redis();
    fake = await harness.upstream(
      fakeOpenAI({ apiKey: providerKey, azureApiKey: 'unused', usage }),
      {
        name: 'fake-openai',
      },
    );
    const file = join(harness.tempDir('tenant-budgets'), 'tenants.yaml');
    writeFileSync(file, config(fake));
    aigw = await startAigw({ args: [file, '--redis-url', redis.url] });
    resp = await RespClient.connect({ host: redis.host, port: redis.port });
  }, 90_000);
  afterAll(async () => {
    await resp.close();
    await aigw.stop();
  });

  /**
   * The limiter's counter of one policy's limit for one tenant (0 before the first charge): the
   * keys that name the policy and, for a Distinct selector, the tenant.
   */
  async function counter(policy: string, tenant: string): Promise<number> {
    const found = await resp.command('KEYS', `*${policy}*${tenant}*`);
    if (!Array.isArray(found) || found.length === 0) return 0;
    const values = await Promise.all(found.map((k) => resp.command('GET', String(k))));
    return values.reduce<number>((sum, v) => sum + Number(v ?? 0), 0);
  }

  /** Waits until the charge at stream end reached the counter (charged after the response). */
  async function charged(policy: string, tenant: string, atLeast: number): Promise<void> {
    await waitFor(async () => (await counter(policy, tenant)) >= atLeast, {
      timeoutMs: 10_000,
      description: `${policy} counter of ${tenant} to reach ${String(atLeast)}`,
    });
  }

  const openai = (key: string): OpenAI =>
    new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: key, maxRetries: 0 });

  async function ask(key: string, model = 'gpt-4o-mini'): Promise<number> {
    try {
      await openai(key).chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hi' }],
      });
      return 200;
    } catch (err) {
      if (err instanceof OpenAI.APIError && typeof err.status === 'number') return err.status;
      throw err;
    }
  }

  it('keeps a token budget per tenant: acme runs out, globex does not', async () => {
    expect(await ask(keys.acme)).toBe(200);
    await charged('tokens', 'acme', 600);
    expect(await ask(keys.acme)).toBe(200);
    await charged('tokens', 'acme', 1200);
    expect(await ask(keys.acme)).toBe(429);
    // Another tenant, its own counter.
    expect(await ask(keys.globex)).toBe(200);
    await charged('tokens', 'globex', 600);
    expect(await counter('tokens', 'acme')).toBe(1200);
  });

  it('charges the price of each request to a money budget, and refuses in the client dialect once spent', async () => {
    const client = new Anthropic({ baseURL: aigw.url, apiKey: keys.initech, maxRetries: 0 });
    const message = await client.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.content.length).toBeGreaterThan(0);
    // 400 × 0.15 + 200 × 0.60 micro-dollars, in the Berlin calendar month's counter.
    // (The money limit selects initech with an Exact match: its counter key names the limit only.)
    await charged('money', '', 180);
    expect(await counter('money', '')).toBe(180);
    // Its token budget is far from spent (600 of 1000): the money budget refuses.
    expect(await counter('tokens', 'initech')).toBe(600);
    const refused = await client.messages
      .create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    // The counter is the Berlin calendar month's (its key ends with the month's first instant),
    // and the refusal says to retry when that month ends.
    const start = berlinMonthStart(new Date());
    const moneyKeys = await resp.command('KEYS', '*money*');
    expect(moneyKeys).toEqual([expect.stringMatching(new RegExp(`_${String(start)}$`))]);
    const retryAfter = Number(
      (refused as InstanceType<typeof Anthropic.RateLimitError>).headers.get('retry-after'),
    );
    const nextMonth = berlinMonthStart(new Date((start + 32 * 86_400) * 1000));
    const untilNextMonth = nextMonth - Date.now() / 1000;
    expect(retryAfter).toBeGreaterThan(untilNextMonth - 10);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(untilNextMonth) + 1);
    expect((refused as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error' },
    });
  });

  it('never lets a client key reach the provider', async () => {
    // A client key in x-api-key on the OpenAI endpoint too: removed as well.
    const response = await fetch(`${aigw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': keys.globex,
        'x-aigw-tenant': 'acme',
        'x-request-id': 'forged-tenant-1',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    await response.text();
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const request of fake.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${providerKey}`);
      expect(request.headers['x-api-key']).toBeUndefined();
      const everything = JSON.stringify(request.headers);
      for (const key of Object.values(keys)) expect(everything).not.toContain(key);
    }
    // Neither the tenant nor the model header reaches the provider (the budgets read their
    // copies in dynamic metadata); the tenant is the key's, not the header the client sent.
    for (const request of fake.requests) {
      expect(request.headers['x-aigw-tenant']).toBeUndefined();
      expect(request.headers['x-ai-eg-model']).toBeUndefined();
    }
    // Envoy's access log names the request's tenant (the extproc's metadata): the key's.
    const line = await waitFor(
      () =>
        aigwAccessLines(aigw.output(), 'gpt-4o-mini').find(
          (l) => l.request_id === 'forged-tenant-1',
        ),
      { timeoutMs: 10_000, description: 'the access-log line of the request' },
    );
    expect(line.tenant).toBe('globex');
  });

  it('answers an unknown key with a 401 in the client dialect', async () => {
    const before = fake.requests.length;
    const openaiError = await openai('sk-unknown')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(openaiError).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((openaiError as InstanceType<typeof OpenAI.AuthenticationError>).error).toMatchObject({
      type: 'authentication_error',
      message: 'invalid API key',
    });
    const anthropicError = await new Anthropic({
      baseURL: aigw.url,
      apiKey: 'nope',
      maxRetries: 0,
    }).messages
      .create({ model: 'gpt-4o-mini', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(anthropicError).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(
      (anthropicError as InstanceType<typeof Anthropic.AuthenticationError>).error,
    ).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid API key' },
    });
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a model with no price before it goes upstream (403)', async () => {
    const before = fake.requests.length;
    const error = await openai(keys.globex)
      .chat.completions.create({ model: 'llama-3', messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.PermissionDeniedError>).message).toContain(
      `model "llama-3" has no price in the gateway's price catalog`,
    );
    expect(fake.requests.length).toBe(before);
  });
});
