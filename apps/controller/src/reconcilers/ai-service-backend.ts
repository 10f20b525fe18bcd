import type { KubeObject, ReconcileContext, Reconciler } from '../runtime/contracts.js';
import { ensureFinalizer, removeFinalizer } from './finalizer.js';
import {
  backendOf,
  isDeleting,
  labelOf,
  policiesTargeting,
  refOf,
  routesReferencing,
} from './objects.js';
import type { ResolvedOptions } from './options.js';
import { loaderProblems } from './route-set.js';
import { successMessages, syncStatus } from './status.js';

function enqueueRoutes(context: ReconcileContext, namespace: string, name: string): void {
  for (const route of routesReferencing(context.cache, namespace, name)) {
    context.enqueue(refOf('AIGatewayRoute', route));
  }
}

/** The backend's own problems: more than one policy, a `backendRef` the loader refuses. */
function problemsOf(context: ReconcileContext, serviceBackend: KubeObject): string[] {
  const namespace = serviceBackend.metadata.namespace ?? '';
  const name = serviceBackend.metadata.name;
  const problems: string[] = [];
  const policies = policiesTargeting(context.cache, namespace, name);
  if (policies.length > 1) {
    // Upstream's message, verbatim (Go's %v of the names).
    const names = policies.map((p) => p.metadata.name).sort();
    problems.push(
      `multiple BackendSecurityPolicies found for AIServiceBackend ${name}: [${names.join(' ')}]`,
    );
  }
  const ref = backendOf(serviceBackend);
  const backend = ref && context.cache.get('Backend', ref.namespace, ref.name);
  const own = `${labelOf('AIServiceBackend', serviceBackend)}: `;
  const found = loaderProblems(backend ? [serviceBackend, backend] : [serviceBackend]);
  problems.push(...found.filter((p) => p.startsWith(own)));
  return problems;
}

/**
 * AIServiceBackend: validated on its own (one BackendSecurityPolicy at most, its `backendRef`
 * resolvable), then → every AIGatewayRoute that references it, also when it is deleted.
 */
export function aiServiceBackendReconciler(options: ResolvedOptions): Reconciler {
  return async (ref, context) => {
    const serviceBackend = context.cache.get('AIServiceBackend', ref.namespace, ref.name);
    if (!serviceBackend) {
      enqueueRoutes(context, ref.namespace, ref.name);
      return {};
    }
    if (isDeleting(serviceBackend)) {
      enqueueRoutes(context, ref.namespace, ref.name);
      await removeFinalizer(context, 'AIServiceBackend', serviceBackend);
      return {};
    }
    await ensureFinalizer(context, 'AIServiceBackend', serviceBackend);
    const problems = problemsOf(context, serviceBackend);
    await syncStatus(
      context,
      { kind: 'AIServiceBackend', object: serviceBackend, now: options.now },
      problems.length === 0
        ? { isAccepted: true, message: successMessages.AIServiceBackend }
        : { isAccepted: false, message: problems.join('\n') },
    );
    enqueueRoutes(context, ref.namespace, ref.name);
    return {};
  };
}
