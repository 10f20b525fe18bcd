import { join } from 'node:path';

import { loadKubeConfigFile } from '@aigw/kube-config';
import { createLogger } from '@aigw/service-kit';
import { applyCrds, findRepoRoot, useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postTranslateModify } from '../src/hooks/post-translate-modify.js';
import { KubeRouteStore } from '../src/kube-routes.js';
import { chatRoute, egLikeRequest } from './support/eg-like.js';

/** The API-server mode against a real kube-apiserver: list, then watch, of AIGatewayRoutes. */
const harness = useHarness();
const routesPath = '/apis/aigateway.envoyproxy.io/v1beta1/namespaces/default/aigatewayroutes';

describe('AIGatewayRoutes from the API server', () => {
  let kube: KubeApiServer;
  let store: KubeRouteStore;

  beforeAll(async () => {
    kube = await harness.kube();
    const root = findRepoRoot() ?? '.';
    await applyCrds(kube, [
      join(root, 'deploy', 'crds', 'aigateway.envoyproxy.io_aigatewayroutes.yaml'),
    ]);
    const created = await kube.request(routesPath, { method: 'POST', body: chatRoute() });
    expect(created.status).toBe(201);
    store = new KubeRouteStore({
      kube: loadKubeConfigFile(kube.kubeconfigPath),
      log: createLogger({ name: 'test', level: 'silent', format: 'json' }),
      retryMs: 50,
    });
    await store.start();
  }, 180_000);

  afterAll(() => {
    store.close();
  });

  it('lists the routes before the first hook, which then edits their xDS', () => {
    expect(store.isSynced).toBe(true);
    expect(store.get('default', 'chat')?.spec?.rules[0]?.backendRefs?.map((r) => r.name)).toEqual([
      'openai',
      'off',
      'bedrock',
    ]);
    const response = postTranslateModify(egLikeRequest(), {
      routes: store,
      udsPath: '/run/x.sock',
    });
    const endpoint = response.clusters[0]?.loadAssignment?.endpoints[1]?.lbEndpoints[0];
    expect(endpoint?.metadata?.filterMetadata['aigateway.envoy.io']).toMatchObject({
      per_route_rule_backend_name: 'default/bedrock/route/chat/rule/0/ref/2',
    });
  });

  it('follows updates and deletions through the watch', async () => {
    const patched = await kube.request(`${routesPath}/chat`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { spec: { rules: [{ backendRefs: [{ name: 'vertex' }] }] } },
    });
    expect(patched.status).toBe(200);
    await waitFor(
      () => store.get('default', 'chat')?.spec?.rules[0]?.backendRefs?.[0]?.name === 'vertex',
      {
        description: 'the patched route in the store',
      },
    );
    const deleted = await kube.request(`${routesPath}/chat`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    await waitFor(() => store.get('default', 'chat') === undefined, {
      description: 'the deleted route gone from the store',
    });
  });
});
