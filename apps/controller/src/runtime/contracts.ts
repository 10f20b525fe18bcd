/**
 * The seam between the controller's runtime (informers, caches, work queues, leader election,
 * writes: `src/runtime/`) and its reconcilers (`src/reconcilers/`). Reconcilers read only from
 * the informers' caches and write only through {@link ObjectWriter}, so they can be tested against
 * a real API server with any cache that lists what is stored, and the runtime can change how it
 * watches without touching them.
 */
import type { Logger } from '@aigw/service-kit/core';

/** The kinds the controller watches or writes. */
export const watchedKinds = [
  'AIGatewayRoute',
  'AIServiceBackend',
  'BackendSecurityPolicy',
  'GatewayConfig',
  'QuotaPolicy',
  'Gateway',
  'Secret',
  'ConfigMap',
  'ReferenceGrant',
  'HTTPRoute',
  'HTTPRouteFilter',
  'Backend',
  'Deployment',
  'DaemonSet',
  'Role',
  'RoleBinding',
] as const;

/** One of {@link watchedKinds}. */
export type Kind = (typeof watchedKinds)[number];

/** Where each kind lives in the API (group, version, plural); `''` is the core group. */
export const kindInfo: Readonly<
  Record<Kind, { readonly group: string; readonly version: string; readonly plural: string }>
> = {
  AIGatewayRoute: {
    group: 'aigateway.envoyproxy.io',
    version: 'v1beta1',
    plural: 'aigatewayroutes',
  },
  AIServiceBackend: {
    group: 'aigateway.envoyproxy.io',
    version: 'v1beta1',
    plural: 'aiservicebackends',
  },
  BackendSecurityPolicy: {
    group: 'aigateway.envoyproxy.io',
    version: 'v1beta1',
    plural: 'backendsecuritypolicies',
  },
  GatewayConfig: { group: 'aigateway.envoyproxy.io', version: 'v1beta1', plural: 'gatewayconfigs' },
  QuotaPolicy: { group: 'aigateway.envoyproxy.io', version: 'v1alpha1', plural: 'quotapolicies' },
  Gateway: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
  Secret: { group: '', version: 'v1', plural: 'secrets' },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps' },
  ReferenceGrant: {
    group: 'gateway.networking.k8s.io',
    version: 'v1beta1',
    plural: 'referencegrants',
  },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
  HTTPRouteFilter: {
    group: 'gateway.envoyproxy.io',
    version: 'v1alpha1',
    plural: 'httproutefilters',
  },
  Backend: { group: 'gateway.envoyproxy.io', version: 'v1alpha1', plural: 'backends' },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments' },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets' },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles' },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings' },
};

/** The label Envoy Gateway puts on the Deployments and DaemonSets of a Gateway's Envoy proxies. */
export const owningGatewayNameLabel = 'gateway.envoyproxy.io/owning-gateway-name';

/** The namespace half of {@link owningGatewayNameLabel}. */
export const owningGatewayNamespaceLabel = 'gateway.envoyproxy.io/owning-gateway-namespace';

/** The label on what the controller writes per Gateway (config Secrets, the extproc's Role). */
export const gatewayNameLabel = 'aigateway.envoyproxy.io/gateway-name';

/**
 * The label a price-catalog ConfigMap carries (any value) for the controller to see it: ConfigMaps
 * are watched only with it (docs/budgets.md "Tenants and money budgets").
 */
export const priceCatalogLabel = 'aigateway.envoyproxy.io/price-catalog';

/**
 * Kinds watched only through a label selector: the Envoy Gateway proxies' workloads (not every
 * Deployment of the cluster), the Roles/RoleBindings the controller writes, and the price-catalog
 * ConfigMaps (not every ConfigMap of the cluster: a CA bundle per namespace, dashboards, …).
 */
export const kindLabelSelectors: Readonly<Partial<Record<Kind, string>>> = {
  ConfigMap: priceCatalogLabel,
  Deployment: owningGatewayNameLabel,
  DaemonSet: owningGatewayNameLabel,
  Role: gatewayNameLabel,
  RoleBinding: gatewayNameLabel,
};

/**
 * Kinds watched through a field selector. Secrets: not the types no policy or config uses and that
 * can be large or numerous — Helm release records (up to 1 MiB each, one per revision), service
 * account and bootstrap tokens, image pull secrets, TLS keys.
 */
export const kindFieldSelectors: Readonly<Partial<Record<Kind, string>>> = {
  Secret: [
    'helm.sh/release.v1',
    'kubernetes.io/service-account-token',
    'bootstrap.kubernetes.io/token',
    'kubernetes.io/dockercfg',
    'kubernetes.io/dockerconfigjson',
    'kubernetes.io/tls',
  ]
    .map((type) => `type!=${type}`)
    .join(','),
};

/** A namespaced object of a kind: the work-queue key. */
export interface ObjectRef {
  readonly kind: Kind;
  readonly namespace: string;
  readonly name: string;
}

/** The parts of an object every reconciler reads. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly creationTimestamp?: string;
    readonly deletionTimestamp?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly finalizers?: readonly string[];
    readonly ownerReferences?: readonly object[];
  };
  readonly [field: string]: unknown;
}

/** Read side: the informers' caches (never the API server directly). */
export interface ObjectCache {
  get(kind: Kind, namespace: string, name: string): KubeObject | undefined;
  /** Every cached object of `kind`, in `namespace` when given. */
  list(kind: Kind, namespace?: string): readonly KubeObject[];
  /**
   * Objects of `kind` whose index `name` (`indexNames` of `runtime/indexes.ts`) yields `key`
   * (`<name>.<namespace>`), without scanning.
   */
  byIndex(kind: Kind, name: string, key: string): readonly KubeObject[];
}

/** Write side; every call is one API request, and callers write only what changed. */
export interface ObjectWriter {
  /**
   * Server-side apply (field manager `aigw-controller`, force) of the fields the controller owns;
   * returns the stored object.
   */
  apply(object: KubeObject): Promise<KubeObject>;
  /** Merge-patches the status subresource (conditions with `observedGeneration`). */
  patchStatus(ref: ObjectRef, status: object): Promise<void>;
  /** Merge-patches metadata (finalizers, annotations) with `resourceVersion` as a precondition. */
  patchMetadata(ref: ObjectRef, metadata: object, resourceVersion: string): Promise<void>;
  /** Deletes; a missing object is not an error. */
  delete(ref: ObjectRef): Promise<void>;
  /**
   * Server-side apply of an object of a kind the controller does not watch (the rate limiter's
   * rules ConfigMap) at its API `path`: the same leader check, field manager and write count as
   * {@link apply}, nothing cached.
   */
  applyUnwatched(object: UnwatchedObject, path: string): Promise<void>;
}

/** An object {@link ObjectWriter.applyUnwatched} writes: any kind, core or grouped. */
export interface UnwatchedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/** What a reconciler asks of the queue afterwards. */
export interface ReconcileResult {
  /** Reconcile this key again after this long (e.g. rotation before expiry); none by default. */
  readonly requeueAfterMs?: number;
}

/** Everything a reconcile gets. */
export interface ReconcileContext {
  readonly cache: ObjectCache;
  readonly writer: ObjectWriter;
  /** Queues another object (the event graph: a Secret → its policies → backends → routes → gateways). */
  enqueue(ref: ObjectRef): void;
  readonly log: Logger;
  /** Aborted when the controller stops or loses leadership. */
  readonly signal: AbortSignal;
}

/**
 * Reconciles one object. A thrown error is retried with backoff by the queue (and logged); an
 * object that is simply invalid is not an error: the reconciler writes `Accepted=False` and
 * returns.
 */
export type Reconciler = (ref: ObjectRef, context: ReconcileContext) => Promise<ReconcileResult>;
