import { envoyConfig } from '@aigw/proto';

/**
 * Outlier ejection and the retry budget of an AI backend cluster: the same values as `aigw run`
 * (`@aigw/gateway-config`'s `aiOutlierDetection` and `aiCircuitBreakers` in
 * `packages/gateway-config/src/envoy/clusters.ts`; `test/resilience.test.ts` compares the two),
 * reasons in docs/resilience.md.
 */

type CircuitBreakers = NonNullable<envoyConfig.Cluster['circuitBreakers']>;
type RoutingPriority = CircuitBreakers['thresholds'][number]['priority'];
/**
 * `core.v3.RoutingPriority.DEFAULT` (the enum is not in `@aigw/proto`'s barrel): a threshold's
 * default value.
 */
export const defaultRoutingPriority: RoutingPriority | undefined = envoyConfig.Cluster.fromPartial({
  circuitBreakers: { thresholds: [{}] },
}).circuitBreakers?.thresholds[0]?.priority;

const seconds = (s: number): envoyConfig.Duration => ({ seconds: BigInt(s), nanos: 0 });

/**
 * `aigw run`'s outlier detection and retry budget, as a cluster message carrying only them (its
 * one threshold is for RoutingPriority DEFAULT, the only one Envoy Gateway's routes use).
 */
export function aiResilience(): envoyConfig.Cluster {
  return envoyConfig.Cluster.fromPartial({
    outlierDetection: {
      consecutive5xx: 5,
      consecutiveGatewayFailure: 3,
      enforcingConsecutiveGatewayFailure: 100,
      splitExternalLocalOriginErrors: true,
      consecutiveLocalOriginFailure: 5,
      enforcingSuccessRate: 0,
      interval: seconds(5),
      baseEjectionTime: seconds(10),
      maxEjectionTime: seconds(300),
      maxEjectionPercent: 100,
    },
    circuitBreakers: {
      thresholds: [{ retryBudget: { budgetPercent: { value: 20 }, minRetryConcurrency: 10 } }],
    },
  });
}

/**
 * Envoy Gateway's own `max_retries` when no BackendTrafficPolicy sets `circuitBreaker`
 * (`maxParallelRetries`): left alone only when a policy chose another value.
 */
const egDefaultMaxRetries = 1024;

/**
 * Adds `aigw run`'s outlier detection and retry budget to an AI cluster. What a
 * BackendTrafficPolicy set wins: an `outlierDetection` from its `healthCheck.passive`, and a
 * `maxParallelRetries` other than Envoy Gateway's default (a retry budget would override it).
 * RoutingPriority DEFAULT (0) is the only routing priority Envoy Gateway's routes use.
 */
export function addResilience(cluster: envoyConfig.Cluster): void {
  const ours = aiResilience();
  cluster.outlierDetection ??= ours.outlierDetection;
  const breakers: CircuitBreakers = (cluster.circuitBreakers ??= {
    thresholds: [],
    perHostThresholds: [],
  });
  const existing = breakers.thresholds.find((t) => t.priority === defaultRoutingPriority);
  if (existing === undefined) {
    breakers.thresholds.unshift(...(ours.circuitBreakers?.thresholds ?? []));
    return;
  }
  const policyLimit =
    existing.maxRetries !== undefined && existing.maxRetries !== egDefaultMaxRetries;
  if (existing.retryBudget === undefined && !policyLimit) {
    existing.retryBudget = ours.circuitBreakers?.thresholds[0]?.retryBudget;
  }
}
