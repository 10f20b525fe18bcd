import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { kubeRequest, waitFor, type KubeApiServer } from '@aigw/testkit';

import { root } from './eg-stack.js';

/** What the installed-system tests share: the cluster tools, pods, readiness. */

const run = promisify(execFile);

/** The apps of the gateway chart (and of the Kustomize base), one Deployment each. */
export const apps = ['controller', 'webhook', 'extension-server', 'ratelimit'] as const;

/** `helm` or `kubectl`: `HELM_BIN` / `KUBECTL_BIN`, else the bootstrap's `.tools/bin`. */
export function tool(name: 'helm' | 'kubectl'): string {
  const fromEnv = process.env[name === 'helm' ? 'HELM_BIN' : 'KUBECTL_BIN'];
  if (fromEnv) return fromEnv;
  const cached = join(root, '.tools', 'bin', name);
  if (existsSync(cached)) return cached;
  throw new Error(`${name} not found: run \`bash scripts/bootstrap.sh --test\``);
}

/** Runs `kubectl` against the test API server; resolves with its stdout. */
export async function kubectl(kube: KubeApiServer, args: readonly string[]): Promise<string> {
  const { stdout } = await run(tool('kubectl'), ['--kubeconfig', kube.kubeconfigPath, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Runs `helm` against the test API server; resolves with its stdout. */
export async function helm(kube: KubeApiServer, args: readonly string[]): Promise<string> {
  const { stdout } = await run(tool('helm'), ['--kubeconfig', kube.kubeconfigPath, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    // Helm keeps its cache and config out of the user's home.
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(root, '.tools', 'helm', 'cache'),
      HELM_CONFIG_HOME: join(root, '.tools', 'helm', 'config'),
      HELM_DATA_HOME: join(root, '.tools', 'helm', 'data'),
    },
  });
  return stdout;
}

/** Writes `yaml` to `file` and applies it server-side. */
export async function apply(kube: KubeApiServer, file: string, yaml: string): Promise<void> {
  writeFileSync(file, yaml);
  await kubectl(kube, ['apply', '--server-side', '--force-conflicts', '-f', file]);
}

/**
 * The machine's own IPv4 address: pods report it as their IP (hostNetwork-like), so the
 * endpoints of a Service are valid (the API server refuses loopback endpoints) and the API
 * server's webhook calls, routed to endpoints, reach the webhook pod.
 */
export function machineIp(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('no non-loopback IPv4 address: the API server could not reach the webhook pod');
}

export interface PodItem {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
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

/** The pods of `ns` matching the label `selector`. */
export async function pods(kube: KubeApiServer, ns: string, selector: string): Promise<PodItem[]> {
  const response = await kubeRequest(
    kube,
    `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  return (response.json() as { items: PodItem[] }).items;
}

export function isReady(pod: PodItem): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Waits until each app has exactly one pod, Ready and not being deleted (a rollout's old pod
 * gone); resolves with them by app.
 */
export async function appPodsReady(
  kube: KubeApiServer,
  namespace: string,
  filter: (pod: PodItem) => boolean = () => true,
): Promise<Map<(typeof apps)[number], PodItem>> {
  const found = new Map<(typeof apps)[number], PodItem>();
  for (const app of apps) {
    const selector = `app.kubernetes.io/component=${app}`;
    const [pod] = await waitFor(
      async () => {
        const items = await pods(kube, namespace, selector);
        return items.length === 1 && items.every((p) => isReady(p) && filter(p))
          ? items
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: `the ${app} pod Ready` },
    );
    if (pod !== undefined) found.set(app, pod);
  }
  return found;
}

/** The CA bundle the self-signed webhook wrote into its MutatingWebhookConfiguration. */
export async function webhookCaBundle(kube: KubeApiServer, name: string): Promise<string> {
  const config = await kubeRequest(
    kube,
    `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`,
  );
  const [webhook] = (config.json() as { webhooks: { clientConfig: { caBundle?: string } }[] })
    .webhooks;
  return webhook?.clientConfig.caBundle ?? '';
}
