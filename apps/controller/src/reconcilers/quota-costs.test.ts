import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { InformerCache } from '../runtime/cache.js';
import type { Kind, KubeObject } from '../runtime/contracts.js';
import { QuotaCosts, quotaCostsOf, quotaPolicyProblems } from './quota-costs.js';

const objects = (text: string): KubeObject[] =>
  parseAllDocuments(text).map((d) => d.toJS() as KubeObject);

const base = objects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns, generation: 1}
spec: {gatewayClassName: aigw, listeners: [{name: http, protocol: HTTP, port: 80}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: ns, generation: 1}
spec: {endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: alpha, namespace: ns, generation: 1}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: chat, namespace: ns, generation: 1}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: alpha}]}]
`);

const quotaPolicy = (name: string, costExpression: string, generation = 1): KubeObject =>
  objects(`
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: QuotaPolicy
metadata: {name: ${name}, namespace: ns, generation: ${String(generation)}, resourceVersion: '1'}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: alpha}]
  serviceQuota: {costExpression: ${costExpression}, quota: {limit: 10, duration: 1m}}
`)[0] as KubeObject;

const cel = (expression: string): string =>
  `(backend in ["ns/alpha/route/chat/rule/0/ref/0"]) ? uint(${expression}) : 0u`;

function cacheOf(list: readonly KubeObject[]): InformerCache {
  const cache = new InformerCache();
  for (const object of list) cache.upsert(object.kind as Kind, object);
  return cache;
}

describe('quota costs', () => {
  it('is empty without a QuotaPolicy', () => {
    expect(quotaCostsOf(base)).toEqual({ costs: [], problems: [] });
    expect(new QuotaCosts().of(cacheOf(base)).changed).toBe(false);
  });

  it('numbers the quotas in list order (namespace, name), whatever the cache order', () => {
    // Cached b before a: the API server lists a first, and so does the extension server.
    const cache = cacheOf([
      ...base,
      quotaPolicy('b', 'output_tokens'),
      quotaPolicy('a', 'input_tokens'),
    ]);
    const { result, changed } = new QuotaCosts().of(cache);
    expect(changed).toBe(true);
    expect(result).toMatchObject({
      costs: [
        { metadataKey: 'aigw_quota_0', type: 'CEL', cel: cel('input_tokens') },
        { metadataKey: 'aigw_quota_1', type: 'CEL', cel: cel('output_tokens') },
      ],
      problems: [],
    });
    // The limiter's rules of the same generation, one top-level limit per quota, in that order.
    expect(result.rules?.domain).toBe('ai-gateway');
    expect(result.rules?.descriptors.map((d) => d.value)).toEqual([
      expect.stringMatching(/\/a\/backend\//),
      expect.stringMatching(/\/b\/backend\//),
    ]);
  });

  it('carries the token estimate of a QuotaPolicy that reserves at admission (docs/budgets.md)', () => {
    const plain = quotaPolicy('a', 'total_tokens');
    const reserving: KubeObject = {
      ...plain,
      metadata: {
        ...plain.metadata,
        annotations: {
          'aigateway.envoyproxy.io/token-reservation': 'true',
          'aigateway.envoyproxy.io/token-reservation-default-output-tokens': '300',
        },
      },
    };
    const result = quotaCostsOf([...base, reserving]);
    expect(result.problems).toEqual([]);
    expect(result.tokenReservation).toEqual({ defaultOutputTokens: 300, inputBytesPerToken: 1 });
    expect(
      quotaCostsOf([...base, quotaPolicy('a', 'total_tokens')]).tokenReservation,
    ).toBeUndefined();
  });

  it('carries the hard limits of a QuotaPolicy that cuts streams at its budget (docs/budgets.md)', () => {
    const plain = quotaPolicy('a', 'total_tokens');
    const hard: KubeObject = {
      ...plain,
      metadata: {
        ...plain.metadata,
        annotations: { 'aigateway.envoyproxy.io/token-budget-enforcement': 'hard' },
      },
    };
    const result = quotaCostsOf([...base, hard]);
    expect(result.problems).toEqual([]);
    expect(result.tokenReservation?.hardLimits).toEqual([
      {
        tokens: expect.any(Number) as number,
        windowSeconds: expect.any(Number) as number,
        reserves: false,
      },
    ]);
  });

  it('generates again only after a spec change, and says when the result changed', () => {
    const cache = cacheOf([...base, quotaPolicy('a', 'input_tokens')]);
    const costs = new QuotaCosts();
    expect(costs.of(cache).changed).toBe(true);
    expect(costs.of(cache).changed).toBe(false);
    // A status write: same generation.
    cache.upsert('QuotaPolicy', {
      ...quotaPolicy('a', 'input_tokens'),
      status: { conditions: [] },
    });
    expect(costs.of(cache).changed).toBe(false);
    cache.upsert('QuotaPolicy', quotaPolicy('a', 'total_tokens', 2));
    const edited = costs.of(cache);
    expect(edited.changed).toBe(true);
    expect(edited.result.costs[0]?.cel).toBe(cel('total_tokens'));
  });

  it("names a policy's own problems, or says it is not charged because of others'", () => {
    const ghost = {
      ...quotaPolicy('ghost', 'input_tokens'),
      spec: {
        targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'nope' }],
        serviceQuota: { quota: { limit: 1, duration: '1m' } },
      },
    };
    const good = quotaPolicy('a', 'input_tokens');
    const result = quotaCostsOf([...base, good, ghost]);
    expect(result.costs).toEqual([]);
    expect(quotaPolicyProblems(result, ghost)).toEqual([
      'QuotaPolicy ns/ghost: spec.targetRefs[0].name: AIServiceBackend ns/nope not found',
    ]);
    expect(quotaPolicyProblems(result, good)).toEqual([
      'QuotaPolicy ns/a: not charged: the token budgets do not generate: QuotaPolicy ns/ghost: spec.targetRefs[0].name: AIServiceBackend ns/nope not found',
    ]);
  });
});
