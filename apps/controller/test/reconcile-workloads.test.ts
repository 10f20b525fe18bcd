import { configSecretNames } from '@aigw/gateway-config';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/runtime/contracts.js';
import type { Controller } from '../src/runtime/controller.js';
import { KubeClient } from '../src/runtime/kube-client.js';
import { isControllerError } from '../src/runtime/errors.js';
import { createNamespace, testClient } from './support/kube.js';
import { createServiceAccount, kubeConfigForToken, requestToken } from './support/rbac-kit.js';
import {
  applyReconcilerCrds,
  createObjects,
  deleteObject,
  parseObjects,
  readObject,
  startReconcilers,
  waitForAccepted,
  proxyDeployment as proxyDeploymentOf,
} from './support/reconcile-kit.js';

/**
 * Where a Gateway's extproc config goes: the namespace of its Envoy proxies (the Deployment Envoy
 * Gateway labels with the Gateway, here in Envoy Gateway's namespace), with a Role that lets the
 * proxies' ServiceAccount read exactly those Secrets; the Gateway's own namespace while no proxy
 * exists, and back there when it goes.
 */
const gatewayNamespace = 'wl';
const envoyNamespace = 'wl-envoy';
const serviceAccount = 'envoy-wl-gw';
const names = configSecretNames({ gatewayNamespace, gatewayName: 'gw' });
const [indexName = '', , , , , , , , , legacyName = ''] = names;

const manifests = parseObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${gatewayNamespace}}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Secret
metadata: {name: key, namespace: ${gatewayNamespace}}
stringData: {apiKey: workloads-test-key}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: ${gatewayNamespace}}
spec: {endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: openai, namespace: ${gatewayNamespace}}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: key, namespace: ${gatewayNamespace}}
spec:
  type: APIKey
  apiKey: {secretRef: {name: key}}
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: chat, namespace: ${gatewayNamespace}}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o}]}]
      backendRefs: [{name: openai}]
`);
const route = manifests.find((o) => o.kind === 'AIGatewayRoute');

/** What Envoy Gateway creates for the Gateway's proxies. */
const proxyDeployment = proxyDeploymentOf({
  name: 'envoy-wl-gw-1a2b3c4d',
  namespace: envoyNamespace,
  gateway: { namespace: gatewayNamespace, name: 'gw' },
  serviceAccount,
});

const secretRef = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { namespace, name },
});
const rbacRef = (kind: 'Role' | 'RoleBinding', namespace: string): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { namespace, name: indexName },
});

describe('the extproc config in the namespace of the Gateway proxies', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  const controllers: Controller[] = [];

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    for (const namespace of [gatewayNamespace, envoyNamespace]) {
      await createNamespace(client, namespace);
    }
    await createServiceAccount(client, { namespace: envoyNamespace, name: serviceAccount });
    await createObjects(client, manifests);
  }, 240_000);

  afterEach(async () => {
    for (const c of controllers.splice(0)) await c.stop();
  });

  const exists = async (object: KubeObject): Promise<boolean> =>
    (await readObject(client, object)) !== undefined;

  async function waitForPlacement(here: string, there: string): Promise<void> {
    await waitFor(
      async () =>
        (await exists(secretRef(here, indexName))) &&
        (await exists(secretRef(here, legacyName))) &&
        (await exists(rbacRef('Role', here))) &&
        !(await exists(secretRef(there, indexName))) &&
        !(await exists(secretRef(there, legacyName))) &&
        !(await exists(rbacRef('Role', there))),
      { description: `config Secrets and Role in ${here}, none in ${there}`, timeoutMs: 20_000 },
    );
  }

  it('follows the proxies to their namespace and lets their ServiceAccount read only its config', async () => {
    if (!route) throw new Error('no route in the manifests');
    const { controller, metrics } = await startReconcilers(kube, {
      envoyGatewayNamespace: envoyNamespace,
    });
    controllers.push(controller);
    await waitForAccepted(client, route, 'True');
    // No proxy yet: the Gateway's namespace, a Role but nobody bound to it.
    await waitForPlacement(gatewayNamespace, envoyNamespace);
    await controller.whenIdle();
    expect(await exists(rbacRef('RoleBinding', gatewayNamespace))).toBe(false);

    await createObjects(client, [proxyDeployment]);
    await waitForPlacement(envoyNamespace, gatewayNamespace);
    await waitFor(() => exists(rbacRef('RoleBinding', envoyNamespace)), {
      description: 'the RoleBinding of the proxies',
      timeoutMs: 20_000,
    });
    await controller.whenIdle();
    const role = await readObject(client, rbacRef('Role', envoyNamespace));
    expect(role?.['rules']).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: names,
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    const binding = await readObject(client, rbacRef('RoleBinding', envoyNamespace));
    expect(binding?.['subjects']).toEqual([
      { kind: 'ServiceAccount', name: serviceAccount, namespace: envoyNamespace },
    ]);

    // As the proxies' ServiceAccount (what the extproc beside Envoy runs as): its config, by
    // name and by a watch on its name; nothing else.
    const token = await requestToken(client, { namespace: envoyNamespace, name: serviceAccount });
    const proxy = new KubeClient(kubeConfigForToken(kube, token));
    try {
      const index = await proxy.request<KubeObject>({
        path: `/api/v1/namespaces/${envoyNamespace}/secrets/${indexName}`,
      });
      expect(index.metadata.name).toBe(indexName);
      const listed = await proxy.request<{ items: KubeObject[] }>({
        path: `/api/v1/namespaces/${envoyNamespace}/secrets`,
        query: { fieldSelector: `metadata.name=${indexName}` },
      });
      expect(listed.items.map((s) => s.metadata.name)).toEqual([indexName]);
      const denied = await proxy
        .request({ path: `/api/v1/namespaces/${gatewayNamespace}/secrets/key` })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(isControllerError(denied) && denied.status).toBe(403);
      const listAll = await proxy
        .request({ path: `/api/v1/namespaces/${envoyNamespace}/secrets` })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(isControllerError(listAll) && listAll.status).toBe(403);
    } finally {
      proxy.close();
    }

    // Converged: a restart writes nothing.
    await controller.stop();
    controllers.splice(0);
    const again = await startReconcilers(kube, { envoyGatewayNamespace: envoyNamespace });
    controllers.push(again.controller);
    await again.controller.whenIdle();
    expect(again.metrics.writes).toEqual([]);
    expect(metrics.writes.length).toBeGreaterThan(0);

    // The proxies gone: back to the Gateway's namespace, the binding removed.
    await deleteObject(client, proxyDeployment);
    await waitForPlacement(gatewayNamespace, envoyNamespace);
    await waitFor(async () => !(await exists(rbacRef('RoleBinding', envoyNamespace))), {
      description: 'the RoleBinding removed with the proxies',
      timeoutMs: 20_000,
    });
  });

  it('removes the config and the Role when the Gateway has no route left', async () => {
    if (!route) throw new Error('no route in the manifests');
    const { controller } = await startReconcilers(kube, { envoyGatewayNamespace: envoyNamespace });
    controllers.push(controller);
    await waitForPlacement(gatewayNamespace, envoyNamespace);
    await deleteObject(client, route);
    await waitFor(
      async () =>
        !(await exists(secretRef(gatewayNamespace, indexName))) &&
        !(await exists(rbacRef('Role', gatewayNamespace))),
      { description: 'config Secrets and Role deleted', timeoutMs: 20_000 },
    );
  });
});
