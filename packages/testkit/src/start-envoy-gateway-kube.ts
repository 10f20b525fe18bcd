import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { stringify } from 'yaml';

import { TestkitError } from './errors.js';
import { kubeRequest, type KubeTarget } from './kube-request.js';
import { mountNamespaceScript } from './node-agent/mount-namespace.js';
import { spawnManaged } from './spawn-managed.js';
import {
  accepts,
  extensionManagerConfig,
  findEnvoyGateway,
  xdsPort,
} from './start-envoy-gateway.js';
import { removeTempDir, tempDir } from './temp-dir.js';
import { which } from './which.js';

const run = promisify(execFile);

/** Options for {@link startEnvoyGatewayOnKube}. */
export interface StartEnvoyGatewayOnKubeOptions {
  /** The API server (its admin credentials) and a kubeconfig file for it. */
  readonly kube: KubeTarget & { readonly kubeconfigPath: string };
  /** Where Envoy Gateway calls the extension server. */
  readonly extensionServer: { readonly host: string; readonly port: number };
  /** Envoy Gateway's own namespace, created when missing (default `envoy-gateway-system`). */
  readonly namespace?: string;
  readonly name?: string;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** A running Envoy Gateway with its Kubernetes provider, from {@link startEnvoyGatewayOnKube}. */
export interface EnvoyGatewayOnKube {
  readonly name: string;
  readonly pid: number;
  readonly namespace: string;
  logs(): string;
  stop(): Promise<void>;
}

async function ensureNamespace(kube: KubeTarget, namespace: string): Promise<void> {
  const response = await kubeRequest(kube, '/api/v1/namespaces', {
    method: 'POST',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  });
  if (response.status !== 201 && response.status !== 409) {
    throw new TestkitError('kube-error', `creating namespace ${namespace}: ${response.body}`);
  }
}

/**
 * The Service `envoy-gateway` its chart creates: the Envoy proxies' bootstrap dials
 * `envoy-gateway.<namespace>.svc.cluster.local:18000` (the test kit's node agent maps Service
 * names to the machine in mount-namespaced pods, and this process listens on the same ports).
 */
async function ensureService(kube: KubeTarget, namespace: string): Promise<void> {
  const port = (name: string, number: number): object => ({
    name,
    port: number,
    targetPort: number,
  });
  const response = await kubeRequest(kube, `/api/v1/namespaces/${namespace}/services`, {
    method: 'POST',
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'envoy-gateway', namespace },
      spec: {
        selector: { 'control-plane': 'envoy-gateway' },
        ports: [
          port('grpc', xdsPort),
          port('ratelimit', 18001),
          port('wasm', 18002),
          port('metrics', 19001),
        ],
      },
    },
  });
  if (response.status !== 201 && response.status !== 409) {
    throw new TestkitError(
      'kube-error',
      `creating service ${namespace}/envoy-gateway: ${response.body}`,
    );
  }
}

/** Writes `tls.crt`, `tls.key`, `ca.crt` of the Secret `envoy-gateway` that certgen created. */
async function writeCerts(kube: KubeTarget, namespace: string, dir: string): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/secrets/envoy-gateway`;
  const response = await kubeRequest(kube, path);
  if (response.status !== 200) {
    throw new TestkitError('kube-error', `reading ${namespace}/envoy-gateway: ${response.body}`);
  }
  const data = (response.json() as { data?: Record<string, string> }).data ?? {};
  mkdirSync(dir, { recursive: true });
  for (const key of ['tls.crt', 'tls.key', 'ca.crt']) {
    const value = data[key];
    if (value === undefined) {
      throw new TestkitError('kube-error', `${namespace}/envoy-gateway has no ${key}`);
    }
    writeFileSync(join(dir, key), Buffer.from(value, 'base64'), { mode: 0o600 });
  }
}

/**
 * Starts a real Envoy Gateway with its **Kubernetes provider** against a test API server: it
 * watches Gateways, HTTPRoutes, Backends… there, creates the Envoy Deployments and Services of
 * each Gateway (no kubelet runs them unless the test kit's node agent does), and calls the
 * extension server on every translation. First `envoy-gateway certgen` writes the TLS Secrets
 * into `namespace`, as its chart's certgen Job does, and the chart's Service `envoy-gateway` is
 * created (what the proxies' bootstrap dials); the server then runs in a private mount
 * namespace where `/certs` is that Secret (the node agent's {@link mountNamespaceScript}). Needs root (mount
 * namespaces and chroot), `unshare` and `chroot`. Its ports are fixed (xDS 18000, admin 19000,
 * metrics 19001, wasm 18002): one Envoy Gateway per machine at a time.
 *
 * @throws TestkitError `binary-not-found` without envoy-gateway, `unshare` or `chroot`;
 *   `invalid-argument` when not root; `kube-error`; `timeout`.
 */
export async function startEnvoyGatewayOnKube(
  options: StartEnvoyGatewayOnKubeOptions,
): Promise<EnvoyGatewayOnKube> {
  const name = options.name ?? 'envoy-gateway-kube';
  const namespace = options.namespace ?? 'envoy-gateway-system';
  const binary = findEnvoyGateway();
  const unshare = which('unshare');
  const chroot = which('chroot');
  if (unshare === undefined || chroot === undefined) {
    throw new TestkitError(
      'binary-not-found',
      'unshare and chroot (util-linux, coreutils) are needed to give Envoy Gateway its /certs',
    );
  }
  if (process.getuid?.() !== 0) {
    throw new TestkitError(
      'invalid-argument',
      'Envoy Gateway with its Kubernetes provider reads /certs: the test kit mounts it in a private mount namespace, which needs root',
    );
  }
  await ensureNamespace(options.kube, namespace);
  await ensureService(options.kube, namespace);
  const env = { KUBECONFIG: options.kube.kubeconfigPath, ENVOY_GATEWAY_NAMESPACE: namespace };
  // No topology injector webhook exists on the test API server (its chart would install it).
  await run(binary, ['certgen', '--disable-topology-injector'], {
    env: { ...process.env, ...env },
  });
  const dir = tempDir('eg-kube');
  try {
    mkdirSync(join(dir, 'root'));
    await writeCerts(options.kube, namespace, join(dir, 'certs'));
    const configPath = join(dir, 'envoy-gateway.yaml');
    writeFileSync(
      configPath,
      stringify({
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'EnvoyGateway',
        gateway: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
        logging: { level: { default: options.logLevel ?? 'info' } },
        provider: { type: 'Kubernetes' },
        extensionApis: { enableBackend: true },
        extensionManager: extensionManagerConfig(options.extensionServer),
      }),
    );
    // Envoy Gateway with its Kubernetes provider reads its xDS certificate from the hard-coded
    // `/certs/{tls.crt,tls.key,ca.crt}` (the Secret its chart mounts), and a test must not write
    // to the host's `/`: the process gets a private root holding every host directory plus
    // `/certs`, as the node agent gives a pod's container.
    const script = join(dir, 'run.sh');
    writeFileSync(
      script,
      mountNamespaceScript({
        rootDir: join(dir, 'root'),
        binds: [{ source: join(dir, 'certs'), target: '/certs' }],
        stdioDir: dir,
      }),
    );
    const proc = await spawnManaged(
      unshare,
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        script,
        dir,
        binary,
        'server',
        '--config-path',
        configPath,
      ],
      {
        env,
        name,
        cwd: dir,
        onStopped: () => removeTempDir(dir),
      },
    );
    await proc.untilReady(() => accepts(xdsPort), {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: `Envoy Gateway's xDS server on 127.0.0.1:${String(xdsPort)}`,
    });
    return {
      name,
      pid: proc.pid,
      namespace,
      logs: () => proc.logs(),
      stop: () => proc.stop(),
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
