import { rateLimitDomain } from '@aigw/gateway-config';
import { stringify } from 'yaml';

import type { ReconcileContext } from '../runtime/contracts.js';
import type { QuotaCostsResult } from './quota-costs.js';

/** The ConfigMap's default name (`--ratelimit-config-map`). */
export const defaultRateLimitConfigMap = 'aigw-quota-rules';

/** The file the rules are in (a `*.yaml` of apps/ratelimit's `--config-dir`). */
export const rateLimitRulesFile = 'aigw-quotas.yaml';

/** Where the rate-limit rules go, and how. */
export interface RateLimitConfigTarget {
  readonly namespace: string;
  readonly name: string;
}

/** Keeps apps/ratelimit's rules (the QuotaPolicies' budgets) in a ConfigMap. */
export interface RateLimitConfigSink {
  /**
   * Writes the rules of `result` when they differ from the last ones written. A failed
   * generation writes nothing (the last good rules stay, as the extension server keeps the last
   * good rate-limit entries); a write error is thrown (the reconcile is retried).
   */
  sync(result: QuotaCostsResult, context: ReconcileContext): Promise<void>;
}

/**
 * The rules file of a generation: its rules, or with no QuotaPolicy the domain alone (a known
 * domain without limits), so that deleted budgets leave the limiter.
 */
export function rulesFileOf(result: QuotaCostsResult): string {
  return stringify(result.rules ?? { domain: rateLimitDomain, descriptors: [] });
}

/**
 * {@link RateLimitConfigSink} of a ConfigMap in `target` (server-side apply through the reconcile's
 * writer: field manager `aigw-controller`, only by the leader, counted), mounted by the chart as apps/ratelimit's `--config-dir`, which reloads it.
 * What was applied is remembered, so a reconcile with unchanged rules makes no request.
 */
export class RateLimitConfigMap implements RateLimitConfigSink {
  readonly #target: RateLimitConfigTarget;
  #applied: string | undefined;

  constructor(target: RateLimitConfigTarget) {
    this.#target = target;
  }

  async sync(result: QuotaCostsResult, context: ReconcileContext): Promise<void> {
    if (result.problems.length > 0) return;
    const text = rulesFileOf(result);
    if (text === this.#applied) return;
    const { namespace, name } = this.#target;
    await context.writer.applyUnwatched(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace },
        data: { [rateLimitRulesFile]: text },
      },
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
    );
    this.#applied = text;
    context.log.info(
      { configMap: `${namespace}/${name}`, limited: result.rules !== undefined },
      'rate-limit rules written',
    );
  }
}
