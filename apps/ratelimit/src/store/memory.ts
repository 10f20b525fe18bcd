import {
  isAdmitted,
  type CounterStore,
  type Increment,
  type StoreHealth,
} from './counter-store.js';

interface Counter {
  value: number;
  expiresAt: number;
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
  /** Upper bound on live counters; beyond it expired ones are swept, then the oldest dropped. */
  readonly maxKeys?: number;
}

/**
 * Counters in this process, for a standalone gateway or a single RLS replica. Keys expire like
 * Redis keys with a TTL; the map is bounded (expired keys are swept as it grows, and the oldest
 * key is evicted if it is still full, which can only under-count, never over-count).
 */
export class MemoryStore implements CounterStore {
  readonly kind = 'memory';
  readonly #counters = new Map<string, Counter>();
  readonly #now: () => number;
  readonly #maxKeys: number;
  #sweepAt: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? 1_000_000;
    this.#sweepAt = Math.min(1024, this.#maxKeys);
  }

  /** Number of live (not yet swept) counters; for tests and metrics. */
  get size(): number {
    return this.#counters.size;
  }

  incrementAll(increments: readonly Increment[]): Promise<number[]> {
    const now = this.#now();
    const values = increments.map((increment) => this.#increment(increment, now));
    return Promise.resolve(values);
  }

  health(): StoreHealth {
    return 'up';
  }

  onHealthChange(): void {
    // Always up.
  }

  close(): Promise<void> {
    this.#counters.clear();
    return Promise.resolve();
  }

  #increment(increment: Increment, now: number): number {
    let counter = this.#counters.get(increment.key);
    if (counter && counter.expiresAt <= now) {
      this.#counters.delete(increment.key);
      counter = undefined;
    }
    if (!counter) {
      if (this.#counters.size >= this.#sweepAt) this.#sweep(now);
      counter = { value: 0, expiresAt: 0 };
      this.#counters.set(increment.key, counter);
    }
    const after = counter.value + increment.hits;
    const limit = increment.reserveWithin;
    // A refused reservation leaves the counter (and its TTL) as it was.
    if (limit !== undefined && !isAdmitted({ after, hits: increment.hits, limit })) return after;
    counter.value = after;
    counter.expiresAt = now + increment.ttlSeconds * 1000;
    return after;
  }

  #sweep(now: number): void {
    for (const [key, counter] of this.#counters) {
      if (counter.expiresAt <= now) this.#counters.delete(key);
    }
    while (this.#counters.size >= this.#maxKeys) {
      const oldest = this.#counters.keys().next();
      if (oldest.done === true) break;
      this.#counters.delete(oldest.value);
    }
    // Sweep again when the live set has doubled: amortised O(1) per new key.
    this.#sweepAt = Math.min(Math.max(1024, this.#counters.size * 2), this.#maxKeys);
  }
}
