import { parsePrometheusText, type PrometheusFamily } from '@aigw/testkit';
import { describe, expect, it } from 'vitest';
import { RateLimitStats } from '../src/limiter/limit-stats.js';
import { RateLimitMetrics } from '../src/prometheus.js';

function family(families: readonly PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric family ${name}`);
  return found;
}

/** The value of a family's sample, the one for a rule `key` when given. */
function value(families: readonly PrometheusFamily[], name: string, key?: string): number {
  const samples = family(families, name).samples;
  const sample = key === undefined ? samples[0] : samples.find((s) => s.labels.key === key);
  if (!sample) throw new Error(`no sample of ${name}${key === undefined ? '' : ` for ${key}`}`);
  return sample.value;
}

describe("the limiter's /metrics, read by Prometheus's reference parser", () => {
  it('exposes service and per-rule counters, typed, with escaped keys, and the store state', async () => {
    const stats = new RateLimitStats();
    let isUp = true;
    const metrics = new RateLimitMetrics(stats, () => isUp);
    stats.service.storeError = 3;
    stats.service.failOpen = 2;
    stats.limit('d.k_"v"\\x').overLimit = 2;
    stats.limit('d.other').totalHits = 40;

    const families = await parsePrometheusText((await metrics.text()).body);
    expect(family(families, 'aigw_ratelimit_store_error').type).toBe('counter');
    expect(value(families, 'aigw_ratelimit_store_error')).toBe(3);
    expect(value(families, 'aigw_ratelimit_fail_open')).toBe(2);
    expect(
      family(families, 'aigw_ratelimit_rule_over_limit').samples.map((s) => [
        s.labels.key,
        s.value,
      ]),
    ).toEqual([
      ['d.k_"v"\\x', 2],
      ['d.other', 0],
    ]);
    expect(value(families, 'aigw_ratelimit_rule_total_hits', 'd.other')).toBe(40);
    expect(value(families, 'aigw_ratelimit_store_up')).toBe(1);
    expect(family(families, 'aigw_ratelimit_process_resident_memory_bytes').type).toBe('gauge');

    // A scrape reads the counters as they are now: no double counting across scrapes.
    isUp = false;
    stats.service.storeError = 5;
    const again = await parsePrometheusText((await metrics.text()).body);
    expect(value(again, 'aigw_ratelimit_store_error')).toBe(5);
    expect(value(again, 'aigw_ratelimit_store_up')).toBe(0);
  });
});
