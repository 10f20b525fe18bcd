import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesHistogram } from './series-histogram.js';

const bounds = [0.1, 1, 10];
const observations: readonly (readonly [model: string, value: number])[] = [
  ['a', 0.05],
  ['a', 0.1],
  ['a', 5],
  ['a', 50],
  ['b', 1],
  ['b', 0.5],
];

/** The registry's text, its lines sorted (the two classes may order label pairs differently). */
async function lines(registry: Registry): Promise<string[]> {
  const json = await registry.getMetricsAsJSON();
  return json
    .flatMap((metric) =>
      metric.values.map((v) => {
        const labels = Object.entries(v.labels)
          .map(([k, value]) => `${k}=${String(value)}`)
          .sort()
          .join(',');
        const name = (v as { metricName?: string }).metricName ?? metric.name;
        return `${name}{${labels}} ${String(v.value)}`;
      }),
    )
    .sort();
}

describe('SeriesHistogram', () => {
  it('exports exactly what prom-client’s Histogram exports for the same observations', async () => {
    const reference = new Registry();
    const histogram = new Histogram({
      name: 'h',
      help: 'help',
      labelNames: ['model'],
      buckets: bounds,
      registers: [reference],
    });
    const ours = new Registry();
    const series = new SeriesHistogram({
      name: 'h',
      help: 'help',
      labelNames: ['model'],
      buckets: bounds,
    });
    ours.registerMetric(series);
    for (const [model, value] of observations) {
      histogram.observe({ model }, value);
      series.series(model, () => ({ model })).observe(value);
    }
    expect(await lines(ours)).toEqual(await lines(reference));
    const text = await ours.metrics();
    expect(text).toContain('# TYPE h histogram');
    expect(text).toContain('h_bucket{le="+Inf",model="a"} 4');
    expect(text).toContain('h_sum{model="b"} 1.5');
  });

  it('builds a label set once per key and ignores values that are not finite numbers', async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram({
      name: 'x',
      help: 'h',
      labelNames: ['k'],
      buckets: [1],
    });
    registry.registerMetric(histogram);
    let built = 0;
    const labels = (): { k: string } => {
      built += 1;
      return { k: 'v' };
    };
    histogram.series('v', labels).observe(0.5);
    histogram.series('v', labels).observe(Number.NaN);
    histogram.series('v', labels).observe(Number.POSITIVE_INFINITY);
    expect(built).toBe(1);
    expect(await registry.metrics()).toContain('x_count{k="v"} 1');
  });
});
