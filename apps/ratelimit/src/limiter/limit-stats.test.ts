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
});
