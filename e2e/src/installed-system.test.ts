import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import {
  appPodsReady,
  apply,
  helm,
  isReady,
  kubectl,
  machineIp,
  pods,
  webhookCaBundle,
} from './support/installed.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * The installed system running, not only rendered (issue 5/10): both Helm charts installed with
 * `helm install` on the test kube-apiserver (then upgraded and uninstalled); the test kit's node agent
 * (kube-controller-manager + a small kubelet) runs their Deployments as local processes under
 * the chart's ServiceAccounts and RBAC; Envoy Gateway v1.8.1 with its Kubernetes provider against
 * the same API server, calling the extension server pod. See docs/deploy.md "Tested on a real API
 * server" for what each step proves and what stands in for a cluster.
 */
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

interface Ports {
  controller: number;
  webhook: number;
  extensionServer: number;
  extensionServerMetrics: number;
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
    quotaPolicy(budgetTokens),
  ];
}

/** The QuotaPolicy of the budget test: `limit` tokens an hour of {@link budgetModel}. */
function quotaPolicy(limit: number): KubeObject {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
    kind: 'QuotaPolicy',
    metadata: { name: 'budget', namespace: 'default' },
    spec: {
      targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' }],
      perModelQuotas: [
        {
          modelName: budgetModel,
          quota: {
            mode: 'Shared',
            costExpression: 'total_tokens',
            defaultBucket: { limit, duration: '1h' },
          },
        },
      ],
    },
  };
}

/** The chart's values for this machine: a free port per app (pods share its network), one replica each. */
function chartValues(ports: Ports): object {
  return {
    controller: { healthPort: ports.controller, logLevel: 'debug' },
    webhook: { replicas: 1, port: ports.webhook },
    extensionServer: {
      replicas: 1,
      port: ports.extensionServer,
      metricsPort: ports.extensionServerMetrics,
      // As Envoy reaches the limiter here (its Service name resolves only where ports match).
      ratelimitAddress: `127.0.0.1:${String(ports.ratelimit)}`,
    },
    ratelimit: { port: ports.ratelimit, metricsPort: ports.ratelimitMetrics },
  };
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
    // The CRD chart, installed as a user would.
    await helm(kube, [
      'install',
      'aigw-crds',
      join(root, 'deploy', 'helm', 'aigw-crds'),
      '-n',
      namespace,
      '--create-namespace',
    ]);
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
      extensionServerMetrics: await getFreePort(),
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
    await helm(kube, [
      'install',
      release,
      join(root, 'deploy', 'helm', 'aigw'),
      '-n',
      namespace,
      '-f',
      valuesFile,
    ]);

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
    for (const [app, pod] of await appPodsReady(kube, namespace)) {
      expect(pod.spec.serviceAccountName).toBe(`${release}-${app}`);
      expect(pod.spec.containers[0]?.image).toMatch(new RegExp(`^aigw-${app}:`));
    }
    // The self-signed webhook made its certificate and wrote the CA into its configuration.
    expect(await webhookCaBundle(kube, `${release}-webhook.${namespace}`)).toBeTruthy();
    expect(agent.nodeName).toBe('aigw-test-node');
    // Helm recorded the release.
    const releases = JSON.parse(await helm(kube, ['list', '-n', namespace, '-o', 'json'])) as {
      name: string;
      status: string;
    }[];
    expect(releases.map((r) => [r.name, r.status]).sort()).toEqual([
      ['aigw', 'deployed'],
      ['aigw-crds', 'deployed'],
    ]);
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
    // The pod is Ready only with its native sidecar ready (the extproc's gRPC health SERVING).
    expect(
      pod?.status?.initContainerStatuses?.find((c) => c.name === 'ai-gateway-extproc'),
    ).toMatchObject({ started: true, ready: true });
    expect(pod?.spec.containers.map((c) => c.name)).toContain('envoy');
    // Envoy Gateway called the extension server pod's hooks (its Prometheus metrics say so).
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(ports.extensionServerMetrics)}/metrics`)
    ).text();
    expect(metrics).toMatch(
      /^aigw_extension_server_hook_calls_total\{hook="PostTranslateModify",result="ok"\} [1-9]/m,
    );
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

  it('applies an edit and a deletion of the QuotaPolicy without a restart', async () => {
    const ask = async (): Promise<number> => {
      const response = await fetch(
        `http://127.0.0.1:${String(ports.gateway)}/v1/chat/completions`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: budgetModel, messages: [{ role: 'user', content: 'x' }] }),
        },
      );
      await response.body?.cancel();
      return response.status;
    };
    expect(await ask()).toBe(429);
    // A larger budget: the tokens already spent stay counted, the new limit lets requests in
    // (controller → HTTPRoute checksum → Envoy Gateway → extension server; ConfigMap → limiter).
    await apply(kube, join(dir, 'quota-edit.yaml'), objectsToYaml([quotaPolicy(10_000)]));
    await waitFor(async () => ((await ask()) === 200 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: 'the raised budget admitting requests again',
    });
    // Back to a small budget, then deleted: no budget at all.
    await apply(kube, join(dir, 'quota-small.yaml'), objectsToYaml([quotaPolicy(1)]));
    await waitFor(async () => ((await ask()) === 429 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: 'the lowered budget refusing requests',
    });
    await kubectl(kube, ['delete', 'quotapolicy', 'budget', '-n', 'default']);
    await waitFor(async () => ((await ask()) === 200 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: 'requests answered once the QuotaPolicy is deleted',
    });
  }, 420_000);

  it('upgrades with helm upgrade: the changed Deployment rolls to a new Ready pod', async () => {
    const [, before] =
      [...(await appPodsReady(kube, namespace))].find(([a]) => a === 'controller') ?? [];
    await helm(kube, [
      'upgrade',
      release,
      join(root, 'deploy', 'helm', 'aigw'),
      '-n',
      namespace,
      '--reuse-values',
      '--set',
      'controller.logLevel=info',
    ]);
    const after = (
      await appPodsReady(kube, namespace, (p) => p.metadata.name !== before?.metadata.name)
    ).get('controller');
    expect(after?.spec.containers[0]?.args).toContain('--log-level=info');
    const history = JSON.parse(
      await helm(kube, ['history', release, '-n', namespace, '-o', 'json']),
    ) as { revision: number; status: string }[];
    expect(history.map((h) => h.status)).toEqual(['superseded', 'deployed']);
  }, 240_000);

  it('uninstalls with helm uninstall: the apps, their RBAC and the webhook configuration are gone', async () => {
    await helm(kube, ['uninstall', release, '-n', namespace, '--wait', '--timeout', '120s']);
    const gone = async (path: string): Promise<boolean> =>
      (await kubeRequest(kube, path)).status === 404;
    await waitFor(
      async () => (await pods(kube, namespace, 'app.kubernetes.io/instance=aigw')).length === 0,
      { timeoutMs: 120_000, intervalMs: 500, description: 'the chart pods deleted' },
    );
    for (const path of [
      `/apis/apps/v1/namespaces/${namespace}/deployments/${release}-controller`,
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${release}-webhook.${namespace}`,
      `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}-controller`,
      `/api/v1/namespaces/${namespace}/serviceaccounts/${release}-webhook`,
    ]) {
      expect(await gone(path), path).toBe(true);
    }
    // The CRDs stay (their own release): users' AIGatewayRoutes survive an uninstall.
    expect(
      await gone(
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/aigatewayroutes.aigateway.envoyproxy.io',
      ),
    ).toBe(false);
  }, 240_000);
});
