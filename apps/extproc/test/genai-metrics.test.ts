import { parsePrometheusText, type PrometheusFamily } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenAiMetrics } from '../src/observability/metrics.js';
import { envoy, type ProcessStream, type TestServer } from './support/ext-proc-harness.js';
import { backends, routeRequest, startGateway, upstreamAttempt } from './support/gateway.js';

/** One labelled series of a histogram: its labels (without `le`), count and sum. */
interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly count: number;
  readonly sum: number;
}

/** The exposition, parsed by Prometheus's reference parser. */
async function scrape(metrics: GenAiMetrics): Promise<PrometheusFamily[]> {
  return parsePrometheusText((await metrics.text()).body);
}

function family(families: readonly PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric ${name}`);
  return found;
}

/** The series of a histogram whose labels include `labels`. */
function series(
  families: readonly PrometheusFamily[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Series[] {
  const samples = family(families, name).samples;
  const matches = (sample: { labels: Readonly<Record<string, string>> }): boolean =>
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
  return samples
    .filter((sample) => sample.name === `${name}_count` && matches(sample))
    .map((count) => {
      const same = JSON.stringify(count.labels);
      const sum = samples.find(
        (sample) => sample.name === `${name}_sum` && JSON.stringify(sample.labels) === same,
      );
      return { labels: count.labels, count: count.value, sum: sum?.value ?? Number.NaN };
    });
}

const usage = {
  prompt_tokens: 11,
  completion_tokens: 7,
  total_tokens: 18,
  prompt_tokens_details: { cached_tokens: 3 },
  completion_tokens_details: { reasoning_tokens: 2 },
};

describe('GenAI metrics of finished requests (OpenTelemetry conventions, Prometheus text)', () => {
  let metrics: GenAiMetrics;
  let gateway: TestServer;
  const streams: ProcessStream[] = [];

  beforeAll(async () => {
    metrics = new GenAiMetrics();
    gateway = await startGateway({ metrics });
  });

  afterAll(async () => {
    for (const stream of streams) stream.end();
    await gateway.stop();
  });

  async function exchange(body: object, model: string): Promise<ProcessStream> {
    const { router, id } = await routeRequest(gateway, { ...body, model });
    streams.push(router);
    await upstreamAttempt(gateway, id, backends.a);
    return router;
  }

  it('records a non-streamed chat completion: tokens by type, duration, no stream timings', async () => {
    const router = await exchange({ messages: [] }, 'gpt-a');
    await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    const answer = { id: 'c1', object: 'chat.completion', model: 'gpt-a-2025', choices: [], usage };
    await router.send(envoy.responseBody(JSON.stringify(answer), true));

    const families = await scrape(metrics);
    const labels = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-a',
      gen_ai_response_model: 'gpt-a-2025',
      aigw_backend: 'default/openai-a',
    };
    const tokens = (type: string) =>
      series(families, 'gen_ai_client_token_usage', { ...labels, gen_ai_token_type: type });
    expect(tokens('input').map((m) => [m.count, m.sum])).toEqual([[1, 11]]);
    expect(tokens('output').map((m) => [m.count, m.sum])).toEqual([[1, 7]]);
    expect(tokens('cached_input').map((m) => m.sum)).toEqual([3]);
    expect(tokens('reasoning').map((m) => m.sum)).toEqual([2]);
    expect(tokens('cache_creation_input')).toEqual([]);
    const duration = series(families, 'gen_ai_server_request_duration_seconds', labels);
    expect(duration.map((m) => [m.labels.error_type, m.count])).toEqual([['', 1]]);
    expect(duration[0]?.sum).toBeGreaterThan(0);
    expect(duration[0]?.sum).toBeLessThan(5);
    expect(series(families, 'gen_ai_server_time_to_first_token_seconds', labels)).toEqual([]);
    expect(family(families, 'gen_ai_client_token_usage').type).toBe('histogram');
  });

  it('records a stream: time to first token and time per output token', async () => {
    const router = await exchange(
      { stream: true, stream_options: { include_usage: true }, messages: [] },
      'gpt-b-stream',
    );
    await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    const base = { id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'gpt-stream-1' };
    const frames = [
      { ...base, choices: [{ index: 0, delta: { content: 'Hi' } }], usage: null },
      { ...base, choices: [], usage },
    ].map((frame) => `data: ${JSON.stringify(frame)}\n\n`);
    await router.send(envoy.responseBody(frames[0]!, false));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await router.send(envoy.responseBody(`${frames[1]!}data: [DONE]\n\n`, true));

    const families = await scrape(metrics);
    const labels = { gen_ai_request_model: 'gpt-b-stream', gen_ai_response_model: 'gpt-stream-1' };
    const firstToken = series(families, 'gen_ai_server_time_to_first_token_seconds', labels);
    expect(firstToken.map((m) => m.count)).toEqual([1]);
    const perToken = series(families, 'gen_ai_server_time_per_output_token_seconds', labels);
    expect(perToken.map((m) => m.count)).toEqual([1]);
    const [duration] = series(families, 'gen_ai_server_request_duration_seconds', labels);
    // (duration - time to first token) / (7 - 1): at least the 30 ms between the two chunks.
    const expected = ((duration?.sum ?? 0) - (firstToken[0]?.sum ?? 0)) / 6;
    expect(perToken[0]?.sum).toBeCloseTo(expected, 6);
    expect(perToken[0]?.sum).toBeGreaterThanOrEqual(0.025 / 6);
  });

  it('records an error response with its status as error_type and no tokens', async () => {
    const router = await exchange({ messages: [] }, 'gpt-b-down');
    await router.send(envoy.responseHeaders({ ':status': '503', 'content-type': 'text/plain' }));
    await router.send(envoy.responseBody('upstream overloaded', true));
    const families = await scrape(metrics);
    const labels = { gen_ai_request_model: 'gpt-b-down' };
    const duration = series(families, 'gen_ai_server_request_duration_seconds', labels);
    expect(duration.map((m) => [m.labels.error_type, m.count])).toEqual([['503', 1]]);
    expect(series(families, 'gen_ai_client_token_usage', labels)).toEqual([]);
  });

  it('records a request whose client went away before the end, once', async () => {
    const router = await exchange({ stream: true, messages: [] }, 'gpt-b-gone');
    await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    await router.send(envoy.responseBody('data: {"id":"x","choices":[]}\n\n', false));
    router.end();
    await router.status;
    const labels = { gen_ai_request_model: 'gpt-b-gone' };
    const families = await scrape(metrics);
    const duration = series(families, 'gen_ai_server_request_duration_seconds', labels);
    expect(duration.map((m) => [m.labels.error_type, m.count])).toEqual([['', 1]]);
  });

  it('does not record requests that never reached a backend', async () => {
    const router = gateway.open();
    streams.push(router);
    await router.send(envoy.post('/v1/chat/completions'));
    await router.send(envoy.requestBody('{"model":'));
    const families = await scrape(metrics);
    const models = series(families, 'gen_ai_server_request_duration_seconds').map(
      (m) => m.labels.gen_ai_request_model,
    );
    expect(models.sort()).toEqual(['gpt-a', 'gpt-b-down', 'gpt-b-gone', 'gpt-b-stream']);
  });
});

describe('GenAI metrics cardinality', () => {
  it('keeps the first models of each model label and counts the rest as _OTHER', async () => {
    const metrics = new GenAiMetrics({ maxModels: 100 });
    for (let i = 0; i < 1000; i++) {
      metrics.record({
        endpoint: 'chat-completions',
        schema: 'OpenAI',
        requestModel: `client-model-${String(i)}`,
        responseModel: `provider-model-${String(i)}`,
        route: 'default/r',
        backend: 'default/b',
        status: 200,
        usage: {
          inputTokens: 1,
          outputTokens: 1,
          totalTokens: 2,
          cachedInputTokens: 0,
          reasoningTokens: 0,
        },
        durationSeconds: 0.1,
        timeToFirstTokenSeconds: undefined,
        startedAtMs: 0,
        traceparent: undefined,
        attempts: [],
        request: undefined,
      });
    }
    const families = await scrape(metrics);
    const duration = series(families, 'gen_ai_server_request_duration_seconds');
    const requestModels = new Set(duration.map((m) => m.labels.gen_ai_request_model));
    expect(requestModels.size).toBe(101);
    expect(requestModels.has('_OTHER')).toBe(true);
    expect(duration.length).toBe(101);
    const other = duration.find((m) => m.labels.gen_ai_request_model === '_OTHER');
    expect(other?.count).toBe(900);
    // Every request is still counted: 1,000 in all.
    expect(duration.reduce((n, m) => n + m.count, 0)).toBe(1000);
  });
});
