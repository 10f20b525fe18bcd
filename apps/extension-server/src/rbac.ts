/**
 * The Kubernetes RBAC the extension server needs in API-server mode, derived from what its store
 * lists and watches (`kube-routes.ts`), so a resource added there is covered here. Exactly the
 * verbs the store uses: `list` and `watch` (it never gets a single object). `test/rbac.test.ts` runs the store on a real API server as a
 * ServiceAccount bound to exactly these rules; packages/deploy renders them into the chart.
 */
import { watchedResources, type WatchedResource } from './kube-routes.js';

/** An `rbac.authorization.k8s.io/v1` PolicyRule. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly ('list' | 'watch')[];
}

/** Options of {@link extensionServerRules}. */
export interface ExtensionServerRbacOptions {
  /**
   * With token budgets (`--ratelimit-address`), the store also reads AIServiceBackends,
   * QuotaPolicies, Backends, BackendTrafficPolicies and Gateways. Default true: what the chart
   * grants, so that budgets can be turned on without new permissions.
   */
  readonly budgets?: boolean;
}

/** One rule per API group, resources in the store's order. */
function byGroup(resources: readonly WatchedResource[]): PolicyRule[] {
  const groups = new Map<string, string[]>();
  for (const r of resources) groups.set(r.group, [...(groups.get(r.group) ?? []), r.resource]);
  return [...groups].map(([group, plurals]) => ({
    apiGroups: [group],
    resources: plurals,
    verbs: ['list', 'watch'],
  }));
}

/**
 * The ClusterRole rules of the extension server (a Role's, with `--watch-namespace`): read what
 * the store lists and watches.
 */
export function extensionServerRules(options: ExtensionServerRbacOptions = {}): PolicyRule[] {
  return byGroup(watchedResources({ budgets: options.budgets ?? true }));
}
