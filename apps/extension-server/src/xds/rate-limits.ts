import {
  buildStandalone,
  envoyGatewayNames,
  loadResources,
  rateLimitDomain,
  type RateLimitAction,
  type RouteRateLimit,
  type SourceFile,
} from '@aigw/gateway-config';
import { envoyConfig, envoyFilters } from '@aigw/proto';

import { HookError } from '../errors.js';
import type { RouteStore } from '../route-store.js';
import { pack } from './any.js';
import { filterNames } from './names.js';

/** Where the rate-limit service (apps/ratelimit) listens, as Envoy reaches it. */
export interface RateLimitService {
  readonly host: string;
  readonly port: number;
}

/** The token budgets of the AIGatewayRoute rules, from the same generation as `aigw run`. */
export interface RateLimitSource {
  readonly service: RateLimitService;
  /** The rate limits of a rule (`<ns>/<route>/rule/<i>`), or undefined when it has none. */
  limitsOf(ruleId: string): readonly RouteRateLimit[] | undefined;
}

/** The cluster of the rate-limit service. */
export const rateLimitClusterName = envoyGatewayNames.rateLimitCluster;
/** The domain of every limit `@aigw/gateway-config` generates (its rules file's). */
export { rateLimitDomain };

/**
 * Rate limits per rule, as `aigw run` configures them (BackendTrafficPolicy token budgets and
 * QuotaPolicies, through `@aigw/gateway-config`'s standalone generation): its route
 * configuration keyed by rule id.
 */
export function rateLimitsFromFiles(
  files: readonly SourceFile[],
  options: { readonly service: RateLimitService; readonly udsPath: string },
): Map<string, readonly RouteRateLimit[]> {
  const config = buildStandalone(loadResources(files), {
    listenPort: 1,
    adminPort: 1,
    extprocSocket: options.udsPath,
    stateDir: '/nonexistent',
    rateLimit: options.service,
  });
  const limits = new Map<string, readonly RouteRateLimit[]>();
  for (const routeConfig of config.xds['xds/rds.yaml'].resources) {
    for (const route of routeConfig.virtual_hosts.flatMap((v) => v.routes)) {
      const perRoute =
        'typed_per_filter_config' in route ? route.typed_per_filter_config : undefined;
      const rateLimits = perRoute?.['envoy.filters.http.ratelimit']?.rate_limits;
      // Route names are `<rule id>/match/<m>`.
      const ruleId = route.name.replace(/\/match\/\d+$/, '');
      if (rateLimits && rateLimits.length > 0) limits.set(ruleId, rateLimits);
    }
  }
  return limits;
}

/** Options of {@link budgetRateLimits}. */
export interface BudgetOptions {
  readonly service: RateLimitService;
  /** The extproc's socket (the generation needs one; it does not reach the rate limits). */
  readonly udsPath: string;
}

/**
 * The token budgets of a route store, in file and API-server mode alike: {@link
 * rateLimitsFromFiles} over the store's {@link RouteStore.budgetInput}, run again only when its
 * version changed. A generation that fails (an invalid policy, a reference that does not resolve)
 * fails the hook that asked, naming the problem.
 */
export function budgetRateLimits(store: RouteStore, options: BudgetOptions): RateLimitSource {
  let cached: { version: number; limits: Map<string, readonly RouteRateLimit[]> } | undefined;
  const current = (): Map<string, readonly RouteRateLimit[]> => {
    const input = store.budgetInput();
    if (cached?.version === input.version) return cached.limits;
    try {
      cached = { version: input.version, limits: rateLimitsFromFiles(input.files, options) };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      const sources = input.files.map((f) => f.path).join(', ');
      throw new HookError('routes_unavailable', `token budgets of ${sources}: ${detail}`, {
        cause: err,
      });
    }
    return cached.limits;
  };
  return { service: options.service, limitsOf: (ruleId) => current().get(ruleId) };
}

/**
 * A `metadata` action (the `aigw_reserved` entry of a reserving budget's stream-done entry,
 * docs/budgets.md).
 */
type MetadataAction = Extract<RateLimitAction, { readonly metadata: unknown }>;

function metadataAction(entry: MetadataAction): envoyConfig.RateLimit_Action {
  const { metadata } = entry;
  return envoyConfig.RateLimit_Action.fromPartial({
    actionSpecifier: {
      $case: 'metadata',
      value: {
        descriptorKey: metadata.descriptor_key,
        metadataKey: {
          key: metadata.metadata_key.key,
          path: metadata.metadata_key.path.map((p) => ({
            segment: { $case: 'key', value: p.key },
          })),
        },
        defaultValue: metadata.default_value ?? '',
        // `source` stays the proto default, DYNAMIC: the only one the budgets use.
      },
    },
  });
}

/** An `extension` action: the CEL descriptor of a selector on the extproc's metadata. */
type ExtensionAction = Extract<RateLimitAction, { readonly extension: unknown }>;

function extensionAction(entry: ExtensionAction): envoyConfig.RateLimit_Action {
  const { name, typed_config: config } = entry.extension;
  const descriptor = envoyFilters.rateLimitDescriptorExpr.Descriptor;
  return envoyConfig.RateLimit_Action.fromPartial({
    actionSpecifier: {
      $case: 'extension',
      value: {
        name,
        typedConfig: pack(
          'envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor',
          descriptor,
          descriptor.fromPartial({ descriptorKey: config.descriptor_key, text: config.text }),
        ),
      },
    },
  });
}

function action(entry: RateLimitAction): envoyConfig.RateLimit_Action {
  if ('metadata' in entry) return metadataAction(entry);
  if ('extension' in entry) return extensionAction(entry);
  if ('generic_key' in entry) {
    const { descriptor_key: descriptorKey, descriptor_value: descriptorValue } = entry.generic_key;
    return { actionSpecifier: { $case: 'genericKey', value: { descriptorKey, descriptorValue } } };
  }
  if ('request_headers' in entry) {
    const { header_name: headerName, descriptor_key: descriptorKey } = entry.request_headers;
    return {
      actionSpecifier: {
        $case: 'requestHeaders',
        value: { headerName, descriptorKey, skipIfAbsent: false },
      },
    };
  }
  const match = entry.header_value_match;
  return envoyConfig.RateLimit_Action.fromPartial({
    actionSpecifier: {
      $case: 'headerValueMatch',
      value: {
        descriptorKey: match.descriptor_key,
        descriptorValue: match.descriptor_value,
        expectMatch: match.expect_match,
        headers: match.headers.map((h) => ({
          name: h.name,
          headerMatchSpecifier: {
            $case: 'stringMatch',
            value:
              'exact' in h.string_match
                ? { matchPattern: { $case: 'exact', value: h.string_match.exact } }
                : {
                    matchPattern: {
                      $case: 'safeRegex',
                      value: { regex: h.string_match.safe_regex.regex },
                    },
                  },
          },
        })),
      },
    },
  });
}

/** `config.route.v3.RateLimit` entries from their JSON form. */
export function toRouteRateLimits(limits: readonly RouteRateLimit[]): envoyConfig.RateLimit[] {
  return limits.map((limit) =>
    envoyConfig.RateLimit.fromPartial({
      actions: limit.actions.map(action),
      ...(limit.hits_addend === undefined
        ? {}
        : {
            hitsAddend:
              'number' in limit.hits_addend
                ? { number: limit.hits_addend.number }
                : { format: limit.hits_addend.format },
          }),
      applyOnStreamDone: limit.apply_on_stream_done === true,
    }),
  );
}

/** `RateLimitPerRoute` for the rate-limit filter of a rule's routes. */
export function perRouteRateLimits(limits: readonly RouteRateLimit[]): envoyConfig.Any {
  return pack(
    'envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute',
    envoyFilters.rateLimit.RateLimitPerRoute,
    envoyFilters.rateLimit.RateLimitPerRoute.fromPartial({ rateLimits: toRouteRateLimits(limits) }),
  );
}

/**
 * The rate-limit filter: fails open (a budget is a soft limit, the gateway is not) and hides
 * `x-envoy-ratelimited`, as `aigw run`'s. It runs after the router-level ext_proc, whose buffered
 * body phase sets the model header the limits match.
 */
export function rateLimitFilter(): envoyFilters.hcm.HttpFilter {
  return envoyFilters.hcm.HttpFilter.fromPartial({
    name: filterNames.rateLimit,
    configType: {
      $case: 'typedConfig',
      value: pack(
        'envoy.extensions.filters.http.ratelimit.v3.RateLimit',
        envoyFilters.rateLimit.RateLimit,
        envoyFilters.rateLimit.RateLimit.fromPartial({
          domain: rateLimitDomain,
          timeout: { seconds: 1n, nanos: 0 },
          failureModeDeny: false,
          disableXEnvoyRatelimitedHeader: true,
          // As `aigw run`: the budget's limit, remaining and reset, which the router-level extproc
          // rewrites into the client's dialect (docs/ratelimit.md, Headers clients see).
          enableXRatelimitHeaders:
            envoyFilters.rateLimit.RateLimit_XRateLimitHeadersRFCVersion.DRAFT_VERSION_03,
          rateLimitService: {
            grpcService: {
              targetSpecifier: { $case: 'envoyGrpc', value: { clusterName: rateLimitClusterName } },
            },
            transportApiVersion: envoyConfig.ApiVersion.V3,
          },
        }),
      ),
    },
  });
}

/** The rate-limit service's cluster (HTTP/2, STRICT_DNS so a host name works too). */
export function rateLimitCluster(service: RateLimitService): envoyConfig.Cluster {
  const options = envoyFilters.upstreamHttp.HttpProtocolOptions.fromPartial({
    upstreamProtocolOptions: {
      $case: 'explicitHttpConfig',
      value: { protocolConfig: { $case: 'http2ProtocolOptions', value: {} } },
    },
  });
  const name = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
  return envoyConfig.Cluster.fromPartial({
    name: rateLimitClusterName,
    clusterDiscoveryType: { $case: 'type', value: envoyConfig.Cluster_DiscoveryType.STRICT_DNS },
    connectTimeout: { seconds: 5n, nanos: 0 },
    typedExtensionProtocolOptions: {
      [name]: pack(name, envoyFilters.upstreamHttp.HttpProtocolOptions, options),
    },
    loadAssignment: {
      clusterName: rateLimitClusterName,
      endpoints: [
        {
          lbEndpoints: [
            {
              hostIdentifier: {
                $case: 'endpoint',
                value: {
                  address: {
                    address: {
                      $case: 'socketAddress',
                      value: {
                        address: service.host,
                        portSpecifier: { $case: 'portValue', value: service.port },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      ],
    },
  });
}
