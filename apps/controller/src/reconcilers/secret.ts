import type { Reconciler } from '../runtime/contracts.js';
import { policySecrets, refOf } from './objects.js';

/**
 * Secret → every BackendSecurityPolicy that reads it (credentials, OIDC client secrets, the
 * rotated Secret), on create, update and delete. Upstream misses updates (its predicate needs a
 * generation, which Secrets lack); here a rotated or edited key reaches the config.
 */
export function secretReconciler(): Reconciler {
  return (ref, context) => {
    const key = `${ref.namespace}/${ref.name}`;
    for (const policy of context.cache.list('BackendSecurityPolicy')) {
      if (policySecrets(policy).includes(key)) {
        context.enqueue(refOf('BackendSecurityPolicy', policy));
      }
    }
    return Promise.resolve({});
  };
}
