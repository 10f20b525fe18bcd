import { stringify } from 'yaml';
import { legacyFilterConfigKey } from '@aigw/filterapi';

import { configSecrets } from './config-secrets.js';
import { envoyGatewayNames } from './envoy/names.js';
import { routeNotFoundMessage } from './envoy/routes.js';
import { ResourceError } from './errors.js';
import {
  buildRouteFilterConfigs,
  mergeFilterConfigs,
  type FilterConfigCommonOptions,
  type RouteFilterConfig,
} from './filter-config.js';
import { planRoutes, type PlannedRule } from './plan.js';
import type { Backend } from './kube-types.js';
import { gatewayGlobalCosts, unsupportedObjects } from './gateway-configs.js';
import { gatewayTenantBudgets, pricedRulesOfPlan, type TenantBudgets } from './tenant-budgets.js';
import type {
  AIGatewayRouteOwnerReference,
  GeneratedObject,
  HTTPBackendRef,
  HTTPRoute,
  HTTPRouteBackendRule,
  HTTPRouteExtensionRefFilter,
  HTTPRouteFilter,
  KubernetesObject,
  PassedThroughObject,
} from './kubernetes-objects.js';
import { isServiceRef } from './references.js';
import type {
  AnyAIGatewayRoute,
  AnyAIServiceBackend,
  Loaded,
  ResourceSet,
} from './resource-set.js';

/** The key of the filter config in the legacy config Secret `<gateway>-<namespace>`. */
export const filterConfigKey = legacyFilterConfigKey;

const aiGroup = 'aigateway.envoyproxy.io';
const egGroup = 'gateway.envoyproxy.io';

const hostRewriteName = (route: string): string => `ai-eg-host-rewrite-${route}`;
const routeNotFoundName = (route: string): string => `ai-eg-route-not-found-response-${route}`;

/**
 * `ownerReferences` naming the AIGatewayRoute as controller, when it has a uid (read from a
 * cluster, as the controller's are); none otherwise (`aigw translate` of files): an owner
 * reference without a uid is invalid, and Envoy Gateway's File provider refuses the object.
 */
function ownedBy(route: Loaded<AnyAIGatewayRoute>): {
  ownerReferences?: readonly AIGatewayRouteOwnerReference[];
} {
  const uid = route.resource.metadata.uid;
  if (uid === undefined || uid === '') return {};
  const owner: AIGatewayRouteOwnerReference = {
    apiVersion: `${aiGroup}/v1beta1`,
    kind: 'AIGatewayRoute',
    name: route.name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  return { ownerReferences: [owner] };
}

function extensionRef(name: string): HTTPRouteExtensionRefFilter {
  return { type: 'ExtensionRef', extensionRef: { group: egGroup, kind: 'HTTPRouteFilter', name } };
}

/**
 * The HTTPRoute backendRef of an AIServiceBackend: a copy of its `spec.backendRef` (an Envoy
 * Gateway Backend or a Service, with its port), the namespace spelled out when it is not the
 * route's, as upstream's controller writes it.
 */
function backendObjectRef(
  serviceBackend: Loaded<AnyAIServiceBackend>,
  route: Loaded<AnyAIGatewayRoute>,
): HTTPBackendRef {
  // Validation applied the CRD defaults (group "", kind Service) and made backendRef required.
  const {
    group = '',
    kind = 'Service',
    name,
    namespace: given,
    port,
  } = serviceBackend.resource.spec?.backendRef ?? { name: '' };
  const namespace = given ?? serviceBackend.namespace;
  return {
    group,
    kind,
    name,
    ...(namespace === route.namespace ? {} : { namespace }),
    ...(port === undefined ? {} : { port }),
  };
}

function httpRouteRule(rule: PlannedRule, rootPrefix: string): HTTPRouteBackendRule {
  const { route } = rule;
  const matches = rule.matches.length > 0 ? rule.matches : [[]];
  return {
    name: rule.rule.name ?? `${route.name}-rule-${String(rule.index)}`,
    backendRefs: rule.refs.map((ref) => ({
      ...backendObjectRef(ref.serviceBackend, route),
      ...(ref.weight === 1 ? {} : { weight: ref.weight }),
    })),
    filters: [extensionRef(hostRewriteName(route.name))],
    matches: matches.map((headers) => ({
      ...(headers.length > 0
        ? {
            headers: headers.map((h) => ({
              name: h.name,
              type: h.type ?? 'Exact',
              value: h.value,
            })),
          }
        : {}),
      path: { value: rootPrefix },
    })),
    timeouts: {
      request: rule.requestTimeout,
      ...(rule.rule.timeouts?.backendRequest === undefined
        ? {}
        : { backendRequest: rule.rule.timeouts.backendRequest }),
    },
  };
}

/** Never copied from a route onto its HTTPRoute: kubectl's bookkeeping of the route itself. */
const notCopied = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/**
 * The AIGatewayRoute's labels and annotations, copied onto its HTTPRoute as upstream does; ours
 * (`generated`) win on the same key.
 */
function copiedMetadata(
  route: Loaded<AnyAIGatewayRoute>,
  generated: Readonly<Record<string, string>>,
): { labels?: Record<string, string>; annotations: Record<string, string> } {
  const { labels, annotations = {} } = route.resource.metadata;
  const copied = Object.fromEntries(
    Object.entries(annotations).filter(([key]) => !notCopied.has(key)),
  );
  return {
    ...(labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}),
    annotations: { ...copied, ...generated },
  };
}

/** The HTTPRoute the controller creates for an AIGatewayRoute (protocols.md §5.2). */
function httpRoute(
  route: Loaded<AnyAIGatewayRoute>,
  rules: readonly PlannedRule[],
  rootPrefix: string,
): HTTPRoute {
  const spec = route.resource.spec;
  const priorities = rules.flatMap((rule) =>
    rule.refs.map((ref) => `${String(rule.index)}:${ref.ref.name}:${String(ref.priority)}`),
  );
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: route.name,
      namespace: route.namespace,
      ...copiedMetadata(route, {
        // A change of backends or priorities changes the annotation, which makes Envoy Gateway
        // re-translate the route (it copies gateway.envoyproxy.io/* annotations into metadata).
        'gateway.envoyproxy.io/backend-ref-priority': priorities.join(','),
        [envoyGatewayNames.generatedAnnotation]: 'true',
      }),
      ...ownedBy(route),
    },
    spec: {
      parentRefs: spec?.parentRefs ?? [],
      ...(spec?.hostnames ? { hostnames: spec.hostnames } : {}),
      rules: [
        ...rules.map((rule) => httpRouteRule(rule, rootPrefix)),
        {
          name: 'route-not-found',
          matches: [{ path: { value: rootPrefix } }],
          filters: [extensionRef(routeNotFoundName(route.name))],
        },
      ],
    },
  };
}

function routeFilters(route: Loaded<AnyAIGatewayRoute>): HTTPRouteFilter[] {
  const metadata = (name: string): HTTPRouteFilter['metadata'] => ({
    name,
    namespace: route.namespace,
    ...ownedBy(route),
  });
  return [
    {
      apiVersion: `${egGroup}/v1alpha1`,
      kind: 'HTTPRouteFilter',
      metadata: metadata(hostRewriteName(route.name)),
      spec: { urlRewrite: { hostname: { type: 'Backend' } } },
    },
    {
      apiVersion: `${egGroup}/v1alpha1`,
      kind: 'HTTPRouteFilter',
      metadata: metadata(routeNotFoundName(route.name)),
      spec: {
        directResponse: {
          statusCode: 404,
          body: { type: 'Inline', inline: routeNotFoundMessage },
        },
      },
    },
  ];
}

/** The Gateways (`namespace/name`) a route attaches to. */
function gatewaysOf(route: Loaded<AnyAIGatewayRoute>): string[] {
  return (route.resource.spec?.parentRefs ?? [])
    .filter((p) => (p.kind ?? 'Gateway') === 'Gateway')
    .map((p) => `${p.namespace ?? route.namespace}/${p.name}`);
}

/**
 * The extproc config Secrets of one Gateway, in its namespace: the filter config of every route
 * attached to it (their shares merged in route order, then the global costs of its
 * GatewayConfig), credentials inlined, laid out by
 * {@link configSecrets} (upstream's names: the parts, the index `<gw>-<ns>-<h12>`, and the legacy
 * `<gw>-<ns>` while it fits). The controller writes exactly these.
 */
function gatewayConfigSecrets(
  gateway: string,
  routes: readonly RouteFilterConfig[],
  { extra, budgets }: { extra: FilterConfigCommonOptions; budgets: TenantBudgets['config'] },
): readonly GeneratedObject[] {
  if (routes.length === 0) return [];
  const [namespace = 'default', name = ''] = gateway.split('/');
  return configSecrets({
    gatewayNamespace: namespace,
    gatewayName: name,
    secretNamespace: namespace,
    filterConfig: { ...mergeFilterConfigs(routes, extra), ...budgets },
  }).secrets;
}

/** Options of {@link translateToKubernetes}. */
export interface TranslateOptions {
  /**
   * The path prefix of every HTTPRoute match, as the controller's `rootPrefix` (normalised, e.g.
   * `/ai`; see `parseRootPrefix`); default `/`.
   */
  readonly rootPrefix?: string;
  /**
   * Whether to lay out each Gateway's config Secrets (default true). The controller, which
   * merges the routes' shares ({@link Translation.routeFilterConfigs}) itself, turns it off.
   */
  readonly configSecrets?: boolean;
}

/** What {@link translateResources} returns. */
export interface Translation {
  /** As {@link translateToKubernetes} returns them. */
  readonly objects: KubernetesObject[];
  /**
   * Each route's share of its Gateways' filter config, by `namespace/name`, for the routes that
   * attach to a Gateway.
   */
  readonly routeFilterConfigs: ReadonlyMap<string, RouteFilterConfig>;
}

/**
 * The Kubernetes objects the controller creates for `resources` — per AIGatewayRoute an
 * HTTPRoute and its two HTTPRouteFilters (host rewrite, route-not-found), per Gateway the extproc
 * config Secrets (bundle parts, index, legacy; credentials inlined) — followed by the user's own objects other than our CRs (Gateways, Backends,
 * Secrets, BackendTLSPolicies, …), exactly as written, in input order.
 *
 * @throws ResourceError for what the translation does not support (MCPRoute, unusable credentials).
 */
export function translateToKubernetes(
  resources: ResourceSet,
  options: TranslateOptions = {},
): KubernetesObject[] {
  return translateResources(resources, options).objects;
}

/**
 * {@link translateToKubernetes}, with each route's share of the filter config.
 *
 * @throws ResourceError for what the translation does not support (MCPRoute, unusable credentials).
 */
export function translateResources(
  resources: ResourceSet,
  options: TranslateOptions = {},
): Translation {
  const rootPrefix = options.rootPrefix ?? '/';
  const problems = unsupportedObjects(resources, 'aigw');
  const plannable = withServicePlaceholders(resources);
  const plan = planRoutes(plannable);
  const generated: GeneratedObject[] = [];
  for (const route of resources.aiGatewayRoutes) {
    const rules = plan.rules.filter((r) => r.route === route);
    generated.push(httpRoute(route, rules, rootPrefix), ...routeFilters(route));
  }
  const attached = new Set(resources.aiGatewayRoutes.filter((r) => gatewaysOf(r).length > 0));
  const shares = buildRouteFilterConfigs(
    {
      resources: { ...plannable, aiGatewayRoutes: [...attached] },
      rules: plan.rules.filter((rule) => attached.has(rule.route)),
    },
    { mode: 'kubernetes' },
  );
  problems.push(...shares.problems);
  if (options.configSecrets ?? true) {
    const gateways = [...new Set([...attached].flatMap(gatewaysOf))];
    for (const gateway of gateways) {
      const routes = [...attached].filter((route) => gatewaysOf(route).includes(gateway));
      const share = (route: Loaded<AnyAIGatewayRoute>): RouteFilterConfig[] => {
        const found = shares.routes.get(route);
        return found ? [found] : [];
      };
      // Client keys and prices of its GatewayConfig (docs/budgets.md), as the controller merges them.
      const budgets = gatewayTenantBudgets(resources, {
        gateway,
        rules: pricedRulesOfPlan(plan.rules.filter((rule) => routes.includes(rule.route))),
      });
      problems.push(...budgets.problems);
      generated.push(
        ...gatewayConfigSecrets(gateway, routes.flatMap(share), {
          extra: { extraCosts: gatewayGlobalCosts(resources, gateway) },
          budgets: budgets.config,
        }),
      );
    }
  }
  if (problems.length > 0) throw new ResourceError([...new Set(problems)]);
  const routeFilterConfigs = new Map<string, RouteFilterConfig>();
  for (const [route, share] of shares.routes) {
    routeFilterConfigs.set(`${route.namespace}/${route.name}`, share);
  }
  return { objects: [...generated, ...passThrough(resources)], routeFilterConfigs };
}

/**
 * The planner resolves every AIServiceBackend to an Envoy Gateway Backend, which `aigw run`
 * needs for its clusters. On Kubernetes a Service reference is resolved by the cluster, and the
 * filter config does not depend on the Backend; so for planning each Service reference gets a
 * stand-in Backend of the same name, which never reaches the output.
 */
function withServicePlaceholders(resources: ResourceSet): ResourceSet {
  const placeholders: Loaded<Backend>[] = [];
  for (const serviceBackend of resources.aiServiceBackends) {
    const ref = serviceBackend.resource.spec?.backendRef;
    if (ref === undefined || !isServiceRef(ref)) continue;
    const namespace = ref.namespace ?? serviceBackend.namespace;
    const resource: Backend = {
      apiVersion: `${egGroup}/v1alpha1`,
      kind: 'Backend',
      metadata: { name: ref.name, namespace },
      spec: { endpoints: [] },
    };
    placeholders.push({ ...serviceBackend, namespace, name: ref.name, resource });
  }
  return placeholders.length === 0
    ? resources
    : { ...resources, backends: [...resources.backends, ...placeholders] };
}

function passThrough(resources: ResourceSet): PassedThroughObject[] {
  const user: Loaded<unknown>[] = [
    ...resources.backends,
    ...resources.backendTrafficPolicies,
    ...resources.gateways,
    ...resources.secrets,
    ...resources.others.filter((o) => !o.resource.apiVersion.startsWith(`${aiGroup}/`)),
  ];
  return user.sort((a, b) => a.position - b.position).map((item) => item.manifest);
}

/** Objects as one multi-document YAML stream (what `aigw translate` prints). */
export function manifestsToYaml(objects: readonly object[]): string {
  return objects
    .map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join('');
}
