import { configSecrets, mergeFilterConfigs, type RouteFilterConfig } from '@aigw/gateway-config';

import type { ReconcileContext, Reconciler } from '../runtime/contracts.js';
import { applyIfChanged } from './apply.js';
import type { GatewayFilterConfig } from './config-secrets.js';
import { gatewayGlobalCosts } from './gateway-config.js';
import { conditionsOf, isAttachedTo, isDeleting, refOf } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { gatherRoute, generateRoute } from './route-set.js';

/**
 * The filter config of a Gateway: the shares of every valid route attached to it (each generated
 * alone, and remembered by `RouteGenerations` while its inputs are unchanged, so one bad route
 * leaves the others working and one edited route translates only itself), merged in route order
 * as `aigw translate` merges them (then its GatewayConfig's global costs), laid out as its config Secrets (bundle and legacy, credentials
 * inlined). Undefined when no valid route is attached.
 */
function filterConfigOf(
  context: ReconcileContext,
  gateway: { readonly namespace: string; readonly name: string },
  options: ResolvedOptions,
): GatewayFilterConfig | undefined {
  const gatewayObject = context.cache.get('Gateway', gateway.namespace, gateway.name);
  const shares: RouteFilterConfig[] = [];
  for (const route of context.cache.list('AIGatewayRoute')) {
    if (isDeleting(route) || !isAttachedTo(route, gateway.namespace, gateway.name)) continue;
    const generation = generateRoute(gatherRoute(context.cache, route), options);
    if (generation.ok && generation.filterConfig) shares.push(generation.filterConfig);
  }
  if (shares.length === 0) return undefined;
  const { secrets } = configSecrets({
    gatewayNamespace: gateway.namespace,
    gatewayName: gateway.name,
    secretNamespace: gateway.namespace,
    filterConfig: mergeFilterConfigs(shares, {
      extraCosts: gatewayObject ? gatewayGlobalCosts(context.cache, gatewayObject) : [],
    }),
  });
  return { secrets };
}

/**
 * Gateway: writes the extproc config of its routes through `configSecrets` (the sharded bundle,
 * parts before the index, then the legacy Secret), deletes what is stale (all of it once the Gateway
 * is gone), and queues its routes that are not Accepted (one may be waiting for this Gateway).
 */
export function gatewayReconciler(options: ResolvedOptions): Reconciler {
  return async (ref, context) => {
    const gatewayRef = { namespace: ref.namespace, name: ref.name };
    const gateway = context.cache.get('Gateway', ref.namespace, ref.name);
    const config = gateway ? filterConfigOf(context, gatewayRef, options) : undefined;
    const plan = options.configSecrets(gatewayRef, config);
    for (const secret of plan.secrets) await applyIfChanged(context, 'Secret', secret);
    for (const name of plan.stale) {
      if (context.cache.get('Secret', plan.namespace, name)) {
        await context.writer.delete({ kind: 'Secret', namespace: plan.namespace, name });
      }
    }
    for (const route of context.cache.list('AIGatewayRoute')) {
      if (!isAttachedTo(route, ref.namespace, ref.name)) continue;
      const accepted = conditionsOf(route).some(
        (c) => c.type === 'Accepted' && c.status === 'True',
      );
      if (!accepted) context.enqueue(refOf('AIGatewayRoute', route));
    }
    return {};
  };
}
