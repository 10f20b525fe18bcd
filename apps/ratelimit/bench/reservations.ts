/**
 * Limiter decisions per second with token reservations against plain counting (docs/budgets.md),
 * in process (no gRPC: the decision and the store only), on the memory store and a local Redis,
 * at concurrency 1 and 64. A "plain" decision is envoyproxy/ratelimit's (INCRBY + EXPIRE); a
 * "reserve" one the admission (one Lua script); a "reserve + reconcile" pair counts the
 * stream-done call too (two decisions per request, reported per request). Beside the rates: the
 * latency of one request at c=1 (p50/p99, what the limiter adds to a request's path) and, on
 * Redis, the commands per request (Redis's own `INFO stats` count over the c=1 cell, commands run
 * inside the reservation script included). Round trips are one per decision by construction: a
 * decision's increments go out as one pipeline (`RedisStore`).
 * Prints a Markdown table; not a test.
 *
 *   pnpm --filter @aigw/ratelimit exec tsx --conditions=@aigw/source bench/reservations.ts [--seconds 3]
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { ratelimit } from '@aigw/proto';
import { startRedis, stopAll } from '@aigw/testkit';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RateLimiter } from '../src/limiter/rate-limiter.js';
import { compileRules } from '../src/rules/compile-rules.js';
import { parseRulesFile } from '../src/rules/load-rules.js';
import type { CounterStore } from '../src/store/counter-store.js';
import { MemoryStore } from '../src/store/memory.js';
import { RedisStore } from '../src/store/redis.js';

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const seconds = Number(flags.seconds);

const rules = compileRules([
  parseRulesFile(
    'bench.yaml',
    `domain: bench\ndescriptors:\n  - key: user\n    rate_limit: {unit: hour, requests_per_unit: 4000000000}\n`,
  ),
]);

type Mode = 'plain' | 'reserve' | 'reserve + reconcile';

function request(
  user: number,
  extra: readonly [string, string] | undefined,
  hits: number,
): ratelimit.RateLimitRequest {
  const entries = [{ key: 'user', value: String(user % 1000) }];
  if (extra) entries.push({ key: extra[0], value: extra[1] });
  return {
    domain: 'bench',
    hitsAddend: 0,
    descriptors: [{ entries, isNegativeHits: false, hitsAddend: BigInt(hits) }],
  };
}

async function once(limiter: RateLimiter, mode: Mode, user: number): Promise<void> {
  if (mode === 'plain') {
    await limiter.shouldRateLimit(request(user, undefined, 30));
    return;
  }
  const admitted = await limiter.shouldRateLimit(request(user, ['aigw_reserve', '1'], 30));
  if (mode === 'reserve') return;
  const reserved = String(admitted.dynamicMetadata?.aigw_reserved ?? '0');
  await limiter.shouldRateLimit(request(user, ['aigw_reserved', reserved], 18));
}

/** One cell: requests per second, and each request's latency (ms). */
interface Cell {
  readonly rate: number;
  readonly requests: number;
  readonly latencyMs: number[];
}

async function measure(options: {
  store: CounterStore;
  mode: Mode;
  concurrency: number;
}): Promise<Cell> {
  const limiter = new RateLimiter({ store: options.store, rules: () => rules });
  const until = performance.now() + seconds * 1000;
  const latencyMs: number[] = [];
  const worker = async (id: number): Promise<void> => {
    for (let i = id; performance.now() < until; i += options.concurrency) {
      const start = performance.now();
      await once(limiter, options.mode, i);
      latencyMs.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, id) => worker(id)));
  return { rate: Math.round(latencyMs.length / seconds), requests: latencyMs.length, latencyMs };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Commands Redis has processed (`INFO stats` total_commands_processed). */
async function redisCommands(admin: Redis): Promise<number> {
  const info = await admin.info('stats');
  const match = /total_commands_processed:(\d+)/.exec(info);
  return Number(match?.[1] ?? Number.NaN);
}

const quiet = pino(
  { level: 'silent' },
  new Writable({
    write: (_c, _e, cb) => {
      cb();
    },
  }),
);

const redis = await startRedis();
const admin = new Redis(redis.url);
try {
  const stores: Record<string, CounterStore> = {
    memory: new MemoryStore(),
    redis: new RedisStore({ url: redis.url, log: quiet }),
  };
  while (stores.redis?.health() !== 'up') await new Promise((resolve) => setImmediate(resolve));
  const rows = [
    '| store | mode | c=1 (req/s) | c=64 (req/s) | c=1 p50 / p99 (ms) | Redis commands per request |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  const ms = (n: number): string => n.toFixed(3);
  for (const [name, store] of Object.entries(stores)) {
    for (const mode of ['plain', 'reserve', 'reserve + reconcile'] as const) {
      const before = await redisCommands(admin);
      const c1 = await measure({ store, mode, concurrency: 1 });
      // The INFO call itself is one command.
      const commands = (await redisCommands(admin)) - before - 1;
      const c64 = await measure({ store, mode, concurrency: 64 });
      const perRequest = name === 'redis' ? (commands / c1.requests).toFixed(2) : '—';
      rows.push(
        `| ${name} | ${mode} | ${c1.rate.toLocaleString('en-US')} | ${c64.rate.toLocaleString('en-US')} | ${ms(percentile(c1.latencyMs, 50))} / ${ms(percentile(c1.latencyMs, 99))} | ${perRequest} |`,
      );
    }
    await store.close();
  }
  console.log(rows.join('\n'));
} finally {
  admin.disconnect();
  await stopAll();
}
