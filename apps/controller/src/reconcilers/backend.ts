import type { Reconciler } from '../runtime/contracts.js';
import { backendOf, refOf } from './objects.js';

/**
 * Envoy Gateway Backend → the AIServiceBackends that point at it (a Backend created after its
 * AIServiceBackend makes that backend, and its routes, valid).
 */
export function backendReconciler(): Reconciler {
  return (ref, context) => {
    for (const serviceBackend of context.cache.list('AIServiceBackend')) {
      const target = backendOf(serviceBackend);
      if (target?.namespace === ref.namespace && target.name === ref.name) {
        context.enqueue(refOf('AIServiceBackend', serviceBackend));
      }
    }
    return Promise.resolve({});
  };
}
