import { createLogger, type GrpcService, type MainArgs } from '@aigw/service-kit';
import type { Logger } from 'pino';
import { loadConfig, type Config } from './config.js';
import { RateLimitStats } from './limiter/limit-stats.js';
import { RateLimiter } from './limiter/rate-limiter.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { RulesWatcher } from './rules/rules-watcher.js';
import { startRateLimitServer } from './server.js';
import type { CounterStore } from './store/counter-store.js';
import { MemoryStore } from './store/memory.js';

/** A running rate-limit service. */
export interface RateLimitService extends GrpcService {
  readonly limiter: RateLimiter;
  readonly rules: RulesWatcher;
  readonly store: CounterStore;
  readonly metrics: MetricsServer | undefined;
}

/** The Redis store (and ioredis, ~4 MiB of RSS) loads only when the config asks for it. */
async function createStore(config: Config, log: Logger): Promise<CounterStore> {
  if (config.store === 'redis' && config.redisUrl !== undefined) {
    const { RedisStore } = await import('./store/redis.js');
    return new RedisStore({ url: config.redisUrl, log, timeoutMs: config.redisTimeoutMs });
  }
  return new MemoryStore();
}

/** Logs store failures at most once per second (a Redis outage fails every decision). */
function throttledStoreErrorLog(log: Logger): (err: unknown) => void {
  let last = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    log.warn({ err }, 'counter store unavailable; applying the fail mode');
  };
}

/**
 * Starts the Envoy rate-limit service (RLS v3) from flags and environment: loads the config
 * directory (refusing to start on a bad one), connects the store (Redis may come later: decisions
 * use the fail mode until then), and serves ShouldRateLimit + health until closed.
 */
export async function main(args: MainArgs): Promise<RateLimitService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-ratelimit',
    level: config.logLevel,
    format: config.logFormat,
  });
  return startRateLimitService({ config, log });
}

/** {@link main} without flag parsing: for tests and embedding. */
export async function startRateLimitService(options: {
  config: Config;
  log: Logger;
  now?: () => number;
}): Promise<RateLimitService> {
  const { config, log } = options;
  const stats = new RateLimitStats();
  const rules = new RulesWatcher({
    dir: config.configDir,
    log,
    intervalMs: config.configPollMs,
    mergeDomains: config.mergeDomainConfig,
    onLoad: (outcome) => {
      if (outcome === 'success') stats.service.configLoadSuccess++;
      else stats.service.configLoadError++;
    },
  });
  await rules.start();
  const store = await createStore(config, log);
  const limiter = new RateLimiter({
    store,
    stats,
    rules: () => rules.current,
    keyPrefix: config.redisPrefix,
    failMode: config.failMode,
    shadowMode: config.shadowMode,
    quotaMode: config.quotaMode,
    responseHeaders: config.responseHeaders,
    responseDynamicMetadata: config.responseDynamicMetadata,
    nearLimitRatio: config.nearLimitRatio,
    localCacheSize: config.localCacheSize,
    expirationJitterMaxSeconds: config.store === 'redis' ? config.expirationJitterMaxSeconds : 0,
    onStoreError: throttledStoreErrorLog(log),
    ...(options.now ? { now: options.now } : {}),
  });
  const server = await startRateLimitServer({ address: config.address, log, limiter, store });
  const metrics =
    config.metricsAddress === undefined
      ? undefined
      : await startMetricsServer({ address: config.metricsAddress, limiter, store, log });
  return {
    ...server,
    limiter,
    rules,
    store,
    metrics,
    close: async () => {
      rules.close();
      await server.close();
      await metrics?.close();
      await store.close();
    },
  };
}

export {
  RateLimiter,
  responseHeaderNames,
  hitsFor,
  type RateLimiterOptions,
  type FailMode,
} from './limiter/rate-limiter.js';
export { rateLimitServiceName, startRateLimitServer } from './server.js';
export { ConfigSchema, loadConfig, type Config } from './config.js';
export { MemoryStore } from './store/memory.js';
export type { RedisStore } from './store/redis.js';
export { loadRulesDir, parseRulesFile } from './rules/load-rules.js';
export { isRulesError, RulesError } from './rules/rules-error.js';
