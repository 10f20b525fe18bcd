import { ResourceError, isResourceError } from './errors.js';
import type { GeneratedObject, KubernetesObject } from './kubernetes-objects.js';
import type { Target } from './references.js';
import type { ResourceSet } from './resource-set.js';
import { loadResources } from './resources.js';
import type { RouteFilterConfig } from './filter-config.js';
import {
  failClosedTenantBudgets,
  gatewayTenantBudgets,
  pricedRulesOfRoutes,
  type TenantBudgets,
} from './tenant-budgets.js';
import { translateResources, type TranslateOptions } from './translate.js';

/**
 * Orders objects of one kind as the API server lists them: by `<namespace>/<name>` (its storage
 * key), code unit by code unit. The token budgets number their quotas (`aigw_quota_<n>`) over
 * their input in this order, so the controller and the extension server, which both read a
 * cluster, sort their objects with this one comparator and agree whatever order their watches
 * delivered them in.
 */
export function compareListOrder(a: ListedObject, b: ListedObject): number {
  const [x, y] = [listKey(a), listKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What {@link compareListOrder} reads of an object. */
interface ListedObject {
  readonly metadata: {
    readonly namespace?: string | undefined;
    readonly name?: string | undefined;
  };
}

function listKey(object: ListedObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/** Options of {@link resourcesFromObjects}. */
export interface FromObjectsOptions {
  /** As {@link loadResources}'s `target`; the controller loads for `kubernetes`. */
  readonly target?: Target;
}

/** The pseudo file every object is loaded from; its prefix is cut from every message. */
const source = 'objects';

/**
 * What the API server sets and the generators never read: dropped before loading, so that an
 * object read from a cluster loads exactly like the manifest it was applied from (uid and
 * creationTimestamp stay: owner references and `/v1/models` use them).
 */
function withoutServerFields(object: object): object {
  const copy: Record<string, unknown> = { ...object };
  delete copy.status;
  const metadata = copy.metadata;
  if (typeof metadata === 'object' && metadata !== null) {
    copy.metadata = Object.fromEntries(
      Object.entries(metadata).filter(([field]) => !serverMetadata.has(field)),
    );
  }
  return copy;
}

const serverMetadata = new Set(['managedFields', 'resourceVersion', 'selfLink']);

/**
 * {@link loadResources} for objects that are already parsed — what the controller reads from its
 * informer caches — so that the controller and `aigw translate` validate, default and reference
 * check through one code path and cannot drift. Objects keep their order (`Loaded.position`);
 * `status`, `managedFields` and `resourceVersion` are ignored. Messages and warnings name the
 * object and the field without a file: `AIGatewayRoute default/chat: spec.rules[0].backendRefs[0].name: AIServiceBackend default/openai not found`.
 *
 * @throws ResourceError listing every problem, one per line.
 */
export function resourcesFromObjects(
  objects: readonly object[],
  options: FromObjectsOptions = {},
): ResourceSet {
  // The loader's whole pipeline (validation, CRD defaults, duplicate and reference checks) on
  // the documents as they are — no second implementation of it, and no YAML round trip, which
  // cost most of a 2,000-route Gateway reconcile. The JSON round trip gives each reconcile its own
  // plain copy of the cached objects.
  const documents = objects.map(
    (o) => JSON.parse(JSON.stringify(withoutServerFields(o))) as Record<string, unknown>,
  );
  const loadOptions = options.target === undefined ? {} : { target: options.target };
  let set: ResourceSet;
  try {
    set = loadResources([{ path: source, text: '', documents }], loadOptions);
  } catch (err) {
    if (!isResourceError(err)) throw err;
    throw new ResourceError(err.problems.map(withoutSource), { cause: err });
  }
  return { ...set, warnings: set.warnings.map(withoutSource) };
}

/** What {@link translateObjects} returns. */
export interface TranslatedObjects {
  /** The loaded objects (warnings name the object and field). */
  readonly resources: ResourceSet;
  /** What {@link translateToKubernetes} generates from them, user objects excluded. */
  readonly generated: GeneratedObject[];
  /** Each route's share of its Gateways' filter config, by `namespace/name`. */
  readonly routeFilterConfigs: ReadonlyMap<string, RouteFilterConfig>;
}

/**
 * `aigw translate` for objects read from a cluster: {@link resourcesFromObjects} for
 * `kubernetes`, then {@link translateToKubernetes}; only the generated objects (HTTPRoutes,
 * HTTPRouteFilters, config Secrets) are returned, not the input passed through.
 *
 * @throws ResourceError listing every problem, one per line, naming the object and the field.
 */
export function translateObjects(
  objects: readonly object[],
  options: TranslateOptions = {},
): TranslatedObjects {
  const resources = resourcesFromObjects(objects, { target: 'kubernetes' });
  let all: KubernetesObject[];
  let routeFilterConfigs: ReadonlyMap<string, RouteFilterConfig>;
  try {
    ({ objects: all, routeFilterConfigs } = translateResources(resources, options));
  } catch (err) {
    if (!isResourceError(err)) throw err;
    throw new ResourceError(err.problems.map(withoutSource), { cause: err });
  }
  // translate passes the user's objects through as loaded (the same references): drop them.
  const inputs = new Set<object>(
    [
      ...resources.aiGatewayRoutes,
      ...resources.aiServiceBackends,
      ...resources.backendSecurityPolicies,
      ...resources.quotaPolicies,
      ...resources.backends,
      ...resources.backendTrafficPolicies,
      ...resources.gateways,
      ...resources.secrets,
      ...resources.others,
    ].map((loaded) => loaded.manifest),
  );
  // What is not an input is generated (translate returns its own objects and the inputs only).
  const generated = all.filter((object): object is GeneratedObject => !inputs.has(object));
  return { resources, generated, routeFilterConfigs };
}

/** Options of {@link tenantBudgetsFromObjects}. */
export interface TenantBudgetsFromObjectsOptions {
  /** The Gateway, `namespace/name`. */
  readonly gateway: string;
  /**
   * The Gateway, its GatewayConfig and the Secret and ConfigMap that names (those that exist):
   * loaded as `aigw translate` loads them.
   */
  readonly objects: readonly object[];
  /** The valid AIGatewayRoutes attached to the Gateway (the missing-price check). */
  readonly routes: readonly object[];
  /** The AIServiceBackends that exist, `namespace/name` (a catalog entry's `backend`). */
  readonly backends: ReadonlySet<string>;
}

/**
 * The tenants and price catalog of one Gateway from objects read from a cluster (the controller):
 * {@link gatewayTenantBudgets} over {@link resourcesFromObjects}, messages naming the object and
 * the field without a file. Objects the loader refuses (say a Secret whose `data` is not base64)
 * are problems, and the Gateway fails closed.
 */
export function tenantBudgetsFromObjects(options: TenantBudgetsFromObjectsOptions): TenantBudgets {
  let resources: ResourceSet;
  try {
    resources = resourcesFromObjects(options.objects, { target: 'kubernetes' });
  } catch (err) {
    if (!isResourceError(err)) throw err;
    const config = options.objects.find(
      (o) => (o as { kind?: unknown }).kind === 'GatewayConfig',
    ) as { metadata?: { annotations?: Record<string, string> } } | undefined;
    return {
      config: failClosedTenantBudgets(config?.metadata?.annotations ?? {}),
      problems: err.problems,
    };
  }
  const budgets = gatewayTenantBudgets(resources, {
    gateway: options.gateway,
    rules: pricedRulesOfRoutes(options.routes),
    backends: options.backends,
  });
  return { ...budgets, problems: budgets.problems.map(withoutSource) };
}

function withoutSource(message: string): string {
  return message.startsWith(`${source}: `) ? message.slice(source.length + 2) : message;
}
