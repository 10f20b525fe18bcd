import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespClient, useHarness, waitFor, type FakeUpstream } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { fakeAnthropic } from './support/fake-providers/fake-anthropic.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * Issue 8/10, hard budgets (docs/budgets.md "Hard budgets: cutting a stream"), through `aigw run`
 * (real Envoy, extproc, limiter) and a real Redis, with the official SDKs. A budget of N = 1,000
 * tokens per user; one long streamed answer needs more: the fakes echo a 600-character prompt
 * ("You said: …", 610 characters in events of 6) and count a token per byte, so the estimate is
 * exact and the answer is 611 input + 610 output = 1,221 tokens.
 *
 * - `hard-tokens` (annotated `token-budget-enforcement: hard`, per hour): the stream is cut with
 *   an error event the SDK raises; the tokens served (and charged) stay within N + one event.
 * - `reserved-tokens` (hard, and reserving at admission, per month): the same cut — the request's
 *   allowance is what Envoy reports as remaining after its reservation, plus that reservation.
 * - `soft-tokens` (no annotation, per day, so Envoy's draft headers tell them apart): the
 *   stream completes and is charged after it ended — an overspend of 221.
 */
const harness = useHarness();
const budget = 1000;
const prompt = 'hard budgets cut streams; '.repeat(24).slice(0, 600);
const answerText = `You said: ${prompt}`;
// The extproc's estimate of the input: 'user' + the prompt, 4 per message, 3 per request.
const inputTokens = 4 + prompt.length + 4 + 3;
const usage = { input: inputTokens, output: answerText.length }; // a token per byte
/** The bound of docs/budgets.md past the allowance: one event (6 bytes of text, 1 byte each). */
const oneEvent = 6;
/** The reservations: OpenAI 611 + 100 (no max_tokens), Anthropic 611 + its max_tokens 300. */
const defaultOutputTokens = 100;
const keys = { openai: 'sk-openai-hard-budget', anthropic: 'sk-ant-hard-budget' };

function config(upstreams: { openai: FakeUpstream; anthropic: FakeUpstream }): string {
  const route = (name: string) => `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: ${name}}
spec:
  parentRefs: [{name: aigw}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-${name}}]}]
      backendRefs: [{name: openai}]
    - matches: [{headers: [{name: x-ai-eg-model, value: claude-${name}}]}]
      backendRefs: [{name: anthropic}]
  llmRequestCosts:
    - {metadataKey: llm_total_token, type: TotalToken}`;
  const policy = (name: string, unit: string, annotations: string) => `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: ${name}-tokens, annotations: {${annotations}}}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name}}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-user, type: Distinct}]}]
          limit: {requests: ${String(budget)}, unit: ${unit}}
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
    route('hard'),
    route('reserved'),
    route('soft'),
    policy('hard', 'Hour', 'aigateway.envoyproxy.io/token-budget-enforcement: hard'),
    policy(
      'reserved',
      'Month',
      `aigateway.envoyproxy.io/token-budget-enforcement: hard, aigateway.envoyproxy.io/token-reservation: "true", aigateway.envoyproxy.io/token-reservation-default-output-tokens: "${String(defaultOutputTokens)}"`,
    ),
    policy('soft', 'Day', ''),
    aiBackendYaml({
      name: 'openai',
      schema: 'OpenAI',
      port: upstreams.openai.port,
      key: keys.openai,
    }),
    aiBackendYaml({
      name: 'anthropic',
      schema: 'Anthropic',
      port: upstreams.anthropic.port,
      key: keys.anthropic,
    }),
  ].join('\n---\n');
}

/** What a client got of one streamed answer. */
interface Served {
  readonly text: string;
  /** What the SDK raised mid-stream, if anything. */
  readonly error: unknown;
}

describe('hard budgets: a stream past the budget is cut (aigw run + Envoy + Redis)', () => {
  let aigw: RunningAigw;
  let resp: RespClient;
  const rows: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const redis = await harness.redis();
    const openai = await harness.upstream(
      fakeOpenAI({ apiKey: keys.openai, azureApiKey: 'unused', usage }),
      { name: 'fake-openai' },
    );
    const anthropic = await harness.upstream(fakeAnthropic({ apiKey: keys.anthropic, usage }), {
      name: 'fake-anthropic',
    });
    const file = join(harness.tempDir('hard-budget'), 'hard-budget.yaml');
    writeFileSync(file, config({ openai, anthropic }));
    aigw = await startAigw({ args: [file, '--redis-url', redis.url] });
    resp = await RespClient.connect({ host: redis.host, port: redis.port });
  }, 90_000);

  afterAll(async () => {
    console.log(`hard vs soft budget of ${String(budget)} tokens, one answer of 1,221:`);
    console.table(rows);
    await resp.close();
    await aigw.stop();
  });

  /** The limiter's counter of a policy's limit for a user (0 before the first charge). */
  async function counter(policy: string, user: string): Promise<number> {
    const found = await resp.command('KEYS', `*${policy}*${user}*`);
    if (!Array.isArray(found) || found.length === 0) return 0;
    const values = await Promise.all(found.map((k) => resp.command('GET', String(k))));
    return values.reduce<number>((sum, v) => sum + Number(v ?? 0), 0);
  }

  /** The counter once the charge at stream end reached it. */
  async function charged(policy: string, user: string): Promise<number> {
    return waitFor(async () => (await counter(policy, user)) || undefined, {
      timeoutMs: 10_000,
      description: `the ${policy} counter of ${user} to be charged`,
    });
  }

  async function streamOpenAI(model: string, user: string): Promise<Served> {
    const client = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create(
      {
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: prompt }],
      },
      { headers: { 'x-user': user } },
    );
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch (error) {
      return { text, error };
    }
    return { text, error: undefined };
  }

  async function streamAnthropic(model: string, user: string): Promise<Served> {
    const client = new Anthropic({ baseURL: aigw.url, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.messages.create(
      { model, stream: true, max_tokens: 300, messages: [{ role: 'user', content: prompt }] },
      { headers: { 'x-user': user } },
    );
    let text = '';
    try {
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          text += event.delta.text;
        }
      }
    } catch (error) {
      return { text, error };
    }
    return { text, error: undefined };
  }

  const dialects = [
    {
      dialect: 'openai',
      stream: streamOpenAI,
      reserve: inputTokens + defaultOutputTokens,
      model: (mode: string) => `gpt-${mode}`,
      isBudgetError: (error: unknown): boolean =>
        error instanceof OpenAI.APIError &&
        error.type === 'rate_limit_error' &&
        error.code === 'token_budget_exceeded',
    },
    {
      dialect: 'anthropic',
      stream: streamAnthropic,
      reserve: inputTokens + 300,
      model: (mode: string) => `claude-${mode}`,
      isBudgetError: (error: unknown): boolean =>
        error instanceof Anthropic.APIError &&
        (error.error as { error?: { type?: string } } | undefined)?.error?.type ===
          'rate_limit_error',
    },
  ] as const;

  it.each(dialects)(
    '$dialect: cut mid-stream at the budget with a hard limit, completed and overspent without',
    async ({ dialect, stream, model, isBudgetError, reserve }) => {
      const user = randomUUID();
      const hard = await stream(model('hard'), user);
      expect(isBudgetError(hard.error), String(hard.error)).toBe(true);
      // Mid-stream: some text first, then the error, well before the end of the answer.
      expect(hard.text.length).toBeGreaterThan(0);
      expect(answerText.startsWith(hard.text)).toBe(true);
      expect(hard.text.length).toBeLessThan(answerText.length);
      const hardServed = inputTokens + hard.text.length;
      expect(hardServed).toBeLessThanOrEqual(budget + oneEvent);
      // Charged: what was served (Anthropic's message_start also counts 1 output token).
      const hardCharged = await charged('hard-tokens', user);
      expect(hardCharged).toBeGreaterThanOrEqual(hardServed);
      expect(hardCharged).toBeLessThanOrEqual(budget + oneEvent);

      // Reserving too: admitted with 1,000 − reserve left, plus its reserve: the same allowance.
      const reserved = await stream(model('reserved'), user);
      expect(isBudgetError(reserved.error), String(reserved.error)).toBe(true);
      expect(reserved.text).toBe(hard.text);
      // Counted at admission; reconciled at the end: the reserve replaced by what was served.
      const reservedCharged = await waitFor(
        async () => {
          const value = await counter('reserved-tokens', user);
          return value !== reserve && value !== 0 ? value : undefined;
        },
        {
          timeoutMs: 10_000,
          description: `the reservation of ${String(reserve)} to be reconciled`,
        },
      );
      expect(reservedCharged).toBe(hardCharged);

      const soft = await stream(model('soft'), user);
      expect(soft.error).toBeUndefined();
      expect(soft.text).toBe(answerText);
      const softCharged = await charged('soft-tokens', user);
      expect(softCharged).toBe(usage.input + usage.output);
      expect(softCharged).toBeGreaterThan(budget);

      rows.push(
        {
          dialect,
          budget: 'hard',
          served: hardServed,
          charged: hardCharged,
          overspend: Math.max(0, hardCharged - budget),
          client: 'error mid-stream',
        },
        {
          dialect,
          budget: 'hard + reserve',
          served: inputTokens + reserved.text.length,
          charged: reservedCharged,
          overspend: Math.max(0, reservedCharged - budget),
          client: 'error mid-stream',
        },
        {
          dialect,
          budget: 'soft',
          served: inputTokens + soft.text.length,
          charged: softCharged,
          overspend: Math.max(0, softCharged - budget),
          client: 'completed',
        },
      );
    },
  );

  it('cuts a request admitted with less left than its input before any text (its input is charged)', async () => {
    const user = randomUUID();
    await streamOpenAI('gpt-hard', user);
    const first = await charged('hard-tokens', user);
    expect(first).toBeLessThan(budget); // so the next one is admitted (charge-after check)
    const next = await streamOpenAI('gpt-hard', user);
    expect(next.error).toBeInstanceOf(OpenAI.APIError);
    expect(next.text).toBe('');
    await waitFor(async () => (await counter('hard-tokens', user)) > first || undefined, {
      timeoutMs: 10_000,
      description: 'the input of the cut request to be charged',
    });
    expect(await counter('hard-tokens', user)).toBe(first + inputTokens);
  });
});
