import type { ServerResponse } from 'node:http';
import { staticClusterFor, type RecordedRequest, type UpstreamHandler } from '@aigw/testkit';
import { streamFrames, type FakeUsage } from './fake-openai.js';
import { hcmOf } from './gateway-bootstrap.js';

const ns = 'io.envoy.ai_gateway';
const type = (name: string): string => `type.googleapis.com/${name}`;

/**
 * The Envoy entries of a budget that reserves (docs/budgets.md), as `@aigw/gateway-config`
 * generates them: a check, the request-path entry that reserves the extproc's estimate (`aigw_reserve` marks
 * it), the stream-done entry sends back what the limiter reported as reserved (`aigw_reserved`,
 * `0` when nothing was) with the real usage as `hits_addend`.
 */
export function reservingRateLimits(actions: readonly object[]): object[] {
  return [
    // The check (hits 0) that keeps the budget checked should the estimate be missing.
    { actions, hits_addend: { number: 0 } },
    {
      actions: [
        ...actions,
        { generic_key: { descriptor_key: 'aigw_reserve', descriptor_value: '1' } },
      ],
      hits_addend: { format: `%DYNAMIC_METADATA(${ns}:reserved_tokens)%` },
    },
    {
      actions: [
        ...actions,
        {
          metadata: {
            descriptor_key: 'aigw_reserved',
            metadata_key: {
              key: 'envoy.filters.http.ratelimit',
              path: [{ key: 'aigw_reserved' }],
            },
            default_value: '0',
            source: 'DYNAMIC',
          },
        },
      ],
      apply_on_stream_done: true,
      hits_addend: { format: `%DYNAMIC_METADATA(${ns}:llm_total_token)%` },
    },
  ];
}

/** Charge-after (every gateway today): a check with hits 0, the usage charged at stream end. */
export function chargeAfterRateLimits(actions: readonly object[]): object[] {
  return [
    { actions, hits_addend: { number: 0 } },
    {
      actions,
      apply_on_stream_done: true,
      hits_addend: { format: `%DYNAMIC_METADATA(${ns}:llm_total_token)%` },
    },
  ];
}

/** Options of {@link withBudgetRoutes}. */
export interface BudgetRoutesOptions {
  /** The sockets of the limiter replicas (one Envoy cluster, round robin). */
  readonly rlsSockets: readonly string[];
  /** Per value of the `header` request header, the rate limits of a copy of the first route. */
  readonly header: string;
  readonly routes: Readonly<Record<string, readonly object[]>>;
}

/**
 * Adds the rate-limit filter after the router-level extproc, one copy of the first route per
 * budget mode (matched by a request header) with its `RateLimitPerRoute`, and a `ratelimit`
 * cluster over several limiter replicas.
 */
export function withBudgetRoutes(bootstrap: object, options: BudgetRoutesOptions): object {
  const hcm = hcmOf(bootstrap);
  hcm.http_filters.splice(1, 0, {
    name: 'envoy.filters.http.ratelimit',
    typed_config: {
      '@type': type('envoy.extensions.filters.http.ratelimit.v3.RateLimit'),
      domain: 'ai-gateway',
      timeout: '5s',
      failure_mode_deny: false,
      rate_limit_service: {
        grpc_service: { envoy_grpc: { cluster_name: 'ratelimit' } },
        transport_api_version: 'V3',
      },
    },
  });
  const routes = hcm.route_config.virtual_hosts[0]?.routes;
  const first = routes?.[0] as { match: { headers?: object[] } } | undefined;
  if (!routes || !first) throw new Error('the test bootstrap has no route');
  const copies = Object.entries(options.routes).map(([value, rateLimits]) => ({
    ...first,
    name: `budget-${value}`,
    match: {
      ...first.match,
      headers: [
        ...(first.match.headers ?? []),
        { name: options.header, string_match: { exact: value } },
      ],
    },
    typed_per_filter_config: {
      'envoy.filters.http.ratelimit': {
        '@type': type('envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute'),
        rate_limits: rateLimits,
      },
    },
  }));
  routes.unshift(...copies);
  const replicas = options.rlsSockets.map((socketPath) =>
    staticClusterFor('ratelimit', { socketPath }, { http2: true }),
  );
  const [cluster] = replicas;
  if (!cluster) throw new Error('at least one limiter replica');
  (bootstrap as { static_resources: { clusters: object[] } }).static_resources.clusters.push({
    ...cluster,
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: 'ratelimit',
      endpoints: [
        { lb_endpoints: replicas.flatMap((r) => r.load_assignment.endpoints[0]?.lb_endpoints) },
      ],
    },
  });
  return bootstrap;
}

/** A fake OpenAI backend that holds every streamed answer until {@link GatedOpenAI.release}. */
export interface GatedOpenAI {
  readonly handler: UpstreamHandler;
  /** Requests that reached the backend so far. */
  arrivals(): number;
  /** Answers every held request and every later one at once. */
  release(): void;
}

/**
 * So every admitted request is in flight at the same time, as a burst of long generations is:
 * no answer (and no usage, so no charge) until the test releases them all.
 */
export function gatedOpenAI(options: { name: string; usage: FakeUsage }): GatedOpenAI {
  let arrivals = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handler = async (req: RecordedRequest, res: ServerResponse): Promise<void> => {
    arrivals++;
    await gate;
    const body = JSON.parse(req.body.toString('utf8')) as { model: string };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const frame of streamFrames({
      model: `${body.model}-${options.name}`,
      usage: options.usage,
      includeUsage: true,
    })) {
      res.write(frame);
    }
    res.end();
  };
  return {
    handler,
    arrivals: () => arrivals,
    release: () => {
      release();
    },
  };
}

/** The `total_tokens` of the usage chunk of an OpenAI SSE body (0 when it has none). */
export function streamedTotalTokens(sse: string): number {
  let total = 0;
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice('data: '.length)) as {
      usage?: { total_tokens?: number } | null;
    };
    total = chunk.usage?.total_tokens ?? total;
  }
  return total;
}
