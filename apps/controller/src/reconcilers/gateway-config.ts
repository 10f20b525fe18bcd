import type { LLMRequestCost } from '@aigw/filterapi';
import {
  gatewayConfigAnnotation,
  globalCosts,
  unsupportedGatewayConfigFields,
  type GatewayConfigSpec,
} from '@aigw/gateway-config';

import type { KubeObject, ObjectCache, Reconciler } from '../runtime/contracts.js';
import { celCostProblem } from './cel-costs.js';
import { labelOf, refOf } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { successMessages, syncStatus } from './status.js';

/**
 * What is wrong with a GatewayConfig: the fields `@aigw/gateway-config` does not generate yet
 * (refused rather than silently ignored, as `aigw translate` refuses them) and global costs whose
 * CEL does not compile. A Gateway leaves the global costs of an invalid GatewayConfig out.
 */
export function gatewayConfigProblems(config: KubeObject): string[] {
  const spec = (config.spec ?? {}) as GatewayConfigSpec & Record<string, unknown>;
  const where = labelOf('GatewayConfig', config);
  const problems = unsupportedGatewayConfigFields
    .filter((field) => spec[field] !== undefined)
    .map((field) => `${where}: spec.${field}: not supported by aigw yet`);
  (spec.globalLLMRequestCosts ?? []).forEach((cost, i) => {
    const problem =
      cost.type === 'CEL' && cost.cel !== undefined ? celCostProblem(cost.cel) : undefined;
    if (problem)
      problems.push(`${where}: spec.globalLLMRequestCosts[${String(i)}].cel: ${problem}`);
  });
  return problems;
}

/**
 * The filter config costs a Gateway gets from the GatewayConfig its annotation names (same
 * namespace): its `globalLLMRequestCosts`, none when it is absent or invalid.
 */
export function gatewayGlobalCosts(cache: ObjectCache, gateway: KubeObject): LLMRequestCost[] {
  const name = gateway.metadata.annotations?.[gatewayConfigAnnotation];
  if (name === undefined) return [];
  const config = cache.get('GatewayConfig', gateway.metadata.namespace ?? '', name);
  if (!config || gatewayConfigProblems(config).length > 0) return [];
  return globalCosts(config.spec as GatewayConfigSpec | undefined);
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
    const problems = gatewayConfigProblems(config);
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
