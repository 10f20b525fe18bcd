import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ratelimit } from '@aigw/proto';
import { useHarness, waitFor, type RedisProcess } from '@aigw/testkit';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startRateLimitService } from '../src/main.js';
import { RlClient, rlRequest } from './ratelimit-client.js';

const { OK, OVER_LIMIT } = ratelimit.RateLimitResponse_Code;

const limits = `
domain: llm
descriptors:
  - key: limit
    value: budget
    rate_limit: {unit: minute, requests_per_unit: 1000}
`;

/** 30 s into a minute, fixed: no test straddles a window. */
const clockMs = Date.UTC(2026, 0, 1, 12, 0, 30);
const windowStart = Math.floor(clockMs / 60_000) * 60;
const key = (prefix: string): string => `${prefix}llm_limit_budget_${String(windowStart)}`;

const quietLog = pino(
  { level: 'silent' },
  new Writable({
    write: (_c, _e, cb) => {
      cb();
    },
  }),
);

const reserve = (hits: number) =>
  rlRequest('llm', [
    {
      entries: [
        ['limit', 'budget'],
        ['aigw_reserve', '1'],
      ],
      hitsAddend: BigInt(hits),
    },
  ]);
const reconcile = (reserved: string, usage: number) =>
  rlRequest('llm', [
    {
      entries: [
        ['limit', 'budget'],
        ['aigw_reserved', reserved],
      ],
      hitsAddend: BigInt(usage),
    },
  ]);

describe('token reservations: two limiter replicas on one real Redis', () => {
  const harness = useHarness();
  let redis: RedisProcess;
  let configDir: string;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    redis = await harness.redis();
    configDir = harness.tempDir('rl-reserve');
    writeFileSync(join(configDir, 'llm.yaml'), limits);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** One replica: its own service, Redis connection and gRPC client. */
  async function replica(prefix: string): Promise<RlClient> {
    const config = loadConfig(
      [
        '--address',
        '127.0.0.1:0',
        '--config-dir',
        configDir,
        '--store',
        'redis',
        '--redis-url',
        redis.url,
        '--redis-prefix',
        prefix,
      ],
      {},
    );
    const service = await startRateLimitService({ config, log: quietLog, now: () => clockMs });
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
    return client;
  }

  async function counter(prefix: string): Promise<number> {
    const resp = await redis.client();
    try {
      return Number((await resp.command('GET', key(prefix))) ?? 0);
    } finally {
      await resp.close();
    }
  }

  it('admits exactly what fits when 100 reservations race through both replicas', async () => {
    const replicas = [await replica('race:'), await replica('race:')];
    const decisions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => replicas[i % 2]!.shouldRateLimit(reserve(30))),
    );
    const admitted = decisions.filter((d) => d.overallCode === OK);
    // floor(1000 / 30) = 33 reservations fit; the counter never passes the limit.
    expect(admitted).toHaveLength(33);
    expect(decisions.filter((d) => d.overallCode === OVER_LIMIT)).toHaveLength(67);
    expect(await counter('race:')).toBe(990);
    for (const d of admitted) expect(d.dynamicMetadata?.aigw_reserved).toMatch(/^30@\d+$/);
  });

  it('reconciles on the other replica: refund and top-up land on the reserving window', async () => {
    const [a, b] = [await replica('rec:'), await replica('rec:')];
    const first = await a.shouldRateLimit(reserve(400));
    expect(first.overallCode).toBe(OK);
    const reserved = String(first.dynamicMetadata?.aigw_reserved);
    expect(reserved).toBe(`400@${String(clockMs / 1000)}`);
    expect(await counter('rec:')).toBe(400);
    await b.shouldRateLimit(reconcile(reserved, 150));
    expect(await counter('rec:')).toBe(150);
    const second = await b.shouldRateLimit(reserve(100));
    await a.shouldRateLimit(reconcile(String(second.dynamicMetadata?.aigw_reserved), 260));
    expect(await counter('rec:')).toBe(410);
    // A refused request sends aigw_reserved=0 (Envoy's default_value): the usage is charged.
    await a.shouldRateLimit(reconcile('0', 5));
    expect(await counter('rec:')).toBe(415);
  });

  it('keeps the envoyproxy/ratelimit path: check with 0, charge hits_addend at stream end', async () => {
    const client = await replica('plain:');
    const plain = (hits: number) =>
      rlRequest('llm', [{ entries: [['limit', 'budget']], hitsAddend: BigInt(hits) }]);
    await client.shouldRateLimit(plain(990));
    expect((await client.shouldRateLimit(plain(0))).overallCode).toBe(OK);
    // Plain counting charges even past the limit (charge-after's overspend).
    expect((await client.shouldRateLimit(plain(500))).overallCode).toBe(OVER_LIMIT);
    expect(await counter('plain:')).toBe(1490);
  });
});
