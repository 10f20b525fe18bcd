import { Cluster, Redis, type Result } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimitError } from '../limiter/rate-limit-error.js';
import type { CounterStore, Increment, StoreHealth } from './counter-store.js';
import { parseRedisUrl, type RedisOptions, type RedisTarget } from './redis-url.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** See `parseRedisUrl` for the forms. */
  readonly url: string;
  readonly log: Logger;
  /** Per-command timeout; past it the decision falls back to the fail mode. */
  readonly timeoutMs?: number;
}

/** Reconnect delay: 50 ms doubling up to 2 s, forever (Redis may come back any time). */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 10), 2000);
}

/**
 * A reservation, atomically: the counter plus the hits is returned either way; the hits are added
 * (and the TTL set) only when the counter is below the limit and the sum within it — the rule of
 * `isAdmitted`. One key per call, so it runs on Redis Cluster too.
 */
const reserveScript = `
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
local hits = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local after = before + hits
if before < limit and after <= limit then
  redis.call('INCRBY', KEYS[1], hits)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return after
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    aigwReserve(
      key: string,
      hits: number,
      limit: number,
      ttlSeconds: number,
    ): Result<number, Context>;
  }
}

type PipelineResult = [error: Error | null, result: unknown][] | null;

/** Builds the ioredis client of a target (exported so unit tests can check Sentinel/Cluster). */
export function createRedisClient(target: RedisTarget, timeoutMs: number): Redis | Cluster {
  // Fail fast while disconnected (no offline queue): the limiter's fail mode answers instead of
  // queueing decisions that Envoy has long given up on (its default RLS timeout is 20 ms).
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1000),
    retryStrategy: reconnectDelay,
    lazyConnect: false,
  };
  if (target.type === 'cluster') {
    return new Cluster([...target.nodes], {
      ...target.options,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: { ...common, ...target.options.redisOptions },
    });
  }
  return new Redis({ ...common, ...target.options });
}

function counterValue(results: PipelineResult, index: number): number {
  const entry = results?.[index];
  if (!entry) throw new Error('short pipeline reply');
  const [error, value] = entry;
  if (error) throw error;
  return Number(value);
}

/**
 * Counters in Redis (single node, Sentinel or Cluster via ioredis): `INCRBY key hits` + `EXPIRE key
 * ttl` per matched limit, all in one pipeline (one write, one read). In Cluster mode the keys of
 * one decision may live on different nodes, so each pair is its own pipeline and ioredis'
 * auto-pipelining batches them per node. Reconnects with backoff and never throws out of an
 * event handler; a decision made while Redis is away rejects with `store_unavailable`.
 */
export class RedisStore implements CounterStore {
  readonly kind = 'redis';
  readonly #client: Redis | Cluster;
  readonly #isCluster: boolean;
  readonly #listeners: ((health: StoreHealth) => void)[] = [];
  #health: StoreHealth = 'down';

  constructor(options: RedisStoreOptions) {
    const target = parseRedisUrl(options.url);
    this.#isCluster = target.type === 'cluster';
    this.#client = createRedisClient(target, options.timeoutMs ?? 500);
    this.#client.defineCommand('aigwReserve', { numberOfKeys: 1, lua: reserveScript });
    const log = options.log.child({ component: 'redis' });
    this.#client.on('ready', () => {
      this.#setHealth('up');
      log.info('redis connected');
    });
    this.#client.on('error', (err: unknown) => {
      if (this.#health === 'up') log.warn({ err }, 'redis error');
    });
    this.#client.on('close', () => {
      if (this.#health === 'up') log.warn('redis connection lost; reconnecting');
      this.#setHealth('down');
    });
  }

  async incrementAll(increments: readonly Increment[]): Promise<number[]> {
    if (increments.length === 0) return [];
    try {
      if (this.#isCluster) {
        return await Promise.all(increments.map((increment) => this.#pipeline([increment])));
      }
      return await this.#pipelineAll(increments);
    } catch (err) {
      throw new RateLimitError('store_unavailable', 'redis unavailable', { cause: err });
    }
  }

  health(): StoreHealth {
    return this.#health;
  }

  onHealthChange(listener: (health: StoreHealth) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
    await this.#client.quit().catch(() => {
      this.#client.disconnect();
    });
  }

  async #pipelineAll(increments: readonly Increment[]): Promise<number[]> {
    const pipeline = this.#client.pipeline();
    // Where each increment's value is in the reply: a plain one is INCRBY + EXPIRE, a
    // reservation one script call.
    const at: number[] = [];
    let next = 0;
    for (const increment of increments) {
      at.push(next);
      const { key, hits, ttlSeconds, reserveWithin } = increment;
      if (reserveWithin === undefined) {
        pipeline.incrby(key, hits).expire(key, ttlSeconds);
        next += 2;
      } else {
        pipeline.aigwReserve(key, hits, reserveWithin, ttlSeconds);
        next += 1;
      }
    }
    const results: PipelineResult = await pipeline.exec();
    return at.map((index) => counterValue(results, index));
  }

  async #pipeline(increments: readonly Increment[]): Promise<number> {
    const [value] = await this.#pipelineAll(increments);
    return value ?? 0;
  }

  #setHealth(health: StoreHealth): void {
    if (health === this.#health) return;
    this.#health = health;
    for (const listener of this.#listeners) listener(health);
  }
}
