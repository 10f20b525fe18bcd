import { isIP } from 'node:net';

import type { AIGatewayRoute, AIGatewayRouteRule } from '@aigw/api';
import { envoyConfig, envoyFilters, type egExtension } from '@aigw/proto';

import { HookError } from '../errors.js';
import type { RouteStore } from '../route-store.js';
import { pack, unpack } from '../xds/any.js';
import {
  contentLengthFilter,
  defaultHttpProtocolOptions,
  enableOnRoute,
  extProcUdsCluster,
  routerExtProcFilter,
  upstreamCodecFilter,
  upstreamExtProcFilter,
} from '../xds/filters.js';
import { routerExtProcPosition } from '../xds/filter-order.js';
import { addResilience } from '../xds/resilience.js';
import { addLocalReplies } from '../xds/local-reply.js';
import {
  perRouteRateLimits,
  rateLimitCluster,
  rateLimitClusterName,
  rateLimitFilter,
  type RateLimitSource,
} from '../xds/rate-limits.js';
import {
  backendNameKey,
  envoyGatewayMetadataNamespace,
  extProcFilterName,
  extProcUdsClusterName,
  filterNames,
  generatedAnnotation,
  hostnameKey,
  httpProtocolOptionsName,
  routeNameKey,
  upstreamHostKey,
  xdsMetadataNamespace,
} from '../xds/names.js';

/** What PostTranslateModify needs besides the request. */
export interface PostTranslateOptions {
  readonly routes: RouteStore;
  /** The extproc's Unix socket, the address of the `ai-gateway-extproc-uds` cluster. */
  readonly udsPath: string;
  /** Token budgets: the rate-limit filter, its cluster and per-route limits where rules have them. */
  readonly rateLimits?: RateLimitSource | undefined;
}

/** An AIGatewayRoute rule an xDS resource belongs to. */
export interface RuleRef {
  readonly route: AIGatewayRoute;
  readonly namespace: string;
  readonly name: string;
  readonly index: number;
  readonly rule: AIGatewayRouteRule;
}

const hcmType = {
  name: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  codec: envoyFilters.hcm.HttpConnectionManager,
};
const protocolOptionsType = {
  name: httpProtocolOptionsName,
  codec: envoyFilters.upstreamHttp.HttpProtocolOptions,
};

/**
 * `httproute/<ns>/<name>/rule/<i>` (a cluster) or `httproute/<ns>/<name>/rule/<i>/match/<m>/<host>`
 * (a route) → the AIGatewayRoute rule, when the store has that route.
 */
function parseName(
  resourceName: string,
  kind: 'cluster' | 'route',
): { namespace: string; name: string; index: number } | undefined {
  const parts = resourceName.split('/');
  const lengthOk = kind === 'cluster' ? parts.length === 5 : parts.length >= 5;
  const [prefix, namespace = '', name = '', rule, indexText = ''] = parts;
  if (!lengthOk || prefix !== 'httproute' || rule !== 'rule' || !/^\d+$/.test(indexText)) {
    return undefined;
  }
  return { namespace, name, index: Number(indexText) };
}

export function ruleOf(
  resourceName: string,
  routes: RouteStore,
  kind: 'cluster' | 'route',
): RuleRef | undefined {
  const parsed = parseName(resourceName, kind);
  if (parsed === undefined) return undefined;
  const route = routes.get(parsed.namespace, parsed.name);
  const rule = route?.spec?.rules[parsed.index];
  return route && rule ? { ...parsed, route, rule } : undefined;
}

/** The backendRefs Envoy Gateway turned into endpoint groups (weight 0 ones it leaves out), with their tier. */
function weightedRefs(ref: RuleRef): { readonly name: string; readonly tier: number }[] {
  const refs = (ref.rule.backendRefs ?? [])
    .map((backendRef, j) => ({ backendRef, j }))
    .filter(({ backendRef }) => backendRef.weight !== 0);
  const tiers = [...new Set(refs.map(({ backendRef }) => backendRef.priority ?? 0))].sort(
    (a, b) => a - b,
  );
  return refs.map(({ backendRef, j }) => ({
    name: `${backendRef.namespace ?? ref.namespace}/${backendRef.name}/route/${ref.name}/rule/${String(ref.index)}/ref/${String(j)}`,
    tier: tiers.indexOf(backendRef.priority ?? 0),
  }));
}

function setMetadata(
  metadata: envoyConfig.Metadata | undefined,
  values: Record<string, string>,
): envoyConfig.Metadata {
  const md = metadata ?? envoyConfig.Metadata.fromPartial({});
  md.filterMetadata[xdsMetadataNamespace] = {
    ...md.filterMetadata[xdsMetadataNamespace],
    ...values,
  };
  return md;
}

/** The host an endpoint is reached by: its host name, or a socket address that is not an IP. */
function upstreamHost(endpoint: envoyConfig.Endpoint | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  if (endpoint.hostname !== '') return endpoint.hostname;
  const address = endpoint.address?.address;
  if (address?.$case === 'socketAddress' && isIP(address.value.address) === 0) {
    return address.value.address;
  }
  return undefined;
}

/**
 * Backend names, host names and priority tiers on the endpoint groups of an AI cluster (one group
 * per weighted backendRef, in ref order). Shared with PostEndpointsModify, which sees the
 * endpoints of EDS clusters.
 */
export function annotateAssignment(
  assignment: envoyConfig.ClusterLoadAssignment,
  ref: RuleRef,
  where: string,
): void {
  const refs = weightedRefs(ref);
  if (assignment.endpoints.length !== refs.length) {
    throw new HookError(
      'invalid_xds',
      `${where}: ${String(assignment.endpoints.length)} endpoint groups for the ${String(refs.length)} weighted backendRefs of AIGatewayRoute ${ref.namespace}/${ref.name} rule ${String(ref.index)}`,
    );
  }
  assignment.endpoints.forEach((locality, k) => {
    const backend = refs[k];
    if (backend === undefined) return;
    locality.priority = backend.tier;
    for (const lbEndpoint of locality.lbEndpoints) {
      const endpoint =
        lbEndpoint.hostIdentifier?.$case === 'endpoint'
          ? lbEndpoint.hostIdentifier.value
          : undefined;
      const host = upstreamHost(endpoint);
      lbEndpoint.metadata = setMetadata(lbEndpoint.metadata, {
        [backendNameKey]: backend.name,
        ...(host === undefined ? {} : { [upstreamHostKey]: host, [hostnameKey]: host }),
      });
    }
  });
}

/** Endpoint metadata of an AI cluster, or cluster metadata when its endpoints come from EDS. */
function annotateEndpoints(cluster: envoyConfig.Cluster, ref: RuleRef): void {
  if (cluster.loadAssignment === undefined) {
    // EDS: PostEndpointsModify annotates the endpoints; the cluster gets the first backend, as
    // upstream does (exact for single-backend rules, a fallback when that hook is not enabled).
    const first = weightedRefs(ref)[0];
    if (first) cluster.metadata = setMetadata(cluster.metadata, { [backendNameKey]: first.name });
    return;
  }
  annotateAssignment(cluster.loadAssignment, ref, `cluster ${cluster.name}`);
}

/**
 * Inserts the upstream ext_proc and the content-length mutation before the upstream codec; with a
 * fallback tier, the ext_proc is the first-token gate's (docs/resilience.md).
 */
function addUpstreamFilters(cluster: envoyConfig.Cluster, ref: RuleRef): void {
  const where = `cluster ${cluster.name}: typed_extension_protocol_options`;
  const existing = cluster.typedExtensionProtocolOptions[httpProtocolOptionsName];
  const options = existing
    ? unpack(existing, protocolOptionsType, where)
    : defaultHttpProtocolOptions();
  if (options.httpFilters.some((f) => f.name === extProcFilterName)) return;
  const hasFirstTokenGate = new Set(weightedRefs(ref).map((r) => r.tier)).size > 1;
  const ours = [upstreamExtProcFilter({ hasFirstTokenGate }), contentLengthFilter()];
  if (options.httpFilters.length === 0) {
    options.httpFilters = [...ours, upstreamCodecFilter()];
  } else {
    // The codec is always last.
    options.httpFilters.splice(options.httpFilters.length - 1, 0, ...ours);
  }
  cluster.typedExtensionProtocolOptions[httpProtocolOptionsName] = pack(
    protocolOptionsType.name,
    protocolOptionsType.codec,
    options,
  );
}

/** The Gateway API resources Envoy Gateway lists in a route's metadata. */
interface SourceResource {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly annotations?: Record<string, unknown>;
}

function sourceResources(route: envoyConfig.Route): SourceResource[] {
  const resources: unknown =
    route.metadata?.filterMetadata[envoyGatewayMetadataNamespace]?.resources;
  return Array.isArray(resources) ? (resources as SourceResource[]) : [];
}

/**
 * The AIGatewayRoute (`namespace/name`) an Envoy route comes from: its HTTPRoute carries the
 * controller's annotation, or the store has a route of the HTTPRoute's name. Envoy Gateway's File
 * provider leaves `kind` empty and drops annotations, hence the name check (and the route name
 * `httproute/<ns>/<name>/…` when there is no metadata).
 */
function aiRouteOf(route: envoyConfig.Route, routes: RouteStore): string | undefined {
  for (const resource of sourceResources(route)) {
    const isHttpRoute = resource.kind === 'HTTPRoute' || !resource.kind;
    if (!isHttpRoute || !resource.name) continue;
    const namespace = resource.namespace ?? 'default';
    const generated = resource.annotations?.[generatedAnnotation] !== undefined;
    if (generated || routes.get(namespace, resource.name)) return `${namespace}/${resource.name}`;
  }
  const parsed = parseName(route.name, 'route');
  return parsed && routes.get(parsed.namespace, parsed.name)
    ? `${parsed.namespace}/${parsed.name}`
    : undefined;
}

/** `5m`, `1h30m`, `500ms` (Gateway API durations) → a protobuf Duration. */
function duration(text: string, where: string): envoyConfig.Duration {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...text.matchAll(/(\d+)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new HookError('invalid_xds', `${where}: invalid duration ${JSON.stringify(text)}`);
  }
  const ms = parts.reduce(
    (sum, [, n = '0', unit = 's']) => sum + Number(n) * (units[unit] ?? 0),
    0,
  );
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/**
 * `envoy.retry_priorities.previous_priorities` with `update_frequency: 1` (field 1, varint 1),
 * written by hand: the only field of a config this project does not otherwise need.
 */
const previousPriorities = (): envoyConfig.Any => ({
  typeUrl:
    'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
  value: Buffer.from([0x08, 0x01]),
});

/** Stream idle timeout per try, and retries that move to the next priority tier. */
function editRouteAction(action: envoyConfig.RouteAction, ref: RuleRef, where: string): void {
  const tiers = new Set(weightedRefs(ref).map((r) => r.tier)).size;
  const idle = ref.rule.streamIdleTimeout;
  if (idle === undefined && tiers < 2) return;
  const policy =
    action.retryPolicy ??
    envoyConfig.RetryPolicy.fromPartial({
      // As `aigw run` (@aigw/gateway-config): with a fallback tier, a provider's 429 is a reason
      // to ask the next tier at once (no `rate_limited_retry_back_off`: it would hold that move
      // for the `retry-after`); the last tier's 429 reaches the client as is (`retry-after`).
      retryOn:
        tiers < 2
          ? '5xx,reset,connect-failure,refused-stream'
          : '5xx,reset,connect-failure,refused-stream,retriable-status-codes',
      numRetries: Math.max(0, tiers - 1),
      retriableStatusCodes: tiers < 2 ? [] : [429],
    });
  if (idle !== undefined) policy.perTryIdleTimeout = duration(idle, `${where}: streamIdleTimeout`);
  if (tiers >= 2) {
    policy.retryPriority ??= {
      name: 'envoy.retry_priorities.previous_priorities',
      configType: { $case: 'typedConfig', value: previousPriorities() },
    };
    if (policy.retryHostPredicate.length === 0) {
      policy.retryHostPredicate = [
        {
          name: 'envoy.retry_host_predicates.previous_hosts',
          configType: {
            $case: 'typedConfig',
            value: {
              typeUrl:
                'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
              value: Buffer.alloc(0),
            },
          },
        },
      ];
    }
    if (policy.hostSelectionRetryMaxAttempts === 0n) policy.hostSelectionRetryMaxAttempts = 5n;
  }
  action.retryPolicy = policy;
}

/** What {@link editRoute} found: an AI route, and whether it has rate limits. */
interface RouteEdit {
  readonly isAi: boolean;
  readonly isLimited: boolean;
}

/** Enables the router-level ext_proc (and its rate limits) on an AI route. */
function editRoute(
  route: envoyConfig.Route,
  options: PostTranslateOptions,
  configName: string,
): RouteEdit {
  const aiRoute = aiRouteOf(route, options.routes);
  if (aiRoute === undefined) return { isAi: false, isLimited: false };
  route.typedPerFilterConfig[extProcFilterName] = enableOnRoute();
  route.metadata = setMetadata(route.metadata, { [routeNameKey]: aiRoute });
  const ref = ruleOf(route.name, options.routes, 'route');
  if (ref === undefined) return { isAi: true, isLimited: false };
  if (route.action?.$case === 'route') {
    editRouteAction(
      route.action.value,
      ref,
      `route ${route.name} (route configuration ${configName})`,
    );
  }
  const limits = options.rateLimits?.limitsOf(
    `${ref.namespace}/${ref.name}/rule/${String(ref.index)}`,
  );
  if (limits === undefined) return { isAi: true, isLimited: false };
  route.typedPerFilterConfig[filterNames.rateLimit] = perRouteRateLimits(limits);
  return { isAi: true, isLimited: true };
}

/** The route configurations with AI routes, and whether any route got rate limits. */
interface RoutesEdit {
  readonly aiRouteConfigs: Set<string>;
  readonly isLimited: boolean;
}

/** Edits the AI routes of every route configuration. */
function editRoutes(
  configs: readonly envoyConfig.RouteConfiguration[],
  options: PostTranslateOptions,
): RoutesEdit {
  const aiRouteConfigs = new Set<string>();
  let isLimited = false;
  for (const config of configs) {
    const edits = config.virtualHosts
      .flatMap((vhost) => vhost.routes)
      .map((route) => editRoute(route, options, config.name));
    if (edits.some((e) => e.isAi)) aiRouteConfigs.add(config.name);
    isLimited ||= edits.some((e) => e.isLimited);
  }
  return { aiRouteConfigs, isLimited };
}

/** Skipped: Envoy Gateway's own stats and readiness listeners. */
const isInternalListener = (name: string): boolean =>
  name.startsWith('envoy-gateway-proxy-stats-') || name.startsWith('envoy-gateway-proxy-ready-');

/** Inserts `filter` at `position` unless the chain has a filter of its name; true when inserted. */
function insertOnce(
  filters: envoyFilters.hcm.HttpFilter[],
  filter: envoyFilters.hcm.HttpFilter,
  position: (names: readonly string[]) => number,
): boolean {
  if (filters.some((f) => f.name === filter.name)) return false;
  filters.splice(position(filters.map((f) => f.name)), 0, filter);
  return true;
}

/**
 * Adds the (disabled) router-level ext_proc, and with rate limits the rate-limit filter right
 * after it and `aigw run`'s local reply config, to one HCM filter when its routes include AI routes.
 */
function editHcm(filter: envoyConfig.Filter, edit: RoutesEdit, where: string): void {
  if (filter.name !== filterNames.hcm || filter.configType?.$case !== 'typedConfig') return;
  const hcm = unpack(filter.configType.value, hcmType, `${where}: ${filter.name}`);
  const rds = hcm.routeSpecifier?.$case === 'rds' ? hcm.routeSpecifier.value.routeConfigName : '';
  if (!edit.aiRouteConfigs.has(rds)) return;
  let changed = insertOnce(hcm.httpFilters, routerExtProcFilter(), routerExtProcPosition);
  if (edit.isLimited) {
    const afterExtProc = (names: readonly string[]): number => names.indexOf(extProcFilterName) + 1;
    changed = insertOnce(hcm.httpFilters, rateLimitFilter(), afterExtProc) || changed;
    // A refused budget (429) and Envoy's other own replies as JSON errors, as in `aigw run`.
    changed = addLocalReplies(hcm) || changed;
  }
  if (!changed) return;
  hcm.schemeHeaderTransformation ??= envoyConfig.SchemeHeaderTransformation.fromPartial({});
  hcm.schemeHeaderTransformation.matchUpstream = true;
  filter.configType = { $case: 'typedConfig', value: pack(hcmType.name, hcmType.codec, hcm) };
}

/** Adds the router-level ext_proc to every HCM that serves AI routes. */
function editListeners(listeners: readonly envoyConfig.Listener[], edit: RoutesEdit): void {
  for (const listener of listeners) {
    if (isInternalListener(listener.name)) continue;
    const chains = [...listener.filterChains];
    if (listener.defaultFilterChain) chains.push(listener.defaultFilterChain);
    for (const chain of chains) {
      const where = `listener ${listener.name}: filter chain ${chain.name || '(unnamed)'}`;
      for (const filter of chain.filters) editHcm(filter, edit, where);
    }
  }
}

/**
 * PostTranslateModify: the whole xDS of a Gateway after Envoy Gateway's translation. Edits the
 * decoded request in place (it is this call's own copy) and returns it; any error leaves nothing
 * returned, so Envoy Gateway never receives half-edited xDS.
 * @see upstream internal/extensionserver/post_translate_modify.go
 */
export function postTranslateModify(
  request: egExtension.PostTranslateModifyRequest,
  options: PostTranslateOptions,
): egExtension.PostTranslateModifyResponse {
  options.routes.refresh?.();
  if (!options.routes.isSynced) {
    throw new HookError(
      'routes_unavailable',
      'PostTranslateModify: the AIGatewayRoutes are not loaded yet',
    );
  }
  for (const cluster of request.clusters) {
    const ref = ruleOf(cluster.name, options.routes, 'cluster');
    if (ref === undefined) continue;
    annotateEndpoints(cluster, ref);
    addUpstreamFilters(cluster, ref);
    addResilience(cluster);
  }
  const edit = editRoutes(request.routes, options);
  editListeners(request.listeners, edit);
  const names = new Set(request.clusters.map((c) => c.name));
  if (!names.has(extProcUdsClusterName)) request.clusters.push(extProcUdsCluster(options.udsPath));
  if (edit.isLimited && options.rateLimits && !names.has(rateLimitClusterName)) {
    request.clusters.push(rateLimitCluster(options.rateLimits.service));
  }
  // Not fromPartial: it copies messages without the fields this project does not model.
  return {
    clusters: request.clusters,
    secrets: request.secrets,
    listeners: request.listeners,
    routes: request.routes,
    _unknownFields: {},
  };
}
