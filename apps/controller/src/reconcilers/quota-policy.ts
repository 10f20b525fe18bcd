import type { ReconcileContext, Reconciler } from '../runtime/contracts.js';
import { refOf } from './objects.js';
import type { ResolvedOptions } from './options.js';
import { appliedLimits } from './quota-applied.js';
import { quotaPolicyProblems, type QuotaCostsResult } from './quota-costs.js';
import { successMessages, syncStatus } from './status.js';

/**
 * Queues every Gateway, AIGatewayRoute and QuotaPolicy: the quota costs are numbered over the
 * whole cluster (`aigw_quota_<n>`), so a change of one can renumber every Gateway's; every
 * route's HTTPRoute carries the checksum of the generation (`quota-stamp.ts`); and the policies'
 * status follows the generation.
 */
export function enqueueQuotaDependents(context: ReconcileContext): void {
  for (const gateway of context.cache.list('Gateway')) context.enqueue(refOf('Gateway', gateway));
  for (const route of context.cache.list('AIGatewayRoute')) {
    context.enqueue(refOf('AIGatewayRoute', route));
  }
  for (const policy of context.cache.list('QuotaPolicy')) {
    context.enqueue(refOf('QuotaPolicy', policy));
  }
}

/**
 * QuotaPolicy: its costs reach every Gateway's filter config (`quota-costs.ts`) and its checksum
 * every generated HTTPRoute (`quota-stamp.ts`), so a change (or deletion) queues every Gateway
 * and AIGatewayRoute; the rate-limit rules of the same generation go to the
 * limiter's ConfigMap (`ratelimit-config.ts`); status `Accepted` from the generation, its message
 * listing the limits applied (`quota-applied.ts`).
 */
export function quotaPolicyReconciler(options: ResolvedOptions): Reconciler {
  return async (ref, context) => {
    const { result, changed } = options.quotaCosts.of(context.cache);
    if (changed) enqueueQuotaDependents(context);
    // Also for a deleted policy: its limits leave the rules.
    await options.rateLimitConfig?.sync(result, context);
    const policy = context.cache.get('QuotaPolicy', ref.namespace, ref.name);
    // Gone: the result above no longer has its costs, and `changed` queued every dependent.
    if (!policy) return {};
    await syncStatus(
      context,
      { kind: 'QuotaPolicy', object: policy, now: options.now },
      outcome(result, policy),
    );
    return {};
  };
}

function outcome(
  result: QuotaCostsResult,
  policy: Parameters<typeof quotaPolicyProblems>[1],
): { isAccepted: true; message: string } | { isAccepted: false; message: string } {
  const problems = quotaPolicyProblems(result, policy);
  if (problems.length > 0) return { isAccepted: false, message: problems.join('\n') };
  const applied = appliedLimits(result.rules, {
    namespace: policy.metadata.namespace ?? '',
    name: policy.metadata.name,
    annotations: policy.metadata.annotations,
  });
  return { isAccepted: true, message: `${successMessages.QuotaPolicy}: ${applied}` };
}
