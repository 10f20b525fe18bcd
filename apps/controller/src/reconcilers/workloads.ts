import { configBundleIndexName } from '@aigw/filterapi';
import { configSecretNames, gatewayLabels } from '@aigw/gateway-config';

import {
  owningGatewayNameLabel,
  owningGatewayNamespaceLabel,
  type Kind,
  type KubeObject,
  type ObjectCache,
  type ReconcileContext,
  type Reconciler,
} from '../runtime/contracts.js';
import { refOf } from './objects.js';

/** The Envoy proxies of a Gateway, as Envoy Gateway deployed them. */
export interface GatewayWorkloads {
  /**
   * Where they run — where the extproc beside Envoy reads its config Secrets: the namespace of the
   * Gateway's Deployments/DaemonSets, or the Gateway's own when none is found (yet).
   */
  readonly namespace: string;
  /** The ServiceAccounts (in {@link namespace}) the proxies run as; empty when none is found. */
  readonly serviceAccounts: readonly string[];
  /** Every namespace the config may be in: the Gateway's and Envoy Gateway's. */
  readonly candidates: readonly string[];
}

const workloadKinds = ['Deployment', 'DaemonSet'] as const satisfies readonly Kind[];

/** The proxies of one Gateway are in two namespaces at once: which one the extproc reads is unknown. */
export class AmbiguousWorkloadsError extends Error {
  override readonly name = 'AmbiguousWorkloadsError';
  readonly code = 'ambiguous-workloads';

  constructor(gateway: { namespace: string; name: string }, namespaces: readonly string[]) {
    super(
      `Gateway ${gateway.namespace}/${gateway.name}: its Envoy proxies run in more than one namespace (${namespaces.join(', ')}); delete the stale Deployment or DaemonSet`,
    );
  }
}

/**
 * Finds a Gateway's Envoy proxies as upstream does: the Deployments and DaemonSets labelled
 * `gateway.envoyproxy.io/owning-gateway-name/-namespace` with it, in the Gateway's namespace (Envoy
 * Gateway's `GatewayNamespace` mode) or Envoy Gateway's (`envoyGatewayNamespace`, the default
 * mode). Upstream waits (requeues every 5 s) while there are none; here the config goes to the
 * Gateway's namespace meanwhile and moves once they appear, so an install without Envoy Gateway
 * running (tests, `aigw`'s own tooling) still gets its config.
 *
 * @throws AmbiguousWorkloadsError when they are found in both namespaces.
 */
export function gatewayWorkloads(
  cache: ObjectCache,
  gateway: { readonly namespace: string; readonly name: string },
  envoyGatewayNamespace: string,
): GatewayWorkloads {
  const candidates = [...new Set([gateway.namespace, envoyGatewayNamespace])];
  const found = candidates.flatMap((namespace) =>
    workloadKinds.flatMap((kind) =>
      cache.list(kind, namespace).filter((workload) => isProxyOf(workload, gateway)),
    ),
  );
  const namespaces = [...new Set(found.map((w) => w.metadata.namespace ?? ''))];
  if (namespaces.length > 1) throw new AmbiguousWorkloadsError(gateway, namespaces);
  const serviceAccounts = [...new Set(found.map(serviceAccountOf))].sort();
  return { namespace: namespaces[0] ?? gateway.namespace, serviceAccounts, candidates };
}

function isProxyOf(
  workload: KubeObject,
  gateway: { readonly namespace: string; readonly name: string },
): boolean {
  const labels = workload.metadata.labels ?? {};
  return (
    labels[owningGatewayNameLabel] === gateway.name &&
    labels[owningGatewayNamespaceLabel] === gateway.namespace &&
    workload.metadata.deletionTimestamp === undefined
  );
}

function serviceAccountOf(workload: KubeObject): string {
  const spec = workload['spec'] as
    { template?: { spec?: { serviceAccountName?: string } } } | undefined;
  return spec?.template?.spec?.serviceAccountName || 'default';
}

/**
 * The extproc's access to its config: a Role granting `get`, `list` and `watch` on exactly the
 * Gateway's config Secret names (the index, the 8 part slots and the legacy Secret — a watch by
 * `metadata.name` field selector is authorized against `resourceNames`), and a RoleBinding of it to
 * the proxies' ServiceAccounts, both named like the bundle's index Secret, in the proxies'
 * namespace. No RoleBinding while no proxy is known.
 */
export function extprocAccess(
  gateway: { readonly namespace: string; readonly name: string },
  workloads: GatewayWorkloads,
): KubeObject[] {
  const names = configSecretNames({
    gatewayNamespace: gateway.namespace,
    gatewayName: gateway.name,
  });
  const indexName = extprocAccessName(gateway);
  const metadata = {
    name: indexName,
    namespace: workloads.namespace,
    labels: gatewayLabels({ gatewayNamespace: gateway.namespace, gatewayName: gateway.name }),
  };
  const role: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata,
    rules: [
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: names,
        verbs: ['get', 'list', 'watch'],
      },
    ],
  };
  if (workloads.serviceAccounts.length === 0) return [role];
  const binding: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: indexName },
    subjects: workloads.serviceAccounts.map((name) => ({
      kind: 'ServiceAccount',
      name,
      namespace: workloads.namespace,
    })),
  };
  return [role, binding];
}

/** The name of the extproc's Role and RoleBinding: its Gateway's bundle index Secret's. */
export function extprocAccessName(gateway: {
  readonly namespace: string;
  readonly name: string;
}): string {
  return configBundleIndexName({ gatewayNamespace: gateway.namespace, gatewayName: gateway.name });
}

/**
 * Deployment / DaemonSet (of Envoy proxies) and Role / RoleBinding (the extproc's access) → the
 * Gateway they belong to, from their labels; every Gateway when the object is gone (its labels
 * with it) or its labels name none exactly (values cut to 63 characters).
 */
export function gatewayOwnedReconciler(
  kind: Kind,
  labels: { readonly name: string; readonly namespace: string },
): Reconciler {
  return (ref, context: ReconcileContext) => {
    const object = context.cache.get(kind, ref.namespace, ref.name);
    const name = object?.metadata.labels?.[labels.name];
    const namespace = object?.metadata.labels?.[labels.namespace];
    const gateway =
      name !== undefined && namespace !== undefined
        ? context.cache.get('Gateway', namespace, name)
        : undefined;
    const gateways = gateway ? [gateway] : context.cache.list('Gateway');
    for (const g of gateways) context.enqueue(refOf('Gateway', g));
    return Promise.resolve({});
  };
}
