import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  httpListener,
  staticClusterFor,
  useHarness,
  waitFor,
  type EnvoyProcess,
  type FakeUpstream,
  TcpProxy,
  type RedisProcess,
} from '@aigw/testkit';
import { checkOnly, startRls, type RlsProcess } from './support/ratelimit-process.js';

/**
 * Client → Envoy (HTTP ratelimit filter) → our RLS process (Unix socket) → real Redis, with a fake
 * upstream. Two routes: `/req` limits requests per user (route-level `rate_limits`), `/v1/` is
 * the token budget as Envoy Gateway generates it — a request-time check (`hits_addend: 0`) plus
 * an `apply_on_stream_done` entry charging `%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%`,
 * which a response `header_to_metadata` rule fills from the upstream's `x-tokens` header (standing
 * in for the extproc's usage metadata).
 */
const domain = 'llm';
const rlsConfig = `
domain: llm
descriptors:
  - key: route
    value: req
    descriptors:
      - key: user
        rate_limit: {unit: minute, requests_per_unit: 3}
  - key: route
    value: tokens
    descriptors:
      - key: user
        rate_limit: {unit: minute, requests_per_unit: 300}
  - key: route
    value: burst
    descriptors:
      - key: user
        rate_limit: {unit: second, requests_per_unit: 2}
`;

function actions(route: string): object[] {
  return [
    { generic_key: { descriptor_key: 'route', descriptor_value: route } },
    { request_headers: { header_name: 'x-user', descriptor_key: 'user' } },
  ];
}

function bootstrap(options: { rlsSocket: string; upstream: FakeUpstream }): object {
  const perRoute = {
    'envoy.filters.http.ratelimit': {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute',
      rate_limits: [
        { actions: actions('tokens'), hits_addend: { number: 0 } },
        {
          actions: actions('tokens'),
          apply_on_stream_done: true,
          hits_addend: { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%' },
        },
      ],
    },
  };
  const routes = [
    {
      match: { prefix: '/req' },
      route: {
        cluster: 'upstream',
        rate_limits: [{ actions: actions('req') }],
      },
    },
    {
      match: { prefix: '/burst' },
      route: {
        cluster: 'upstream',
        rate_limits: [{ actions: actions('burst') }],
      },
    },
    {
      match: { prefix: '/v1/' },
      route: { cluster: 'upstream' },
      typed_per_filter_config: perRoute,
    },
  ];
  const httpFilters = [
    {
      name: 'envoy.filters.http.header_to_metadata',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config',
        response_rules: [
          {
            header: 'x-tokens',
            on_header_present: {
              metadata_namespace: 'io.envoy.ai_gateway',
              key: 'llm_total_token',
              type: 'NUMBER',
            },
            remove: true,
          },
        ],
      },
    },
    {
      name: 'envoy.filters.http.ratelimit',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit',
        domain,
        timeout: '2s',
        failure_mode_deny: false,
        rate_limit_service: {
          grpc_service: { envoy_grpc: { cluster_name: 'ratelimit' } },
          transport_api_version: 'V3',
        },
      },
    },
  ];
  return {
    static_resources: {
      listeners: [httpListener({ routes, httpFilters })],
      clusters: [
        staticClusterFor('ratelimit', { socketPath: options.rlsSocket }, { http2: true }),
        staticClusterFor('upstream', { host: options.upstream.host, port: options.upstream.port }),
      ],
    },
  };
}

/** Waits until the current minute has at least `seconds` left, so a test stays in one window. */
async function awayFromMinuteEnd(seconds: number): Promise<void> {
  const left = 60 - (Math.floor(Date.now() / 1000) % 60);
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 100));
}

describe('token budgets through real Envoy, our RLS and Redis', () => {
  const harness = useHarness();
  let envoy: EnvoyProcess;
  let upstream: FakeUpstream;
  let redis: RedisProcess;
  let rls: RlsProcess;
  let url: string;
  let tokens = 120;

  beforeAll(async () => {
    redis = await harness.redis();
    const dir = harness.tempDir('rl-e2e');
    writeFileSync(join(dir, 'llm.yaml'), rlsConfig);
    const socket = join(dir, 'rls.sock');
    rls = await startRls({
      name: 'ratelimit',
      address: `unix:${socket}`,
      args: [
        '--config-dir',
        dir,
        '--store',
        'redis',
        '--redis-url',
        redis.url,
        '--response-headers',
      ],
    });
    upstream = await harness.upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-tokens': String(tokens) });
      res.end('{"ok":true}');
    });
    envoy = await harness.envoy({ bootstrap: bootstrap({ rlsSocket: socket, upstream }) });
    url = await envoy.listenerUrl('ingress');
  });

  afterAll(async () => {
    await rls.stop();
  });

  it('lets N requests through per user, then answers 429 with x-ratelimit headers', async () => {
    await awayFromMinuteEnd(10);
    const user = randomUUID();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await fetch(`${url}/req`, { headers: { 'x-user': user } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last?.headers.get('x-ratelimit-limit')).toBe('3');
    expect(last?.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(last?.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    expect((await fetch(`${url}/req`, { headers: { 'x-user': randomUUID() } })).status).toBe(200);
  });

  it('charges the budget with token counts when each stream ends, not per request', async () => {
    await awayFromMinuteEnd(15);
    const user = randomUUID();
    tokens = 120;
    const remaining = async (): Promise<number | undefined> =>
      (
        await rls.shouldRateLimit(
          checkOnly(domain, [
            ['route', 'tokens'],
            ['user', user],
          ]),
        )
      ).statuses[0]?.limitRemaining;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-user': user },
        body: '{}',
      });
      statuses.push(response.status);
      await response.arrayBuffer();
      // The stream-done charge is fire-and-forget: wait until the RLS has counted it.
      const expected = Math.max(0, 300 - 120 * (i + 1));
      if (response.status === 200) {
        await waitFor(async () => (await remaining()) === expected || undefined, {
          timeoutMs: 5000,
          description: `remaining ${String(expected)}`,
        });
      }
    }
    // 0 → 120 → 240 used: the third request-time check passes (240 < 300); the fourth sees 360.
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(upstream.requests.filter((r) => r.headers['x-user'] === user)).toHaveLength(3);
  });

  it('resets when the window ends', async () => {
    const nextSecond = (): Promise<void> =>
      new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    // Three requests must share one 1-second window; on a loaded machine retry if they did not.
    for (let attempt = 1; ; attempt++) {
      const user = randomUUID();
      await nextSecond();
      const second = Math.floor(Date.now() / 1000);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await fetch(`${url}/burst`, { headers: { 'x-user': user } })).status);
      }
      if (Math.floor(Date.now() / 1000) !== second && attempt < 3) continue;
      expect(statuses).toEqual([200, 200, 429]);
      await nextSecond();
      expect((await fetch(`${url}/burst`, { headers: { 'x-user': user } })).status).toBe(200);
      return;
    }
  });

  it('shares one budget between two RLS processes through Redis', async () => {
    await awayFromMinuteEnd(10);
    const dir = harness.tempDir('rl-e2e-b');
    writeFileSync(join(dir, 'llm.yaml'), rlsConfig);
    const second = await startRls({
      name: 'ratelimit-b',
      address: `unix:${join(dir, 'rls.sock')}`,
      args: ['--config-dir', dir, '--store', 'redis', '--redis-url', redis.url],
    });
    try {
      const user = randomUUID();
      const charge = (process: RlsProcess) =>
        process.shouldRateLimit({
          ...checkOnly(domain, [
            ['route', 'tokens'],
            ['user', user],
          ]),
          descriptors: [
            {
              entries: [
                { key: 'route', value: 'tokens' },
                { key: 'user', value: user },
              ],
              hitsAddend: 150n,
              isNegativeHits: false,
            },
          ],
        });
      await charge(rls);
      await charge(second);
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-user': user },
        body: '{}',
      });
      expect(response.status).toBe(200);
      await charge(second);
      const denied = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'x-user': user },
        body: '{}',
      });
      expect(denied.status).toBe(429);
    } finally {
      await second.stop();
    }
  });

  it.each([
    { mode: 'closed', during: 429 },
    { mode: 'open', during: 200 },
  ])(
    'Redis stopped mid-test: fail-$mode holds, the RLS stays up and recovers',
    async ({ mode, during }) => {
      const proxy = new TcpProxy({ host: redis.host, port: redis.port });
      await proxy.up();
      const dir = harness.tempDir(`rl-e2e-${mode}`);
      writeFileSync(join(dir, 'llm.yaml'), rlsConfig);
      const socket = join(dir, 'rls.sock');
      const guarded = await startRls({
        name: `ratelimit-${mode}`,
        address: `unix:${socket}`,
        args: [
          ...['--config-dir', dir, '--store', 'redis', '--fail-mode', mode],
          ...[
            '--redis-url',
            `redis://127.0.0.1:${String(proxy.port)}`,
            '--redis-prefix',
            `${mode}:`,
          ],
        ],
      });
      const guardedEnvoy = await harness.envoy({
        bootstrap: bootstrap({ rlsSocket: socket, upstream }),
      });
      const guardedUrl = await guardedEnvoy.listenerUrl('ingress');
      const get = async (): Promise<number> =>
        (await fetch(`${guardedUrl}/req`, { headers: { 'x-user': `outage-${mode}` } })).status;
      try {
        await waitFor(async () => (await get()) === 200 || undefined, {
          timeoutMs: 5000,
          description: 'first request through Redis',
        });
        await proxy.down();
        expect(await get()).toBe(during);
        expect(await get()).toBe(during);
        expect(guarded.process.exitStatus()).toBeUndefined();
        await proxy.up();
        await waitFor(async () => (await get()) === 200 || undefined, {
          timeoutMs: 10_000,
          description: 'requests counted in Redis again',
        });
      } finally {
        await proxy.down();
        await guarded.stop();
      }
    },
  );
});
