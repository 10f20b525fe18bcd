import { Histogram, type LabelValues } from 'prom-client';

/**
 * One line of a histogram as prom-client's registry formats it (`_bucket`, `_sum`, `_count`):
 * the line's own labels (`le`) and the series' labels, kept apart as prom-client's histogram does.
 */
interface HistogramLine<T extends string> {
  readonly labels: { readonly le?: number | '+Inf' };
  readonly sharedLabels: LabelValues<T>;
  readonly value: number;
  readonly metricName: string;
}

/** What prom-client's registry reads of a metric for the text format. */
interface HistogramLines<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: HistogramLine<T>[];
}

/**
 * One label set of a {@link SeriesHistogram}: recording a value costs a bucket search and three
 * additions, with no allocation.
 */
export class HistogramSeries<T extends string> {
  readonly labels: LabelValues<T>;
  readonly #bounds: readonly number[];
  /** Per bucket (not cumulative); values above the last bound are counted only in `count`. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: LabelValues<T>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  /** Records one value; a value that is not a finite number is ignored (prom-client throws). */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] ?? Infinity)) {
        this.counts[i] = (this.counts[i] ?? 0) + 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

/**
 * A prom-client {@link Histogram} whose label sets are looked up once and kept by the caller:
 * prom-client's own `observe(labels, value)` validates and hashes the label object on every call
 * (and `labels(...)` children do the same), which was most of what recording a request cost.
 * Recording goes through {@link series}; the registry formats the lines as for any histogram (the
 * same `_bucket{le}`, `_sum` and `_count` lines, cumulative buckets, `+Inf`).
 *
 * The label sets are bounded by the caller (the models are capped, routes and backends come from
 * the configuration), so the series are never evicted. prom-client's own `observe`, `labels` and
 * `reset` still work on its (unexported) storage: use {@link series} only.
 */
export class SeriesHistogram<T extends string> extends Histogram<T> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries<T>>();

  constructor(config: {
    readonly name: string;
    readonly help: string;
    readonly labelNames: readonly T[];
    readonly buckets: readonly number[];
  }) {
    super({
      ...config,
      labelNames: [...config.labelNames],
      buckets: [...config.buckets],
      registers: [],
    });
    this.#name = config.name;
    this.#help = config.help;
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
  }

  /**
   * The series of a label set, by a key the caller builds from the label values (equal keys must
   * mean equal labels); `labels` is called only the first time a key is seen.
   */
  series(key: string, labels: () => LabelValues<T>): HistogramSeries<T> {
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new HistogramSeries(labels(), this.#bounds);
      this.#series.set(key, series);
    }
    return series;
  }

  /**
   * The lines of every series. prom-client's registry reads this for the text format, and the
   * histogram's own `get()` (the registry's JSON) reads it too and merges the labels.
   */
  getForPromString(): Promise<HistogramLines<T>> {
    return Promise.resolve({
      name: this.#name,
      help: this.#help,
      type: 'histogram',
      aggregator: 'sum',
      values: [...this.#series.values()].flatMap((s) => this.#lines(s)),
    });
  }

  #lines(series: HistogramSeries<T>): HistogramLine<T>[] {
    const bucket = `${this.#name}_bucket`;
    const shared = series.labels;
    const lines: HistogramLine<T>[] = [];
    let cumulative = 0;
    for (const [i, bound] of this.#bounds.entries()) {
      cumulative += series.counts[i] ?? 0;
      lines.push({
        labels: { le: bound },
        sharedLabels: shared,
        value: cumulative,
        metricName: bucket,
      });
    }
    lines.push(
      { labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: bucket },
      { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.#name}_sum` },
      { labels: {}, sharedLabels: shared, value: series.count, metricName: `${this.#name}_count` },
    );
    return lines;
  }
}
