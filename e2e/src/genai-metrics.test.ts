import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenAiMetrics } from '@aigw/extproc/metrics';
import { parsePrometheusText, useHarness, waitFor, type PrometheusFamily } from '@aigw/testkit';
import { startTestExtProc, type TestExtProc } from './support/extproc-harness.js';
import { gatewayBootstrap } from './support/gateway-bootstrap.js';
import { twoProviders, twoProviderTraffic, twoProviderUsage } from './support/two-providers.js';

/**
 * The extproc's GenAI metrics for traffic through real Envoy from the official `openai` client,
 * to two providers (OpenAI passthrough, Anthropic translated), streamed and not: the token sums
 * equal what the fake providers reported, one duration per client request, a time to first token
 * per stream — read from `/metrics` text by Prometheus's reference parser.
 */
const models = { openai: 'gpt-m', anthropic: 'claude-m' };
const { openai: openaiUsage, anthropic: anthropicUsage } = twoProviderUsage;

interface Totals {
  readonly count: number;
  readonly sum: number;
}

/** Count and sum over every series of a histogram whose labels include `labels`. */
function totals(
  families: readonly PrometheusFamily[],
  name: string,
  labels: Readonly<Record<string, string>>,
): Totals {
  const samples = families.find((f) => f.name === name)?.samples ?? [];
  const matching = (suffix: string): number =>
    samples
      .filter(
        (s) =>
          s.name === `${name}_${suffix}` &&
          Object.entries(labels).every(([key, value]) => s.labels[key] === value),
      )
      .reduce((n, s) => n + s.value, 0);
  return { count: matching('count'), sum: matching('sum') };
}

describe('GenAI metrics through real Envoy, from the official openai client', () => {
  const harness = useHarness();
  const metrics = new GenAiMetrics();
  let extproc: TestExtProc;
  let client: OpenAI;

  beforeAll(async () => {
    const dir = harness.tempDir('genai-metrics');
    const providers = await twoProviders(harness, { dir, route: 'metrics', models });
    const config = providers.config;
    extproc = await startTestExtProc({ dir, config, metrics });
    const envoy = await harness.envoy({
      bootstrap: gatewayBootstrap({
        extprocSocket: extproc.socket,
        accessLogPath: join(dir, 'access.log'),
        backends: providers.backends,
      }),
    });
    client = new OpenAI({
      apiKey: 'client-key',
      baseURL: `${await envoy.listenerUrl('ingress')}/v1`,
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await extproc.stop();
  });

  it('counts tokens, durations and first tokens per provider, as the providers reported them', async () => {
    await twoProviderTraffic(client, models);

    // A stream is reported when its router-level stream ends, just after the client's last read.
    const families = await waitFor(
      async () => {
        const parsed = await parsePrometheusText((await metrics.text()).body);
        const done = totals(parsed, 'gen_ai_server_request_duration_seconds', {}).count;
        return done >= 5 ? parsed : undefined;
      },
      { timeoutMs: 10_000, description: 'five requests in the GenAI metrics' },
    );
    const openai = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-m' };
    const anthropic = { gen_ai_provider_name: 'anthropic', gen_ai_request_model: 'claude-m' };
    const tokens = (labels: Readonly<Record<string, string>>, type: string): Totals =>
      totals(families, 'gen_ai_client_token_usage', { ...labels, gen_ai_token_type: type });

    expect(tokens(openai, 'input')).toEqual({ count: 3, sum: 3 * openaiUsage.prompt });
    expect(tokens(openai, 'output')).toEqual({ count: 3, sum: 3 * openaiUsage.completion });
    expect(tokens(openai, 'cached_input')).toEqual({ count: 3, sum: 3 * openaiUsage.cached });
    expect(tokens(anthropic, 'input')).toEqual({ count: 2, sum: 2 * anthropicUsage.input });
    expect(tokens(anthropic, 'output')).toEqual({ count: 2, sum: 2 * anthropicUsage.output });

    const duration = (labels: Readonly<Record<string, string>>): Totals =>
      totals(families, 'gen_ai_server_request_duration_seconds', {
        ...labels,
        gen_ai_operation_name: 'chat',
        error_type: '',
      });
    expect(duration(openai).count).toBe(3);
    expect(duration(anthropic).count).toBe(2);
    expect(duration(openai).sum).toBeGreaterThan(0);
    const firstToken = (labels: Readonly<Record<string, string>>): Totals =>
      totals(families, 'gen_ai_server_time_to_first_token_seconds', labels);
    expect(firstToken(openai).count).toBe(1);
    expect(firstToken(anthropic).count).toBe(1);
    // Every series names the backend that answered and the model the provider said it used.
    const series = families
      .find((f) => f.name === 'gen_ai_server_request_duration_seconds')!
      .samples.filter((s) => s.name.endsWith('_count'));
    expect(
      series.map((s) => [s.labels.aigw_backend, s.labels.gen_ai_response_model]).sort(),
    ).toEqual([
      ['default/anthropic', 'claude-m'],
      ['default/openai', 'gpt-m-o'],
    ]);
  });
});
