import type { Clock } from './clock.js';

/** Options of {@link RateLimiter}; defaults are client-go's `DefaultControllerRateLimiter`. */
export interface RateLimiterOptions {
  /** First retry delay of a key; doubles on every failure of that key. Default 5 ms. */
  readonly baseDelayMs?: number;
  /** Cap of a key's delay. Default 1000 s. */
  readonly maxDelayMs?: number;
  /** Overall retries per second (token bucket refill). Default 10. */
  readonly qps?: number;
  /** Token bucket size. Default 100. */
  readonly burst?: number;
}

/**
 * How long a failed key waits before its next try: the larger of a per-key exponential backoff
 * (5 ms · 2^failures, capped at 1000 s) and an overall token bucket (10 qps, burst 100), like
 * client-go's `DefaultControllerRateLimiter`, so one bad object backs off alone while a storm of
 * failures cannot hammer the API server.
 */
export class RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly qps: number;
  private readonly burst: number;
  private tokens: number;
  private lastRefill: number;

  constructor(
    private readonly clock: Clock,
    options: RateLimiterOptions = {},
  ) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
    this.qps = options.qps ?? 10;
    this.burst = options.burst ?? 100;
    this.tokens = this.burst;
    this.lastRefill = clock.now();
  }

  /** The delay for this retry of `key` (and counts the failure). */
  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const exponential = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** failures);
    return Math.max(exponential, this.reserveToken());
  }

  /** Failures counted for `key` since it last succeeded. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets `key`'s backoff (it succeeded, or it is gone). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  private reserveToken(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.qps) / 1000);
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
}
