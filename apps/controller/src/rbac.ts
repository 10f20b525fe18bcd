/**
 * The Kubernetes RBAC the controller needs, as objects: a ClusterRole for what it watches and
 * writes (every namespace, or the `--watch-namespaces` ones) and a namespaced Role for its
 * leader-election Lease and its rate-limit rules ConfigMap. The rules are derived from the controller's own lists where one exists
 * (`watchedKinds` / `kindInfo` for reads, the status kinds of `reconcilers/status.ts`), so a kind
 * added there is covered here; `test/rbac.test.ts` runs the real controller on a real API server
 * as a ServiceAccount with exactly these rules. No wildcard verbs or resources.
 */
import { defaultRateLimitConfigMap } from './reconcilers/ratelimit-config.js';
import { successMessages, type StatusKind } from './reconcilers/status.js';
import { kindInfo, watchedKinds, type Kind } from './runtime/contracts.js';
import { defaultLeaseName } from './runtime/leader-election.js';

/** The verbs the controller uses. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** An `rbac.authorization.k8s.io/v1` PolicyRule. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly Verb[];
  readonly resourceNames?: readonly string[];
}

/** A rule and the reason the controller needs it (for docs and reviews). */
export interface Permission {
  readonly rule: PolicyRule;
  readonly why: string;
}

/** A ClusterRole or Role. */
export interface RbacRole {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'ClusterRole' | 'Role';
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly rules: readonly PolicyRule[];
}

/** A ClusterRoleBinding or RoleBinding of one ServiceAccount. */
export interface RbacBinding {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'ClusterRoleBinding' | 'RoleBinding';
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly roleRef: {
    readonly apiGroup: 'rbac.authorization.k8s.io';
    readonly kind: 'ClusterRole' | 'Role';
    readonly name: string;
  };
  readonly subjects: readonly [
    { readonly kind: 'ServiceAccount'; readonly namespace: string; readonly name: string },
  ];
}

/** Upstream's name of the controller's ServiceAccount and ClusterRole (the chart's `fullnameOverride`). */
export const controllerRbacName = 'ai-gateway-controller';

/**
 * The objects the controller generates: server-side applied (`create` + `patch`) and deleted —
 * the route objects, the config Secrets and the extproc's Role and RoleBinding. It writes only
 * kinds it caches (every write is a difference against the cache).
 */
const generatedKinds = [
  'HTTPRoute',
  'HTTPRouteFilter',
  'Secret',
  'Role',
  'RoleBinding',
] as const satisfies readonly Kind[];

/** The kinds that carry the controller's finalizer (`reconcilers/finalizer.ts`): a metadata patch. */
const finalizerKinds = [
  'AIGatewayRoute',
  'AIServiceBackend',
  'BackendSecurityPolicy',
] as const satisfies readonly Kind[];

/**
 * The owners named in owner references with `blockOwnerDeletion: true`: AIGatewayRoute (its
 * HTTPRoute and HTTPRouteFilters), BackendSecurityPolicy (its rotated Secrets). With the
 * `OwnerReferencesPermissionEnforcement` admission plugin (OpenShift enables it) setting that
 * flag needs `update` on the owner's `finalizers` subresource.
 */
const blockingOwnerKinds = [
  'AIGatewayRoute',
  'BackendSecurityPolicy',
] as const satisfies readonly Kind[];

/** The status kinds, from the reconcilers' own list. */
const statusKinds = Object.keys(successMessages) as StatusKind[];

/** Rules on `kinds`, one per API group (in first-seen order), with `suffix` on each plural. */
function rulesByGroup(
  kinds: readonly Kind[],
  verbs: readonly Verb[],
  suffix = '',
): readonly PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const kind of kinds) {
    const { group, plural } = kindInfo[kind];
    const resources = byGroup.get(group) ?? [];
    resources.push(`${plural}${suffix}`);
    byGroup.set(group, resources);
  }
  return [...byGroup].map(([group, resources]) => ({ apiGroups: [group], resources, verbs }));
}

/** The ClusterRole's rules with their reasons. */
export const controllerPermissions: readonly Permission[] = [
  ...rulesByGroup(watchedKinds, ['get', 'list', 'watch']).map((rule) => ({
    rule,
    why: 'informers list and watch every watched kind; get completes the read set (on secrets the API server wants it before the controller may grant it in the extproc Role)',
  })),
  ...rulesByGroup(generatedKinds, ['create', 'patch', 'delete']).map((rule) => ({
    rule,
    why: 'generated objects: server-side apply (a patch that creates a missing object, so create too); deleted with their route or when stale',
  })),
  ...rulesByGroup(finalizerKinds, ['patch']).map((rule) => ({
    rule,
    why: 'adds and removes the finalizer aigateway.envoyproxy.io/finalizer (metadata merge patch)',
  })),
  ...rulesByGroup(statusKinds, ['patch'], '/status').map((rule) => ({
    rule,
    why: 'writes the Accepted condition (status merge patch)',
  })),
  ...rulesByGroup(blockingOwnerKinds, ['update'], '/finalizers').map((rule) => ({
    rule,
    why: 'owner references with blockOwnerDeletion (needed where OwnerReferencesPermissionEnforcement is enabled)',
  })),
];

/** The ClusterRole's rules. */
export const controllerPolicyRules: readonly PolicyRule[] = controllerPermissions.map(
  (p) => p.rule,
);

/**
 * The rules of the Role in the controller's namespace: client-go's lease lock protocol, which
 * `leader-election.ts` follows — `get` and `update` of the one Lease, and `create` when it does
 * not exist yet (RBAC cannot restrict `create` by name) — and the server-side apply of the
 * rate-limit rules ConfigMap beside it (`--ratelimit-config-map`; `create` when it is missing).
 */
export function leaderElectionPolicyRules(
  leaseName = defaultLeaseName,
  rateLimitConfigMap = defaultRateLimitConfigMap,
): readonly PolicyRule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [leaseName],
      verbs: ['get', 'update'],
    },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    {
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: [rateLimitConfigMap],
      verbs: ['patch'],
    },
  ];
}

/** The controller's ClusterRole (default name `ai-gateway-controller`, upstream's). */
export function controllerClusterRole(name = controllerRbacName): RbacRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: controllerPolicyRules,
  };
}

/** The Role in `namespace` for the leader-election Lease and the rate-limit rules ConfigMap. */
export function leaderElectionRole(options: {
  readonly namespace: string;
  readonly name?: string;
  readonly leaseName?: string;
  readonly rateLimitConfigMap?: string;
}): RbacRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: {
      name: options.name ?? `${controllerRbacName}-leader-election`,
      namespace: options.namespace,
    },
    rules: leaderElectionPolicyRules(options.leaseName, options.rateLimitConfigMap),
  };
}

/** Options of {@link controllerRbacObjects}. */
export interface ControllerRbacOptions {
  /** The ServiceAccount the controller runs as. */
  readonly serviceAccount: { readonly namespace: string; readonly name: string };
  /** Name of the ClusterRole and both bindings (the Role gets `-leader-election`); default upstream's. */
  readonly name?: string;
  /** Namespace of the Lease; default the ServiceAccount's (the controller's `POD_NAMESPACE`). */
  readonly leaseNamespace?: string;
  /** Lease name (`--leader-election-id`); default `envoy-ai-gateway-controller`. */
  readonly leaseName?: string;
  /** The rate-limit rules ConfigMap (`--ratelimit-config-map`); default `aigw-quota-rules`. */
  readonly rateLimitConfigMap?: string;
}

/**
 * Everything to grant the controller its permissions: the ClusterRole and its binding, the
 * leader-election Role and its binding, all to `serviceAccount`.
 */
export function controllerRbacObjects(
  options: ControllerRbacOptions,
): readonly [RbacRole, RbacBinding, RbacRole, RbacBinding] {
  const name = options.name ?? controllerRbacName;
  const leaseNamespace = options.leaseNamespace ?? options.serviceAccount.namespace;
  const subjects = [{ kind: 'ServiceAccount', ...options.serviceAccount }] as const;
  const role = leaderElectionRole({
    namespace: leaseNamespace,
    name: `${name}-leader-election`,
    ...(options.leaseName === undefined ? {} : { leaseName: options.leaseName }),
    ...(options.rateLimitConfigMap === undefined
      ? {}
      : { rateLimitConfigMap: options.rateLimitConfigMap }),
  });
  return [
    controllerClusterRole(name),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    },
    role,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: role.metadata.name, namespace: leaseNamespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subjects,
    },
  ];
}
