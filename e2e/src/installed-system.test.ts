import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  applyCrds,
  defaultControllers,
  getFreePort,
  kubeRequest,
  startEnvoyGatewayOnKube,
  thirdPartyCrdFiles,
  useHarness,
  waitFor,
  type FakeUpstream,
  type KubeApiServer,
  type NodeAgent,
} from '@aigw/testkit';

import { objectsToYaml, root, type KubeObject } from './support/eg-stack.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * The installed system running, not only rendered (issue 5/10): both Helm charts rendered with
 * `helm template` and applied with kubectl on the test kube-apiserver; the test kit's node agent
 * (kube-controller-manager + a small kubelet) runs their Deployments as local processes under
 * the chart's ServiceAccounts and RBAC; Envoy Gateway v1.8.1 with its Kubernetes provider against
 * the same API server, calling the extension server pod. See docs/deploy.md "Tested on a real API
 * server" for what each step proves and what stands in for a cluster.
 */
const run = promisify(execFile);
const harness = useHarness();

const release = 'aigw';
const namespace = 'aigw-system';
const egNamespace = 'envoy-gateway-system';
const apiKey = 'sk-installed-system-0123456789';
const usage = { input: 5, output: 3 };
const fakeHost = 'fake-openai.default.svc.cluster.local';
/** The QuotaPolicy's budget: tokens an hour of this model; an answer costs usage.input + usage.output. */
const budgetModel = 'gpt-4o-budget';
const budgetTokens = 20;
const apps = ['controller', 'webhook', 'extension-server', 'ratelimit'] as const;

function tool(name: 'helm' | 'kubectl'): string {
  const fromEnv = process.env[name === 'helm' ? 'HELM_BIN' : 'KUBECTL_BIN'];
  if (fromEnv) return fromEnv;
  const cached = join(root, '.tools', 'bin', name);
  if (existsSync(cached)) return cached;
  throw new Error(`${name} not found: run \`bash scripts/bootstrap.sh --test\``);
}

/**
 * The machine's own IPv4 address: pods report it as their IP (hostNetwork-like), so the
 * endpoints of a Service are valid (the API server refuses loopback endpoints) and the API
 * server's webhook calls, routed to endpoints, reach the webhook pod.
 */
function machineIp(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('no non-loopback IPv4 address: the API server could not reach the webhook pod');
}

interface Ports {
  controller: number;
  webhook: number;
  extensionServer: number;
  ratelimit: number;
  ratelimitMetrics: number;
  gateway: number;
  envoyAdmin: number;
}

/** What the user applies after installing: a Gateway, an AIGatewayRoute, backends, policies. */
function userObjects(ports: Ports, fake: FakeUpstream): KubeObject[] {
  const ns = 'default';
  return [
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyProxy',
      metadata: { name: 'aigw-proxy', namespace: egNamespace },
      spec: {
        // The node's ports are shared: Envoy Gateway itself holds 19000 (admin) and 19001
        // (metrics), so the proxy's admin moves and its Prometheus listener is off; other Envoys
        // on this machine may hold hot-restart base id 0.
        extraArgs: ['--disable-hot-restart'],
        telemetry: { metrics: { prometheus: { disable: true } } },
        bootstrap: {
          type: 'JSONPatch',
          jsonPatches: [
            {
              op: 'replace',
              path: '/admin/address/socket_address/port_value',
              value: ports.envoyAdmin,
            },
          ],
        },
      },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'aigw' },
      spec: {
        controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
        parametersRef: {
          group: 'gateway.envoyproxy.io',
          kind: 'EnvoyProxy',
          name: 'aigw-proxy',
          namespace: egNamespace,
        },
      },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: ns },
      spec: {
        gatewayClassName: 'aigw',
        listeners: [{ name: 'http', protocol: 'HTTP', port: ports.gateway }],
      },
    },
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIGatewayRoute',
      metadata: { name: 'chat', namespace: ns },
      spec: {
        parentRefs: [{ name: 'gw' }],
        rules: [
          {
            matches: [{ headers: [{ name: 'x-ai-eg-model', value: 'gpt-4o-mini' }] }],
            backendRefs: [{ name: 'openai' }],
          },
          // The model of the budget test, so that the other tests spend none of its budget.
          {
            matches: [{ headers: [{ name: 'x-ai-eg-model', value: budgetModel }] }],
            backendRefs: [{ name: 'openai' }],
          },
        ],
        llmRequestCosts: [{ metadataKey: 'llm_total_token', type: 'TotalToken' }],
      },
    },
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIServiceBackend',
      metadata: { name: 'openai', namespace: ns },
      spec: {
        schema: { name: 'OpenAI' },
        backendRef: { name: 'openai', kind: 'Backend', group: 'gateway.envoyproxy.io' },
      },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'Backend',
      metadata: { name: 'openai', namespace: ns },
      // Envoy Gateway refuses loopback IPs outside its Host infrastructure; the fake provider is
      // named by a Service, which the node agent's /etc/hosts resolves to this machine.
      spec: { endpoints: [{ fqdn: { hostname: fakeHost, port: fake.port } }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'fake-openai', namespace: ns },
      spec: { ports: [{ name: 'http', port: fake.port }] },
    },
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: 'openai-apikey', namespace: ns },
      spec: {
        targetRefs: [
          { group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' },
        ],
        type: 'APIKey',
        apiKey: { secretRef: { name: 'openai-apikey' } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'openai-apikey', namespace: ns },
      stringData: { apiKey },
    },
    // Present from the start: Envoy Gateway does not watch QuotaPolicies, so one created later
    // reaches Envoy only with its next translation (docs/deploy.md).
    {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'QuotaPolicy',
      metadata: { name: 'budget', namespace: ns },
      spec: {
        targetRefs: [
          { group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' },
        ],
        perModelQuotas: [
          {
            modelName: budgetModel,
            quota: {
              mode: 'Shared',
              costExpression: 'total_tokens',
              defaultBucket: { limit: budgetTokens, duration: '1h' },
            },
          },
        ],
      },
    },
  ];
}

/** The chart's values for this machine: a free port per app (pods share its network), one replica each. */
function chartValues(ports: Ports): object {
  return {
    controller: { healthPort: ports.controller, logLevel: 'debug' },
    webhook: { replicas: 1, port: ports.webhook },
    extensionServer: {
      replicas: 1,
      port: ports.extensionServer,
      // As Envoy reaches the limiter here (its Service name resolves only where ports match).
      ratelimitAddress: `127.0.0.1:${String(ports.ratelimit)}`,
    },
    ratelimit: { port: ports.ratelimit, metricsPort: ports.ratelimitMetrics },
  };
}

async function kubectl(kube: KubeApiServer, args: readonly string[]): Promise<string> {
  const { stdout } = await run(tool('kubectl'), ['--kubeconfig', kube.kubeconfigPath, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function apply(kube: KubeApiServer, file: string, yaml: string): Promise<void> {
  writeFileSync(file, yaml);
  await kubectl(kube, ['apply', '--server-side', '--force-conflicts', '-f', file]);
}

interface PodItem {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    serviceAccountName?: string;
    containers: { name: string; image: string; args?: string[] }[];
    initContainers?: { name: string; image: string; restartPolicy?: string }[];
  };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean }[];
    initContainerStatuses?: { name: string; ready: boolean; started?: boolean }[];
  };
}

async function pods(kube: KubeApiServer, ns: string, selector: string): Promise<PodItem[]> {
  const response = await kubeRequest(
    kube,
    `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  return (response.json() as { items: PodItem[] }).items;
}

function isReady(pod: PodItem): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

describe('the installed system on the test API server (Helm charts, node agent, Envoy Gateway)', () => {
  let kube: KubeApiServer;
  let agent: NodeAgent;
  let ports: Ports;
  let fake: FakeUpstream;
  let dir: string;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    // Webhook calls go to the endpoints of the webhook's Service (no cluster IPs route here).
    kube = await harness.kube({ extraApiServerArgs: ['--enable-aggregator-routing=true'] });
    dir = harness.tempDir('installed-system');
    await applyCrds(kube, thirdPartyCrdFiles(), { timeoutMs: 300_000 });
    // The CRD chart, as `helm install aigw-crds` would create it.
    const { stdout: crds } = await run(
      tool('helm'),
      ['template', 'aigw-crds', join(root, 'deploy', 'helm', 'aigw-crds'), '-n', namespace],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    await apply(kube, join(dir, 'crds.yaml'), crds);
    await kubectl(kube, ['wait', '--for=condition=Established', '--timeout=120s', 'crd', '--all']);

    agent = await harness.nodeAgent(kube, {
      podIp: machineIp(),
      isMountNamespaced: true,
      controllers: [...defaultControllers, 'endpoints-controller', 'endpointslice-controller'],
    });
    ports = {
      controller: await getFreePort(),
      webhook: await getFreePort(),
      extensionServer: await getFreePort(),
      ratelimit: await getFreePort(),
      ratelimitMetrics: await getFreePort(),
      gateway: await getFreePort(),
      envoyAdmin: await getFreePort(),
    };
    fake = await harness.upstream(fakeOpenAI({ apiKey, azureApiKey: 'unused', usage }), {
      name: 'fake-openai',
    });

    const valuesFile = join(dir, 'values.yaml');
    writeFileSync(valuesFile, stringify(chartValues(ports)));
    const { stdout: chart } = await run(
      tool('helm'),
      [
        'template',
        release,
        join(root, 'deploy', 'helm', 'aigw'),
        '-n',
        namespace,
        '-f',
        valuesFile,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    await kubectl(kube, ['create', 'namespace', namespace]);
    await apply(kube, join(dir, 'aigw.yaml'), chart);

    // Envoy Gateway as its chart with deploy/helm/envoy-gateway-values.yaml would run it, calling
    // the extension server pod (on the node's network) instead of its Service's cluster IP.
    const eg = await startEnvoyGatewayOnKube({
      kube,
      extensionServer: { host: '127.0.0.1', port: ports.extensionServer },
      namespace: egNamespace,
    });
    stops.push(() => eg.stop());
  }, 600_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('runs every app of the chart as a Ready pod under its own ServiceAccount', async () => {
    for (const app of apps) {
      const selector = `app.kubernetes.io/component=${app}`;
      const [pod] = await waitFor(
        async () => {
          const found = await pods(kube, namespace, selector);
          return found.length === 1 && found.every(isReady) ? found : undefined;
        },
        {
          timeoutMs: 120_000,
          intervalMs: 250,
          description: `the ${app} pod Ready`,
        },
      );
      expect(pod?.spec.serviceAccountName).toBe(`${release}-${app}`);
      expect(pod?.spec.containers[0]?.image).toMatch(new RegExp(`^aigw-${app}:`));
    }
    // The self-signed webhook made its certificate and wrote the CA into its configuration.
    const config = await kubeRequest(
      kube,
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${release}-webhook.${namespace}`,
    );
    const [webhook] = (config.json() as { webhooks: { clientConfig: { caBundle?: string } }[] })
      .webhooks;
    expect(webhook?.clientConfig.caBundle).toBeTruthy();
    expect(agent.nodeName).toBe('aigw-test-node');
  });

  it("runs Envoy Gateway's proxy pod with the extproc the webhook injected when the API server called it", async () => {
    await apply(kube, join(dir, 'user.yaml'), objectsToYaml(userObjects(ports, fake)));
    const selector = 'gateway.envoyproxy.io/owning-gateway-name=gw';
    const [pod] = await waitFor(
      async () => {
        const found = await pods(kube, egNamespace, selector);
        return found.length === 1 && found.every(isReady) ? found : undefined;
      },
      {
        timeoutMs: 180_000,
        intervalMs: 500,
        description: 'the Envoy pod of Gateway default/gw Ready',
      },
    );
    const sidecar = pod?.spec.initContainers?.find((c) => c.name === 'ai-gateway-extproc');
    expect(sidecar?.image).toMatch(/^aigw-extproc:/);
    expect(sidecar?.restartPolicy).toBe('Always'); // native sidecar: the API server is v1.36
    expect(
      pod?.status?.initContainerStatuses?.find((c) => c.name === 'ai-gateway-extproc')?.started,
    ).toBe(true);
    expect(pod?.spec.containers.map((c) => c.name)).toContain('envoy');
  }, 240_000);

  it('answers the openai client through the Envoy pod, with the credential injected by the extproc sidecar', async () => {
    const client = new OpenAI({
      baseURL: `http://127.0.0.1:${String(ports.gateway)}/v1`,
      apiKey: 'client-key',
      maxRetries: 0,
    });
    // The route is served once Envoy has it from Envoy Gateway (xDS after our hooks).
    const answer = await waitFor(
      () =>
        client.chat.completions
          .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })
          .catch(() => undefined),
      {
        timeoutMs: 120_000,
        intervalMs: 500,
        description: 'a chat completion through the Envoy pod',
      },
    );
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(answer.usage?.total_tokens).toBe(usage.input + usage.output);
    const upstream = fake.requests.at(-1);
    expect(upstream?.headers['authorization']).toBe(`Bearer ${apiKey}`);
  }, 180_000);

  it('refuses requests over a QuotaPolicy token budget with 429 and an OpenAI error', async () => {
    const ask = (): Promise<Response> =>
      fetch(`http://127.0.0.1:${String(ports.gateway)}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: budgetModel, messages: [{ role: 'user', content: 'x' }] }),
      });
    // The budget holds once the rules reached the limiter (controller → ConfigMap → volume);
    // each answer is charged when its stream ends: ask until the limiter refuses.
    let answered = 0;
    const refused = await waitFor(
      async () => {
        const response = await ask();
        const body = await response.text();
        if (response.status === 429) return { response, body };
        expect(response.status).toBe(200);
        answered += 1;
        return undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, description: 'a 429 once the budget is spent' },
    );
    expect(refused.response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(refused.body)).toEqual({
      error: { message: 'rate limit exceeded', type: 'rate_limit_error', param: null, code: null },
    });
    expect(answered).toBeGreaterThanOrEqual(Math.ceil(budgetTokens / (usage.input + usage.output)));
    // The controller wrote the limiter's rules into the ConfigMap the chart mounts.
    const rules = (
      (
        await kubeRequest(kube, `/api/v1/namespaces/${namespace}/configmaps/aigw-quota-rules`)
      ).json() as { data: Record<string, string> }
    ).data['aigw-quotas.yaml'];
    expect(rules).toContain('domain: ai-gateway');
    // And the openai client sees the 429 as its RateLimitError.
    const client = new OpenAI({
      baseURL: `http://127.0.0.1:${String(ports.gateway)}/v1`,
      apiKey: 'client-key',
      maxRetries: 0,
    });
    const error: unknown = await client.chat.completions
      .create({ model: budgetModel, messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).error).toMatchObject({
      type: 'rate_limit_error',
    });
    // Another model of the same backend has no budget.
    const other = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(other.choices[0]?.message.content).toBeTruthy();
  }, 180_000);
});
