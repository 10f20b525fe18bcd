import type { RateLimitDescriptor, RateLimitRules } from '@aigw/gateway-config';

/** Most limits a QuotaPolicy's status lists before "and N more" (a condition message is short). */
const maxListed = 16;

/** The first `rate_limit` of a descriptor tree, depth first. */
function limitOf(descriptor: RateLimitDescriptor): RateLimitDescriptor | undefined {
  if ('rate_limit' in descriptor) return descriptor;
  for (const child of descriptor.descriptors) {
    const found = limitOf(child);
    if (found) return found;
  }
  return undefined;
}

/** One limit, as the status says it: `backend/alpha/service: 1000 per hour`. */
function describe(id: string, root: RateLimitDescriptor): string | undefined {
  const leaf = limitOf(root);
  if (!leaf || !('rate_limit' in leaf)) return undefined;
  const { requests_per_unit: amount, unit, calendar_time_zone: zone } = leaf.rate_limit;
  const notes = [
    ...(zone === undefined ? [] : [`calendar ${unit} in ${zone}`]),
    ...(leaf.shadow_mode === true ? ['shadow mode'] : []),
  ];
  return `${id}: ${String(amount)} per ${unit}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/** The policy's budget annotations (docs/budgets.md), as the status says them. */
function enforcement(annotations: Readonly<Record<string, string>> | undefined): string {
  const notes = [
    ...(annotations?.['aigateway.envoyproxy.io/token-reservation'] === 'true'
      ? ['reserved at admission']
      : []),
    ...(annotations?.['aigateway.envoyproxy.io/token-budget-enforcement'] === 'hard'
      ? ['streams cut past the budget']
      : []),
  ];
  return notes.length === 0 ? '' : ` (${notes.join(', ')})`;
}

/**
 * What the limiter's rules of the current generation apply for one QuotaPolicy, for its status:
 * each limit the policy produced (its id below the policy, the amount per window, a calendar
 * window's time zone, shadow mode), at most {@link maxListed} listed, and whether the policy
 * reserves at admission or cuts streams (its annotations, validated by the generation). The limits
 * are found by their first descriptor entry, `limit=<namespace>/<name>/…` (the id
 * `@aigw/gateway-config` gives a QuotaPolicy's limits).
 */
export function appliedLimits(
  rules: RateLimitRules | undefined,
  policy: {
    readonly namespace: string;
    readonly name: string;
    readonly annotations?: Readonly<Record<string, string>> | undefined;
  },
): string {
  const prefix = `${policy.namespace}/${policy.name}/`;
  const limits = (rules?.descriptors ?? []).flatMap((descriptor) => {
    const value = descriptor.value;
    if (descriptor.key !== 'limit' || value?.startsWith(prefix) !== true) return [];
    const text = describe(value.slice(prefix.length), descriptor);
    return text === undefined ? [] : [text];
  });
  // One limit can appear as two descriptors (its check and its stream-done charge): list it once.
  const unique = [...new Set(limits)];
  if (unique.length === 0) {
    return 'no limit applied: no AIGatewayRoute sends traffic to the targeted backends';
  }
  const listed = unique.slice(0, maxListed).join('; ');
  const more = unique.length > maxListed ? `; and ${String(unique.length - maxListed)} more` : '';
  const count = unique.length === 1 ? '1 limit' : `${String(unique.length)} limits`;
  return `${count} applied${enforcement(policy.annotations)}: ${listed}${more}`;
}
