import type { Reconciler } from '../runtime/contracts.js';
import { clientKeysAnnotation } from '@aigw/gateway-config';

import { enqueueAnnotatedGatewayConfigs } from './gateway-config.js';
import { policySecrets, refOf } from './objects.js';

/**
 * Secret → every BackendSecurityPolicy that reads it (credentials, OIDC client secrets, the
 * rotated Secret), on create, update and delete. Upstream misses updates (its predicate needs a
 * generation, which Secrets lack); here a rotated or edited key reaches the config. Also the
 * GatewayConfigs of its namespace whose client-keys annotation names it (→ their Gateways).
 */
export function secretReconciler(): Reconciler {
  return (ref, context) => {
    const key = `${ref.namespace}/${ref.name}`;
    for (const policy of context.cache.list('BackendSecurityPolicy')) {
      if (policySecrets(policy).includes(key)) {
        context.enqueue(refOf('BackendSecurityPolicy', policy));
      }
    }
    enqueueAnnotatedGatewayConfigs(context, { annotation: clientKeysAnnotation, ref });
    return Promise.resolve({});
  };
}
