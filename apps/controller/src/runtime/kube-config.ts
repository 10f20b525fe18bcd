import { existsSync } from 'node:fs';
import { loadInClusterConfig, loadKubeConfigFile, type KubeConfig } from '@aigw/kube-config';
import { ControllerError } from './errors.js';

/** Where the service-account token of a pod is mounted. */
export const serviceAccountTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * A kubeconfig from a file (`--kubeconfig` / `KUBECONFIG`), else the pod's service account when
 * running in a cluster. Never falls back to `http://localhost:8080` or `~/.kube/config`: no
 * configuration is an error.
 */
export function loadKubeConfig(options: {
  readonly path?: string | undefined;
  readonly isInCluster?: boolean;
}): KubeConfig {
  try {
    if (options.path !== undefined) return loadKubeConfigFile(options.path);
    if (options.isInCluster ?? existsSync(serviceAccountTokenPath)) return loadInClusterConfig();
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ControllerError('kube-config', `cannot load kubeconfig: ${detail}`, {
      cause: err,
    });
  }
  throw new ControllerError(
    'kube-config',
    'no kubeconfig: pass --kubeconfig (or set KUBECONFIG), or run in a pod with a service account',
  );
}

/** The namespace of the kubeconfig's current context (the pod's namespace in a cluster). */
export function contextNamespace(config: KubeConfig): string | undefined {
  return config.namespace;
}
