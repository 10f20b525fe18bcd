import { join } from 'node:path';

import { KubeConfig } from '@aigw/kube-config';
import { createLogger } from '@aigw/service-kit';
import {
  applyCrds,
  findRepoRoot,
  thirdPartyCrdFiles,
  useHarness,
  waitFor,
  type KubeApiServer,
} from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KubeRouteStore } from '../src/kube-routes.js';
import { extensionServerRules } from '../src/rbac.js';
import { chatRoute } from './support/eg-like.js';

/**
 * The API-server mode as a ServiceAccount bound to exactly the rules of src/rbac.ts (what the
 * chart grants): the store lists and watches every resource it needs, and nothing more is granted.
 */
const harness = useHarness();
const account = { namespace: 'default', name: 'aigw-extension-server' };

/** POSTs `body` to `path` as the admin and expects it created. */
async function expectCreated(kube: KubeApiServer, path: string, body: object): Promise<void> {
  const response = await kube.request(path, { method: 'POST', body });
  expect(response.status, `POST ${path}: ${response.body}`).toBe(201);
}

/** A token for {@link account}, bound by a ClusterRoleBinding to a ClusterRole with `rules`. */
async function tokenWithRules(kube: KubeApiServer, rules: readonly object[]): Promise<string> {
  await expectCreated(kube, `/api/v1/namespaces/${account.namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: account,
  });
  await expectCreated(kube, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: account.name },
    rules,
  });
  await expectCreated(kube, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: account.name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account.name },
    subjects: [{ kind: 'ServiceAccount', ...account }],
  });
  const minted = await kube.request(
    `/api/v1/namespaces/${account.namespace}/serviceaccounts/${account.name}/token`,
    {
      method: 'POST',
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const token = (minted.json() as { status?: { token?: string } }).status?.token;
  if (!token) throw new Error(`TokenRequest: HTTP ${String(minted.status)}: no token`);
  return token;
}

/** Whether {@link account} may do `verb` on `resource` (a SubjectAccessReview, as the admin). */
async function isAllowed(
  kube: KubeApiServer,
  request: { group: string; resource: string; verb: string },
): Promise<boolean> {
  const review = await kube.request('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    method: 'POST',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${account.namespace}:${account.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`],
        resourceAttributes: { ...request, namespace: 'default' },
      },
    },
  });
  return (review.json() as { status?: { allowed?: boolean } }).status?.allowed === true;
}

describe('extension server RBAC (src/rbac.ts) on a real API server', () => {
  let kube: KubeApiServer;
  let client: KubeConfig;
  let store: KubeRouteStore | undefined;

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
    const token = await tokenWithRules(kube, extensionServerRules());
    client = new KubeConfig({
      server: kube.url,
      ca: kube.caPem,
      auth: { kind: 'token', token },
      namespace: 'default',
      source: 'service-account token',
    });
  }, 180_000);

  afterAll(() => {
    store?.close();
  });

  it('grants list and watch only, one rule per API group', () => {
    expect(extensionServerRules()).toEqual([
      {
        apiGroups: ['aigateway.envoyproxy.io'],
        resources: ['aigatewayroutes', 'aiservicebackends', 'quotapolicies'],
        verbs: ['list', 'watch'],
      },
      {
        apiGroups: ['gateway.envoyproxy.io'],
        resources: ['backends', 'backendtrafficpolicies'],
        verbs: ['list', 'watch'],
      },
      {
        apiGroups: ['gateway.networking.k8s.io'],
        resources: ['gateways'],
        verbs: ['list', 'watch'],
      },
    ]);
    expect(extensionServerRules({ budgets: false })).toEqual([
      {
        apiGroups: ['aigateway.envoyproxy.io'],
        resources: ['aigatewayroutes'],
        verbs: ['list', 'watch'],
      },
    ]);
  });

  it('lists and watches every resource of budget mode with that token alone', async () => {
    store = new KubeRouteStore({
      kube: client,
      log: createLogger({ name: 'test', level: 'silent', format: 'json' }),
      budgets: true,
      retryMs: 50,
    });
    await store.start();
    expect(store.isSynced).toBe(true);
    const synced = store;
    await expectCreated(
      kube,
      '/apis/aigateway.envoyproxy.io/v1beta1/namespaces/default/aigatewayroutes',
      chatRoute(),
    );
    await waitFor(() => synced.get('default', 'chat') !== undefined, {
      description: 'the route created by the admin, seen through the watch',
    });
    // Nothing beyond reads: the API server's authorizer denies writes and Secrets.
    for (const [group, resource, verb] of [
      ['aigateway.envoyproxy.io', 'aigatewayroutes', 'create'],
      ['aigateway.envoyproxy.io', 'aigatewayroutes', 'patch'],
      ['aigateway.envoyproxy.io', 'aigatewayroutes', 'get'],
      ['', 'secrets', 'list'],
      ['aigateway.envoyproxy.io', 'backendsecuritypolicies', 'list'],
    ] as const) {
      expect(await isAllowed(kube, { group, resource, verb }), `${verb} ${resource}`).toBe(false);
    }
    expect(
      await isAllowed(kube, {
        group: 'gateway.envoyproxy.io',
        resource: 'backends',
        verb: 'watch',
      }),
    ).toBe(true);
  });
});
