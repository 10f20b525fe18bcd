import { mergeFilterConfigs, type RouteFilterConfig } from '@aigw/gateway-config';

import type { Kind, ReconcileContext, Reconciler } from '../runtime/contracts.js';
import { applyIfChanged } from './apply.js';
import type { GatewayFilterConfig } from './config-secrets.js';
import { gatewayGlobalCosts } from './gateway-config.js';
import { conditionsOf, isDeleting, refOf, routesOfGateway } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { gatherRoute, generateRoute } from './route-set.js';
import { extprocAccess, gatewayWorkloads, type GatewayWorkloads } from './workloads.js';

/**
 * The filter config of a Gateway: the shares of every valid route attached to it (each generated
 * alone, and remembered by `RouteGenerations` while its inputs are unchanged, so one bad route
 * leaves the others working and one edited route translates only itself), merged oldest route
 * first (`routesOfGateway`) as `aigw translate` merges them in file order, then its GatewayConfig's global costs. Undefined when no valid
 * route is attached.
 */
function filterConfigOf(
  context: ReconcileContext,
  gateway: { readonly namespace: string; readonly name: string },
  options: ResolvedOptions,
): GatewayFilterConfig | undefined {
  const gatewayObject = context.cache.get('Gateway', gateway.namespace, gateway.name);
  const shares: RouteFilterConfig[] = [];
  for (const route of routesOfGateway(context.cache, gateway.namespace, gateway.name)) {
    if (isDeleting(route)) continue;
    const generation = generateRoute(gatherRoute(context.cache, route), options);
    if (generation.ok && generation.filterConfig) shares.push(generation.filterConfig);
  }
  if (shares.length === 0) return undefined;
  return {
    filterConfig: mergeFilterConfigs(shares, {
      extraCosts: gatewayObject ? gatewayGlobalCosts(context.cache, gatewayObject) : [],
    }),
  };
}

/**
 * The extproc's Role and RoleBinding: written where the proxies run while the Gateway has a
 * config, deleted everywhere else (another candidate namespace, no config, no proxy to bind).
 */
async function syncExtprocAccess(
  context: ReconcileContext,
  gateway: { readonly namespace: string; readonly name: string },
  what: { readonly workloads: GatewayWorkloads; readonly hasConfig: boolean },
): Promise<void> {
  const { workloads, hasConfig } = what;
  const desired = hasConfig ? extprocAccess(gateway, workloads) : [];
  for (const object of desired) await applyIfChanged(context, object.kind as Kind, object);
  const [name = ''] = extprocAccess(gateway, workloads).map((o) => o.metadata.name);
  for (const kind of ['RoleBinding', 'Role'] as const) {
    for (const namespace of workloads.candidates) {
      const wanted = desired.some((o) => o.kind === kind && o.metadata.namespace === namespace);
      if (!wanted && context.cache.get(kind, namespace, name)) {
        await context.writer.delete({ kind, namespace, name });
      }
    }
  }
}

/**
 * Gateway: writes the extproc config of its routes through `configSecrets` (the sharded bundle,
 * parts before the index, then the legacy Secret) in the namespace of its Envoy proxies, with the
 * Role that lets their extprocs read it; deletes what is stale (in the other namespace it may
 * have been in, and all of it once the Gateway is gone), and queues its routes that are not Accepted (one may be waiting for this Gateway).
 */
export function gatewayReconciler(options: ResolvedOptions): Reconciler {
  return async (ref, context) => {
    const gatewayRef = { namespace: ref.namespace, name: ref.name };
    const gateway = context.cache.get('Gateway', ref.namespace, ref.name);
    const config = gateway ? filterConfigOf(context, gatewayRef, options) : undefined;
    const workloads = gatewayWorkloads(context.cache, gatewayRef, options.envoyGatewayNamespace);
    const plan = options.configSecrets(gatewayRef, config, {
      namespace: workloads.namespace,
      others: workloads.candidates,
    });
    for (const secret of plan.secrets) await applyIfChanged(context, 'Secret', secret);
    for (const stale of plan.stale) {
      if (context.cache.get('Secret', stale.namespace, stale.name)) {
        await context.writer.delete({ kind: 'Secret', ...stale });
      }
    }
    await syncExtprocAccess(context, gatewayRef, { workloads, hasConfig: config !== undefined });
    for (const route of routesOfGateway(context.cache, ref.namespace, ref.name)) {
      const accepted = conditionsOf(route).some(
        (c) => c.type === 'Accepted' && c.status === 'True',
      );
      if (!accepted) context.enqueue(refOf('AIGatewayRoute', route));
    }
    return {};
  };
}
