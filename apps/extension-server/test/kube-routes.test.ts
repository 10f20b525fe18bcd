import { join } from 'node:path';

import { loadKubeConfigFile } from '@aigw/kube-config';
import { createLogger } from '@aigw/service-kit';
import { envoyFilters, type egExtension } from '@aigw/proto';
import {
  applyCrds,
  findRepoRoot,
  thirdPartyCrdFiles,
  useHarness,
  waitFor,
  type KubeApiServer,
} from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postTranslateModify } from '../src/hooks/post-translate-modify.js';
import { KubeRouteStore } from '../src/kube-routes.js';
import { budgetRateLimits } from '../src/xds/rate-limits.js';
import { chatRoute, egLikeRequest } from './support/eg-like.js';

/** The API-server mode against a real kube-apiserver: list, then watch, of AIGatewayRoutes. */
const harness = useHarness();
const routesPath = '/apis/aigateway.envoyproxy.io/v1beta1/namespaces/default/aigatewayroutes';

let kube: KubeApiServer;

describe('AIGatewayRoutes from the API server', () => {
  let store: KubeRouteStore;

  beforeAll(async () => {
    kube = await harness.kube();
    const root = findRepoRoot() ?? '.';
    await applyCrds(kube, [
      ...['aigatewayroutes', 'aiservicebackends', 'quotapolicies'].map((plural) =>
        join(root, 'deploy', 'crds', `aigateway.envoyproxy.io_${plural}.yaml`),
      ),
      ...thirdPartyCrdFiles().filter((f) =>
        /(gateway\.envoyproxy\.io_(backends|backendtrafficpolicies)|networking\.k8s\.io_gateways)\.yaml$/.test(
          f,
        ),
      ),
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

const budgetApis = {
  aiServiceBackends: '/apis/aigateway.envoyproxy.io/v1beta1/namespaces/default/aiservicebackends',
  backends: '/apis/gateway.envoyproxy.io/v1alpha1/namespaces/default/backends',
  policies: '/apis/aigateway.envoyproxy.io/v1alpha1/namespaces/default/quotapolicies',
};

/**
 * A token budget: 5000 tokens an hour on AIServiceBackend default/openai. A QuotaPolicy, not a
 * BackendTrafficPolicy: kube-apiserver v1.36 refuses every BackendTrafficPolicy with a rate limit
 * under Envoy Gateway v1.8.1's CRD (`limit.requests` is `format: int32` with `maximum:
 * 4294967295`: "Maximum boundary value must be of type integer with format int32"). Both go
 * through the same generation.
 */
const tokenBudget = {
  apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
  kind: 'QuotaPolicy',
  metadata: { name: 'budget', namespace: 'default' },
  spec: {
    targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' }],
    serviceQuota: { quota: { limit: 5000, duration: '1h' } },
  },
};

/** The HCM of the first listener's first filter chain. */
function firstHcm(
  response: egExtension.PostTranslateModifyResponse,
): envoyFilters.hcm.HttpConnectionManager {
  const filter = response.listeners[0]?.filterChains[0]?.filters[0];
  const config = filter?.configType?.$case === 'typedConfig' ? filter.configType.value : undefined;
  return envoyFilters.hcm.HttpConnectionManager.decode(config?.value ?? new Uint8Array());
}

/** The rate limits of the first route of the first route configuration. */
function firstRouteLimits(
  response: egExtension.PostTranslateModifyResponse,
): envoyFilters.rateLimit.RateLimitPerRoute {
  const [route] = response.routes[0]?.virtualHosts[0]?.routes ?? [];
  const any = route?.typedPerFilterConfig['envoy.filters.http.ratelimit/ai-gateway-quota'];
  return envoyFilters.rateLimit.RateLimitPerRoute.decode(any?.value ?? new Uint8Array());
}

async function create(path: string, body: object): Promise<void> {
  const created = await kube.request(path, { method: 'POST', body });
  expect(created.status, created.body).toBe(201);
}

describe('token budgets from the API server (#14)', () => {
  let store: KubeRouteStore;

  beforeAll(async () => {
    store = new KubeRouteStore({
      kube: loadKubeConfigFile(kube.kubeconfigPath),
      log: createLogger({ name: 'test', level: 'silent', format: 'json' }),
      budgets: true,
      retryMs: 50,
    });
    await store.start();
  }, 60_000);

  afterAll(() => {
    store.close();
  });

  it('puts the rate-limit filter and the route’s limits into the hook output', async () => {
    const rateLimits = budgetRateLimits(store, {
      service: { host: 'ratelimit.local', port: 8081 },
      udsPath: '/run/x.sock',
    });
    for (const name of ['openai', 'off', 'bedrock']) {
      await create(budgetApis.backends, {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'Backend',
        metadata: { name, namespace: 'default' },
        spec: { endpoints: [{ fqdn: { hostname: `${name}.example.com`, port: 443 } }] },
      });
      await create(budgetApis.aiServiceBackends, {
        apiVersion: 'aigateway.envoyproxy.io/v1beta1',
        kind: 'AIServiceBackend',
        metadata: { name, namespace: 'default' },
        spec: {
          schema: { name: 'OpenAI' },
          backendRef: { group: 'gateway.envoyproxy.io', kind: 'Backend', name },
        },
      });
    }
    await create(routesPath, chatRoute());
    await create(budgetApis.policies, tokenBudget);
    await waitFor(() => rateLimits.limitsOf('default/chat/rule/0') !== undefined, {
      description: 'the budget of default/chat generated from the watched objects',
    });
    const response = postTranslateModify(egLikeRequest(), {
      routes: store,
      udsPath: '/run/x.sock',
      rateLimits,
    });
    expect(firstHcm(response).httpFilters.map((f) => f.name)).toContain(
      'envoy.filters.http.ratelimit/ai-gateway-quota',
    );
    expect(response.clusters.map((c) => c.name)).toContain('ai_gateway_ratelimit_cluster');
    const perRoute = firstRouteLimits(response);
    // A check on the request path, the charge when the stream ends.
    expect(perRoute.rateLimits.map((l) => l.applyOnStreamDone)).toEqual([false, true]);
    expect(perRoute.rateLimits[1]?.hitsAddend?.format).toMatch(
      /^%DYNAMIC_METADATA\(io\.envoy\.ai_gateway:/,
    );
    // Deleting the policy through the API removes the limits.
    const deleted = await kube.request(`${budgetApis.policies}/budget`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    await waitFor(() => rateLimits.limitsOf('default/chat/rule/0') === undefined, {
      description: 'no limits once the QuotaPolicy is deleted',
    });
  });
});
