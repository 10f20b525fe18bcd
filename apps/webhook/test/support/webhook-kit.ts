/**
 * Test support for the webhook against the test kit's kube-apiserver: the webhook as a real
 * process (src/bin.ts through tsx), HTTPS requests that trust a given CA, the
 * MutatingWebhookConfiguration pointing the API server at it, and small API helpers.
 */
import { request } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { join } from 'node:path';
import {
  applyCrds,
  findRepoRoot,
  getFreePort,
  spawnManaged,
  thirdPartyCrdFiles,
  type KubeApiServer,
  type ManagedProcess,
} from '@aigw/testkit';

const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the tests inside the repository');
  })();

/** A file of the repository. */
export function repoPath(...parts: string[]): string {
  return join(root, ...parts);
}

/** The CRDs the webhook reads: AIGatewayRoute, GatewayConfig, Gateway. */
export async function applyWebhookCrds(kube: KubeApiServer): Promise<void> {
  await applyCrds(
    kube,
    [
      repoPath('deploy/crds/aigateway.envoyproxy.io_aigatewayroutes.yaml'),
      repoPath('deploy/crds/aigateway.envoyproxy.io_gatewayconfigs.yaml'),
      ...thirdPartyCrdFiles().filter((f) => f.endsWith('_gateways.yaml')),
    ],
    { timeoutMs: 180_000 },
  );
}

/** A running webhook process. */
export interface WebhookProcess {
  readonly proc: ManagedProcess;
  readonly url: string;
}

/** Starts `apps/webhook/src/bin.ts` on a free port of 127.0.0.1 with `args`; ready once `/readyz` answers 200. */
export async function startWebhook(options: {
  readonly name: string;
  readonly args: readonly string[];
  /** Default: a free one. */
  readonly port?: number;
}): Promise<WebhookProcess> {
  const port = options.port ?? (await getFreePort());
  const url = `https://127.0.0.1:${String(port)}`;
  const proc = await spawnManaged(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@aigw/source',
      'src/bin.ts',
      `--port=${String(port)}`,
      '--host=127.0.0.1',
      '--log-level=debug',
      ...options.args,
    ],
    { name: options.name, cwd: repoPath('apps/webhook'), logLimit: 2_000_000 },
  );
  await proc.untilReady(
    async () => (await httpsJson(`${url}/readyz`, { insecure: true })).status === 200,
    { timeoutMs: 60_000, intervalMs: 100, description: 'webhook /readyz to return 200' },
  );
  return { proc, url };
}

/** What {@link httpsJson} returns. */
export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
  readonly peer: PeerCertificate;
  json(): unknown;
}

/** One HTTPS request trusting only `ca` (or nothing, with `insecure`); bodies are sent as given. */
export async function httpsJson(
  url: string,
  options: {
    readonly ca?: string;
    readonly insecure?: boolean;
    readonly method?: string;
    readonly body?: string;
    readonly contentType?: string;
  },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        rejectUnauthorized: options.insecure !== true,
        // A fresh connection each time: a reloaded certificate shows on new connections only.
        agent: false,
        headers:
          options.body === undefined
            ? {}
            : { 'content-type': options.contentType ?? 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        const socket = res.socket as unknown as { getPeerCertificate(): PeerCertificate };
        const peer = socket.getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            body,
            peer,
            json: () => JSON.parse(body) as unknown,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The MutatingWebhookConfiguration of docs/webhook.md, pointing at `url` (a test has no Service). */
export function webhookConfiguration(name: string, url: string, caPem: string | undefined): object {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: 'pods.aigw-webhook.aigateway.envoyproxy.io',
        clientConfig: {
          url: `${url}/mutate`,
          ...(caPem === undefined ? {} : { caBundle: Buffer.from(caPem).toString('base64') }),
        },
        rules: [
          { apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] },
        ],
        objectSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'envoy-gateway' } },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 10,
        failurePolicy: 'Fail',
      },
    ],
  };
}

/** Sends a request as admin and fails loudly on a non-2xx answer. */
export async function kubeOk(
  kube: KubeApiServer,
  path: string,
  options: {
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    body?: unknown;
    contentType?: string;
  } = {},
): Promise<Record<string, unknown>> {
  const res = await kube.request(path, options);
  if (res.status < 200 || res.status >= 300) {
    throw new Error(
      `${options.method ?? 'GET'} ${path}: ${String(res.status)} ${res.body.slice(0, 500)}`,
    );
  }
  return res.json() as Record<string, unknown>;
}

/** Creates `object` under `path` (its collection). */
export async function create(
  kube: KubeApiServer,
  path: string,
  object: object,
): Promise<Record<string, unknown>> {
  return kubeOk(kube, path, { method: 'POST', body: object });
}

/** The labels Envoy Gateway puts on the proxy pods of Gateway `namespace/name`. */
export function proxyLabels(namespace: string, name: string): Record<string, string> {
  return {
    'app.kubernetes.io/component': 'proxy',
    'app.kubernetes.io/managed-by': 'envoy-gateway',
    'app.kubernetes.io/name': 'envoy',
    'gateway.envoyproxy.io/owning-gateway-name': name,
    'gateway.envoyproxy.io/owning-gateway-namespace': namespace,
  };
}

/** A proxy pod as Envoy Gateway's Deployment makes it (the parts that matter here). */
export function proxyPod(options: {
  readonly name: string;
  readonly namespace: string;
  readonly gateway: { readonly namespace: string; readonly name: string };
  readonly serviceAccountName?: string;
}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: proxyLabels(options.gateway.namespace, options.gateway.name),
    },
    spec: {
      serviceAccountName: options.serviceAccountName ?? 'default',
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'envoy',
          image: 'docker.io/envoyproxy/envoy:distroless-v1.36.0',
          volumeMounts: [{ name: 'certs', mountPath: '/certs', readOnly: true }],
        },
        { name: 'shutdown-manager', image: 'docker.io/envoyproxy/gateway:v1.8.1' },
      ],
      volumes: [{ name: 'certs', secret: { secretName: 'envoy' } }],
    },
  };
}

/** An AIGatewayRoute attached to Gateway `gateway` (in the route's namespace). */
export function aiRoute(namespace: string, name: string, gateway: string): object {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'AIGatewayRoute',
    metadata: { name, namespace },
    spec: {
      parentRefs: [{ name: gateway, kind: 'Gateway', group: 'gateway.networking.k8s.io' }],
      rules: [{ backendRefs: [{ name: 'backend' }] }],
    },
  };
}

/** A Gateway, optionally naming a GatewayConfig. */
export function gatewayObject(namespace: string, name: string, gatewayConfig?: string): object {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name,
      namespace,
      ...(gatewayConfig === undefined
        ? {}
        : { annotations: { 'aigateway.envoyproxy.io/gateway-config': gatewayConfig } }),
    },
    spec: {
      gatewayClassName: 'eg',
      listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }],
    },
  };
}
