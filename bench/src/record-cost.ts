/**
 * What recording one finished request into the extproc's GenAI metrics costs in CPU, measured in
 * this process on the extproc's own sinks: `GenAiMetrics` (Prometheus, `@aigw/extproc/metrics`)
 * and `OtlpGenAiMetrics` (the OpenTelemetry SDK, `@aigw/extproc/otlp-metrics`, its export interval
 * an hour so that only recording is measured). The bench's end-to-end columns cannot resolve a few
 * microseconds against the machine's noise; this can. The observations are the bench's traffic:
 * one route, backend and model, half of them streamed (a time to first token and a time per output
 * token), input and output tokens.
 */
import { GenAiMetrics } from '@aigw/extproc/metrics';
import { OtlpGenAiMetrics } from '@aigw/extproc/otlp-metrics';

/** CPU microseconds per recorded request of each sink, the median of `repeats` runs. */
export interface RecordCost {
  readonly prometheusUs: number;
  readonly otlpUs: number;
  readonly requests: number;
  readonly repeats: number;
}

interface Sink {
  record(observation: Observation): void;
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

/** CPU µs per `record()` of `sink`, the median of `repeats` runs of `requests`. */
function cost(sink: Sink, requests: number, repeats: number): number {
  const observations = Array.from({ length: 64 }, (_, i) => observation(i));
  const at = (i: number): Observation => observations[i % observations.length] ?? observation(0);
  // Warm-up: the JIT and the series (created once per label set).
  for (let i = 0; i < 20_000; i++) sink.record(at(i));
  const runs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < requests; i++) sink.record(at(i));
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / requests);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)] ?? Number.NaN;
}

/** Both sinks' recording cost, each on a fresh instance. */
export async function measureRecordCost(requests = 200_000, repeats = 5): Promise<RecordCost> {
  const prometheusUs = cost(new GenAiMetrics(), requests, repeats);
  const otlp = await OtlpGenAiMetrics.start({
    protocol: 'http/protobuf',
    intervalMs: 3_600_000,
    serviceName: 'aigw-bench-record-cost',
  });
  const otlpUs = cost(otlp, requests, repeats);
  // Not awaited: its final export goes to the default endpoint (nothing listens) and would wait
  // for the exporter's timeout; the reader's timer does not hold the process.
  void otlp.shutdown().catch(() => undefined);
  return { prometheusUs, otlpUs, requests, repeats };
}
