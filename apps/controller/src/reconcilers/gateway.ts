import { configSecretNames } from '@aigw/gateway-config';

import type { KubeObject, ReconcileContext, Reconciler } from '../runtime/contracts.js';
import { applyIfChanged } from './apply.js';
import type { GatewayFilterConfig } from './config-secrets.js';
import { conditionsOf, isAttachedTo, isDeleting, keyOf, refOf } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { gatherRoute, generate, generateRoute, narrowed } from './route-set.js';

/**
 * The filter config of a Gateway: every valid route attached to it (each checked alone, so one bad
 * route leaves the others working), generated together by `@aigw/gateway-config` in `kubernetes`
 * mode — the config Secrets `aigw translate` writes for this Gateway (bundle and legacy,
 * credentials inlined). Undefined when no valid route is attached.
 */
function filterConfigOf(
  context: ReconcileContext,
  gateway: { readonly namespace: string; readonly name: string },
  options: ResolvedOptions,
): GatewayFilterConfig | undefined {
  const union = new Map<string, KubeObject>();
  for (const route of context.cache.list('AIGatewayRoute')) {
    if (isDeleting(route) || !isAttachedTo(route, gateway.namespace, gateway.name)) continue;
    const inputs = gatherRoute(context.cache, route);
    if (!generateRoute(inputs, options).ok) continue;
    for (const object of inputs.objects) union.set(`${object.kind} ${keyOf(object)}`, object);
  }
  if (union.size === 0) return undefined;
  const generation = generate(narrowed([...union.values()]), options);
  if (!generation.ok) {
    // Each route generated alone; together they must too. If not, that is a bug to retry/report.
    throw new GatewayConfigError(gateway, generation.problems);
  }
  const names = new Set(
    configSecretNames({ gatewayNamespace: gateway.namespace, gatewayName: gateway.name }),
  );
  const secrets = generation.generated.filter(
    (o) =>
      o.kind === 'Secret' &&
      o.metadata.namespace === gateway.namespace &&
      names.has(o.metadata.name),
  );
  return secrets.length === 0 ? undefined : { secrets };
}

/** The routes of a Gateway failed to generate together although each did alone. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
  readonly code = 'gateway-config';

  constructor(gateway: { namespace: string; name: string }, problems: readonly string[]) {
    super(`Gateway ${gateway.namespace}/${gateway.name}: ${problems.join('; ')}`);
  }
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
