import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  listenAddressSchema,
  loadConfig as load,
  millisecondsSchema,
  type ConfigKey,
} from '@aigw/service-kit';

const booleanFlag = z.stringbool().default(false);

/** Configuration of the Envoy rate-limit service (RLS v3): flags and environment through one schema. */
export const ConfigSchema = z
  .strictObject({
    ...commonConfigShape,
    /** gRPC listen address: `host:port`, `:port` or `unix:/path.sock`. */
    address: listenAddressSchema.default(':8081'),
    /** Directory of envoyproxy/ratelimit YAML files (`*.yaml`, `*.yml`); none = no limits. */
    configDir: z.string().min(1).optional(),
    /**
     * Merge config files that name the same domain instead of refusing them (envoyproxy/ratelimit's
     * `MERGE_DOMAIN_CONFIG`); a `key`/`value` defined at the top level of two files is still refused.
     */
    mergeDomainConfig: booleanFlag,
    /** How often the config directory is checked for changes. */
    configPollMs: millisecondsSchema.default(500),
    /** Where counters live: this process (`memory`) or Redis. */
    store: z.enum(['memory', 'redis']).default('memory'),
    /** `redis://…`, `rediss://…`, `unix:/…`, `redis+sentinel://…/<master>`, `redis+cluster://…`. */
    redisUrl: z.string().min(1).optional(),
    /** Prefix of every counter key (envoyproxy/ratelimit's CACHE_KEY_PREFIX). */
    redisPrefix: z.string().default(''),
    /** Per-command Redis timeout. */
    redisTimeoutMs: millisecondsSchema.default(500),
    /** What to answer when the store is unreachable: allow (`open`) or deny (`closed`). */
    failMode: z.enum(['open', 'closed']).default('open'),
    /** Global shadow mode: count, but never answer OVER_LIMIT. */
    shadowMode: booleanFlag,
    /** Global quota mode: over limit only when every descriptor is. */
    quotaMode: booleanFlag,
    /** Add `x-ratelimit-limit/-remaining/-reset` to responses. */
    responseHeaders: booleanFlag,
    /** Return envoyproxy/ratelimit's dynamic metadata (descriptors, quota violations, metadata). */
    responseDynamicMetadata: booleanFlag,
    /** Fraction of a limit past which hits count as near-limit. */
    nearLimitRatio: z.coerce.number().min(0).max(1).default(0.8),
    /** Entries of the cache of keys known to be over limit (0 disables it). */
    localCacheSize: z.coerce.number().int().min(0).default(10_000),
    /** Random extra TTL (seconds) on counter keys. */
    expirationJitterMaxSeconds: z.coerce.number().int().min(0).default(300),
    /** Optional HTTP address for `/metrics` (Prometheus text) and `/healthz`. */
    metricsAddress: z.string().min(1).optional(),
  })
  .refine((config) => config.store !== 'redis' || config.redisUrl !== undefined, {
    path: ['redisUrl'],
    error: '--store redis needs --redis-url',
  });

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

const prefix = 'AIGW_RATELIMIT_';
const keys: Record<keyof Config, ConfigKey> = {
  ...commonConfigKeys,
  address: { flag: 'address', env: `${prefix}ADDRESS` },
  configDir: { flag: 'config-dir', env: `${prefix}CONFIG_DIR` },
  mergeDomainConfig: {
    flag: 'merge-domain-config',
    env: `${prefix}MERGE_DOMAIN_CONFIG`,
    boolean: true,
  },
  configPollMs: { flag: 'config-poll-ms', env: `${prefix}CONFIG_POLL_MS` },
  store: { flag: 'store', env: `${prefix}STORE` },
  redisUrl: { flag: 'redis-url', env: `${prefix}REDIS_URL` },
  redisPrefix: { flag: 'redis-prefix', env: `${prefix}REDIS_PREFIX` },
  redisTimeoutMs: { flag: 'redis-timeout-ms', env: `${prefix}REDIS_TIMEOUT_MS` },
  failMode: { flag: 'fail-mode', env: `${prefix}FAIL_MODE` },
  shadowMode: { flag: 'shadow-mode', env: `${prefix}SHADOW_MODE`, boolean: true },
  quotaMode: { flag: 'quota-mode', env: `${prefix}QUOTA_MODE`, boolean: true },
  responseHeaders: { flag: 'response-headers', env: `${prefix}RESPONSE_HEADERS`, boolean: true },
  responseDynamicMetadata: {
    flag: 'response-dynamic-metadata',
    env: `${prefix}RESPONSE_DYNAMIC_METADATA`,
    boolean: true,
  },
  nearLimitRatio: { flag: 'near-limit-ratio', env: `${prefix}NEAR_LIMIT_RATIO` },
  localCacheSize: { flag: 'local-cache-size', env: `${prefix}LOCAL_CACHE_SIZE` },
  expirationJitterMaxSeconds: {
    flag: 'expiration-jitter-max-seconds',
    env: `${prefix}EXPIRATION_JITTER_MAX_SECONDS`,
  },
  metricsAddress: { flag: 'metrics-address', env: `${prefix}METRICS_ADDRESS` },
};

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  return load({ schema: ConfigSchema, keys, argv, env }).config;
}
