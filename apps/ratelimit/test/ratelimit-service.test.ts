import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import { health, ratelimit } from '@aigw/proto';
import {
  parsePrometheusText,
  TcpProxy,
  useHarness,
  waitFor,
  type RedisProcess,
} from '@aigw/testkit';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, rateLimitServiceName, startRateLimitService } from '../src/main.js';
import { RlClient, rlRequest } from './ratelimit-client.js';

const { OK, OVER_LIMIT } = ratelimit.RateLimitResponse_Code;
const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;

const limits = `
domain: llm
descriptors:
  - key: user
    rate_limit: {unit: minute, requests_per_unit: 3}
  - key: tokens
    rate_limit: {unit: hour, requests_per_unit: 300}
`;

/**
 * The services' clock: 30 s into a minute, fixed, so no test can straddle a window boundary and
 * the Redis keys' window start is known. (Redis TTLs still run on Redis's own clock.)
 */
const clockMs = Date.UTC(2026, 0, 1, 12, 0, 30);
const now = (): number => clockMs;
const minuteWindowStart = Math.floor(clockMs / 60_000) * 60;

const quietLog = pino(
  { level: 'silent' },
  new Writable({
    write: (_c, _e, cb) => {
      cb();
    },
  }),
);

describe('ratelimit service over gRPC with a real Redis', () => {
  const harness = useHarness();
  let redis: RedisProcess;
  let configDir: string;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    redis = await harness.redis();
    configDir = harness.tempDir('rl-config');
    writeFileSync(join(configDir, 'llm.yaml'), limits);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(args: readonly string[], options: { redisUrl?: string } = {}) {
    const config = loadConfig(
      [
        '--address',
        '127.0.0.1:0',
        '--config-dir',
        configDir,
        '--config-poll-ms',
        '100',
        '--store',
        'redis',
        '--redis-url',
        options.redisUrl ?? redis.url,
        ...args,
      ],
      {},
    );
    const service = await startRateLimitService({ config, log: quietLog, now });
    const client = new RlClient(service.bound.address);
    cleanups.push(
      () => service.close(),
      () => {
        client.close();
      },
    );
    await waitFor(() => Promise.resolve(service.store.health() === 'up'), {
      timeoutMs: 5000,
      description: 'redis',
    });
    return { service, client };
  }

  it('counts in Redis with upstream-compatible keys and TTLs, then answers OVER_LIMIT', async () => {
    const { client } = await start(['--redis-prefix', 'it1:', '--response-headers']);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push(
        (await client.shouldRateLimit(rlRequest('llm', [[['user', 'alice']]]))).overallCode,
      );
    }
    expect(codes).toEqual([OK, OK, OK, OVER_LIMIT]);
    const resp = await redis.client();
    try {
      const keys = (await resp.command('KEYS', 'it1:*')) as string[];
      expect(keys).toEqual([`it1:llm_user_alice_${String(minuteWindowStart)}`]);
      expect(await resp.command('GET', keys[0]!)).toBe('4');
      const ttl = Number(await resp.command('TTL', keys[0]!));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(360);
    } finally {
      await resp.close();
    }
    const last = await client.shouldRateLimit(rlRequest('llm', [[['user', 'alice']]]));
    expect(last.responseHeadersToAdd.map((h) => h.key)).toEqual([
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ]);
  });

  it('charges hits_addend and checks with a per-descriptor 0', async () => {
    const { client } = await start(['--redis-prefix', 'it2:']);
    const check = rlRequest('llm', [{ entries: [['tokens', 't']], hitsAddend: 0n }]);
    const charge = rlRequest('llm', [{ entries: [['tokens', 't']], hitsAddend: 120n }]);
    expect((await client.shouldRateLimit(check)).statuses[0]?.limitRemaining).toBe(300);
    await client.shouldRateLimit(charge);
    await client.shouldRateLimit(charge);
    expect((await client.shouldRateLimit(check)).overallCode).toBe(OK);
    await client.shouldRateLimit(charge);
    expect((await client.shouldRateLimit(check)).overallCode).toBe(OVER_LIMIT);
  });

  it('rejects bad requests with INVALID_ARGUMENT', async () => {
    const { client } = await start([]);
    await expect(client.shouldRateLimit(rlRequest('', [[['user', 'a']]]))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await expect(client.shouldRateLimit(rlRequest('llm', []))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it('serves on a Unix socket with health for the process and the RLS', async () => {
    const socket = join(harness.tempDir('rl-sock'), 'rl.sock');
    const config = loadConfig(['--address', `unix:${socket}`, '--config-dir', configDir], {});
    const service = await startRateLimitService({ config, log: quietLog, now });
    const client = new RlClient(`unix:${socket}`);
    cleanups.push(
      () => service.close(),
      () => {
        client.close();
      },
    );
    expect(await client.health('')).toBe(SERVING);
    expect(await client.health(rateLimitServiceName)).toBe(SERVING);
    expect((await client.shouldRateLimit(rlRequest('llm', [[['user', 'u']]]))).overallCode).toBe(
      OK,
    );
  });

  it('shares one budget between two RLS processes through Redis', async () => {
    const a = await start(['--redis-prefix', 'it3:']);
    const b = await start(['--redis-prefix', 'it3:']);
    const req = rlRequest('llm', [[['user', 'shared']]]);
    await a.client.shouldRateLimit(req);
    await b.client.shouldRateLimit(req);
    await a.client.shouldRateLimit(req);
    expect((await b.client.shouldRateLimit(req)).overallCode).toBe(OVER_LIMIT);
  });

  it.each([
    { mode: 'open', during: OK },
    { mode: 'closed', during: OVER_LIMIT },
  ])('Redis away: fail-$mode holds, health says so, and it recovers', async ({ mode, during }) => {
    const proxy = new TcpProxy({ host: redis.host, port: redis.port });
    await proxy.up();
    cleanups.push(() => proxy.down());
    const { service, client } = await start(
      ['--redis-prefix', `it4${mode}:`, '--fail-mode', mode, '--metrics-address', '127.0.0.1:0'],
      { redisUrl: `redis://127.0.0.1:${String(proxy.port)}` },
    );
    const req = rlRequest('llm', [[['user', `outage-${mode}`]]]);
    expect((await client.shouldRateLimit(req)).overallCode).toBe(OK);
    await proxy.down();
    await waitFor(async () => (await client.health(rateLimitServiceName)) === NOT_SERVING, {
      timeoutMs: 5000,
      description: 'NOT_SERVING',
    });
    expect(await client.health('')).toBe(SERVING);
    expect((await client.shouldRateLimit(req)).overallCode).toBe(during);
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(service.metrics?.port)}/metrics`)
    ).text();
    // Read by Prometheus's reference parser.
    const families = await parsePrometheusText(metrics);
    const value = (name: string): number | undefined =>
      families.flatMap((f) => f.samples).find((s) => s.name === name)?.value;
    expect(value('aigw_ratelimit_store_up')).toBe(0);
    expect(value('aigw_ratelimit_store_error_total')).toBeGreaterThanOrEqual(1);
    await proxy.up();
    await waitFor(async () => (await client.health(rateLimitServiceName)) === SERVING, {
      timeoutMs: 10_000,
      description: 'SERVING again',
    });
    const after = await client.shouldRateLimit(req);
    expect(after.overallCode).toBe(OK);
    expect(after.statuses[0]?.limitRemaining).toBe(1);
  });

  it('hot-reloads the config directory', async () => {
    const dir = harness.tempDir('rl-reload');
    writeFileSync(
      join(dir, 'a.yaml'),
      'domain: hot\ndescriptors:\n  - key: k\n    rate_limit: {unit: minute, requests_per_unit: 1}\n',
    );
    const config = loadConfig(
      ['--address', '127.0.0.1:0', '--config-dir', dir, '--config-poll-ms', '100'],
      {},
    );
    const service = await startRateLimitService({ config, log: quietLog, now });
    const client = new RlClient(service.bound.address);
    cleanups.push(
      () => service.close(),
      () => {
        client.close();
      },
    );
    const req = rlRequest('hot', [[['k', 'v']]]);
    await client.shouldRateLimit(req);
    expect((await client.shouldRateLimit(req)).overallCode).toBe(OVER_LIMIT);
    writeFileSync(
      join(dir, 'a.yaml'),
      'domain: hot\ndescriptors:\n  - key: k\n    rate_limit: {unit: minute, requests_per_unit: 10}\n',
    );
    const check = rlRequest('hot', [{ entries: [['k', 'v']], hitsAddend: 0n }]);
    await waitFor(async () => (await client.shouldRateLimit(check)).overallCode === OK, {
      timeoutMs: 3000,
      description: 'reloaded limit',
    });
  });

  it.each([
    { flag: ['--merge-domain-config'], env: {}, how: 'flag' },
    { flag: [], env: { AIGW_RATELIMIT_MERGE_DOMAIN_CONFIG: 'true' }, how: 'environment' },
  ])('merges files of one domain when asked by $how', async ({ flag, env }) => {
    const dir = harness.tempDir('rl-merge');
    writeFileSync(
      join(dir, 'a.yaml'),
      'domain: m\ndescriptors:\n  - key: k1\n    rate_limit: {unit: minute, requests_per_unit: 1}\n',
    );
    writeFileSync(
      join(dir, 'b.yaml'),
      'domain: m\ndescriptors:\n  - key: k2\n    rate_limit: {unit: minute, requests_per_unit: 2}\n',
    );
    const config = loadConfig(['--address', '127.0.0.1:0', '--config-dir', dir, ...flag], env);
    const service = await startRateLimitService({ config, log: quietLog, now });
    const client = new RlClient(service.bound.address);
    cleanups.push(
      () => service.close(),
      () => {
        client.close();
      },
    );
    const both = await client.shouldRateLimit(rlRequest('m', [[['k1', 'x']], [['k2', 'x']]]));
    expect(both.statuses.map((s) => s.currentLimit?.requestsPerUnit)).toEqual([1, 2]);
    const noMerge = loadConfig(['--address', '127.0.0.1:0', '--config-dir', dir], {});
    await expect(startRateLimitService({ config: noMerge, log: quietLog, now })).rejects.toThrow(
      /^b\.yaml: domain: duplicate domain 'm' in config file \(already defined in a\.yaml/,
    );
  });

  it('refuses to start on a bad config directory, naming the file and path', async () => {
    const dir = harness.tempDir('rl-bad');
    writeFileSync(
      join(dir, 'bad.yaml'),
      'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: fortnight, requests_per_unit: 1}\n',
    );
    const config = loadConfig(['--address', '127.0.0.1:0', '--config-dir', dir], {});
    await expect(startRateLimitService({ config, log: quietLog, now })).rejects.toThrow(
      /^bad\.yaml: descriptors\[0\]\.rate_limit\.unit: invalid rate limit unit "fortnight"/,
    );
  });
});
