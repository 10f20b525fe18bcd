import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ratelimit } from '@aigw/proto';
import { useHarness, waitFor, type EnvoyProcess } from '@aigw/testkit';
import { startTestExtProc, type TestExtProc } from './support/extproc-harness.js';
import { gatewayBootstrap } from './support/gateway-bootstrap.js';
import { checkOnly, startRls, type RlsProcess } from './support/ratelimit-process.js';
import {
  chargeAfterRateLimits,
  gatedOpenAI,
  reservingRateLimits,
  streamedTotalTokens,
  withBudgetRoutes,
  type GatedOpenAI,
} from './support/token-reservation.js';

/**
 * Issue 8/10: a burst of concurrent streamed requests against a token budget of N, through
 * Envoy + the router-level extproc + two limiter replicas (processes) + one Redis, in both modes
 * side by side. The fake backend holds every answer until each of the 200 requests was either
 * refused or reached it, so every admitted request is in flight at once (a burst of long
 * generations), then answers them all: 11 prompt + 7 completion = 18 tokens each.
 */
const domain = 'ai-gateway';
const backend = 'default/openai-a/route/r/rule/0/ref/0';
const budget = 1000;
const requests = 200;
const usage = { prompt: 11, completion: 7, cached: 0 };
const served = usage.prompt + usage.completion;
// Per day: a burst cannot straddle a window unless it runs over midnight UTC.
const rlsConfig = `
domain: ai-gateway
descriptors:
  - key: mode
    descriptors:
      - key: user
        rate_limit: {unit: day, requests_per_unit: ${String(budget)}}
`;

const actions = (mode: string) => [
  { generic_key: { descriptor_key: 'mode', descriptor_value: mode } },
  { request_headers: { header_name: 'x-user', descriptor_key: 'user' } },
];

const body = JSON.stringify({
  model: 'gpt-a',
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 20,
  messages: [{ role: 'user', content: 'hello' }],
});
// What the extproc reserves for it: 'user' 4 + 'hello' 5 bytes, 1 message × 4 + 3, max_tokens 20.
const reserve = 4 + 5 + 4 + 3 + 20;

// A client that sets no max_tokens, answered with more than the default output estimate (64).
const bodyWithoutCap = JSON.stringify({
  model: 'gpt-a',
  stream: true,
  stream_options: { include_usage: true },
  messages: [{ role: 'user', content: 'hello' }],
});
const reserveWithoutCap = 4 + 5 + 4 + 3 + 64;
const longUsage = { prompt: 11, completion: 150, cached: 0 };
const longServed = longUsage.prompt + longUsage.completion;

interface Burst {
  readonly admitted: number;
  readonly refused: number;
  readonly servedTokens: number;
}

describe('token budgets: reserve at admission vs charge after (200 concurrent streams)', () => {
  const harness = useHarness();
  let envoy: EnvoyProcess;
  let extproc: TestExtProc;
  let rls: RlsProcess[];
  let url: string;
  const upstreams: Record<string, GatedOpenAI> = {};

  beforeAll(async () => {
    const dir = harness.tempDir('budget-reserve');
    const redis = await harness.redis();
    writeFileSync(join(dir, 'key-a'), 'sk-test-key\n');
    writeFileSync(join(dir, 'limits.yaml'), rlsConfig);
    const sockets = [join(dir, 'rls-a.sock'), join(dir, 'rls-b.sock')];
    rls = await Promise.all(
      sockets.map((socket, i) =>
        startRls({
          name: `ratelimit-${String(i)}`,
          address: `unix:${socket}`,
          args: ['--config-dir', dir, '--store', 'redis', '--redis-url', redis.url],
        }),
      ),
    );
    // One gated backend per mode, so each burst is released on its own.
    const backends = await Promise.all(
      ['reserve', 'after', 'under'].map(async (mode) => {
        const gated = gatedOpenAI({ name: 'a', usage: mode === 'under' ? longUsage : usage });
        upstreams[mode] = gated;
        return {
          cluster: `openai-${mode}`,
          backendName: backend,
          upstream: await harness.upstream(gated.handler, { name: `openai-${mode}` }),
        };
      }),
    );
    extproc = await startTestExtProc({
      dir,
      config: {
        version: 'v1',
        backends: [
          {
            name: backend,
            schema: { name: 'OpenAI' },
            auth: { apiKey: { file: join(dir, 'key-a') } },
          },
        ],
        // The cluster header is overwritten per mode by the route copies below.
        routes: { rules: [{ models: ['gpt-a'], cluster: 'openai-reserve' }] },
        tokenReservation: { defaultOutputTokens: 64 },
      },
    });
    const bootstrap = withBudgetRoutes(
      gatewayBootstrap({
        extprocSocket: extproc.socket,
        accessLogPath: join(dir, 'access.log'),
        backends,
        routeTimeout: '60s',
      }),
      {
        rlsSockets: sockets,
        header: 'x-budget-mode',
        routes: {
          reserve: reservingRateLimits(actions('reserve')),
          after: chargeAfterRateLimits(actions('after')),
          under: reservingRateLimits(actions('under')),
        },
      },
    );
    routeModesToTheirBackend(bootstrap);
    envoy = await harness.envoy({ bootstrap });
    url = await envoy.listenerUrl('ingress');
  });

  afterAll(async () => {
    await extproc.stop();
    await Promise.all(rls.map((r) => r.stop()));
  });

  async function burst(mode: string, user: string, requestBody = body): Promise<Burst> {
    const gated = upstreams[mode];
    if (!gated) throw new Error(`no backend for ${mode}`);
    let refused = 0;
    const pending = Array.from({ length: requests }, async () => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': user, 'x-budget-mode': mode },
        body: requestBody,
      });
      const text = await response.text();
      if (response.status === 429) {
        refused++;
        return 0;
      }
      expect(response.status, text).toBe(200);
      return streamedTotalTokens(text);
    });
    // Every request decided: refused by the budget, or held by the backend.
    await waitFor(() => gated.arrivals() + refused === requests || undefined, {
      timeoutMs: 60_000,
      description: `${mode}: all ${String(requests)} requests refused or in flight`,
    });
    gated.release();
    const tokens = await Promise.all(pending);
    return {
      admitted: requests - refused,
      refused,
      servedTokens: tokens.reduce((a, b) => a + b, 0),
    };
  }

  /** The counter of a budget in Redis, through a limiter replica (a check-only call). */
  async function used(mode: string, user: string): Promise<number> {
    const response = await rls[1]!.shouldRateLimit(
      checkOnly(domain, [
        ['mode', mode],
        ['user', user],
      ]),
    );
    const status = response.statuses[0];
    return status?.code === ratelimit.RateLimitResponse_Code.OK
      ? budget - status.limitRemaining
      : Number.POSITIVE_INFINITY;
  }

  it('reservation keeps the served tokens within N; charge-after overspends', async () => {
    const user = randomUUID();
    const reserved = await burst('reserve', user);
    const after = await burst('after', user);
    const overspend = (b: Burst): number => Math.max(0, b.servedTokens - budget);
    console.log(
      `budget N=${String(budget)} tokens, ${String(requests)} concurrent streamed requests ` +
        `(${String(served)} tokens each, reserve ${String(reserve)}):\n` +
        `  reserve at admission: ${String(reserved.admitted)} admitted, served ` +
        `${String(reserved.servedTokens)} tokens, overspend ${String(overspend(reserved))}\n` +
        `  charge after:         ${String(after.admitted)} admitted, served ` +
        `${String(after.servedTokens)} tokens, overspend ${String(overspend(after))}`,
    );
    // The documented bound (docs/budgets.md): N + Σ max(0, usage − reserve) over the admitted
    // requests in flight together; 0 here, as every usage (18) is below its reserve (36).
    const bound = reserved.admitted * Math.max(0, served - reserve);
    expect(reserved.servedTokens).toBeLessThanOrEqual(budget + bound);
    // Exactly what fits was admitted: floor(N / reserve), all in flight together.
    expect(reserved.admitted).toBe(Math.floor(budget / reserve));
    expect(reserved.servedTokens).toBe(reserved.admitted * served);
    // Charge-after let the whole burst through: every check saw an empty counter.
    expect(after.admitted).toBe(requests);
    expect(overspend(after)).toBe(requests * served - budget);
    // Reconciled: the counter ends at the tokens really served (refunds of 36 − 18 each).
    await waitFor(
      async () => (await used('reserve', user)) === reserved.servedTokens || undefined,
      {
        timeoutMs: 10_000,
        description: `reserve counter at ${String(reserved.servedTokens)}`,
      },
    );
  });

  it('an output above the estimate (no max_tokens) is the documented overspend term', async () => {
    const user = randomUUID();
    const under = await burst('under', user, bodyWithoutCap);
    const bound = under.admitted * Math.max(0, longServed - reserveWithoutCap);
    console.log(
      `no max_tokens, ${String(longServed)} tokens each against a reserve of ` +
        `${String(reserveWithoutCap)}: ${String(under.admitted)} admitted, served ` +
        `${String(under.servedTokens)} tokens, overspend ${String(Math.max(0, under.servedTokens - budget))} ` +
        `(bound N + ${String(bound)})`,
    );
    expect(under.admitted).toBe(Math.floor(budget / reserveWithoutCap));
    expect(under.servedTokens).toBeGreaterThan(budget);
    expect(under.servedTokens).toBeLessThanOrEqual(budget + bound);
    // Reconciled with top-ups: the counter ends at what was served, past the limit.
    await waitFor(
      async () =>
        (
          await rls[0]!.shouldRateLimit(
            checkOnly(domain, [
              ['mode', 'under'],
              ['user', user],
            ]),
          )
        ).overallCode === ratelimit.RateLimitResponse_Code.OVER_LIMIT || undefined,
      { timeoutMs: 10_000, description: 'the under budget over its limit after the top-ups' },
    );
  });
});

/**
 * The route copies carry their mode's backend: the extproc's routing sets the cluster header to
 * `openai-reserve`; for the `after` and `under` copies Envoy's route picks their backend itself.
 */
function routeModesToTheirBackend(bootstrap: object): void {
  const hcm = (
    bootstrap as {
      static_resources: {
        listeners: {
          filter_chains: {
            filters: {
              typed_config: { route_config: { virtual_hosts: { routes: RouteShape[] }[] } };
            }[];
          }[];
        }[];
      };
    }
  ).static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config;
  for (const route of hcm?.route_config.virtual_hosts[0]?.routes ?? []) {
    const mode = route.name.replace(/^budget-/, '');
    if ((mode === 'after' || mode === 'under') && route.route) {
      const next = { ...route.route, cluster: `openai-${mode}` };
      delete next.cluster_header;
      route.route = next;
    }
  }
}

interface RouteShape {
  name: string;
  route?: { cluster_header?: string; cluster?: string } & Record<string, unknown>;
}
