import { configSecretNames } from '@aigw/gateway-config';
import { health } from '@aigw/proto';
import { useHarness, waitFor, withLogsOnFailure, type KubeApiServer } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../src/runtime/contracts.js';
import { startController, type Controller } from '../src/runtime/controller.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { createReconcilers } from '../src/reconcilers/reconcilers.js';
import { startExtprocProcess, type ExtprocProcess } from './support/extproc-process.js';
import { createNamespace, kubeConfigFor, testClient } from './support/kube.js';
import {
  createServiceAccount,
  LogCapture,
  requestToken,
  waitForAccess,
} from './support/rbac-kit.js';
import {
  applyObjects,
  applyReconcilerCrds,
  decodedData,
  deleteObject,
  parseObjects,
  readObject,
  reconciledKinds,
  RecordingMetrics,
  testNow,
  waitForAccepted,
  proxyDeployment as proxyDeploymentOf,
} from './support/reconcile-kit.js';

/**
 * The whole delivery path: the real controller on the test API server writes a Gateway's config
 * bundle into its proxies' namespace, with the Role that lets the proxies' ServiceAccount read it;
 * a real extproc process, authenticated with a token of that ServiceAccount, follows the bundle
 * through the API server. Every edit of the event graph (Secret, policy, backend, route) is
 * proven by what the extproc does with a request, as Envoy would send it over ext_proc.
 */

withLogsOnFailure();

const gatewayNamespace = 'dx';
const envoyNamespace = 'dx-envoy';
const serviceAccount = 'envoy-dx-gw';
const names = configSecretNames({ gatewayNamespace, gatewayName: 'gw' });
const indexName = names[0] ?? '';
/** Credentials: none of them may appear in a log line. */
const keys = {
  first: 'sk-delivery-first-5f0c2a9e71d4',
  edited: 'sk-delivery-edited-8b3e61c0d2f7',
  other: 'sk-delivery-other-2d9a4c7e1b05',
  offline: 'sk-delivery-offline-6e1f3b8a0c92',
} as const;
/** The extproc's name of the backend of a rule's first backendRef. */
const backendOf = (service: string, rule: number): string =>
  `${gatewayNamespace}/${service}/route/chat/rule/${String(rule)}/ref/0`;

const apiKeySecret = (name: string, key: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: gatewayNamespace },
  stringData: { apiKey: key },
});
const policy = (secretName: string): KubeObject => ({
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'BackendSecurityPolicy',
  metadata: { name: 'key', namespace: gatewayNamespace },
  spec: {
    type: 'APIKey',
    apiKey: { secretRef: { name: secretName } },
    targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'alpha' }],
  },
});
const aiServiceBackend = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'AIServiceBackend',
  metadata: { name, namespace: gatewayNamespace },
  spec: {
    schema: { name: 'OpenAI' },
    backendRef: { name: `be-${name}`, kind: 'Backend', group: 'gateway.envoyproxy.io' },
    ...spec,
  },
});
const rule = (model: string, backendRef: Record<string, unknown>): Record<string, unknown> => ({
  matches: [{ headers: [{ name: 'x-ai-eg-model', value: model }] }],
  backendRefs: [backendRef],
});
const route = (rules: Record<string, unknown>[]): KubeObject => ({
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'AIGatewayRoute',
  metadata: { name: 'chat', namespace: gatewayNamespace },
  spec: { parentRefs: [{ name: 'gw' }], rules },
});
const initialRules = [rule('gpt-a', { name: 'alpha' }), rule('gpt-b', { name: 'beta' })];

const manifests: KubeObject[] = [
  ...parseObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ${gatewayNamespace}}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be-alpha, namespace: ${gatewayNamespace}}
spec: {endpoints: [{fqdn: {hostname: alpha.example.com, port: 443}}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be-beta, namespace: ${gatewayNamespace}}
spec: {endpoints: [{fqdn: {hostname: beta.example.com, port: 443}}]}
`),
  apiKeySecret('key-a', keys.first),
  apiKeySecret('key-b', keys.other),
  aiServiceBackend('alpha', {}),
  aiServiceBackend('beta', {}),
  policy('key-a'),
  route(initialRules),
];

/** What Envoy Gateway creates for the Gateway's proxies. */
const proxyDeployment = proxyDeploymentOf({
  name: 'envoy-dx-gw-5e6f7a8b',
  namespace: envoyNamespace,
  gateway: { namespace: gatewayNamespace, name: 'gw' },
  serviceAccount,
});

const apiVersions: Readonly<Record<string, string>> = {
  Secret: 'v1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  HTTPRouteFilter: 'gateway.envoyproxy.io/v1alpha1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
};
/** `kind` `namespace/name`, for reads. */
const ref = (kind: string, namespaced: string): KubeObject => {
  const [namespace = '', name = ''] = namespaced.split('/');
  return { apiVersion: apiVersions[kind] ?? '', kind, metadata: { name, namespace } };
};
const indexRef = ref('Secret', `${envoyNamespace}/${indexName}`);
const configSecretRefs = names.map((name) => ref('Secret', `${envoyNamespace}/${name}`));
/** What the route generates besides the config (unchanged by a credential edit). */
const generatedRefs = [
  ref('HTTPRoute', `${gatewayNamespace}/chat`),
  ref('HTTPRouteFilter', `${gatewayNamespace}/ai-eg-host-rewrite-chat`),
  ref('HTTPRouteFilter', `${gatewayNamespace}/ai-eg-route-not-found-response-chat`),
];
const rbacRefs = ['Role', 'RoleBinding'].map((kind) => ref(kind, `${envoyNamespace}/${indexName}`));

describe('controller → extproc: every edit of the event graph reaches a running extproc', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  let extproc: ExtprocProcess;
  const extprocs: ExtprocProcess[] = [];
  const controllers: { controller: Controller; metrics: RecordingMetrics; logs: LogCapture }[] = [];

  /** The real controller runtime with every reconciler, its logs kept to check them. */
  async function startTheController(): Promise<(typeof controllers)[number]> {
    const logs = new LogCapture('controller-delivery-test');
    const metrics = new RecordingMetrics({
      leaseName: 'envoy-ai-gateway-controller',
      withProcessMetrics: false,
    });
    const controller = startController({
      reconcilers: createReconcilers({ now: () => testNow, envoyGatewayNamespace: envoyNamespace }),
      kubeConfig: kubeConfigFor(kube),
      log: logs.log,
      kinds: reconciledKinds,
      resyncMs: 0,
      metrics,
    });
    const started = { controller, metrics, logs };
    controllers.push(started);
    await controller.whenSynced();
    return started;
  }

  /** The uuid of the bundle index the controller wrote. */
  async function indexUuid(): Promise<string | undefined> {
    const text = decodedData(await readObject(client, indexRef))['index.yaml'];
    return text === undefined ? undefined : (parse(text) as { uuid?: string }).uuid;
  }

  /** The extproc's last `config loaded` (the first config) or `config reloaded` log line. */
  const lastConfigLine = (): Record<string, unknown> | undefined =>
    extproc
      .logLines('config ')
      .filter((line) => line['msg'] === 'config loaded' || line['msg'] === 'config reloaded')
      .at(-1);

  /** Waits until the extproc's answer to a request satisfies `isServed`. */
  async function untilServed(
    request: { model: string; backend: string },
    isServed: (served: Awaited<ReturnType<ExtprocProcess['request']>>) => boolean,
    description: string,
  ): Promise<void> {
    await waitFor(async () => isServed(await extproc.request(request.model, request.backend)), {
      timeoutMs: 20_000,
      intervalMs: 25,
      description,
    });
  }

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    for (const namespace of [gatewayNamespace, envoyNamespace]) {
      await createNamespace(client, namespace);
    }
    await createServiceAccount(client, { namespace: envoyNamespace, name: serviceAccount });
    await applyObjects(client, [proxyDeployment, ...manifests]);
  }, 240_000);

  afterAll(async () => {
    for (const { controller } of controllers) await controller.stop();
    for (const started of extprocs) {
      started.close();
      await started.proc.stop();
    }
  });

  it('serves the config the controller wrote: the policy key on its backend, both models', async () => {
    await startTheController();
    for (const object of manifests.filter((o) => o.apiVersion.startsWith('aigateway.'))) {
      await waitForAccepted(client, object, 'True');
    }
    // The controller's Role and RoleBinding in effect for the proxies' ServiceAccount.
    const account = { namespace: envoyNamespace, name: serviceAccount };
    await waitForAccess(client, account, {
      allowed: ['get', 'list', 'watch'].map((verb) => ({
        group: '',
        resource: 'secrets',
        verb,
        namespace: envoyNamespace,
        name: indexName,
      })),
    });
    extproc = await startExtprocProcess({
      dir: harness.tempDir('dx'),
      kube,
      token: await requestToken(client, account),
      indexName,
      namespace: envoyNamespace,
    });
    extprocs.push(extproc);
    const alpha = { model: 'gpt-a', backend: backendOf('alpha', 0) };
    await untilServed(alpha, () => true, 'the extproc serving the Gateway config');

    expect(await extproc.request(alpha.model, alpha.backend)).toEqual({
      headers: { ':path': '/v1/chat/completions', authorization: `Bearer ${keys.first}` },
      model: 'gpt-a',
    });
    // beta has no policy: nothing injected.
    expect(await extproc.request('gpt-b', backendOf('beta', 1))).toEqual({
      headers: { ':path': '/v1/chat/completions' },
      model: 'gpt-b',
    });
    expect(await extproc.models()).toEqual(['gpt-a', 'gpt-b']);
    expect(await extproc.health()).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    // It is the bundle the controller wrote, read through the API server.
    const uuid = await indexUuid();
    expect(lastConfigLine()).toMatchObject({
      uuid,
      source: `secret ${envoyNamespace}/${indexName}`,
    });
  });

  it('injects the new key once the Secret is edited', async () => {
    await applyObjects(client, [apiKeySecret('key-a', keys.edited)]);
    await untilServed(
      { model: 'gpt-a', backend: backendOf('alpha', 0) },
      (served) => served.headers['authorization'] === `Bearer ${keys.edited}`,
      'the edited key sent upstream',
    );
  });

  it("injects the other Secret's key once the policy points at it", async () => {
    await applyObjects(client, [policy('key-b')]);
    await untilServed(
      { model: 'gpt-a', backend: backendOf('alpha', 0) },
      (served) => served.headers['authorization'] === `Bearer ${keys.other}`,
      "the other Secret's key sent upstream",
    );
  });

  it("applies an AIServiceBackend's new path prefix and header mutation", async () => {
    await applyObjects(client, [
      aiServiceBackend('alpha', {
        schema: { name: 'OpenAI', prefix: '/openai/v2' },
        headerMutation: { set: [{ name: 'x-tenant', value: 'blue' }] },
      }),
    ]);
    const alpha = { model: 'gpt-a', backend: backendOf('alpha', 0) };
    await untilServed(
      alpha,
      (served) => served.headers[':path'] === '/openai/v2/chat/completions',
      'the new prefix',
    );
    expect((await extproc.request(alpha.model, alpha.backend)).headers).toEqual({
      ':path': '/openai/v2/chat/completions',
      authorization: `Bearer ${keys.other}`,
      'x-tenant': 'blue',
    });
  });

  it("routes a model added to the route and sends a backendRef's modelNameOverride", async () => {
    await applyObjects(client, [
      route([
        rule('gpt-a', { name: 'alpha' }),
        rule('gpt-b', { name: 'beta', modelNameOverride: 'gpt-b-2026' }),
        rule('gpt-c', { name: 'alpha' }),
      ]),
    ]);
    await waitFor(async () => (await extproc.models()).includes('gpt-c'), {
      timeoutMs: 20_000,
      description: 'gpt-c listed by the extproc',
    });
    expect(await extproc.models()).toEqual(['gpt-a', 'gpt-b', 'gpt-c']);
    expect(await extproc.request('gpt-c', backendOf('alpha', 2))).toEqual({
      headers: {
        ':path': '/openai/v2/chat/completions',
        authorization: `Bearer ${keys.other}`,
        'x-tenant': 'blue',
      },
      model: 'gpt-c',
    });
    const beta = await extproc.request('gpt-b', backendOf('beta', 1));
    expect(beta.model).toBe('gpt-b-2026');
  });

  it('converges after a restart with an edit made while the controller was down, writing only the config', async () => {
    const [running] = controllers;
    if (!running) throw new Error('no controller running');
    await running.controller.whenIdle();
    const watched = [
      ...generatedRefs,
      ...rbacRefs,
      ...manifests.filter((o) => o.kind !== 'Secret'),
      proxyDeployment,
    ];
    const versions = async (refs: readonly KubeObject[]): Promise<(string | undefined)[]> =>
      Promise.all(refs.map(async (o) => (await readObject(client, o))?.metadata.resourceVersion));
    const before = await versions(watched);
    const configBefore = await versions(configSecretRefs);
    expect(before.every((v) => v !== undefined)).toBe(true);

    await running.controller.stop();
    await applyObjects(client, [apiKeySecret('key-b', keys.offline)]);
    const restarted = await startTheController();
    await untilServed(
      { model: 'gpt-a', backend: backendOf('alpha', 0) },
      (served) => served.headers['authorization'] === `Bearer ${keys.offline}`,
      'the key edited while the controller was down',
    );
    await restarted.controller.whenIdle();
    // Only config Secrets, each once: the bundle's part, its index and the legacy Secret. No
    // HTTPRoute, filter, Role or status write, and no second apply of the same content by a
    // Gateway reconcile queued during the first (the cache keeps what each write returned).
    expect(restarted.metrics.writes).toEqual(['apply Secret', 'apply Secret', 'apply Secret']);
    expect(await versions(watched)).toEqual(before);
    const configAfter = await versions(configSecretRefs);
    // The part slot 000, the index and the legacy Secret were rewritten; the other slots stay absent.
    expect(configAfter.map((v, i) => (v === configBefore[i] ? 'same' : 'new'))).toEqual(
      names.map((_, i) => (i === 0 || i === 1 || i === names.length - 1 ? 'new' : 'same')),
    );
    expect(lastConfigLine()).toMatchObject({ uuid: await indexUuid() });
  });

  it('cleans up when the route is deleted; the extproc keeps serving its last config', async () => {
    const chat = route([]);
    await deleteObject(client, chat);
    await waitFor(
      async () => {
        for (const object of [chat, ...generatedRefs, ...configSecretRefs, ...rbacRefs]) {
          if ((await readObject(client, object)) !== undefined) return false;
        }
        return true;
      },
      { timeoutMs: 20_000, description: 'the route, its HTTPRoute, filters, config and Role gone' },
    );
    // docs/controller.md, Config delivery: a missing bundle keeps the config in force and is
    // reported once.
    await waitFor(() => extproc.logLines('config bundle rejected').length > 0, {
      timeoutMs: 20_000,
      description: 'the missing bundle reported',
    });
    expect(extproc.proc.exitStatus()).toBeUndefined();
    expect(await extproc.health()).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    expect(await extproc.request('gpt-a', backendOf('alpha', 0))).toMatchObject({
      headers: { authorization: `Bearer ${keys.offline}` },
    });
    expect(await extproc.models()).toEqual(['gpt-a', 'gpt-b', 'gpt-c']);
  });

  it('never logs a credential (extproc and controllers)', () => {
    const extprocLogs = extproc.proc.logTail(1_000_000);
    expect(extprocLogs).toContain('config reloaded');
    const controllerLogs = controllers.map(({ logs }) => JSON.stringify(logs.records)).join('\n');
    expect(controllerLogs).toContain('reconcil');
    for (const key of Object.values(keys)) {
      for (const form of [key, Buffer.from(key).toString('base64')]) {
        expect(extprocLogs).not.toContain(form);
        expect(controllerLogs).not.toContain(form);
      }
    }
  });
});
