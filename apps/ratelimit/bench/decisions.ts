/**
 * Decisions per second and latency of ShouldRateLimit over gRPC (a Unix socket), at concurrency 1
 * and 64, against the memory store and a local Redis, next to redis-benchmark's raw INCR rate on the
 * same machine in the same run. Prints a Markdown table; not a test.
 *
 *   pnpm --filter @aigw/ratelimit bench            # 3 s per cell
 *   BENCH_SECONDS=10 pnpm --filter @aigw/ratelimit bench
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { health, ratelimit } from '@aigw/proto';
import { RateLimiter } from '../src/limiter/rate-limiter.js';
import { compileRules } from '../src/rules/compile-rules.js';
import { parseRulesFile } from '../src/rules/load-rules.js';
import { MemoryStore } from '../src/store/memory.js';
import { findBinary, spawnManaged, startRedis, tempDir, stopAll } from '@aigw/testkit';

// A bench script is an entry point like bin.ts: it may read its own environment.
// eslint-disable-next-line no-restricted-properties
const seconds = Number(process.env.BENCH_SECONDS ?? '3');
const here = fileURLToPath(new URL('.', import.meta.url));
const bin = join(here, '..', 'src', 'bin.ts');
const tsx = fileURLToPath(import.meta.resolve('tsx'));

const config = `
domain: bench
descriptors:
  - key: user
    rate_limit: {unit: minute, requests_per_unit: 1000000000}
`;

interface Cell {
  readonly store: string;
  readonly concurrency: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function startRls(
  args: readonly string[],
): Promise<{ target: string; stop: () => Promise<void> }> {
  const dir = tempDir('rl-bench');
  writeFileSync(join(dir, 'bench.yaml'), config);
  const socket = join(dir, 'rls.sock');
  const target = `unix:${socket}`;
  const proc = await spawnManaged(
    process.execPath,
    [
      ...['--import', tsx, '--conditions=@aigw/source', bin],
      ...['--address', target, '--config-dir', dir, '--log-level', 'warn', ...args],
    ],
    { name: 'ratelimit-bench' },
  );
  const client = new health.HealthClient(target, credentials.createInsecure());
  await proc.untilReady(
    () =>
      new Promise<boolean>((resolve) => {
        client.check({ service: '' }, (err: ServiceError | null) => {
          resolve(!err);
        });
      }),
    { timeoutMs: 20_000, description: 'RLS health' },
  );
  client.close();
  return { target, stop: () => proc.stop() };
}

async function measure(options: {
  target: string;
  store: string;
  concurrency: number;
}): Promise<Cell> {
  const client = new ratelimit.RateLimitServiceClient(options.target, credentials.createInsecure());
  const call = (user: number): Promise<void> =>
    new Promise((resolve, reject) => {
      client.shouldRateLimit(
        {
          domain: 'bench',
          hitsAddend: 0,
          descriptors: [{ entries: [{ key: 'user', value: String(user) }], isNegativeHits: false }],
        },
        (err: ServiceError | null) => {
          if (err) reject(err);
          else resolve();
        },
      );
    });
  // Warm up connections and the JIT.
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => call(i)));
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const worker = async (id: number): Promise<void> => {
    while (performance.now() < deadline) {
      const start = performance.now();
      await call((id * 7919 + count) % 1000);
      latencies.push(performance.now() - start);
      count++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  return {
    store: options.store,
    concurrency: options.concurrency,
    rate: count / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

async function measureStore(options: { store: string; redisUrl: string }): Promise<Cell[]> {
  const { store } = options;
  const rls = await startRls(
    store === 'redis' ? ['--store', 'redis', '--redis-url', options.redisUrl] : [],
  );
  try {
    const cells: Cell[] = [];
    for (const concurrency of [1, 64])
      cells.push(await measure({ target: rls.target, store, concurrency }));
    return cells;
  } finally {
    await rls.stop();
  }
}

/** The decision engine alone (no gRPC, no process boundary), memory store, one caller. */
async function measureInProcess(): Promise<Cell> {
  const rules = compileRules([parseRulesFile('bench.yaml', config)]);
  const limiter = new RateLimiter({
    store: new MemoryStore(),
    rules: () => rules,
    localCacheSize: 10_000,
  });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    const start = performance.now();
    await limiter.shouldRateLimit({
      domain: 'bench',
      hitsAddend: 0,
      descriptors: [
        { entries: [{ key: 'user', value: String(count % 1000) }], isNegativeHits: false },
      ],
    });
    latencies.push(performance.now() - start);
    count++;
  }
  latencies.sort((a, b) => a - b);
  const rate = count / ((performance.now() - started) / 1000);
  return {
    store: 'limiter in-process (no gRPC), memory store',
    concurrency: 1,
    rate,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

async function redisIncrRate(port: number): Promise<string> {
  const binary = join(findBinary('redis-server'), '..', 'redis-benchmark');
  const run = promisify(execFile);
  const lines: string[] = [];
  for (const clients of [1, 64]) {
    const { stdout } = await run(binary, [
      '-p',
      String(port),
      '-t',
      'incr',
      '-n',
      '100000',
      '-c',
      String(clients),
      '-q',
    ]);
    const rate = /INCR: ([\d.]+) requests per second/.exec(stdout)?.[1];
    lines.push(
      `| redis-benchmark INCR (raw, no pipeline) | ${String(clients)} | ${rate ?? stdout.trim()} | | |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const cells: Cell[] = [await measureInProcess()];
  try {
    for (const store of ['memory', 'redis']) {
      cells.push(
        ...(await measureStore({ store, redisUrl: redis.url })).map((c) => ({
          ...c,
          store: `RLS over gRPC, ${c.store} store`,
        })),
      );
    }
    const fmt = (n: number): string => n.toFixed(n < 10 ? 3 : 0);
    process.stdout.write(
      [
        `ShouldRateLimit over gRPC (Unix socket), ${String(seconds)} s per row, ${String(cpus().length)} CPUs, ${new Date().toISOString()}`,
        '',
        '| what | concurrency | decisions/s | p50 ms | p99 ms |',
        '| --- | --- | --- | --- | --- |',
        ...cells.map(
          (c) =>
            `| ${c.store} | ${String(c.concurrency)} | ${fmt(c.rate)} | ${fmt(c.p50)} | ${fmt(c.p99)} |`,
        ),
        await redisIncrRate(redis.port),
        '',
      ].join('\n'),
    );
  } finally {
    await redis.stop();
    await stopAll();
  }
}

await main();
