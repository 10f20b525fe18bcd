import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../src/runtime/controller.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { createNamespace, testClient } from './support/kube.js';
import {
  acceptedOf,
  applyObjects,
  applyReconcilerCrds,
  decodedData,
  parseObjects,
  readObject,
  startReconcilers,
  waitForAccepted,
} from './support/reconcile-kit.js';

/**
 * Bad input never stops the controller: each bad object gets `Accepted=False` with a message
 * naming the object and the field, and the good route on the same Gateway keeps its config.
 */
const v1beta1 = 'aigateway.envoyproxy.io/v1beta1';

const route = (name: string, spec: string): string => `
apiVersion: ${v1beta1}
kind: AIGatewayRoute
metadata: {name: ${name}, namespace: bad}
spec:
${spec}`;

const fixtures = parseObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: bad}
spec: {gatewayClassName: aigw, listeners: [{name: http, protocol: HTTP, port: 80}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: bad}
spec: {endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]}
---
apiVersion: v1
kind: Secret
metadata: {name: key, namespace: bad}
stringData: {apiKey: sk-test}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: good, namespace: bad}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: shared, namespace: bad}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: no-backend, namespace: bad}
spec: {schema: {name: OpenAI}, backendRef: {name: absent, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: p-a, namespace: bad}
spec:
  type: APIKey
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: shared}]
  apiKey: {secretRef: {name: key}}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: p-b, namespace: bad}
spec:
  type: APIKey
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: shared}]
  apiKey: {secretRef: {name: key}}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: no-secret, namespace: bad}
spec:
  type: APIKey
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: good}]
  apiKey: {secretRef: {name: missing}}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: ghost-target, namespace: bad}
spec:
  type: APIKey
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ghost}]
  apiKey: {secretRef: {name: key}}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: other}
spec: {endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: remote, namespace: other}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---${route(
  'good',
  `  parentRefs: [{name: gw}]
  rules: [{matches: [{headers: [{name: x-ai-eg-model, value: gpt-good}]}], backendRefs: [{name: shared-free}]}]`,
)}
---${route(
  'missing-backend',
  `  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: nope}]}]`,
)}
---${route(
  'cross-namespace',
  `  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: remote, namespace: other}]}]`,
)}
---${route(
  'two-policies',
  `  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: shared}]}]`,
)}
---${route(
  'bad-cel',
  `  parentRefs: [{name: gw}]
  llmRequestCosts: [{metadataKey: cost, type: CEL, cel: 'input_tokens +'}]
  rules: [{backendRefs: [{name: shared-free}]}]`,
)}
---${route(
  'no-gateway',
  `  parentRefs: [{name: nogw}]
  rules: [{backendRefs: [{name: shared-free}]}]`,
)}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: shared-free, namespace: bad}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
`);

const ref = (kind: string, name: string, namespace = 'bad') => ({
  apiVersion: v1beta1,
  kind,
  metadata: { name, namespace },
});

describe('bad input', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  let controller: Controller;

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    await createNamespace(client, 'bad');
    await createNamespace(client, 'other');
    await applyObjects(client, fixtures);
    ({ controller } = await startReconcilers(kube));
  }, 240_000);

  afterAll(async () => {
    await controller.stop();
  });

  it.each([
    {
      object: ref('AIGatewayRoute', 'missing-backend'),
      message:
        'AIGatewayRoute bad/missing-backend: spec.rules[0].backendRefs[0].name: AIServiceBackend bad/nope not found',
    },
    {
      object: ref('AIGatewayRoute', 'cross-namespace'),
      message:
        'AIGatewayRoute bad/cross-namespace: spec.rules[0].backendRefs[0].namespace: cross-namespace reference from AIGatewayRoute in namespace bad to AIServiceBackend remote in namespace other is not permitted: no valid ReferenceGrant found in namespace other. A ReferenceGrant must allow AIGatewayRoute from namespace bad to reference AIServiceBackend in namespace other',
    },
    {
      object: ref('AIGatewayRoute', 'two-policies'),
      message:
        'BackendSecurityPolicy bad/p-b: spec.targetRefs[0].name: AIServiceBackend bad/shared already has BackendSecurityPolicy bad/p-a',
    },
    {
      object: ref('AIServiceBackend', 'shared'),
      message: 'multiple BackendSecurityPolicies found for AIServiceBackend shared: [p-a p-b]',
    },
    {
      object: ref('AIServiceBackend', 'no-backend'),
      message:
        'AIServiceBackend bad/no-backend: spec.backendRef.name: Backend bad/absent not found',
    },
    {
      object: ref('AIGatewayRoute', 'bad-cel'),
      message:
        /^AIGatewayRoute bad\/bad-cel: spec\.llmRequestCosts\[0\]\.cel: CEL does not parse: /,
    },
    {
      object: ref('AIGatewayRoute', 'no-gateway'),
      message: 'AIGatewayRoute bad/no-gateway: spec.parentRefs[0].name: Gateway bad/nogw not found',
    },
    {
      object: ref('BackendSecurityPolicy', 'no-secret'),
      message:
        'BackendSecurityPolicy bad/no-secret: spec.apiKey.secretRef.name: Secret bad/missing not found',
    },
    {
      object: ref('BackendSecurityPolicy', 'ghost-target'),
      message:
        'BackendSecurityPolicy bad/ghost-target: spec.targetRefs[0].name: AIServiceBackend bad/ghost not found',
    },
  ])('$object.kind $object.metadata.name → Accepted=False naming the field', async (row) => {
    const condition = await waitForAccepted(client, row.object, 'False');
    expect(condition['reason']).toBe('ReconciliationFailed');
    expect(condition['message']).toMatch(
      typeof row.message === 'string' ? new RegExp(`^${escape(row.message)}$`) : row.message,
    );
  });

  it('keeps the good route of the same Gateway Accepted and alone in the config', async () => {
    await waitForAccepted(client, ref('AIGatewayRoute', 'good'), 'True');
    await controller.whenIdle();
    const config = decodedData(
      await readObject(client, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'gw-bad', namespace: 'bad' },
      }),
    )['filter-config.yaml'];
    expect(config).toContain('bad/shared-free/route/good/rule/0/ref/0');
    for (const bad of ['missing-backend', 'cross-namespace', 'two-policies', 'bad-cel']) {
      expect(config).not.toContain(`/route/${bad}/`);
    }
  });

  it('accepts the cross-namespace route once a ReferenceGrant allows it', async () => {
    await applyObjects(client, [
      {
        apiVersion: 'gateway.networking.k8s.io/v1beta1',
        kind: 'ReferenceGrant',
        metadata: { name: 'routes-from-bad', namespace: 'other' },
        spec: {
          from: [{ group: 'aigateway.envoyproxy.io', kind: 'AIGatewayRoute', namespace: 'bad' }],
          to: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend' }],
        },
      },
    ]);
    await waitForAccepted(client, ref('AIGatewayRoute', 'cross-namespace'), 'True');
    await waitFor(
      async () =>
        decodedData(
          await readObject(client, {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'gw-bad', namespace: 'bad' },
          }),
        )['filter-config.yaml']?.includes('other/remote/route/cross-namespace/rule/0/ref/0'),
      { description: 'the cross-namespace backend in the config' },
    );
    const httpRoute = await readObject(client, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'cross-namespace', namespace: 'bad' },
    });
    expect(acceptedOf(await readObject(client, ref('AIGatewayRoute', 'good')))?.['status']).toBe(
      'True',
    );
    expect(
      (httpRoute?.['spec'] as { rules: { backendRefs?: unknown[] }[] }).rules[0]?.backendRefs,
    ).toEqual([expect.objectContaining({ name: 'be', namespace: 'other', kind: 'Backend' })]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
