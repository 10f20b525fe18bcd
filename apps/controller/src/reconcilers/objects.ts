import type { Kind, KubeObject, ObjectCache, ObjectRef } from '../runtime/contracts.js';
import { indexKey, indexNames } from '../runtime/indexes.js';

/**
 * Read-only views of the fields the reconcilers follow between objects (the event graph). The API
 * server validated every object against its CRD, so these only guard against absent fields; the
 * full validation of what is generated goes through `@aigw/gateway-config`.
 */

export const aiGroup = 'aigateway.envoyproxy.io';
export const gatewayGroup = 'gateway.networking.k8s.io';
export const egGroup = 'gateway.envoyproxy.io';

/** The finalizer on AIGatewayRoute, AIServiceBackend and BackendSecurityPolicy (upstream's name). */
export const finalizer = 'aigateway.envoyproxy.io/finalizer';

interface Reference {
  readonly name: string;
  readonly namespace?: string;
  readonly group?: string;
  readonly kind?: string;
}

type Record_ = Readonly<Record<string, unknown>>;

function record(value: unknown): Record_ {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record_)
    : {};
}

function list(value: unknown): readonly Record_[] {
  return Array.isArray(value) ? value.map(record) : [];
}

function reference(value: unknown): Reference | undefined {
  const r = record(value);
  if (typeof r.name !== 'string') return undefined;
  const optional = (key: string): Partial<Record<string, string>> =>
    typeof r[key] === 'string' ? { [key]: r[key] } : {};
  return { name: r.name, ...optional('namespace'), ...optional('group'), ...optional('kind') };
}

/** `namespace/name` of an object. */
export function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** The queue key of a cached object. */
export function refOf(kind: Kind, object: KubeObject): ObjectRef {
  return { kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name };
}

/** `Kind namespace/name`, how every message names an object. */
export function labelOf(
  kind: string,
  object: { metadata: { namespace?: string; name: string } },
): string {
  return `${kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

export function isDeleting(object: KubeObject): boolean {
  return object.metadata.deletionTimestamp !== undefined;
}

function spec(object: KubeObject): Record_ {
  return record(object.spec);
}

/** One backendRef of an AIGatewayRoute rule, with where it sits. */
export interface RouteBackendRef {
  readonly rule: number;
  readonly index: number;
  readonly name: string;
  /** The referenced object's namespace (the route's when the ref has none). */
  readonly namespace: string;
  /** Whether it names an AIServiceBackend (the default) rather than an InferencePool. */
  readonly isServiceBackend: boolean;
  /** Whether the ref spells out a namespace other than the route's. */
  readonly isCrossNamespace: boolean;
}

/** Every backendRef of a route's rules, in order. */
export function routeBackendRefs(route: KubeObject): RouteBackendRef[] {
  const namespace = route.metadata.namespace ?? '';
  return list(spec(route).rules).flatMap((rule, i) =>
    list(rule.backendRefs).flatMap((raw, j) => {
      const ref = reference(raw);
      if (!ref) return [];
      const refNamespace = ref.namespace ?? namespace;
      return [
        {
          rule: i,
          index: j,
          name: ref.name,
          namespace: refNamespace,
          isServiceBackend: (ref.kind ?? 'AIServiceBackend') === 'AIServiceBackend',
          isCrossNamespace: refNamespace !== namespace,
        },
      ];
    }),
  );
}

/** The Gateways (namespace, name, field index) a route attaches to. */
export function routeGateways(
  route: KubeObject,
): { readonly namespace: string; readonly name: string; readonly index: number }[] {
  const namespace = route.metadata.namespace ?? '';
  return list(spec(route).parentRefs).flatMap((raw, index) => {
    const ref = reference(raw);
    if (!ref || (ref.kind ?? 'Gateway') !== 'Gateway') return [];
    return [{ namespace: ref.namespace ?? namespace, name: ref.name, index }];
  });
}

/** Whether `route` attaches to the Gateway `namespace/name`. */
export function isAttachedTo(route: KubeObject, namespace: string, name: string): boolean {
  return routeGateways(route).some((g) => g.namespace === namespace && g.name === name);
}

/** The routes (any namespace) with a backendRef to the AIServiceBackend `namespace/name`. */
export function routesReferencing(
  cache: ObjectCache,
  namespace: string,
  name: string,
): readonly KubeObject[] {
  return cache.byIndex(
    'AIGatewayRoute',
    indexNames.backendToReferencingAIGatewayRoute,
    indexKey(name, namespace),
  );
}

/**
 * The routes attached to the Gateway `namespace/name`, oldest first (then by namespace and name):
 * the order their shares are merged in, so that a model two routes list belongs to the older one,
 * and the same routes always give the same config, whatever order the cache learnt them in.
 */
export function routesOfGateway(cache: ObjectCache, namespace: string, name: string): KubeObject[] {
  const sortKey = (route: KubeObject): string =>
    `${route.metadata.creationTimestamp ?? ''}\u0000${keyOf(route)}`;
  return cache
    .byIndex(
      'AIGatewayRoute',
      indexNames.gatewayToReferencingAIGatewayRoute,
      indexKey(name, namespace),
    )
    .map((route) => ({ route, key: sortKey(route) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ route }) => route);
}

/** The `llmRequestCosts` of a route. */
export function routeCosts(
  route: KubeObject,
): { readonly metadataKey: string; readonly type: string; readonly cel?: string }[] {
  return list(spec(route).llmRequestCosts).map((c) => ({
    metadataKey: typeof c.metadataKey === 'string' ? c.metadataKey : '',
    type: typeof c.type === 'string' ? c.type : '',
    ...(typeof c.cel === 'string' ? { cel: c.cel } : {}),
  }));
}

/** The Envoy Gateway Backend an AIServiceBackend points at (undefined for a Service). */
export function backendOf(
  serviceBackend: KubeObject,
): { namespace: string; name: string } | undefined {
  const ref = reference(spec(serviceBackend).backendRef);
  if (!ref) return undefined;
  const isBackend = ref.group === egGroup && ref.kind === 'Backend';
  return isBackend
    ? { namespace: ref.namespace ?? serviceBackend.metadata.namespace ?? '', name: ref.name }
    : undefined;
}

/** The AIServiceBackend names (in the policy's namespace) a BackendSecurityPolicy targets. */
export function policyTargets(policy: KubeObject): string[] {
  return list(spec(policy).targetRefs).flatMap((raw) => {
    const ref = reference(raw);
    return ref && ref.kind === 'AIServiceBackend' ? [ref.name] : [];
  });
}

/**
 * The BackendSecurityPolicies in `namespace` that target the AIServiceBackend `name` (an index
 * lookup: gathering each of 2,000 routes must not scan every policy).
 */
export function policiesTargeting(
  cache: ObjectCache,
  namespace: string,
  name: string,
): readonly KubeObject[] {
  // By name: the index's order follows updates, and the loader names the second policy.
  return [
    ...cache.byIndex(
      'BackendSecurityPolicy',
      indexNames.backendToTargetingBackendSecurityPolicy,
      indexKey(name, namespace),
    ),
  ].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

/** The Secret a policy's rotation writes (upstream's `ai-eg-bsp-<name>`). */
export function rotatedSecretName(policy: string): string {
  return `ai-eg-bsp-${policy}`;
}

/**
 * Every Secret (`namespace/name`) a BackendSecurityPolicy reads: the credential references the
 * generators read, the OIDC client secrets of the token exchanges, and the Secret its rotation
 * writes.
 */
export function policySecrets(policy: KubeObject): string[] {
  const namespace = policy.metadata.namespace ?? '';
  const s = spec(policy);
  const at = (...path: string[]): Reference | undefined => {
    let node: unknown = s;
    for (const key of path) node = record(node)[key];
    return reference(node);
  };
  const refs = [
    at('apiKey', 'secretRef'),
    at('azureAPIKey', 'secretRef'),
    at('anthropicAPIKey', 'secretRef'),
    at('awsCredentials', 'credentialsFile', 'secretRef'),
    at('awsCredentials', 'oidcExchangeToken', 'oidc', 'clientSecret'),
    at('azureCredentials', 'clientSecretRef'),
    at('azureCredentials', 'oidcExchangeToken', 'oidc', 'clientSecret'),
    at('gcpCredentials', 'credentialsFile', 'secretRef'),
    at(
      'gcpCredentials',
      'workloadIdentityFederationConfig',
      'oidcExchangeToken',
      'oidc',
      'clientSecret',
    ),
  ];
  const keys = refs.flatMap((ref) => (ref ? [`${ref.namespace ?? namespace}/${ref.name}`] : []));
  keys.push(`${namespace}/${rotatedSecretName(policy.metadata.name)}`);
  return [...new Set(keys)];
}

/** The `from` entries and `to` kinds of a ReferenceGrant. */
export function grantAllows(
  grant: KubeObject,
  from: { readonly group: string; readonly kind: string; readonly namespace: string },
  to: { readonly group: string; readonly kind: string; readonly name: string },
): boolean {
  const s = spec(grant);
  const fromOk = list(s.from).some(
    (f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace,
  );
  const toOk = list(s.to).some(
    (t) =>
      (t.group ?? '') === to.group &&
      t.kind === to.kind &&
      (t.name === undefined || t.name === '' || t.name === to.name),
  );
  return fromOk && toOk;
}

/** The condition list of an object's status. */
export function conditionsOf(object: KubeObject): readonly Record_[] {
  return list(record(object.status).conditions);
}
