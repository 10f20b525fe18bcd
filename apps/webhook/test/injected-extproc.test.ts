import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';
import { configSecretNames, configSecrets } from '@aigw/gateway-config';
import { extProc } from '@aigw/proto';
import {
  getFreePort,
  kubeconfigYaml,
  kubeRequest,
  removeTempDir,
  tempDir,
  useHarness,
  waitFor,
  withLogsOnFailure,
  type KubeApiServer,
} from '@aigw/testkit';
import { webhookRbacObjects } from '../src/rbac.js';
import {
  materialise,
  probeReadiness,
  runContainer,
  type Materialised,
  type RunningContainer,
  type StoredContainer,
} from './support/run-injected.js';
import {
  aiRoute,
  applyWebhookCrds,
  create,
  gatewayObject,
  httpsJson,
  kubeOk,
  proxyPod,
  startWebhook,
  webhookConfiguration,
  type WebhookProcess,
} from './support/webhook-kit.js';

// The whole path of an install without cert-manager: the webhook bootstraps its own CA and
// certificate (--self-signed) and patches its MutatingWebhookConfiguration's caBundle, the real
// kube-apiserver calls it for an Envoy Gateway proxy pod, and the injected container — its
// command (the image contract), args, env, and volumes materialised as files the way the kubelet
// writes them, the service-account token minted for the pod's ServiceAccount — starts an extproc
// that serves ext_proc on the injected socket, passes the injected readiness probe, and follows
// a config change through the API server with that identity.

withLogsOnFailure();
const harness = useHarness();

const webhookNs = 'aigw-system';
const proxyNs = 'envoy-gateway-system';
const gateway = { namespace: 'team-a', name: 'gw' };
const gatewayName = { gatewayNamespace: gateway.namespace, gatewayName: gateway.name };
const serviceAccount = 'envoy-team-a-gw';

type Json = Record<string, unknown>;

function filterConfig(models: readonly string[]): FilterConfigInput {
  return {
    version: 'v1',
    routes: { rules: models.map((m) => ({ models: [m], cluster: `route-${m}` })) },
    backends: [
      {
        name: 'team-a/openai/route/chat/rule/0/ref/0',
        schema: { name: 'OpenAI' },
        auth: { apiKey: { key: 'sk-test' } },
      },
    ],
    models: models.map((name) => ({ name, ownedBy: 'Envoy AI Gateway' })),
  };
}

/** Writes the Gateway's config Secrets the way the controller does (parts, then the index). */
async function writeConfig(kube: KubeApiServer, models: readonly string[]): Promise<void> {
  const { secrets } = configSecrets({
    ...gatewayName,
    secretNamespace: proxyNs,
    filterConfig: filterConfig(models),
  });
  for (const secret of secrets) {
    const path = `/api/v1/namespaces/${proxyNs}/secrets`;
    const res = await kube.request(`${path}/${secret.metadata.name}`, {
      method: 'PUT',
      body: secret,
    });
    if (res.status === 404) await create(kube, path, secret);
    else if (res.status !== 200)
      throw new Error(`PUT ${secret.metadata.name}: ${String(res.status)} ${res.body}`);
  }
}

/** `GET /v1/models` through ext_proc, as Envoy's router filter sends it. */
async function modelsOver(socket: string): Promise<string[]> {
  const client = new extProc.ExternalProcessorClient(
    `unix:${socket}`,
    credentials.createInsecure(),
  );
  try {
    const call = client.process();
    const answer = new Promise<extProc.ProcessingResponse>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(
      extProc.ProcessingRequest.fromPartial({
        request: {
          $case: 'requestHeaders',
          value: {
            headers: {
              headers: [
                { key: ':method', value: '', rawValue: Buffer.from('GET') },
                { key: ':path', value: '', rawValue: Buffer.from('/v1/models') },
              ],
            },
            endOfStream: true,
          },
        },
      }),
    );
    const response = (await answer).response;
    call.end();
    if (response?.$case !== 'immediateResponse')
      throw new Error(`expected the model list, got ${response?.$case ?? 'nothing'}`);
    const list = JSON.parse(response.value.body.toString('utf8')) as { data: { id: string }[] };
    return list.data.map((m) => m.id);
  } finally {
    client.close();
  }
}

/** A kubeconfig holding a token of the webhook's ServiceAccount, bound by `webhookRbacObjects`. */
async function webhookIdentity(kube: KubeApiServer, dir: string): Promise<string> {
  await create(kube, `/api/v1/namespaces/${webhookNs}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'aigw-webhook', namespace: webhookNs },
  });
  const objects = webhookRbacObjects({
    namespace: webhookNs,
    serviceAccount: 'aigw-webhook',
    selfSigned: { certSecretName: 'aigw-webhook-tls', webhookConfigName: 'aigw-webhook' },
  });
  for (const object of objects) {
    const kind = String(object['kind']);
    const namespace = (object['metadata'] as { namespace?: string }).namespace;
    const plural = `${kind.toLowerCase()}s`;
    const path = namespace
      ? `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/${plural}`
      : `/apis/rbac.authorization.k8s.io/v1/${plural}`;
    await create(kube, path, object);
  }
  const minted = await kubeOk(
    kube,
    `/api/v1/namespaces/${webhookNs}/serviceaccounts/aigw-webhook/token`,
    {
      method: 'POST',
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const target = {
    url: kube.url,
    caPem: kube.caPem,
    token: String((minted['status'] as Json)['token']),
  };
  // RBAC changes reach the authorizer through its informers: wait until the bindings count.
  await waitFor(
    async () =>
      (await kubeRequest(target, '/apis/aigateway.envoyproxy.io/v1beta1/aigatewayroutes'))
        .status === 200,
    {
      timeoutMs: 10_000,
      description: "the webhook's ClusterRoleBinding to take effect",
    },
  );
  const path = join(dir, 'webhook-kubeconfig');
  writeFileSync(path, kubeconfigYaml(target), { mode: 0o600 });
  return path;
}

describe('the injected extproc, run as the kubelet would run it', { timeout: 180_000 }, () => {
  let kube: KubeApiServer;
  let root: string;
  let webhook: WebhookProcess;
  let extproc: RunningContainer | undefined;

  beforeAll(async () => {
    kube = await harness.kube();
    root = tempDir('wh-run');
    await applyWebhookCrds(kube);
    for (const ns of [webhookNs, proxyNs, gateway.namespace]) {
      await create(kube, '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
    }
    // The webhook runs as its own ServiceAccount with exactly the rules of src/rbac.ts.
    const webhookKubeconfig = await webhookIdentity(kube, root);
    const port = await getFreePort();
    // Installed without a caBundle: the webhook fills it in at start.
    await create(
      kube,
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
      webhookConfiguration('aigw-webhook', `https://127.0.0.1:${String(port)}`, undefined),
    );
    webhook = await startWebhook({
      name: 'webhook',
      port,
      args: [
        '--self-signed',
        `--namespace=${webhookNs}`,
        '--tls-sans=127.0.0.1',
        '--webhook-config-name=aigw-webhook',
        `--kubeconfig=${webhookKubeconfig}`,
        '--extproc-image=aigw-extproc:test',
        '--extproc-log-level=debug',
      ],
    });
    await create(
      kube,
      `/apis/gateway.networking.k8s.io/v1/namespaces/${gateway.namespace}/gateways`,
      gatewayObject(gateway.namespace, gateway.name),
    );
    await create(
      kube,
      `/apis/aigateway.envoyproxy.io/v1beta1/namespaces/${gateway.namespace}/aigatewayroutes`,
      aiRoute(gateway.namespace, 'chat', gateway.name),
    );
    // What Envoy Gateway and the controller leave in the proxies' namespace: the proxies'
    // ServiceAccount, the config Secrets and the Role that lets that account read exactly them,
    // and (kube-controller-manager's job) the cluster CA ConfigMap.
    await create(kube, `/api/v1/namespaces/${proxyNs}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: serviceAccount, namespace: proxyNs },
      automountServiceAccountToken: false,
    });
    await create(kube, `/api/v1/namespaces/${proxyNs}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-root-ca.crt', namespace: proxyNs },
      data: { 'ca.crt': kube.caPem },
    });
    await writeConfig(kube, ['model-a']);
    await create(kube, `/apis/rbac.authorization.k8s.io/v1/namespaces/${proxyNs}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'extproc', namespace: proxyNs },
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          verbs: ['get', 'list', 'watch'],
          resourceNames: configSecretNames(gatewayName),
        },
      ],
    });
    await create(kube, `/apis/rbac.authorization.k8s.io/v1/namespaces/${proxyNs}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'extproc', namespace: proxyNs },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extproc' },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: proxyNs }],
    });
  });

  afterAll(async () => {
    await extproc?.proc.stop();
    await webhook.proc.stop();
    await removeTempDir(root);
  });

  it('bootstraps a CA and certificate Secret and patches the caBundle', async () => {
    const secret = await kubeOk(kube, `/api/v1/namespaces/${webhookNs}/secrets/aigw-webhook-tls`);
    expect(secret['type']).toBe('kubernetes.io/tls');
    const data = secret['data'] as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const config = await kubeOk(
      kube,
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/aigw-webhook',
    );
    const webhooks = config['webhooks'] as { clientConfig: { caBundle: string } }[];
    expect(webhooks[0]?.clientConfig.caBundle).toBe(data['ca.crt']);
    const caPem = Buffer.from(data['ca.crt'] ?? '', 'base64').toString();
    const served = await httpsJson(`${webhook.url}/healthz`, { ca: caPem });
    expect(served.status).toBe(200);
    expect(served.peer.fingerprint256).toBe(
      new X509Certificate(Buffer.from(data['tls.crt'] ?? '', 'base64')).fingerprint256,
    );
    const sans = new X509Certificate(Buffer.from(data['tls.crt'] ?? '', 'base64')).subjectAltName;
    expect(sans).toBe(
      'DNS:aigw-webhook, DNS:aigw-webhook.aigw-system, DNS:aigw-webhook.aigw-system.svc, DNS:aigw-webhook.aigw-system.svc.cluster.local, IP Address:127.0.0.1',
    );
  });

  it('reuses the stored certificate when it starts again', async () => {
    const again = await startWebhook({
      name: 'webhook-again',
      args: [
        '--self-signed',
        `--namespace=${webhookNs}`,
        '--tls-sans=127.0.0.1',
        '--webhook-config-name=',
        `--kubeconfig=${kube.kubeconfigPath}`,
      ],
    });
    try {
      const first = await httpsJson(`${webhook.url}/healthz`, { insecure: true });
      const second = await httpsJson(`${again.url}/healthz`, { insecure: true });
      expect(second.peer.fingerprint256).toBe(first.peer.fingerprint256);
    } finally {
      await again.proc.stop();
    }
  });

  it('starts an extproc that serves Envoy on the injected socket and follows its config Secrets', async () => {
    const stored = (await create(
      kube,
      `/api/v1/namespaces/${proxyNs}/pods`,
      proxyPod({
        name: 'envoy-gw-0',
        namespace: proxyNs,
        gateway,
        serviceAccountName: serviceAccount,
      }),
    )) as {
      spec: {
        initContainers?: StoredContainer[];
        containers: StoredContainer[];
        volumes: (Json & { name: string })[];
      };
    };
    const container = stored.spec.initContainers?.find((c) => c.name === 'ai-gateway-extproc');
    if (!container) throw new Error('the stored pod has no ai-gateway-extproc init container');
    expect(container.command).toBeUndefined();
    const mounts: Materialised = await materialise({
      kube,
      pod: { namespace: proxyNs, serviceAccountName: serviceAccount, volumes: stored.spec.volumes },
      container,
      root,
    });
    // Envoy dials the socket through its own mount of the same emptyDir.
    const envoyMount = stored.spec.containers[0]?.volumeMounts?.find(
      (m) => m.name === 'ai-gateway-extproc-uds',
    );
    expect(envoyMount?.mountPath).toBe('/etc/ai-gateway-extproc-uds');
    const socket = join(mounts.hostPathOf(envoyMount?.mountPath ?? ''), 'run.sock');

    extproc = await runContainer({ kube, container, mounts });
    const running = extproc;
    await waitFor(() => probeReadiness(container, running), {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'the injected readiness probe to pass',
    });
    expect(await modelsOver(socket)).toEqual(['model-a']);

    await writeConfig(kube, ['model-a', 'model-b']);
    await waitFor(async () => (await modelsOver(socket)).includes('model-b'), {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: 'the extproc to serve the changed config',
    });
    const logs = extproc.proc.logs();
    expect(logs).not.toMatch(/"level":50/);
    expect(logs).not.toContain('sk-test');
  });
});
