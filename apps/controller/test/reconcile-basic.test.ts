import { readFileSync } from 'node:fs';
import { loadResources, manifestsToYaml, translateToKubernetes } from '@aigw/gateway-config';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/runtime/contracts.js';
import type { Controller } from '../src/runtime/controller.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { testClient } from './support/kube.js';
import {
  acceptedOf,
  applyObjects,
  applyReconcilerCrds,
  createObjects,
  decodedData,
  deleteObject,
  parseObjects,
  readObject,
  repoPath,
  startReconcilers,
  testNow,
  waitForAccepted,
} from './support/reconcile-kit.js';

/**
 * Upstream's examples/basic applied to a real API server with the controller running: the objects
 * it writes are those `aigw translate` prints for the same input, every CR is Accepted, a restart
 * writes nothing, a Secret edit reaches the config, a deletion cleans up.
 */
const basicYaml = readFileSync(
  repoPath('packages/gateway-config/src/testdata/upstream/basic.yaml'),
  'utf8',
);
const basic = parseObjects(basicYaml);
const ours = basic.filter((o) => o.apiVersion.startsWith('aigateway.envoyproxy.io/'));
const routeManifest = basic.find((o) => o.kind === 'AIGatewayRoute');
if (!routeManifest) throw new Error('basic.yaml has no AIGatewayRoute');
const secretRef = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'default' },
});
/** The legacy config Secret `<gw>-<ns>` (the whole config while it fits). */
const configSecretRef = secretRef('envoy-ai-gateway-basic-default');
/** The bundle: its index and its one part. */
const bundleRefs = [
  secretRef('envoy-ai-gateway-basic-default-21a9f8f801bd'),
  secretRef('envoy-ai-gateway-basic-default-21a9f8f801bd-part-000'),
];

describe('reconcilers on upstream examples/basic', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  const controllers: Controller[] = [];

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    await createObjects(client, basic);
  }, 240_000);

  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.stop();
  });

  async function start(): Promise<Controller & { writes: readonly string[] }> {
    const { controller, metrics } = await startReconcilers(kube);
    controllers.push(controller);
    return Object.assign(controller, { writes: metrics.writes });
  }

  it('accepts every CR and writes what aigw translate prints for the same input', async () => {
    const controller = await start();
    for (const object of ours) {
      const condition = await waitForAccepted(client, object, 'True');
      expect(condition).toMatchObject({
        type: 'Accepted',
        reason: 'ReconciliationSucceeded',
        lastTransitionTime: testNow.toISOString().replace('.000Z', 'Z'),
      });
    }
    expect(acceptedOf(await readObject(client, routeManifest))?.['message']).toBe(
      'AI Gateway Route reconciled successfully',
    );
    const storedRoute = await readObject(client, routeManifest);
    expect(storedRoute?.metadata.finalizers).toEqual(['aigateway.envoyproxy.io/finalizer']);
    await waitFor(() => readObject(client, configSecretRef), { description: 'config Secret' });
    await controller.whenIdle();

    // `aigw translate` on the same YAML, with what the API server gave the route (uid,
    // creationTimestamp) so that owner references and /v1/models match.
    const withServerFields = basicYaml.replace(
      'kind: AIGatewayRoute\nmetadata:\n',
      `kind: AIGatewayRoute\nmetadata:\n  uid: ${storedRoute?.metadata.uid ?? ''}\n  creationTimestamp: "${storedRoute?.metadata.creationTimestamp ?? ''}"\n`,
    );
    const expected = translateToKubernetes(
      loadResources([{ path: 'basic.yaml', text: withServerFields }], { target: 'kubernetes' }),
    ) as KubeObject[];
    const generated = expected.slice(0, 6);
    expect(generated.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'HTTPRoute/envoy-ai-gateway-basic',
      'HTTPRouteFilter/ai-eg-host-rewrite-envoy-ai-gateway-basic',
      'HTTPRouteFilter/ai-eg-route-not-found-response-envoy-ai-gateway-basic',
      'Secret/envoy-ai-gateway-basic-default-21a9f8f801bd-part-000',
      'Secret/envoy-ai-gateway-basic-default-21a9f8f801bd',
      'Secret/envoy-ai-gateway-basic-default',
    ]);
    for (const object of generated) {
      // Stored = translated, plus only what the API server defaults (path type, weights…); the
      // config Secrets byte for byte (data, labels).
      expect(await readObject(client, object)).toMatchObject(object);
    }
    // The translate output is printable as aigw prints it (sanity of the comparison input).
    expect(manifestsToYaml(generated)).toContain('route-not-found');
  });

  it('writes nothing when restarted: every resourceVersion stays', async () => {
    const first = await start();
    for (const object of ours) await waitForAccepted(client, object, 'True');
    await first.whenIdle();
    await first.stop();
    controllers.splice(0);

    const watched = [
      ...ours,
      configSecretRef,
      ...bundleRefs,
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: routeManifest.metadata,
      },
      ...['ai-eg-host-rewrite-', 'ai-eg-route-not-found-response-'].map((prefix) => ({
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'HTTPRouteFilter',
        metadata: { name: `${prefix}${routeManifest.metadata.name}`, namespace: 'default' },
      })),
    ];
    const versions = async (): Promise<(string | undefined)[]> =>
      Promise.all(
        watched.map(async (o) => (await readObject(client, o))?.metadata.resourceVersion),
      );
    const before = await versions();
    expect(before.every((v) => v !== undefined)).toBe(true);

    const second = await start();
    await second.whenIdle();
    // No write sent at all (an apply of identical content would keep the resourceVersion too).
    expect(second.writes).toEqual([]);
    expect(await versions()).toEqual(before);
  });

  it("adds the global costs of the Gateway's GatewayConfig; an invalid one is Accepted=False", async () => {
    const controller = await start();
    await waitForAccepted(client, routeManifest, 'True');
    const gateway = basic.find((o) => o.kind === 'Gateway');
    if (!gateway) throw new Error('basic.yaml has no Gateway');
    const gatewayConfig = (costs: object[]): KubeObject => ({
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'GatewayConfig',
      metadata: { name: 'costs', namespace: 'default' },
      spec: { globalLLMRequestCosts: costs },
    });
    const globalCostKeys = async (): Promise<string[]> => {
      const text = decodedData(await readObject(client, configSecretRef))['filter-config.yaml'];
      const config = JSON.parse(text ?? '{}') as {
        llmRequestCosts?: { metadataKey: string; routeName?: string }[];
      };
      return (config.llmRequestCosts ?? [])
        .filter((c) => c.routeName === undefined)
        .map((c) => c.metadataKey);
    };
    const allTokens = { metadataKey: 'all_tokens', type: 'TotalToken' };
    await applyObjects(client, [
      gatewayConfig([allTokens]),
      {
        apiVersion: gateway.apiVersion,
        kind: 'Gateway',
        metadata: {
          name: gateway.metadata.name,
          namespace: gateway.metadata.namespace,
          annotations: { 'aigateway.envoyproxy.io/gateway-config': 'costs' },
        },
      },
    ]);
    await waitForAccepted(client, gatewayConfig([]), 'True');
    await waitFor(async () => (await globalCostKeys()).join() === 'all_tokens', {
      description: 'the global cost in the config',
      timeoutMs: 20_000,
    });

    await applyObjects(client, [
      gatewayConfig([allTokens, { metadataKey: 'bad', type: 'CEL', cel: 'input_tokens +' }]),
    ]);
    const refused = await waitForAccepted(client, gatewayConfig([]), 'False');
    expect(refused['message']).toMatch(
      /^GatewayConfig default\/costs: spec\.globalLLMRequestCosts\[1\]\.cel: /,
    );
    await waitFor(async () => (await globalCostKeys()).length === 0, {
      description: 'the invalid GatewayConfig left out of the config',
      timeoutMs: 20_000,
    });
    await deleteObject(client, gatewayConfig([]));
    await controller.whenIdle();
  });

  it('carries a Secret edit into the config and cleans up when the route is deleted', async () => {
    const controller = await start();
    await waitForAccepted(client, routeManifest, 'True');
    await applyObjects(client, [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'envoy-ai-gateway-basic-openai-apikey', namespace: 'default' },
        stringData: { apiKey: 'rotated-key' },
      },
    ]);
    await waitFor(
      async () =>
        // The key is inlined in the config (JSON).
        (
          decodedData(await readObject(client, configSecretRef))['filter-config.yaml'] ?? ''
        ).includes('"key":"rotated-key"'),
      { description: 'the edited key in the config Secret', timeoutMs: 20_000 },
    );

    await deleteObject(client, routeManifest);
    await waitFor(async () => (await readObject(client, routeManifest)) === undefined, {
      description: 'the route gone (finalizer removed)',
      timeoutMs: 20_000,
    });
    for (const ref of [configSecretRef, ...bundleRefs]) {
      await waitFor(async () => (await readObject(client, ref)) === undefined, {
        description: `config Secret ${ref.metadata.name} of the route-less Gateway deleted`,
        timeoutMs: 20_000,
      });
    }
    const httpRoute = await readObject(client, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: routeManifest.metadata,
    });
    expect(httpRoute).toBeUndefined();
    await controller.whenIdle();
  });
});
