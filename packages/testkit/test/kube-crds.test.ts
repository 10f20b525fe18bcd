import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  applyCrds,
  startKubeApiServer,
  stopAll,
  thirdPartyCrdFiles,
  withLogsOnFailure,
  type KubeApiServer,
} from '../src/index.js';

const startTimeoutMs = 240_000;

withLogsOnFailure();
afterAll(() => stopAll());

describe('third-party CRDs on the test cluster', () => {
  let kube: KubeApiServer;
  let names: string[];

  beforeAll(async () => {
    kube = await startKubeApiServer({ name: 'kube-crds', timeoutMs: startTimeoutMs });
    names = await applyCrds(kube, thirdPartyCrdFiles(), { timeoutMs: 120_000 });
  }, startTimeoutMs + 150_000);

  it.each([
    ['gateway.networking.k8s.io/v1', 'httproutes', 'HTTPRoute'],
    ['gateway.networking.k8s.io/v1', 'gateways', 'Gateway'],
    ['gateway.networking.k8s.io/v1', 'gatewayclasses', 'GatewayClass'],
    ['gateway.envoyproxy.io/v1alpha1', 'httproutefilters', 'HTTPRouteFilter'],
    ['gateway.envoyproxy.io/v1alpha1', 'envoyextensionpolicies', 'EnvoyExtensionPolicy'],
    ['gateway.envoyproxy.io/v1alpha1', 'backendtrafficpolicies', 'BackendTrafficPolicy'],
    ['gateway.envoyproxy.io/v1alpha1', 'backends', 'Backend'],
    ['gateway.envoyproxy.io/v1alpha1', 'securitypolicies', 'SecurityPolicy'],
  ])('serves %s %s (%s)', async (groupVersion, plural, kind) => {
    expect(names).toContain(`${plural}.${groupVersion.split('/')[0] ?? ''}`);
    const discovery = await kube.request(`/apis/${groupVersion}`);
    expect(discovery.status).toBe(200);
    const resources = (discovery.json() as { resources: { name: string; kind: string }[] })
      .resources;
    expect(resources).toContainEqual(expect.objectContaining({ name: plural, kind }));
    // GatewayClass is cluster-scoped; the rest are namespaced.
    const scope = plural === 'gatewayclasses' ? '' : '/namespaces/default';
    expect((await kube.request(`/apis/${groupVersion}${scope}/${plural}`)).status).toBe(200);
  });

  it('validates with the upstream schema: an HTTPRoute round-trips, a bad one is refused', async () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r1', namespace: 'default' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        rules: [{ backendRefs: [{ name: 'svc', port: 8080 }] }],
      },
    };
    const base = '/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes';
    expect((await kube.request(base, { method: 'POST', body: route })).status).toBe(201);
    const read = (await kube.request(`${base}/r1`)).json() as {
      spec: { rules: { matches?: unknown[] }[] };
    };
    // The CRD's defaults applied: a rule without matches gets the PathPrefix "/" match.
    expect(read.spec.rules[0]?.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    const bad = { ...route, metadata: { name: 'r2', namespace: 'default' } };
    bad.spec = { ...route.spec, rules: [{ backendRefs: [{ name: 'svc', port: 70_000 }] }] };
    const refused = await kube.request(base, { method: 'POST', body: bad });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatch(/port/);
  });

  it('re-applying the same CRDs replaces them in place', async () => {
    const files = thirdPartyCrdFiles({ isEnvoyGatewayIncluded: false });
    await expect(applyCrds(kube, files.slice(0, 2))).resolves.toHaveLength(2);
  });
});
