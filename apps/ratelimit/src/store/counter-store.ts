/** One counter to bump: `INCRBY key hits` then `EXPIRE key ttlSeconds`. */
export interface Increment {
  readonly key: string;
  /** May be 0 ("check only"): the current value is read without changing it. */
  readonly hits: number;
  readonly ttlSeconds: number;
  /**
   * A reservation against this limit: the hits are added only when {@link isAdmitted} says so
   * (atomically: one Lua script in Redis). The value returned is the counter plus the hits either
   * way, so the caller can tell an admitted reservation from a refused one with the same rule.
   */
  readonly reserveWithin?: number;
}

/**
 * Whether a reservation of `hits` is admitted, given `after` (counter + hits): the counter was
 * below the limit and the reservation fits in what is left. The stores apply exactly this rule.
 */
export function isAdmitted(options: { after: number; hits: number; limit: number }): boolean {
  const { after, hits, limit } = options;
  return after - hits < limit && after <= limit;
}

/** Store health as reported to gRPC health and metrics. */
export type StoreHealth = 'up' | 'down';

/**
 * Where fixed-window counters live. One call per decision: every matched limit's increment goes
 * out together (one Redis pipeline, one round trip) and the values after incrementing come back
 * in the same order. Rejects when the store cannot answer; the limiter applies the fail mode.
 */
export interface CounterStore {
  readonly kind: 'memory' | 'redis';
  incrementAll(increments: readonly Increment[]): Promise<number[]>;
  /** Current health; `onHealthChange` is told about every transition. */
  health(): StoreHealth;
  onHealthChange(listener: (health: StoreHealth) => void): void;
  close(): Promise<void>;
}
