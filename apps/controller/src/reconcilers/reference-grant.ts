import type { Reconciler } from '../runtime/contracts.js';
import { refOf, routeBackendRefs } from './objects.js';

/**
 * ReferenceGrant → every AIGatewayRoute of another namespace with an AIServiceBackend ref into the
 * grant's namespace. Upstream queues only the routes of the grant's `from` namespaces; looking at
 * the refs instead also covers a deleted grant, whose `from` is gone from the cache.
 */
export function referenceGrantReconciler(): Reconciler {
  return (ref, context) => {
    for (const route of context.cache.list('AIGatewayRoute')) {
      const crosses = routeBackendRefs(route).some(
        (r) => r.isServiceBackend && r.isCrossNamespace && r.namespace === ref.namespace,
      );
      if (crosses) context.enqueue(refOf('AIGatewayRoute', route));
    }
    return Promise.resolve({});
  };
}
