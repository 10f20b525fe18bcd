import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import {
  Server,
  ServerCredentials,
  credentials,
  type ServerUnaryCall,
  type ServiceError,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { envoyGatewayNames } from '@aigw/gateway-config';
import { egExtension } from '@aigw/proto';
import {
  applyCrds,
  getFreePort,
  kubeRequest,
  spawnManaged,
  startEnvoyGatewayOnKube,
  tempDir,
  thirdPartyCrdFiles,
  useHarness,
  waitFor,
  type ManagedProcess,
} from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { root, startGrpcApp } from './support/eg-stack.js';

/**
 * Envoy Gateway with its **Kubernetes provider** against the test API server (issue 4/10): our
 * controller turns an AIGatewayRoute into HTTPRoutes there, Envoy Gateway translates them and
 * calls our extension server (through a recording gRPC proxy, so the test sees each request and
 * answer), and creates the Envoy Deployment of the Gateway, next to which the controller then
 * writes the extproc config. No kubelet runs that Deployment here (5/10's node agent will).
 * A QuotaPolicy created, edited or deleted after that translation is translated too: Envoy
 * Gateway does not watch QuotaPolicies, but the controller stamps their checksum on the HTTPRoute
 * (`gateway.envoyproxy.io/aigw-quota-checksum`), and a change of a `gateway.envoyproxy.io/`
 * annotation makes it translate again and call the extension server (plain annotations and
 * labels do not: checked by hand on v1.8.1, see docs/deploy.md).
 */
const run = promisify(execFile);
const harness = useHarness();
const namespace = 'envoy-gateway-system';

interface Recorded {
  readonly method: string;
  readonly request: unknown;
  readonly response: unknown;
}

/** A gRPC server that forwards every EnvoyGatewayExtension call to `target` and records it. */
async function startRecordingProxy(target: string): Promise<{
  readonly port: number;
  readonly calls: Recorded[];
  stop(): Promise<void>;
}> {
  const client = new egExtension.EnvoyGatewayExtensionClient(target, credentials.createInsecure());
  const calls: Recorded[] = [];
  const server = new Server();
  const implementation: Record<string, unknown> = {};
  for (const method of Object.keys(egExtension.EnvoyGatewayExtensionService)) {
    implementation[method] = (
      call: ServerUnaryCall<unknown, unknown>,
      callback: sendUnaryData<unknown>,
    ): void => {
      type Unary = (
        request: unknown,
        done: (err: ServiceError | null, response: unknown) => void,
      ) => void;
      const forward = (client as unknown as Record<string, Unary | undefined>)[method];
      forward?.call(client, call.request, (err, response) => {
        calls.push({ method, request: call.request, response: err ? err.details : response });
        callback(err, response);
      });
    };
  }
  server.addService(
    egExtension.EnvoyGatewayExtensionService,
    implementation as unknown as egExtension.EnvoyGatewayExtensionServer,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  });
  return {
    port,
    calls,
    stop: () =>
      new Promise((resolve) => {
        client.close();
        server.tryShutdown(() => {
          resolve();
        });
      }),
  };
}

function kubectlBin(): string {
  const fromEnv = process.env.KUBECTL_BIN;
  if (fromEnv) return fromEnv;
  const cached = join(root, '.tools', 'bin', 'kubectl');
  if (existsSync(cached)) return cached;
  throw new Error('kubectl not found: set KUBECTL_BIN or run `bash scripts/bootstrap.sh --test`');
}

const route = 'chat';
const objects = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 8080}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: ${route}, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o-mini}]}]
      backendRefs: [{name: openai}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: openai, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: openai, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: openai, namespace: default}
spec:
  endpoints: [{fqdn: {hostname: api.openai.example, port: 443}}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: openai-apikey, namespace: default}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai}]
  type: APIKey
  apiKey: {secretRef: {name: openai-apikey}}
---
apiVersion: v1
kind: Secret
metadata: {name: openai-apikey, namespace: default}
type: Opaque
stringData: {apiKey: sk-test}
`;

interface Cluster {
  readonly name: string;
  readonly typedExtensionProtocolOptions?: Record<string, unknown>;
}

function clustersOf(message: unknown): readonly Cluster[] {
  return (message as { clusters?: Cluster[] } | undefined)?.clusters ?? [];
}

interface RouteConfiguration {
  readonly virtualHosts?: readonly { readonly routes?: readonly RouteEntry[] }[];
}

interface RouteEntry {
  readonly name: string;
  readonly typedPerFilterConfig?: Record<string, unknown>;
  readonly metadata?: {
    readonly filterMetadata?: Record<
      string,
      { readonly resources?: readonly { readonly annotations?: Record<string, string> }[] }
    >;
  };
}

function routesOf(message: unknown): readonly RouteEntry[] {
  const configs = (message as { routes?: RouteConfiguration[] } | undefined)?.routes ?? [];
  return configs.flatMap((c) => c.virtualHosts ?? []).flatMap((v) => v.routes ?? []);
}

/**
 * The distinct quota checksums on the routes of a PostTranslateModify request (undefined for a
 * route without one), from the metadata Envoy Gateway copies from the HTTPRoute.
 */
function checksumsOf(message: unknown): (string | undefined)[] {
  const key = quotaChecksum.slice('gateway.envoyproxy.io/'.length);
  const all = routesOf(message).map(
    (r) => r.metadata?.filterMetadata?.['envoy-gateway']?.resources?.[0]?.annotations?.[key],
  );
  return [...new Set(all)];
}

/** The names of the routes of a PostTranslateModify message that have per-route rate limits. */
function limitedRoutesOf(message: unknown): string[] {
  return routesOf(message)
    .filter((r) => r.typedPerFilterConfig?.[rateLimitFilter] !== undefined)
    .map((r) => r.name);
}

/** What our extension server adds for token budgets. */
const { rateLimitCluster, rateLimitFilter } = envoyGatewayNames;
const quotaChecksum = 'gateway.envoyproxy.io/aigw-quota-checksum';

const quotaPolicy = {
  apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
  kind: 'QuotaPolicy',
  metadata: { name: 'budget', namespace: 'default' },
  spec: {
    targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: 'openai' }],
    serviceQuota: { costExpression: 'input_tokens', quota: { limit: 1000, duration: '1h' } },
  },
};

describe('Envoy Gateway with its Kubernetes provider, our controller and extension server', () => {
  let stop: (() => Promise<void>)[] = [];
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let kubeconfig: string;
  let kube: Awaited<ReturnType<typeof harness.kube>>;

  beforeAll(async () => {
    kube = await harness.kube();
    kubeconfig = kube.kubeconfigPath;
    const ours = readdirSync(join(root, 'deploy', 'crds')).map((f) =>
      join(root, 'deploy', 'crds', f),
    );
    await applyCrds(kube, [...ours, ...thirdPartyCrdFiles()], { timeoutMs: 300_000 });

    const extPort = await getFreePort();
    // The token budgets need a rate-limit service address; no Envoy runs here to call it.
    const ratelimitPort = await getFreePort();
    const extension = await startGrpcApp({
      app: 'extension-server',
      name: 'extension-server',
      healthTarget: `127.0.0.1:${String(extPort)}`,
      args: [
        '--address',
        `127.0.0.1:${String(extPort)}`,
        '--kubeconfig',
        kubeconfig,
        '--ratelimit-address',
        `127.0.0.1:${String(ratelimitPort)}`,
      ],
    });
    stop.push(() => extension.stop());
    proxy = await startRecordingProxy(`127.0.0.1:${String(extPort)}`);
    stop.push(() => proxy.stop());

    const eg = await startEnvoyGatewayOnKube({
      kube,
      extensionServer: { host: '127.0.0.1', port: proxy.port },
      namespace,
    });
    stop.push(() => eg.stop());

    const controller: ManagedProcess = await spawnManaged(
      process.execPath,
      [
        join(root, 'apps', 'controller', 'dist', 'bin.js'),
        `--kubeconfig=${kubeconfig}`,
        '--leader-elect=false',
        '--health-port=0',
        '--host=127.0.0.1',
        `--envoy-gateway-namespace=${namespace}`,
      ],
      { name: 'controller', cwd: root },
    );
    stop.push(() => controller.stop());

    const file = join(tempDir('eg-kube-objects'), 'objects.yaml');
    writeFileSync(file, objects);
    await run(kubectlBin(), ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', file]);
  }, 420_000);

  afterAll(async () => {
    for (const fn of stop.reverse()) await fn();
    stop = [];
  });

  it('creates the Envoy Deployment of the Gateway, and the controller writes the extproc config next to it', async () => {
    const selector = encodeURIComponent('gateway.envoyproxy.io/owning-gateway-name=gw');
    await waitFor(
      async () => {
        const deployments = await kubeRequest(
          kube,
          `/apis/apps/v1/namespaces/${namespace}/deployments?labelSelector=${selector}`,
        );
        return (deployments.json() as { items: unknown[] }).items.length === 1 || undefined;
      },
      { timeoutMs: 60_000, description: 'the Envoy Deployment of Gateway default/gw' },
    );
    const secrets = await waitFor(
      async () => {
        const list = await kubeRequest(
          kube,
          `/api/v1/namespaces/${namespace}/secrets?labelSelector=${encodeURIComponent('aigateway.envoyproxy.io/gateway-name=gw')}`,
        );
        const items = (list.json() as { items: { metadata: { name: string } }[] }).items;
        return items.length > 0 ? items : undefined;
      },
      { timeoutMs: 60_000, description: 'the config Secrets in the proxies namespace' },
    );
    expect(secrets.map((s) => s.metadata.name).some((n) => n.startsWith('gw-default-'))).toBe(true);
  });

  it("calls the extension server with the controller's HTTPRoute and serves what it edited", async () => {
    const aiCluster = `httproute/default/${route}/rule/0`;
    const call = await waitFor(
      () =>
        proxy.calls.find(
          (c) =>
            c.method === 'postTranslateModify' &&
            clustersOf(c.request).some((cluster) => cluster.name === aiCluster),
        ),
      { timeoutMs: 90_000, description: `a PostTranslateModify carrying ${aiCluster}` },
    );
    const before = clustersOf(call.request).find((c) => c.name === aiCluster);
    const after = clustersOf(call.response).find((c) => c.name === aiCluster);
    // Our edits: the extproc's UDS cluster added, the upstream-level filters on the AI cluster.
    expect(clustersOf(call.request).some((c) => c.name === 'ai-gateway-extproc-uds')).toBe(false);
    expect(clustersOf(call.response).some((c) => c.name === 'ai-gateway-extproc-uds')).toBe(true);
    const httpOptions = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    expect(before?.typedExtensionProtocolOptions?.[httpOptions]).toBeUndefined();
    expect(after?.typedExtensionProtocolOptions?.[httpOptions]).toBeDefined();
    // No QuotaPolicy yet: no budget.
    expect(clustersOf(call.response).some((c) => c.name === rateLimitCluster)).toBe(false);
  });

  it('translates again with the budget when a QuotaPolicy is created, edited or deleted after the translation', async () => {
    const aiCluster = `httproute/default/${route}/rule/0`;
    const httpRoute = `/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/${route}`;
    const policies = '/apis/aigateway.envoyproxy.io/v1alpha1/namespaces/default/quotapolicies';
    const checksumOnRoute = async (): Promise<string | undefined> => {
      const object = (await kubeRequest(kube, httpRoute)).json() as {
        metadata: { annotations?: Record<string, string> };
      };
      return object.metadata.annotations?.[quotaChecksum];
    };
    /**
     * The first PostTranslateModify from call `from` on that translated our route with `checksum`
     * (Envoy Gateway copies the HTTPRoute's `gateway.envoyproxy.io/` annotations into the route
     * metadata it sends) and whose answer has the budget's rate limits or not.
     */
    const translated = (from: number, want: { checksum?: string | undefined; limited: boolean }) =>
      waitFor(
        () =>
          proxy.calls
            .slice(from)
            .find(
              (c) =>
                c.method === 'postTranslateModify' &&
                clustersOf(c.request).some((cluster) => cluster.name === aiCluster) &&
                isDeepStrictEqual(checksumsOf(c.request), [want.checksum]) &&
                clustersOf(c.response).some((cluster) => cluster.name === rateLimitCluster) ===
                  want.limited,
            ),
        {
          timeoutMs: 60_000,
          description: `a PostTranslateModify after call ${String(from)} of checksum ${String(want.checksum)}, ${want.limited ? 'with' : 'without'} rate limits`,
        },
      );
    const checksumChange = (not: string | undefined) =>
      waitFor(
        async () => {
          const checksum = await checksumOnRoute();
          return checksum !== not ? { checksum } : undefined;
        },
        { timeoutMs: 30_000, description: `the HTTPRoute's checksum other than ${String(not)}` },
      );

    // Translated (the cases before waited for it) without a budget, and without a checksum.
    await translated(0, { limited: false });
    expect(await checksumOnRoute()).toBeUndefined();

    // Created after the translation. Envoy Gateway does not watch QuotaPolicies: the controller's
    // checksum on the HTTPRoute makes it translate again, and our extension server adds the
    // budget's rate limits.
    let from = proxy.calls.length;
    const created = await kubeRequest(kube, policies, { method: 'POST', body: quotaPolicy });
    expect(created.status).toBe(201);
    const { checksum: first } = await checksumChange(undefined);
    expect(first).toMatch(/^[\w-]{43}$/);
    const limited = await translated(from, { checksum: first, limited: true });
    expect(limitedRoutesOf(limited.request)).toEqual([]);
    expect(limitedRoutesOf(limited.response)).toContain(`${aiCluster}/match/0/*`);

    // Edited: a new checksum, translated again.
    from = proxy.calls.length;
    const edited = await kubeRequest(kube, `${policies}/budget`, {
      method: 'PATCH',
      body: { spec: { serviceQuota: { quota: { limit: 2000 } } } },
      contentType: 'application/merge-patch+json',
    });
    expect(edited.status).toBe(200);
    const { checksum: second } = await checksumChange(first);
    expect(second).toMatch(/^[\w-]{43}$/);
    await translated(from, { checksum: second, limited: true });

    // Deleted: the checksum leaves the HTTPRoute, translated without the budget.
    from = proxy.calls.length;
    const deleted = await kubeRequest(kube, `${policies}/budget`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    await checksumChange(second);
    const unlimited = await translated(from, { limited: false });
    expect(limitedRoutesOf(unlimited.response)).toEqual([]);
  }, 240_000);
});
