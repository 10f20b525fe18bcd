import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.js';

describe('MemoryStore', () => {
  it('increments, reads with 0 and expires like a Redis key with a TTL', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    expect(await store.incrementAll([{ key: 'a', hits: 2, ttlSeconds: 60 }])).toEqual([2]);
    expect(
      await store.incrementAll([
        { key: 'a', hits: 0, ttlSeconds: 60 },
        { key: 'b', hits: 5, ttlSeconds: 1 },
      ]),
    ).toEqual([2, 5]);
    now += 60_000;
    expect(await store.incrementAll([{ key: 'a', hits: 1, ttlSeconds: 60 }])).toEqual([1]);
  });

  it('stays bounded: sweeps expired keys and evicts the oldest when full', async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now, maxKeys: 2000 });
    for (let i = 0; i < 1500; i++)
      await store.incrementAll([{ key: `old${String(i)}`, hits: 1, ttlSeconds: 1 }]);
    now = 5000;
    for (let i = 0; i < 3000; i++)
      await store.incrementAll([{ key: `new${String(i)}`, hits: 1, ttlSeconds: 60 }]);
    expect(store.size).toBeLessThanOrEqual(2000);
    expect(store.health()).toBe('up');
  });
});

describe('MemoryStore reservations', () => {
  it('adds the hits only when the counter is below the limit and the sum within it', async () => {
    const store = new MemoryStore({ now: () => 0 });
    const reserve = (hits: number) =>
      store.incrementAll([{ key: 'k', hits, ttlSeconds: 60, reserveWithin: 100 }]);
    expect(await reserve(60)).toEqual([60]);
    // Refused: the value is what the counter would be; the counter is unchanged.
    expect(await reserve(50)).toEqual([110]);
    expect(await reserve(40)).toEqual([100]);
    expect(await reserve(0)).toEqual([100]);
    expect(await store.incrementAll([{ key: 'k', hits: -30, ttlSeconds: 60 }])).toEqual([70]);
  });
});
