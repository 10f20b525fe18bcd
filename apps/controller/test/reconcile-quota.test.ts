import { isDeepStrictEqual } from 'node:util';

import type { LLMRequestCost } from '@aigw/filterapi';
import { buildStandalone, loadResources } from '@aigw/gateway-config';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { quotaChecksumAnnotation } from '../src/reconcilers/quota-stamp.js';
import { RateLimitConfigMap, rateLimitRulesFile } from '../src/reconcilers/ratelimit-config.js';
import type { Controller } from '../src/runtime/controller.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { createNamespace, testClient } from './support/kube.js';
import {
  applyObjects,
  applyReconcilerCrds,
  decodedData,
  deleteObject,
  parseObjects,
  readObject,
  startReconcilers,
  waitForAccepted,
  type RecordingMetrics,
} from './support/reconcile-kit.js';

/**
 * QuotaPolicies in Kubernetes mode: every Gateway's extproc config carries the quota costs
 * (`aigw_quota_<n>`) that `aigw run` generates for the same objects — the keys the extension
 * server's rate-limit entries read — and follows every edit of a QuotaPolicy.
 */
const ns = 'quota';
const v1beta1 = 'aigateway.envoyproxy.io/v1beta1';
const v1alpha1 = 'aigateway.envoyproxy.io/v1alpha1';

const fixtures = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${ns}}
spec: {gatewayClassName: aigw, listeners: [{name: http, protocol: HTTP, port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw2, namespace: ${ns}}
spec: {gatewayClassName: aigw, listeners: [{name: http, protocol: HTTP, port: 80}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: ${ns}}
spec: {endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: alpha, namespace: ${ns}}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: beta, namespace: ${ns}}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: ${v1beta1}
kind: AIGatewayRoute
metadata: {name: chat, namespace: ${ns}}
spec:
  parentRefs: [{name: gw}]
  llmRequestCosts: [{metadataKey: used, type: TotalToken}]
  rules:
    - backendRefs: [{name: alpha}]
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-b}]}]
      backendRefs: [{name: beta}]
---
apiVersion: ${v1beta1}
kind: AIGatewayRoute
metadata: {name: other, namespace: ${ns}}
spec:
  parentRefs: [{name: gw2}]
  rules: [{backendRefs: [{name: beta}]}]
`;

const budget = (spec: string): string => `
apiVersion: ${v1alpha1}
kind: QuotaPolicy
metadata: {name: budget, namespace: ${ns}}
spec:
${spec}`;

const firstBudget =
  budget(`  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: alpha}]
  serviceQuota: {costExpression: input_tokens, quota: {limit: 1000, duration: 1h}}`);

const editedBudget =
  budget(`  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: beta}]
  perModelQuotas:
    - modelName: gpt-b
      quota: {mode: Shared, costExpression: output_tokens * 2u, defaultBucket: {limit: 50, duration: 1m}}`);

/** The quota costs `aigw run` generates for these manifests. */
function aigwRunQuotaCosts(text: string): LLMRequestCost[] {
  const config = buildStandalone(loadResources([{ path: 'quota.yaml', text }]), {
    listenPort: 1,
    adminPort: 1,
    extprocSocket: '/nonexistent/extproc.sock',
    stateDir: '/nonexistent',
    rateLimit: { host: 'ratelimit', port: 1 },
  });
  return (config.filterConfig.llmRequestCosts ?? []).filter((c) =>
    c.metadataKey.startsWith('aigw_quota_'),
  );
}

/** The limiter's rules `aigw run` writes for these manifests. */
function aigwRunRules(text: string): unknown {
  return buildStandalone(loadResources([{ path: 'quota.yaml', text }]), {
    listenPort: 1,
    adminPort: 1,
    extprocSocket: '/nonexistent/extproc.sock',
    stateDir: '/nonexistent',
    rateLimit: { host: 'ratelimit', port: 1 },
  }).rateLimitRules;
}

/** The route's own cost, first in its Gateway's config. */
const routeCost: LLMRequestCost = {
  metadataKey: 'used',
  type: 'TotalToken',
  routeName: `${ns}/chat`,
};

const ref = (kind: string, name: string, apiVersion = v1alpha1) => ({
  apiVersion,
  kind,
  metadata: { name, namespace: ns },
});

describe('QuotaPolicy costs', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  let controller: Controller;
  let metrics: RecordingMetrics;

  /** The `llmRequestCosts` of a Gateway's config (its legacy Secret: no proxies exist here). */
  const costsOf = async (gateway: string): Promise<LLMRequestCost[] | undefined> => {
    const text = decodedData(
      await readObject(client, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${gateway}-${ns}`, namespace: ns },
      }),
    )['filter-config.yaml'];
    if (text === undefined) return undefined;
    return (parse(text) as { llmRequestCosts?: LLMRequestCost[] }).llmRequestCosts ?? [];
  };

  const waitForCosts = async (
    gateway: string,
    expected: readonly LLMRequestCost[],
  ): Promise<void> => {
    try {
      await waitFor(async () => isDeepStrictEqual(await costsOf(gateway), expected), {
        timeoutMs: 20_000,
        description: `Gateway ${gateway}'s llmRequestCosts = ${JSON.stringify(expected)}`,
      });
    } catch (err) {
      // Show what the config holds instead.
      expect(await costsOf(gateway)).toEqual(expected);
      throw err;
    }
  };

  /** The rules file of the controller's rate-limit ConfigMap, parsed. */
  const rulesOf = async (): Promise<unknown> => {
    let configMap: { data?: Record<string, string> } | undefined;
    try {
      configMap = await client.request({ path: `/api/v1/namespaces/${ns}/configmaps/rules` });
    } catch (err) {
      if ((err as { code?: string }).code !== 'not-found') throw err;
    }
    const text = configMap?.data?.[rateLimitRulesFile];
    return text === undefined ? undefined : parse(text);
  };

  const waitForRules = async (expected: unknown): Promise<void> => {
    try {
      await waitFor(async () => isDeepStrictEqual(await rulesOf(), expected), {
        timeoutMs: 20_000,
        description: `the rate-limit ConfigMap holds ${JSON.stringify(expected)}`,
      });
    } catch (err) {
      expect(await rulesOf()).toEqual(expected);
      throw err;
    }
  };

  /** The quota checksum annotation and resourceVersion of each generated HTTPRoute. */
  const stampsOf = async (): Promise<{ checksum?: string; resourceVersion?: string }[]> =>
    Promise.all(
      ['chat', 'other'].map(async (name) => {
        const route = await readObject(client, {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name, namespace: ns },
        });
        const checksum = route?.metadata.annotations?.[quotaChecksumAnnotation];
        const { resourceVersion } = route?.metadata ?? {};
        return {
          ...(checksum === undefined ? {} : { checksum }),
          ...(resourceVersion === undefined ? {} : { resourceVersion }),
        };
      }),
    );

  /** Waits until both HTTPRoutes carry one checksum (none: `undefined`) other than `not`. */
  const waitForChecksum = async (
    expected: { readonly not?: string | undefined } | undefined,
  ): Promise<string | undefined> => {
    const description =
      expected === undefined
        ? 'no HTTPRoute has a quota checksum'
        : `both HTTPRoutes have one quota checksum other than ${String(expected.not)}`;
    try {
      return await waitFor(
        async () => {
          const [a, b] = (await stampsOf()).map((s) => s.checksum);
          if (expected === undefined)
            return a === undefined && b === undefined ? 'none' : undefined;
          return a !== undefined && a === b && a !== expected.not ? a : undefined;
        },
        { timeoutMs: 20_000, description },
      ).then((c) => (c === 'none' ? undefined : c));
    } catch (err) {
      expect(await stampsOf()).toEqual(description);
      throw err;
    }
  };

  let firstChecksum: string | undefined;
  let editedChecksum: string | undefined;

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    await createNamespace(client, ns);
    await applyObjects(client, parseObjects(fixtures));
    ({ controller, metrics } = await startReconcilers(kube, {
      rateLimitConfig: new RateLimitConfigMap({ namespace: ns, name: 'rules' }),
    }));
  }, 240_000);

  afterAll(async () => {
    await controller.stop();
  });

  it('writes no quota cost while no QuotaPolicy exists', async () => {
    await waitForCosts('gw', [routeCost]);
    await controller.whenIdle();
    expect(await costsOf('gw2')).toEqual([]);
    // Nor a quota checksum on the HTTPRoutes (they are what `aigw translate` generates).
    expect((await stampsOf()).map((s) => s.checksum)).toEqual([undefined, undefined]);
  });

  it("puts aigw run's quota costs into every Gateway's config, after the route's own", async () => {
    await applyObjects(client, parseObjects(firstBudget));
    const quota: LLMRequestCost = {
      metadataKey: 'aigw_quota_0',
      type: 'CEL',
      cel: `(backend in ["${ns}/alpha/route/chat/rule/0/ref/0"]) ? uint(input_tokens) : 0u`,
    };
    expect(aigwRunQuotaCosts(fixtures + '---' + firstBudget)).toEqual([quota]);
    await waitForCosts('gw', [routeCost, quota]);
    // The limiter's rules of the same generation, in the ConfigMap the chart mounts.
    const rules = aigwRunRules(fixtures + '---' + firstBudget);
    expect(rules).toMatchObject({ domain: 'ai-gateway', descriptors: [{ key: 'limit' }] });
    await waitForRules(rules);
    // Written through the reconcile's writer: by the leader only, and counted.
    expect(metrics.writes).toContain('apply ConfigMap');
    // The numbering spans the cluster: gw2 gets the cost too (0 for its backends).
    await waitForCosts('gw2', [quota]);
    const condition = await waitForAccepted(client, ref('QuotaPolicy', 'budget'), 'True');
    // The status tells what was applied: the policy's one limit, its amount and window.
    expect(condition).toMatchObject({
      reason: 'ReconciliationSucceeded',
      message:
        'QuotaPolicy reconciled successfully: 1 limit applied: backend/alpha/service: 1000 per hour',
    });
  });

  it('stamps the checksum of the quota generation on every generated HTTPRoute, once', async () => {
    firstChecksum = await waitForChecksum({});
    expect(firstChecksum).toMatch(/^[\w-]{43}$/);
    await controller.whenIdle();
    const before = await stampsOf();
    // Neither the same spec applied again nor a label (no spec change) writes an HTTPRoute.
    const [policy] = parseObjects(firstBudget);
    await applyObjects(client, [policy!]);
    await applyObjects(client, [
      { ...policy!, metadata: { ...policy!.metadata, labels: { team: 'a' } } },
    ]);
    await waitFor(
      async () =>
        (await readObject(client, ref('QuotaPolicy', 'budget')))?.metadata.labels?.['team'] ===
          'a' || undefined,
      { timeoutMs: 10_000, description: 'the label on QuotaPolicy budget' },
    );
    await controller.whenIdle();
    expect(await stampsOf()).toEqual(before);
  });

  it('follows an edit of the QuotaPolicy', async () => {
    await applyObjects(client, parseObjects(editedBudget));
    const quota = aigwRunQuotaCosts(fixtures + '---' + editedBudget);
    expect(quota).toEqual([
      {
        metadataKey: 'aigw_quota_0',
        type: 'CEL',
        cel: `((backend in ["${ns}/beta/route/chat/rule/1/ref/0", "${ns}/beta/route/other/rule/0/ref/0"] && model == "gpt-b")) ? uint(output_tokens * 2u) : 0u`,
      },
    ]);
    await waitForCosts('gw', [routeCost, ...quota]);
    await waitForCosts('gw2', quota);
    const rules = aigwRunRules(fixtures + '---' + editedBudget);
    expect(rules).not.toEqual(aigwRunRules(fixtures + '---' + firstBudget));
    await waitForRules(rules);
    editedChecksum = await waitForChecksum({ not: firstChecksum });
  });

  it('reports a QuotaPolicy the generation refuses, and its costs leave the configs', async () => {
    const ghost = parseObjects(`
apiVersion: ${v1alpha1}
kind: QuotaPolicy
metadata: {name: ghost, namespace: ${ns}}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: nope}]
  serviceQuota: {quota: {limit: 10, duration: 1m}}
`);
    await applyObjects(client, ghost);
    const condition = await waitForAccepted(client, ref('QuotaPolicy', 'ghost'), 'False');
    expect(condition['reason']).toBe('ReconciliationFailed');
    expect(condition['message']).toBe(
      `QuotaPolicy ${ns}/ghost: spec.targetRefs[0].name: AIServiceBackend ${ns}/nope not found`,
    );
    const other = await waitForAccepted(client, ref('QuotaPolicy', 'budget'), 'False');
    expect(other['message']).toMatch(
      new RegExp(`^QuotaPolicy ${ns}/budget: not charged: the token budgets do not generate: `),
    );
    // As the extension server, which then refuses the budgets: nothing is charged.
    await waitForCosts('gw', [routeCost]);
    // The problems are part of the checksum: Envoy Gateway translates again after the fix.
    const failedChecksum = await waitForChecksum({ not: editedChecksum });

    await deleteObject(client, ref('QuotaPolicy', 'ghost'));
    const fixed = await waitForAccepted(client, ref('QuotaPolicy', 'budget'), 'True');
    expect(fixed['message']).toBe(
      'QuotaPolicy reconciled successfully: 1 limit applied: backend/beta/model/gpt-b: 50 per minute',
    );
    await waitForCosts('gw', [routeCost, ...aigwRunQuotaCosts(fixtures + '---' + editedBudget)]);
    // The same generation as before the ghost: the same checksum.
    expect(await waitForChecksum({ not: failedChecksum })).toBe(editedChecksum);
  });

  it('drops the costs once the QuotaPolicy is deleted', async () => {
    await deleteObject(client, ref('QuotaPolicy', 'budget'));
    await waitForCosts('gw', [routeCost]);
    await waitForCosts('gw2', []);
    // The domain stays, without limits.
    await waitForRules({ domain: 'ai-gateway', descriptors: [] });
    // The checksum leaves the HTTPRoutes (Envoy Gateway translates without the budgets).
    await waitForChecksum(undefined);
  });
});
