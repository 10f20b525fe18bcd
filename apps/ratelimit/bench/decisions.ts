/**
 * Decisions per second and latency of ShouldRateLimit over gRPC (a Unix socket), at concurrency 1
 * and 64, against the memory store and a local Redis, next to redis-benchmark's raw INCR rate on the
 * same machine in the same run; and the limiter process's resident memory (idle, under load, after
 * load). Prints a Markdown table; not a test.
 *
 *   pnpm --filter @aigw/ratelimit bench                  # 3 s per row
 *   pnpm --filter @aigw/ratelimit bench --seconds 10
 *
 * The gateway suite (`pnpm bench`, bench/src/ratelimit.ts) runs this file as a child process:
 *
 *   --json-out <file>       also write the figures as JSON
 *   --from dist             run the service from apps/ratelimit/dist (as deployed; build first)
 *   --redis-requests <n>    redis-benchmark requests per row (100000)
 *   --soak-minutes <m>      instead: load the memory-store service at c=16 for m minutes and append
 *                           one JSON line per --sample-seconds (60) to --json-out
 *   --peer-bin <path>       also run envoyproxy/ratelimit (its service_cmd binary, built by
 *                           bench/scripts/install-peers.sh) against the same Redis with the same
 *                           config and this same gRPC client, alternating slices with ours at c=1,
 *                           16 and 64; check both give the same OK/OVER_LIMIT sequence
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { health, ratelimit } from '@aigw/proto';
import { RateLimiter } from '../src/limiter/rate-limiter.js';
import { compileRules } from '../src/rules/compile-rules.js';
import { parseRulesFile } from '../src/rules/load-rules.js';
import { MemoryStore } from '../src/store/memory.js';
import {
  findBinary,
  getFreePort,
  spawnManaged,
  startRedis,
  tempDir,
  stopAll,
  type ManagedProcess,
} from '@aigw/testkit';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string' },
    'json-out': { type: 'string' },
    from: { type: 'string', default: 'source' },
    'redis-requests': { type: 'string', default: '100000' },
    'soak-minutes': { type: 'string' },
    'sample-seconds': { type: 'string', default: '60' },
    'peer-bin': { type: 'string' },
  },
});
// A bench script is an entry point like bin.ts: it may read its own environment.
// eslint-disable-next-line no-restricted-properties
const seconds = Number(flags.seconds ?? process.env.BENCH_SECONDS ?? '3');
const redisRequests = Number(flags['redis-requests']);
const here = fileURLToPath(new URL('.', import.meta.url));
const appDir = join(here, '..');
const tsx = fileURLToPath(import.meta.resolve('tsx'));

const config = `
domain: bench
descriptors:
  - key: user
    rate_limit: {unit: minute, requests_per_unit: 1000000000}
  - key: tight
    rate_limit: {unit: hour, requests_per_unit: 3}
`;

interface Cell {
  readonly store: string;
  readonly concurrency: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

/** The service process's resident memory (MiB): after start, the maximum under load, after. */
interface RssFigures {
  idle: number;
  underLoad: number;
  afterLoad: number;
}

/** What `--json-out` holds (table mode). */
interface DecisionsReport {
  readonly seconds: number;
  readonly cells: readonly Cell[];
  /** redis-benchmark INCR requests/s by client count. */
  readonly redisIncr: Readonly<Record<string, number>>;
  /** Limiter RSS per store. */
  readonly rss: Readonly<Record<string, RssFigures>>;
  /** Ours against envoyproxy/ratelimit (`--peer-bin`), both on the same Redis. */
  readonly peer?: PeerReport | undefined;
}

/** One concurrency of the limiter peer comparison. */
interface PeerCell {
  readonly concurrency: number;
  readonly ours: { rate: number; p50: number; p99: number };
  readonly theirs: { rate: number; p50: number; p99: number };
}

/** Ours (Redis store) against envoyproxy/ratelimit on the same Redis, alternating. */
interface PeerReport {
  readonly cells: readonly PeerCell[];
  readonly rss: { readonly ours: RssFigures; readonly theirs: RssFigures };
  /** OK/OVER_LIMIT sequences of 6 hits on a 3-per-hour descriptor, and how many differ. */
  readonly sequence: { readonly ours: string[]; readonly theirs: string[]; mismatches: number };
  /** Both services' settings that differ from the defaults (for the record). */
  readonly settings: { readonly ours: string[]; readonly theirs: string[] };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function rssMb(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return kb?.[1] === undefined ? Number.NaN : Number(kb[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

interface Rls {
  readonly target: string;
  readonly pid: number;
  readonly stop: () => Promise<void>;
}

/** The limiter's Node flags as the chart (`ratelimit.nodeOptions`) and `aigw run` give them. */
const limiterNodeFlags = ['--max-semi-space-size=4'];

function serviceCommand(): string[] {
  if (flags.from === 'dist') return [...limiterNodeFlags, join(appDir, 'dist', 'bin.js')];
  return [
    ...limiterNodeFlags,
    '--import',
    tsx,
    '--conditions=@aigw/source',
    join(appDir, 'src', 'bin.ts'),
  ];
}

async function untilServing(proc: ManagedProcess, target: string): Promise<void> {
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
}

async function startRls(args: readonly string[]): Promise<Rls> {
  const dir = tempDir('rl-bench');
  writeFileSync(join(dir, 'bench.yaml'), config);
  const socket = join(dir, 'rls.sock');
  const target = `unix:${socket}`;
  const proc = await spawnManaged(
    process.execPath,
    [
      ...serviceCommand(),
      ...['--address', target, '--config-dir', dir, '--log-level', 'warn', ...args],
    ],
    { name: 'ratelimit-bench' },
  );
  await untilServing(proc, target);
  return { target, pid: proc.pid, stop: () => proc.stop() };
}

/**
 * envoyproxy/ratelimit on a Unix socket (GRPC_UDS), the same YAML under its runtime directory,
 * the same Redis over TCP; statsd off (nothing listens for it here), everything else its defaults
 * (so its over-limit local cache is off: LOCAL_CACHE_SIZE_IN_BYTES=0).
 */
async function startPeerRls(bin: string, redisPort: number): Promise<Rls> {
  const dir = tempDir('rl-peer');
  mkdirSync(join(dir, 'runtime', 'ratelimit', 'config'), { recursive: true });
  writeFileSync(join(dir, 'runtime', 'ratelimit', 'config', 'bench.yaml'), config);
  const socket = join(dir, 'rls.sock');
  const [port, grpcPort, debugPort] = [
    await getFreePort(),
    await getFreePort(),
    await getFreePort(),
  ];
  const proc = await spawnManaged(bin, [], {
    name: 'peer-envoy-ratelimit',
    env: {
      GRPC_UDS: socket,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HOST: '127.0.0.1',
      PORT: String(port),
      DEBUG_HOST: '127.0.0.1',
      DEBUG_PORT: String(debugPort),
      USE_STATSD: 'false',
      LOG_LEVEL: 'warn',
      RUNTIME_ROOT: join(dir, 'runtime'),
      RUNTIME_SUBDIRECTORY: 'ratelimit',
      RUNTIME_WATCH_ROOT: 'false',
      REDIS_SOCKET_TYPE: 'tcp',
      REDIS_URL: `127.0.0.1:${String(redisPort)}`,
    },
  });
  const target = `unix:${socket}`;
  await untilServing(proc, target);
  return { target, pid: proc.pid, stop: () => proc.stop() };
}

type Decide = (user: number) => Promise<void>;

function decider(client: ratelimit.RateLimitServiceClient): Decide {
  return (user) =>
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
}

/** `concurrency` callers in a closed loop for `durationS`; every decision's latency. */
async function closedLoop(
  call: Decide,
  shape: { concurrency: number; durationS: number },
): Promise<{ latencies: number[]; elapsedS: number }> {
  const latencies: number[] = [];
  const deadline = performance.now() + shape.durationS * 1000;
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
  await Promise.all(Array.from({ length: shape.concurrency }, (_, i) => worker(i)));
  return { latencies, elapsedS: (performance.now() - started) / 1000 };
}

async function measure(options: { rls: Rls; store: string; concurrency: number }): Promise<Cell> {
  const client = new ratelimit.RateLimitServiceClient(
    options.rls.target,
    credentials.createInsecure(),
  );
  const call = decider(client);
  // Warm up connections and the JIT.
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => call(i)));
  const { latencies, elapsedS } = await closedLoop(call, {
    concurrency: options.concurrency,
    durationS: seconds,
  });
  client.close();
  latencies.sort((a, b) => a - b);
  return {
    store: options.store,
    concurrency: options.concurrency,
    rate: latencies.length / elapsedS,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** Measures one store at c=1 and c=64, sampling the service's RSS around and during the load. */
async function measureStore(options: {
  store: string;
  redisUrl: string;
}): Promise<{ cells: Cell[]; rss: RssFigures }> {
  const { store } = options;
  const rls = await startRls(
    store === 'redis' ? ['--store', 'redis', '--redis-url', options.redisUrl] : [],
  );
  const rss: RssFigures = { idle: rssMb(rls.pid), underLoad: Number.NaN, afterLoad: Number.NaN };
  const sampler = setInterval(() => {
    const mb = rssMb(rls.pid);
    rss.underLoad = Number.isNaN(rss.underLoad) ? mb : Math.max(rss.underLoad, mb);
  }, 100);
  try {
    const cells: Cell[] = [];
    for (const concurrency of [1, 64]) cells.push(await measure({ rls, store, concurrency }));
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    rss.afterLoad = rssMb(rls.pid);
    return { cells, rss };
  } finally {
    clearInterval(sampler);
    await rls.stop();
  }
}

const codeNames: Readonly<Record<number, string>> = { 0: 'UNKNOWN', 1: 'OK', 2: 'OVER_LIMIT' };

/** Six hits on the 3-per-hour descriptor: the codes each gets (OK, OK, OK, OVER_LIMIT × 3). */
async function sequenceOf(target: string, value: string): Promise<string[]> {
  const client = new ratelimit.RateLimitServiceClient(target, credentials.createInsecure());
  const codes: string[] = [];
  try {
    for (let i = 0; i < 6; i++)
      codes.push(
        await new Promise<string>((resolve, reject) => {
          client.shouldRateLimit(
            {
              domain: 'bench',
              hitsAddend: 0,
              descriptors: [{ entries: [{ key: 'tight', value }], isNegativeHits: false }],
            },
            (err: ServiceError | null, res?: { overallCode: number }) => {
              if (err) reject(err);
              else resolve(codeNames[res?.overallCode ?? 0] ?? String(res?.overallCode));
            },
          );
        }),
      );
  } finally {
    client.close();
  }
  return codes;
}

interface Side {
  readonly name: 'ours' | 'theirs';
  readonly rls: Rls;
  readonly rss: RssFigures;
  client?: ratelimit.RateLimitServiceClient;
  latencies: number[];
  elapsedS: number;
}

type SideFigures = PeerCell['ours'];

function sideFigures(side: Side): SideFigures {
  side.latencies.sort((a, b) => a - b);
  return {
    rate: side.latencies.length / Math.max(1e-9, side.elapsedS),
    p50: percentile(side.latencies, 0.5),
    p99: percentile(side.latencies, 0.99),
  };
}

/** One concurrency: a warm-up per side, then 4 slices per side in alternating order. */
async function peerCell(sides: readonly Side[], concurrency: number): Promise<PeerCell> {
  const rounds = 4;
  for (const side of sides) {
    side.client = new ratelimit.RateLimitServiceClient(
      side.rls.target,
      credentials.createInsecure(),
    );
    side.latencies = [];
    side.elapsedS = 0;
    await closedLoop(decider(side.client), {
      concurrency,
      durationS: Math.min(1, seconds / rounds),
    });
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      if (!side.client) continue;
      const slice = await closedLoop(decider(side.client), {
        concurrency,
        durationS: seconds / rounds,
      });
      side.latencies.push(...slice.latencies);
      side.elapsedS += slice.elapsedS;
    }
  }
  for (const side of sides) side.client?.close();
  const [ours, theirs] = sides.map(sideFigures);
  const none = { rate: Number.NaN, p50: Number.NaN, p99: Number.NaN };
  return { concurrency, ours: ours ?? none, theirs: theirs ?? none };
}

/** Ours (Redis store) and envoyproxy/ratelimit, same Redis, same client, alternating slices. */
async function measurePeer(bin: string, redis: { url: string; port: number }): Promise<PeerReport> {
  const oursArgs = ['--store', 'redis', '--redis-url', redis.url];
  const side = (name: Side['name'], rls: Rls): Side => ({
    name,
    rls,
    rss: { idle: rssMb(rls.pid), underLoad: 0, afterLoad: Number.NaN },
    latencies: [],
    elapsedS: 0,
  });
  const ours = side('ours', await startRls(oursArgs));
  const theirs = side('theirs', await startPeerRls(bin, redis.port));
  const sides = [ours, theirs];
  const sampler = setInterval(() => {
    for (const s of sides) s.rss.underLoad = Math.max(s.rss.underLoad, rssMb(s.rls.pid));
  }, 100);
  try {
    const stamp = String(Date.now());
    const oursCodes = await sequenceOf(ours.rls.target, `ours-${stamp}`);
    const theirsCodes = await sequenceOf(theirs.rls.target, `theirs-${stamp}`);
    const mismatches = oursCodes.filter((code, i) => code !== theirsCodes[i]).length;
    const cells: PeerCell[] = [];
    for (const concurrency of [1, 16, 64]) cells.push(await peerCell(sides, concurrency));
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const s of sides) s.rss.afterLoad = rssMb(s.rls.pid);
    return {
      cells,
      rss: { ours: ours.rss, theirs: theirs.rss },
      sequence: { ours: oursCodes, theirs: theirsCodes, mismatches },
      settings: {
        ours: ['--store redis'],
        theirs: ['USE_STATSD=false', 'REDIS_SOCKET_TYPE=tcp', 'GRPC_UDS'],
      },
    };
  } finally {
    clearInterval(sampler);
    for (const s of sides) await s.rls.stop();
  }
}

function peerTable(peer: PeerReport): string {
  const fmt = (n: number): string => n.toFixed(n < 10 ? 3 : 0);
  const mb = (n: number): string => n.toFixed(1);
  return [
    `ours (Redis store) vs envoyproxy/ratelimit, same Redis, same client, ${String(seconds)} s per row each in 4 alternating slices; OK/OVER_LIMIT sequence mismatches: ${String(peer.sequence.mismatches)}`,
    '',
    '| concurrency | ours decisions/s | theirs decisions/s | ratio | ours p50 / p99 ms | theirs p50 / p99 ms | p99 ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...peer.cells.map(
      (c) =>
        `| ${String(c.concurrency)} | ${fmt(c.ours.rate)} | ${fmt(c.theirs.rate)} | ${(c.ours.rate / c.theirs.rate).toFixed(2)}× | ${fmt(c.ours.p50)} / ${fmt(c.ours.p99)} | ${fmt(c.theirs.p50)} / ${fmt(c.theirs.p99)} | ${(c.ours.p99 / c.theirs.p99).toFixed(2)}× |`,
    ),
    '',
    '| RSS (MiB) | idle | under load (max) | after load (1 s) |',
    '| --- | --- | --- | --- |',
    `| ours | ${mb(peer.rss.ours.idle)} | ${mb(peer.rss.ours.underLoad)} | ${mb(peer.rss.ours.afterLoad)} |`,
    `| envoyproxy/ratelimit | ${mb(peer.rss.theirs.idle)} | ${mb(peer.rss.theirs.underLoad)} | ${mb(peer.rss.theirs.afterLoad)} |`,
    '',
  ].join('\n');
}

/** The decision engine alone (no gRPC, no process boundary), memory store, one caller. */
async function measureInProcess(): Promise<Cell> {
  const rules = compileRules([parseRulesFile('bench.yaml', config)]);
  const limiter = new RateLimiter({
    store: new MemoryStore(),
    rules: () => rules,
    localCacheSize: 10_000,
  });
  const call: Decide = async (user) => {
    await limiter.shouldRateLimit({
      domain: 'bench',
      hitsAddend: 0,
      descriptors: [{ entries: [{ key: 'user', value: String(user) }], isNegativeHits: false }],
    });
  };
  const { latencies, elapsedS } = await closedLoop(call, { concurrency: 1, durationS: seconds });
  latencies.sort((a, b) => a - b);
  return {
    store: 'limiter in-process (no gRPC), memory store',
    concurrency: 1,
    rate: latencies.length / elapsedS,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

async function redisIncrRates(port: number): Promise<Record<string, number>> {
  const binary = join(findBinary('redis-server'), '..', 'redis-benchmark');
  const run = promisify(execFile);
  const rates: Record<string, number> = {};
  for (const clients of [1, 64]) {
    const { stdout } = await run(binary, [
      ...['-p', String(port), '-t', 'incr'],
      ...['-n', String(redisRequests), '-c', String(clients), '-q'],
    ]);
    rates[String(clients)] = Number(/INCR: ([\d.]+) requests per second/.exec(stdout)?.[1]);
  }
  return rates;
}

function table(report: DecisionsReport): string {
  const fmt = (n: number): string => n.toFixed(n < 10 ? 3 : 0);
  const mb = (n: number): string => n.toFixed(1);
  return [
    `ShouldRateLimit over gRPC (Unix socket), ${String(seconds)} s per row, ${String(cpus().length)} CPUs, ${new Date().toISOString()}`,
    '',
    '| what | concurrency | decisions/s | p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- |',
    ...report.cells.map(
      (c) =>
        `| ${c.store} | ${String(c.concurrency)} | ${fmt(c.rate)} | ${fmt(c.p50)} | ${fmt(c.p99)} |`,
    ),
    ...Object.entries(report.redisIncr).map(
      ([clients, rate]) =>
        `| redis-benchmark INCR (raw, no pipeline) | ${clients} | ${rate.toFixed(2)} | | |`,
    ),
    '',
    '| limiter RSS (MiB) | idle | under load (max) | after load |',
    '| --- | --- | --- | --- |',
    ...Object.entries(report.rss).map(
      ([store, r]) =>
        `| ${store} store | ${mb(r.idle)} | ${mb(r.underLoad)} | ${mb(r.afterLoad)} |`,
    ),
    '',
  ].join('\n');
}

async function runTable(): Promise<void> {
  const redis = await startRedis();
  const cells: Cell[] = [await measureInProcess()];
  const rss: Record<string, RssFigures> = {};
  try {
    for (const store of ['memory', 'redis']) {
      const measured = await measureStore({ store, redisUrl: redis.url });
      rss[store] = measured.rss;
      cells.push(
        ...measured.cells.map((c) => ({ ...c, store: `RLS over gRPC, ${c.store} store` })),
      );
    }
    const peerBin = flags['peer-bin'];
    const peer = peerBin === undefined ? undefined : await measurePeer(peerBin, redis);
    const report: DecisionsReport = {
      seconds,
      cells,
      redisIncr: await redisIncrRates(redis.port),
      rss,
      ...(peer ? { peer } : {}),
    };
    process.stdout.write(table(report));
    if (peer) process.stdout.write(peerTable(peer));
    if (flags['json-out'] !== undefined)
      writeFileSync(flags['json-out'], `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await redis.stop();
  }
}

/**
 * Soak: the memory-store service under a steady closed loop of 16 callers; every sample period
 * appends `{ elapsedS, rssMb, decisions, errors }` as one JSON line to `--json-out`.
 */
async function runSoak(minutes: number): Promise<void> {
  const out = flags['json-out'];
  const sampleS = Number(flags['sample-seconds']);
  const rls = await startRls([]);
  const client = new ratelimit.RateLimitServiceClient(rls.target, credentials.createInsecure());
  const call = decider(client);
  const started = performance.now();
  const deadline = started + minutes * 60_000;
  const line = (record: object): void => {
    const text = `${JSON.stringify(record)}\n`;
    if (out === undefined) process.stdout.write(text);
    else appendFileSync(out, text);
  };
  line({ elapsedS: 0, rssMb: rssMb(rls.pid), decisions: 0, errors: 0 });
  try {
    while (performance.now() < deadline) {
      let errors = 0;
      const guarded: Decide = (user) =>
        call(user).catch(() => {
          errors++;
        });
      const durationS = Math.min(sampleS, (deadline - performance.now()) / 1000);
      const { latencies } = await closedLoop(guarded, { concurrency: 16, durationS });
      const elapsedS = (performance.now() - started) / 1000;
      line({ elapsedS, rssMb: rssMb(rls.pid), decisions: latencies.length - errors, errors });
    }
  } finally {
    client.close();
    await rls.stop();
  }
}

try {
  const soakMinutes = flags['soak-minutes'];
  if (soakMinutes === undefined) await runTable();
  else await runSoak(Number(soakMinutes));
} finally {
  await stopAll();
}
