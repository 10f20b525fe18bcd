import type { HTTPHeaderMatch } from '@aigw/api';

import { envoyDuration } from '../duration.js';
import type { PlannedRule } from '../plan.js';
import { rootPathMatch } from './endpoint-prefixes.js';
import { filterNames, routeConfigName, typeUrl, xdsMetadataNamespace } from './names.js';
import type {
  ClusterRoute,
  DirectResponseRoute,
  HeaderMatcher,
  RetryPolicy,
  Route,
  RouteConfiguration,
  RouteRateLimit,
  VirtualHost,
} from './types.js';

/** The body of the catch-all route, as upstream words it. */
export const routeNotFoundMessage =
  'No matching route found. It is likely because the model specified in your request is not configured in the Gateway.';

/** What the route generator needs besides the rules. */
export interface RouteOptions {
  /** Envoy `RateLimit` entries per rule id (RateLimitPerRoute), when limits are configured. */
  readonly rateLimits?: ReadonlyMap<string, readonly RouteRateLimit[]>;
  /** Every route matches this path prefix (upstream's rootPrefix; default `/`). */
  readonly rootPrefix?: string;
}

function headerMatcher(header: HTTPHeaderMatch): HeaderMatcher {
  return {
    name: header.name,
    string_match:
      (header.type ?? 'Exact') === 'Exact'
        ? { exact: header.value }
        : { safe_regex: { regex: header.value } },
  };
}

function retryPolicy(rule: PlannedRule): RetryPolicy | undefined {
  const tiers = new Set(rule.refs.map((r) => r.priority)).size;
  const backendRequest = rule.rule.timeouts?.backendRequest;
  const idle = rule.rule.streamIdleTimeout;
  if (tiers < 2 && backendRequest === undefined && idle === undefined) return undefined;
  return {
    // A fallback tier is tried when the current one fails to connect, resets before its response
    // headers, times out (per try; `5xx` covers it) or answers 5xx — or 429 when there is a
    // fallback tier: a provider's rate limit is a reason to ask the next provider, not to wait.
    // The last tier's 429 reaches the client as is (status, `retry-after`). No
    // `rate_limited_retry_back_off`: it delays every retry of the request, so it would hold the
    // move to the next tier for the `retry-after`; and no retry goes to the same backend (the
    // SDKs wait for `retry-after` themselves). docs/resilience.md, "429 and retry-after".
    retry_on:
      tiers < 2
        ? '5xx,reset,connect-failure,refused-stream'
        : '5xx,reset,connect-failure,refused-stream,retriable-status-codes',
    num_retries: Math.max(0, tiers - 1),
    ...(tiers < 2 ? {} : { retriable_status_codes: [429] }),
    ...(backendRequest === undefined ? {} : { per_try_timeout: envoyDuration(backendRequest) }),
    ...(idle === undefined ? {} : { per_try_idle_timeout: envoyDuration(idle) }),
    ...(tiers < 2
      ? {}
      : {
          retry_priority: {
            name: 'envoy.retry_priorities.previous_priorities',
            typed_config: {
              '@type': typeUrl(
                'envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
              ),
              update_frequency: 1,
            },
          },
          retry_host_predicate: [
            {
              name: 'envoy.retry_host_predicates.previous_hosts',
              typed_config: {
                '@type': typeUrl(
                  'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
                ),
              },
            },
          ],
          host_selection_retry_max_attempts: 5,
        }),
  };
}

/** The Envoy routes of one rule: one per match (a rule without matches matches everything). */
function ruleRoutes(
  rule: PlannedRule,
  options: RouteOptions,
): { route: ClusterRoute; headerCount: number }[] {
  const matches = rule.matches.length > 0 ? rule.matches : [[]];
  const retry = retryPolicy(rule);
  const limits = options.rateLimits?.get(rule.id);
  return matches.map((headers, m) => ({
    headerCount: headers.length,
    route: {
      name: `${rule.id}/match/${String(m)}`,
      match: {
        ...rootPathMatch(options.rootPrefix ?? '/'),
        ...(headers.length > 0 ? { headers: headers.map(headerMatcher) } : {}),
      },
      route: {
        cluster: rule.id,
        timeout: envoyDuration(rule.requestTimeout),
        auto_host_rewrite: true,
        ...(retry === undefined ? {} : { retry_policy: retry }),
      },
      metadata: {
        filter_metadata: {
          [xdsMetadataNamespace]: { aigw_route_name: `${rule.route.namespace}/${rule.route.name}` },
        },
      },
      ...(limits === undefined || limits.length === 0
        ? {}
        : {
            typed_per_filter_config: {
              [filterNames.rateLimit]: {
                '@type': typeUrl('envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute'),
                rate_limits: limits,
              },
            },
          }),
    },
  }));
}

/**
 * The last route of every virtual host: a 404 in OpenAI's error format, under the root prefix as
 * upstream's catch-all rule.
 */
export function routeNotFound(rootPrefix = '/'): DirectResponseRoute {
  return {
    name: 'route-not-found',
    match: rootPathMatch(rootPrefix),
    direct_response: {
      status: 404,
      body: {
        inline_string: JSON.stringify({
          error: {
            message: routeNotFoundMessage,
            type: 'not_found_error',
            param: null,
            code: null,
          },
        }),
      },
    },
    response_headers_to_add: [
      {
        header: { key: 'content-type', value: 'application/json' },
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
      },
    ],
  };
}

/**
 * Routes ordered as Gateway API precedence orders them when every path is `/`: more header
 * matches first, then input order.
 */
function ordered(rules: readonly PlannedRule[], options: RouteOptions): Route[] {
  return rules
    .flatMap((rule) => ruleRoutes(rule, options))
    .map((entry, position) => ({ ...entry, position }))
    .sort((a, b) => b.headerCount - a.headerCount || a.position - b.position)
    .map((entry) => entry.route);
}

/**
 * The RDS route configuration: routes on the model header the router-level extproc sets (it
 * clears the route cache after setting it), one virtual host per host name the routes name plus
 * `*`, each ending in the 404 route.
 */
export function routeConfiguration(
  rules: readonly PlannedRule[],
  options: RouteOptions = {},
): RouteConfiguration {
  const anyHost = rules.filter((r) => (r.route.resource.spec?.hostnames ?? []).length === 0);
  const hostnames = [...new Set(rules.flatMap((r) => r.route.resource.spec?.hostnames ?? []))];
  const virtualHosts = hostnames.map((host): VirtualHost => ({
    name: host,
    domains: [host, `${host}:*`],
    routes: [
      ...ordered(
        [...rules.filter((r) => r.route.resource.spec?.hostnames?.includes(host)), ...anyHost],
        options,
      ),
      routeNotFound(options.rootPrefix),
    ],
  }));
  virtualHosts.push({
    name: 'any',
    domains: ['*'],
    routes: [...ordered(anyHost, options), routeNotFound(options.rootPrefix)],
  });
  return {
    '@type': typeUrl('envoy.config.route.v3.RouteConfiguration'),
    name: routeConfigName,
    virtual_hosts: virtualHosts,
  };
}
