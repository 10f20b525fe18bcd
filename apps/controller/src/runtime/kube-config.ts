import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ControllerError } from './errors.js';

/** Where the service-account token of a pod is mounted. */
export const serviceAccountTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * A kubeconfig from a file (`--kubeconfig` / `KUBECONFIG`), else the pod's service account when
 * running in a cluster. Unlike client-node's `loadFromDefault`, never falls back to
 * `http://localhost:8080`: no configuration is an error.
 */
export function loadKubeConfig(options: {
  readonly path?: string | undefined;
  readonly isInCluster?: boolean;
}): KubeConfig {
  const config = new KubeConfig();
  try {
    if (options.path !== undefined) config.loadFromFile(options.path);
    else if (options.isInCluster ?? existsSync(serviceAccountTokenPath)) config.loadFromCluster();
    else {
      throw new ControllerError(
        'kube-config',
        'no kubeconfig: pass --kubeconfig (or set KUBECONFIG), or run in a pod with a service account',
      );
    }
  } catch (err) {
    if (err instanceof ControllerError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new ControllerError('kube-config', `cannot load kubeconfig: ${detail}`, { cause: err });
  }
  if (!config.getCurrentCluster()) {
    throw new ControllerError('kube-config', 'the kubeconfig has no current context or cluster');
  }
  return config;
}

/** The namespace of the kubeconfig's current context (the pod's namespace in a cluster). */
export function contextNamespace(config: KubeConfig): string | undefined {
  const context = config.getContextObject(config.getCurrentContext());
  return context?.namespace?.trim() || undefined;
}
