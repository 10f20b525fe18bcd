import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import {
  errorType,
  operationName,
  providerName,
  type GenAiObservation,
  type RequestMetrics,
} from './observation.js';

/** Distinct values a model label keeps before further models are counted as `_OTHER`. */
export const defaultMaxModels = 256;

/** The value past the cap (and for what is unknown), as the GenAI conventions name it. */
const other = '_OTHER';

// The conventions' advised bucket boundaries (upstream's too).
const tokenBuckets = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const durationBuckets = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const firstTokenBuckets = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60,
];
const perTokenBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];

const baseLabels = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  'gen_ai_response_model',
  'aigw_route',
  'aigw_backend',
] as const;
type BaseLabel = (typeof baseLabels)[number];

/**
 * Keeps a label's cardinality bounded: the first `max` distinct values pass, every later one is
 * `_OTHER` (a client can send any model name; routes and backends are bounded by the config).
 */
class CappedValues {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  of(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#max) return other;
    this.#seen.add(value);
    return value;
  }
}

/** Options of {@link GenAiMetrics}. */
export interface GenAiMetricsOptions {
  /** Distinct models per model label before `_OTHER` (default {@link defaultMaxModels}). */
  readonly maxModels?: number;
}

/**
 * The extproc's OpenTelemetry GenAI metrics (`gen_ai.client.token.usage`,
 * `gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`,
 * `gen_ai.server.time_per_output_token`) in Prometheus form (`gen_ai_*`, dots as underscores, the
 * unit as suffix), with the process's default metrics, on their own registry: what `GET /metrics`
 * of the admin port serves. Loaded only with `--admin-port`, so an extproc without it never loads
 * `prom-client`.
 */
export class GenAiMetrics implements RequestMetrics {
  readonly registry = new Registry();
  readonly #tokens: Histogram<BaseLabel | 'gen_ai_token_type'>;
  readonly #duration: Histogram<BaseLabel | 'error_type'>;
  readonly #firstToken: Histogram<BaseLabel>;
  readonly #perToken: Histogram<BaseLabel>;
  readonly #requestModels: CappedValues;
  readonly #responseModels: CappedValues;

  constructor(options: GenAiMetricsOptions = {}) {
    const max = options.maxModels ?? defaultMaxModels;
    this.#requestModels = new CappedValues(max);
    this.#responseModels = new CappedValues(max);
    collectDefaultMetrics({ register: this.registry, prefix: 'aigw_extproc_' });
    const registers = [this.registry];
    this.#tokens = new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per request, by type (input, output, cached_input, cache_creation_input, reasoning).',
      labelNames: [...baseLabels, 'gen_ai_token_type'],
      buckets: tokenBuckets,
      registers,
    });
    this.#duration = new Histogram({
      name: 'gen_ai_server_request_duration_seconds',
      help: 'Time from the request reaching the gateway to the end of its response.',
      labelNames: [...baseLabels, 'error_type'],
      buckets: durationBuckets,
      registers,
    });
    this.#firstToken = new Histogram({
      name: 'gen_ai_server_time_to_first_token_seconds',
      help: 'Streaming: time from the request reaching the gateway to the first response chunk.',
      labelNames: [...baseLabels],
      buckets: firstTokenBuckets,
      registers,
    });
    this.#perToken = new Histogram({
      name: 'gen_ai_server_time_per_output_token_seconds',
      help: 'Streaming: time per output token after the first, (duration - time to first token) / (output tokens - 1).',
      labelNames: [...baseLabels],
      buckets: perTokenBuckets,
      registers,
    });
  }

  record(observation: GenAiObservation): void {
    const labels: Record<BaseLabel, string> = {
      gen_ai_operation_name: operationName(observation.endpoint),
      gen_ai_provider_name: providerName(observation.schema),
      gen_ai_request_model: this.#requestModels.of(observation.requestModel),
      gen_ai_response_model: this.#responseModels.of(observation.responseModel),
      aigw_route: observation.route ?? '',
      aigw_backend: observation.backend ?? '',
    };
    this.#duration.observe(
      { ...labels, error_type: errorType(observation.status) },
      observation.durationSeconds,
    );
    const usage = observation.usage;
    if (usage) {
      const tokens = (type: string, count: number | undefined): void => {
        if (count !== undefined)
          this.#tokens.observe({ ...labels, gen_ai_token_type: type }, count);
      };
      tokens('input', usage.inputTokens);
      tokens('output', usage.outputTokens);
      // Reported only by some providers: recorded when they reported any.
      if (usage.cachedInputTokens > 0) tokens('cached_input', usage.cachedInputTokens);
      if ((usage.cacheCreationInputTokens ?? 0) > 0)
        tokens('cache_creation_input', usage.cacheCreationInputTokens);
      if (usage.reasoningTokens > 0) tokens('reasoning', usage.reasoningTokens);
    }
    const firstToken = observation.timeToFirstTokenSeconds;
    if (firstToken === undefined) return;
    this.#firstToken.observe(labels, firstToken);
    const output = usage?.outputTokens ?? 0;
    if (output > 1) {
      this.#perToken.observe(labels, (observation.durationSeconds - firstToken) / (output - 1));
    }
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
