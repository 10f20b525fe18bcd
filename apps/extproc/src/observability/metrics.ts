import { Histogram, Registry } from 'prom-client';
import {
  buckets,
  measure,
  modelCaps,
  type GenAiObservation,
  type ModelCaps,
  type RequestMetrics,
} from './observation.js';
import { registerProcessMetrics } from './process-metrics.js';

export { defaultMaxModels } from './observation.js';

const baseLabels = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
  'gen_ai_response_model',
  'aigw_route',
  'aigw_backend',
] as const;
type BaseLabel = (typeof baseLabels)[number];

/** Options of {@link GenAiMetrics}. */
export interface GenAiMetricsOptions {
  /** Distinct models per model label before `_OTHER` (default {@link defaultMaxModels}). */
  readonly maxModels?: number;
}

/**
 * The extproc's OpenTelemetry GenAI metrics (`gen_ai.client.token.usage`,
 * `gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`,
 * `gen_ai.server.time_per_output_token`) in Prometheus form (`gen_ai_*`, dots as underscores, the
 * unit as suffix), with the process's own metrics (`process-metrics.ts`), on their own registry: what `GET /metrics`
 * of the admin port serves. Loaded only with `--admin-port`, so an extproc without it never loads
 * `prom-client`.
 */
export class GenAiMetrics implements RequestMetrics {
  readonly registry = new Registry();
  readonly #tokens: Histogram<BaseLabel | 'gen_ai_token_type'>;
  readonly #duration: Histogram<BaseLabel | 'error_type'>;
  readonly #firstToken: Histogram<BaseLabel>;
  readonly #perToken: Histogram<BaseLabel>;
  readonly #caps: ModelCaps;

  constructor(options: GenAiMetricsOptions = {}) {
    this.#caps = modelCaps(options.maxModels);
    registerProcessMetrics(this.registry, 'aigw_extproc_');
    const registers = [this.registry];
    this.#tokens = new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per request, by type (input, output, cached_input, cache_creation_input, reasoning).',
      labelNames: [...baseLabels, 'gen_ai_token_type'],
      buckets: [...buckets.tokens],
      registers,
    });
    this.#duration = new Histogram({
      name: 'gen_ai_server_request_duration_seconds',
      help: 'Time from the request reaching the gateway to the end of its response.',
      labelNames: [...baseLabels, 'error_type'],
      buckets: [...buckets.duration],
      registers,
    });
    this.#firstToken = new Histogram({
      name: 'gen_ai_server_time_to_first_token_seconds',
      help: 'Streaming: time from the request reaching the gateway to the first response chunk.',
      labelNames: [...baseLabels],
      buckets: [...buckets.firstToken],
      registers,
    });
    this.#perToken = new Histogram({
      name: 'gen_ai_server_time_per_output_token_seconds',
      help: 'Streaming: time per output token after the first, (duration - time to first token) / (output tokens - 1).',
      labelNames: [...baseLabels],
      buckets: [...buckets.perToken],
      registers,
    });
  }

  record(observation: GenAiObservation): void {
    const m = measure(observation, this.#caps);
    const labels: Record<BaseLabel, string> = {
      gen_ai_operation_name: m.operation,
      gen_ai_provider_name: m.provider,
      gen_ai_request_model: m.requestModel,
      gen_ai_response_model: m.responseModel,
      aigw_route: m.route,
      aigw_backend: m.backend,
    };
    this.#duration.observe({ ...labels, error_type: m.errorType }, m.durationSeconds);
    for (const [type, count] of m.tokens)
      this.#tokens.observe({ ...labels, gen_ai_token_type: type }, count);
    if (m.timeToFirstTokenSeconds !== undefined)
      this.#firstToken.observe(labels, m.timeToFirstTokenSeconds);
    if (m.timePerOutputTokenSeconds !== undefined)
      this.#perToken.observe(labels, m.timePerOutputTokenSeconds);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
