import type { Attributes, Histogram } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  buckets,
  measure,
  modelCaps,
  type GenAiObservation,
  type ModelCaps,
  type RequestMetrics,
} from './observation.js';
import type { OtlpMetricsSettings, OtlpProtocol } from '@aigw/service-kit/otel';

/** The OpenTelemetry exporter of a protocol, loaded only for that protocol. */
async function exporterFor(protocol: OtlpProtocol): Promise<PushMetricExporter> {
  switch (protocol) {
    case 'grpc':
      return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter();
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
    case 'http/json':
      return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
  }
}

/**
 * The GenAI metrics over OTLP: the same four histograms as the Prometheus sink, under the
 * conventions' own names and attribute names (`gen_ai.client.token.usage`, `gen_ai.operation.name`,
 * …), with the conventions' bucket boundaries. Loaded (with the OpenTelemetry SDK) only when
 * {@link otlpMetricsSettings} says OTLP is on.
 */
export class OtlpGenAiMetrics implements RequestMetrics {
  readonly #provider: MeterProvider;
  readonly #caps: ModelCaps;
  readonly #tokens: Histogram;
  readonly #duration: Histogram;
  readonly #firstToken: Histogram;
  readonly #perToken: Histogram;

  private constructor(provider: MeterProvider, maxModels: number | undefined) {
    this.#provider = provider;
    this.#caps = modelCaps(maxModels);
    const meter = provider.getMeter('aigw-extproc');
    this.#tokens = meter.createHistogram('gen_ai.client.token.usage', {
      unit: '{token}',
      description: 'Tokens used per request, by type.',
      advice: { explicitBucketBoundaries: [...buckets.tokens] },
    });
    this.#duration = meter.createHistogram('gen_ai.server.request.duration', {
      unit: 's',
      description: 'Time from the request reaching the gateway to the end of its response.',
      advice: { explicitBucketBoundaries: [...buckets.duration] },
    });
    this.#firstToken = meter.createHistogram('gen_ai.server.time_to_first_token', {
      unit: 's',
      description: 'Streaming: time from the request reaching the gateway to the first chunk.',
      advice: { explicitBucketBoundaries: [...buckets.firstToken] },
    });
    this.#perToken = meter.createHistogram('gen_ai.server.time_per_output_token', {
      unit: 's',
      description: 'Streaming: time per output token after the first.',
      advice: { explicitBucketBoundaries: [...buckets.perToken] },
    });
  }

  /** Starts the periodic export of `settings`. */
  static async start(
    settings: OtlpMetricsSettings,
    options: { readonly maxModels?: number } = {},
  ): Promise<OtlpGenAiMetrics> {
    const reader = new PeriodicExportingMetricReader({
      exporter: await exporterFor(settings.protocol),
      exportIntervalMillis: settings.intervalMs,
      exportTimeoutMillis: Math.min(30_000, settings.intervalMs),
    });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
      readers: [reader],
    });
    return new OtlpGenAiMetrics(provider, options.maxModels);
  }

  record(observation: GenAiObservation): void {
    const m = measure(observation, this.#caps);
    const attributes: Attributes = {
      'gen_ai.operation.name': m.operation,
      'gen_ai.provider.name': m.provider,
      'gen_ai.request.model': m.requestModel,
      'gen_ai.response.model': m.responseModel,
      'aigw.route': m.route,
      'aigw.backend': m.backend,
    };
    this.#duration.record(
      m.durationSeconds,
      m.errorType === '' ? attributes : { ...attributes, 'error.type': m.errorType },
    );
    for (const [type, count] of m.tokens)
      this.#tokens.record(count, { ...attributes, 'gen_ai.token.type': type });
    if (m.timeToFirstTokenSeconds !== undefined)
      this.#firstToken.record(m.timeToFirstTokenSeconds, attributes);
    if (m.timePerOutputTokenSeconds !== undefined)
      this.#perToken.record(m.timePerOutputTokenSeconds, attributes);
  }

  /** Exports what is pending and stops (graceful shutdown). */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
