import { describe, expect, it } from 'vitest';
import { RateLimitStats } from './limit-stats.js';

describe('RateLimitStats', () => {
  it('bounds the number of rule keys, sending the rest to _overflow', () => {
    const stats = new RateLimitStats(2);
    stats.limit('a').totalHits++;
    stats.limit('b').totalHits++;
    stats.limit('c').totalHits++;
    stats.limit('d').totalHits++;
    expect([...stats.limits().keys()]).toEqual(['a', 'b', '_overflow']);
    expect(stats.limits().get('_overflow')?.totalHits).toBe(2);
  });

  it('exposes Prometheus text with escaped keys', () => {
    const stats = new RateLimitStats();
    stats.service.storeError = 3;
    stats.limit('d.k_"v"').overLimit = 2;
    const text = stats.toPrometheus({ store_up: 1 });
    expect(text).toContain('aigw_ratelimit_store_error_total 3\n');
    expect(text).toContain('aigw_ratelimit_store_up 1\n');
    expect(text).toContain('aigw_ratelimit_rule_over_limit_total{key="d.k_\\"v\\""} 2\n');
  });
});
