import type { KubeObject, Reconciler } from '../runtime/contracts.js';
import { gatewayConfigAnnotation, labelOf, refOf } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { successMessages, syncStatus } from './status.js';

/**
 * GatewayConfig fields that would change the extproc config, which `@aigw/gateway-config` does
 * not generate yet: refused rather than silently ignored (as `aigw translate` refuses them).
 * `spec.extProc` (the sidecar container) is the webhook's.
 */
const unsupportedFields = ['globalLLMRequestCosts', 'globalRateLimitsFromHeaders', 'forwardProxy'];

function problemsOf(config: KubeObject): string[] {
  const spec = (config.spec ?? {}) as Record<string, unknown>;
  return unsupportedFields
    .filter((field) => spec[field] !== undefined)
    .map(
      (field) => `${labelOf('GatewayConfig', config)}: spec.${field}: not supported by aigw yet`,
    );
}

/** GatewayConfig → the Gateways of its namespace whose annotation names it. */
export function gatewayConfigReconciler(options: ResolvedOptions): Reconciler {
  return async (ref, context) => {
    for (const gateway of context.cache.list('Gateway', ref.namespace)) {
      if (gateway.metadata.annotations?.[gatewayConfigAnnotation] === ref.name) {
        context.enqueue(refOf('Gateway', gateway));
      }
    }
    const config = context.cache.get('GatewayConfig', ref.namespace, ref.name);
    if (!config) return {};
    const problems = problemsOf(config);
    await syncStatus(
      context,
      { kind: 'GatewayConfig', object: config, now: options.now },
      problems.length === 0
        ? { isAccepted: true, message: successMessages.GatewayConfig }
        : { isAccepted: false, message: problems.join('\n') },
    );
    return {};
  };
}
