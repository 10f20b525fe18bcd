/**
 * What recording one finished request into the extproc's Prometheus GenAI metrics costs in CPU,
 * measured in this process on the extproc's own `GenAiMetrics` (`@aigw/extproc/metrics`): the
 * bench's end-to-end columns cannot resolve a few microseconds against the machine's noise, this
 * can. The observations are the bench's traffic: one route, backend and model, half of them
 * streamed (a time to first token and a time per output token), input and output tokens.
 */
import { GenAiMetrics } from '@aigw/extproc/metrics';

/** One figure: CPU microseconds per recorded request, the median of `repeats` runs. */
export interface RecordCost {
  readonly usPerRequest: number;
  readonly requests: number;
  readonly repeats: number;
}

type Observation = Parameters<GenAiMetrics['record']>[0];

function observation(i: number): Observation {
  const isStreamed = i % 2 === 1;
  return {
    endpoint: 'chat-completions',
    schema: 'OpenAI',
    requestModel: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    route: 'default/bench',
    backend: 'default/fake',
    status: 200,
    usage: {
      inputTokens: 12,
      outputTokens: 20 + (i % 11),
      totalTokens: 32 + (i % 11),
      cachedInputTokens: 0,
      reasoningTokens: 0,
    },
    durationSeconds: 0.004 + (i % 13) / 1000,
    timeToFirstTokenSeconds: isStreamed ? 0.002 : undefined,
    startedAtMs: 0,
    traceparent: undefined,
    attempts: [],
    request: undefined,
  };
}

/** CPU µs per `record()` on a fresh `GenAiMetrics`, the median of `repeats` runs of `requests`. */
export function measureRecordCost(requests = 200_000, repeats = 5): RecordCost {
  const metrics = new GenAiMetrics();
  const observations = Array.from({ length: 64 }, (_, i) => observation(i));
  // Warm-up: the JIT and the series (created once per label set).
  for (let i = 0; i < 20_000; i++) metrics.record(observations[i % 64] as Observation);
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < requests; i++) metrics.record(observations[i % 64] as Observation);
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / requests);
  }
  runs.sort((a, b) => a - b);
  return { usPerRequest: runs[Math.floor(runs.length / 2)] ?? Number.NaN, requests, repeats };
}
