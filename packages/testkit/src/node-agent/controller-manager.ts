import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { findBinary } from '../find-binary.js';
import type { KubeTarget } from '../kube-request.js';
import { spawnManaged, type ManagedProcess } from '../spawn-managed.js';
import { KubeClient } from './kube-client.js';

/**
 * The controllers {@link startControllerManager} runs by default: Deployments become ReplicaSets
 * become Pods, owners' deletion cascades, every namespace gets its `default` ServiceAccount and
 * the `kube-root-ca.crt` ConfigMap, and deleted namespaces are emptied.
 */
export const defaultControllers = [
  'deployment-controller',
  'replicaset-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
  'namespace-controller',
] as const;

/** Options for {@link startControllerManager}. */
export interface StartControllerManagerOptions {
  /** Name in logs (default `kube-controller-manager`). */
  readonly name?: string;
  /** `--controllers` (default {@link defaultControllers}). */
  readonly controllers?: readonly string[];
  /** Where to write the CA file `--root-ca-file` reads. */
  readonly dir: string;
  /** How long to wait for the first sign of work (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * Starts kube-controller-manager (`KUBE_CONTROLLER_MANAGER_BIN`, or `.tools/bin`, built by
 * `scripts/build-kube.sh`) against the API server as its admin, without leader election or a
 * serving port, and waits until it has published `kube-root-ca.crt` into `default` (when that
 * controller runs) — proof that its informers are synced and controllers started.
 *
 * @throws TestkitError `binary-not-found`, `process-exited` or `timeout` with the log tail.
 */
export async function startControllerManager(
  kube: KubeTarget & { readonly kubeconfigPath: string },
  options: StartControllerManagerOptions,
): Promise<ManagedProcess> {
  const binary = findBinary('kube-controller-manager');
  const caFile = join(options.dir, 'root-ca.crt');
  await writeFile(caFile, kube.caPem);
  const controllers = options.controllers ?? defaultControllers;
  const proc = await spawnManaged(
    binary,
    [
      `--kubeconfig=${kube.kubeconfigPath}`,
      `--controllers=${controllers.join(',')}`,
      `--root-ca-file=${caFile}`,
      '--leader-elect=false',
      // No metrics or health endpoint: nothing scrapes it, and no port can clash.
      '--secure-port=0',
      '--use-service-account-credentials=false',
    ],
    { name: options.name ?? 'kube-controller-manager', stopGraceMs: 2_000 },
  );
  if (controllers.includes('root-ca-certificate-publisher-controller')) {
    const client = new KubeClient(kube);
    await proc.untilReady(
      async () =>
        (await client.get('/api/v1/namespaces/default/configmaps/kube-root-ca.crt')) !== undefined,
      {
        timeoutMs: options.timeoutMs ?? 120_000,
        intervalMs: 200,
        description: 'kube-controller-manager to publish kube-root-ca.crt',
      },
    );
  }
  return proc;
}
