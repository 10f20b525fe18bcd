import { buildStandalone, loadResources, type Cluster } from '@aigw/gateway-config';
import { envoyConfig } from '@aigw/proto';
import { describe, expect, it } from 'vitest';

import { postTranslateModify } from '../src/hooks/post-translate-modify.js';
import { addResilience, defaultRoutingPriority } from '../src/xds/resilience.js';
import { chatRoute, egLikeRequest, storeWith } from './support/eg-like.js';

const udsPath = '/run/aigw/extproc.sock';

/** A `aigw run` gateway with one AI rule: its generated backend cluster. */
function aigwRunCluster(): Cluster {
  const yaml = `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: chat}
spec:
  rules:
    - backendRefs: [{name: openai}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: openai}
spec:
  schema: {name: OpenAI}
  backendRef: {name: openai, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: openai}
spec:
  endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]
`;
  const config = buildStandalone(loadResources([{ path: 'in.yaml', text: yaml }]), {
    listenPort: 1975,
    adminPort: 9901,
    extprocSocket: udsPath,
    stateDir: '/var/lib/aigw',
  });
  const [cluster] = config.xds['xds/cds.yaml'].resources;
  if (cluster === undefined) throw new Error('no AI cluster');
  return cluster;
}

const duration = (d: envoyConfig.Duration | undefined): `${string}s` =>
  `${String(d?.seconds ?? 0n)}${d?.nanos ? `.${String(d.nanos).padStart(9, '0')}` : ''}s`;

/** The hook's messages in Envoy's JSON names, to compare with `aigw run`'s. */
function asJson(cluster: envoyConfig.Cluster): {
  outlier_detection: Cluster['outlier_detection'] | undefined;
  circuit_breakers: Cluster['circuit_breakers'] | undefined;
} {
  const od = cluster.outlierDetection;
  return {
    outlier_detection: od && {
      consecutive_5xx: od.consecutive5xx ?? -1,
      consecutive_gateway_failure: od.consecutiveGatewayFailure ?? -1,
      enforcing_consecutive_gateway_failure: od.enforcingConsecutiveGatewayFailure ?? -1,
      split_external_local_origin_errors: od.splitExternalLocalOriginErrors as true,
      consecutive_local_origin_failure: od.consecutiveLocalOriginFailure ?? -1,
      enforcing_success_rate: od.enforcingSuccessRate ?? -1,
      interval: duration(od.interval),
      base_ejection_time: duration(od.baseEjectionTime),
      max_ejection_time: duration(od.maxEjectionTime),
      max_ejection_percent: od.maxEjectionPercent ?? -1,
    },
    circuit_breakers: cluster.circuitBreakers && {
      thresholds: cluster.circuitBreakers.thresholds.map((t) => ({
        priority:
          t.priority === defaultRoutingPriority
            ? ('DEFAULT' as const)
            : (String(t.priority) as 'DEFAULT'),
        retry_budget: {
          budget_percent: { value: t.retryBudget?.budgetPercent?.value ?? -1 },
          min_retry_concurrency: t.retryBudget?.minRetryConcurrency ?? -1,
        },
        ...(t.maxRetries === undefined ? {} : { max_retries: t.maxRetries }),
      })),
    },
  };
}

function modified(request = egLikeRequest()): envoyConfig.Cluster[] {
  return postTranslateModify(request, { routes: storeWith(chatRoute()), udsPath }).clusters;
}

describe('PostTranslateModify: outlier ejection and retry budget of AI clusters', () => {
  it('gives an AI cluster exactly what aigw run generates', () => {
    const [chat] = modified();
    const ours = aigwRunCluster();
    expect(ours.outlier_detection).toBeDefined();
    const json = asJson(chat ?? envoyConfig.Cluster.fromPartial({}));
    expect(json.outlier_detection).toEqual(ours.outlier_detection);
    expect(json.circuit_breakers).toEqual(ours.circuit_breakers);
  });

  it("adds the budget to Envoy Gateway's default threshold (max_retries 1024, which it overrides)", () => {
    const request = egLikeRequest();
    const [chat] = request.clusters;
    if (chat) chat.circuitBreakers = { thresholds: [], perHostThresholds: [] };
    chat?.circuitBreakers?.thresholds.push(
      ...(envoyConfig.Cluster.fromPartial({
        circuitBreakers: { thresholds: [{ maxRetries: 1024 }] },
      }).circuitBreakers?.thresholds ?? []),
    );
    const [edited] = modified(request);
    expect(asJson(edited ?? envoyConfig.Cluster.fromPartial({})).circuit_breakers).toEqual({
      thresholds: [{ ...aigwRunCluster().circuit_breakers?.thresholds[0], max_retries: 1024 }],
    });
  });

  it('sends enforcing_success_rate 0 on the wire (a wrapper: absent would mean 100)', () => {
    const [chat] = modified();
    const bytes = envoyConfig.Cluster.encode(chat ?? envoyConfig.Cluster.fromPartial({})).finish();
    const back = envoyConfig.Cluster.decode(bytes).outlierDetection;
    expect(back?.enforcingSuccessRate).toBe(0);
    expect(asJson(envoyConfig.Cluster.decode(bytes)).outlier_detection).toEqual(
      aigwRunCluster().outlier_detection,
    );
  });

  it('leaves clusters of other routes, and the extproc cluster, alone', () => {
    const [, web, uds] = modified();
    expect(web?.name).toBe('httproute/default/web/rule/0');
    expect(uds?.name).toBe('ai-gateway-extproc-uds');
    for (const cluster of [web, uds]) {
      expect(cluster?.outlierDetection).toBeUndefined();
      expect(cluster?.circuitBreakers).toBeUndefined();
    }
  });

  it("keeps a BackendTrafficPolicy's passive health check and its maxParallelRetries", () => {
    const cluster = envoyConfig.Cluster.fromPartial({
      name: 'c',
      outlierDetection: { consecutive5xx: 2 },
      circuitBreakers: { thresholds: [{ maxRetries: 7 }, { priority: 1, maxRetries: 9 }] },
    });
    addResilience(cluster);
    expect(cluster.outlierDetection?.consecutive5xx).toBe(2);
    expect(cluster.outlierDetection?.consecutiveGatewayFailure).toBeUndefined();
    expect(cluster.circuitBreakers?.thresholds.map((t) => t.retryBudget)).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('adds a DEFAULT threshold with the budget when there is none', () => {
    const cluster = envoyConfig.Cluster.fromPartial({
      name: 'c',
      circuitBreakers: { thresholds: [{ priority: 1, maxRetries: 9 }] },
    });
    addResilience(cluster);
    expect(
      cluster.circuitBreakers?.thresholds.map((t) => [
        t.priority,
        t.retryBudget?.minRetryConcurrency,
      ]),
    ).toEqual([
      [0, 10],
      [1, undefined],
    ]);
  });
});
