import { Registry, type LabelValues } from 'prom-client';
import {
  buckets,
  measure,
  modelCaps,
  type GenAiMeasurements,
  type GenAiObservation,
  type ModelCaps,
  type RequestMetrics,
} from './observation.js';
import { registerProcessMetrics } from './process-metrics.js';
import { SeriesHistogram, type HistogramSeries } from './series-histogram.js';

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
type TokenLabel = BaseLabel | 'gen_ai_token_type';
type DurationLabel = BaseLabel | 'error_type';

/** The series of one set of base labels, with those of its error types and token types. */
interface RequestSeries {
  readonly labels: LabelValues<BaseLabel>;
  readonly key: string;
  readonly duration: Map<string, HistogramSeries<DurationLabel>>;
  readonly tokens: Map<string, HistogramSeries<TokenLabel>>;
  firstToken: HistogramSeries<BaseLabel> | undefined;
  perToken: HistogramSeries<BaseLabel> | undefined;
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
 * unit as suffix), with the process's own metrics (`process-metrics.ts`), on their own registry: what `GET /metrics`
 * of the admin port serves. Loaded only with `--admin-port`, so an extproc without it never loads
 * `prom-client`.
 */
export class GenAiMetrics implements RequestMetrics {
  readonly registry = new Registry();
  readonly #tokens: SeriesHistogram<TokenLabel>;
  readonly #duration: SeriesHistogram<DurationLabel>;
  readonly #firstToken: SeriesHistogram<BaseLabel>;
  readonly #perToken: SeriesHistogram<BaseLabel>;
  readonly #caps: ModelCaps;
  /** By the base labels' values joined: each is looked up once per request. */
  readonly #series = new Map<string, RequestSeries>();

  constructor(options: GenAiMetricsOptions = {}) {
    this.#caps = modelCaps(options.maxModels);
    registerProcessMetrics(this.registry, 'aigw_extproc_');
    this.#tokens = new SeriesHistogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per request, by type (input, output, cached_input, cache_creation_input, reasoning).',
      labelNames: [...baseLabels, 'gen_ai_token_type'],
      buckets: buckets.tokens,
    });
    this.#duration = new SeriesHistogram({
      name: 'gen_ai_server_request_duration_seconds',
      help: 'Time from the request reaching the gateway to the end of its response.',
      labelNames: [...baseLabels, 'error_type'],
      buckets: buckets.duration,
    });
    this.#firstToken = new SeriesHistogram({
      name: 'gen_ai_server_time_to_first_token_seconds',
      help: 'Streaming: time from the request reaching the gateway to the first response chunk.',
      labelNames: [...baseLabels],
      buckets: buckets.firstToken,
    });
    this.#perToken = new SeriesHistogram({
      name: 'gen_ai_server_time_per_output_token_seconds',
      help: 'Streaming: time per output token after the first, (duration - time to first token) / (output tokens - 1).',
      labelNames: [...baseLabels],
      buckets: buckets.perToken,
    });
    for (const histogram of [this.#tokens, this.#duration, this.#firstToken, this.#perToken])
      this.registry.registerMetric(histogram);
  }

  record(observation: GenAiObservation): void {
    const m = measure(observation, this.#caps);
    const series = this.#seriesOf(m);
    this.#errorSeries(series, m.errorType).observe(m.durationSeconds);
    for (const [type, count] of m.tokens) this.#tokenSeries(series, type).observe(count);
    if (m.timeToFirstTokenSeconds !== undefined) {
      series.firstToken ??= this.#firstToken.series(series.key, () => series.labels);
      series.firstToken.observe(m.timeToFirstTokenSeconds);
    }
    if (m.timePerOutputTokenSeconds !== undefined) {
      series.perToken ??= this.#perToken.series(series.key, () => series.labels);
      series.perToken.observe(m.timePerOutputTokenSeconds);
    }
  }

  /** The series of a request's base labels: one string key and one map lookup per request. */
  #seriesOf(m: GenAiMeasurements): RequestSeries {
    // NUL cannot appear in a header-derived value twice in a row, so the join is unambiguous.
    const key = `${m.operation}\0${m.provider}\0${m.requestModel}\0${m.responseModel}\0${m.route}\0${m.backend}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = {
        key,
        labels: {
          gen_ai_operation_name: m.operation,
          gen_ai_provider_name: m.provider,
          gen_ai_request_model: m.requestModel,
          gen_ai_response_model: m.responseModel,
          aigw_route: m.route,
          aigw_backend: m.backend,
        },
        duration: new Map(),
        tokens: new Map(),
        firstToken: undefined,
        perToken: undefined,
      };
      this.#series.set(key, series);
    }
    return series;
  }

  #errorSeries(series: RequestSeries, errorType: string): HistogramSeries<DurationLabel> {
    let found = series.duration.get(errorType);
    if (found === undefined) {
      found = this.#duration.series(`${series.key}\0${errorType}`, () => ({
        ...series.labels,
        error_type: errorType,
      }));
      series.duration.set(errorType, found);
    }
    return found;
  }

  #tokenSeries(series: RequestSeries, type: string): HistogramSeries<TokenLabel> {
    let found = series.tokens.get(type);
    if (found === undefined) {
      found = this.#tokens.series(`${series.key}\0${type}`, () => ({
        ...series.labels,
        gen_ai_token_type: type,
      }));
      series.tokens.set(type, found);
    }
    return found;
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
