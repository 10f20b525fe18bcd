import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfigError } from './errors.js';
import { isInCluster, loadInClusterConfig } from './in-cluster.js';
import type { KubeConfig } from './kube-config.js';
import { loadKubeConfigFile, type LoadKubeConfigFileOptions } from './kubeconfig-file.js';
import { processEnv } from './process-env.js';

/** Options of {@link loadKubeConfig}. */
export interface LoadKubeConfigOptions extends LoadKubeConfigFileOptions {
  /** An explicit kubeconfig (a `--kubeconfig` flag); wins over everything else. */
  readonly path?: string | undefined;
  /** Where `.kube/config` is looked for (default `HOME` of `env`, else the OS home directory). */
  readonly homeDir?: string | undefined;
  /** The service-account directory of the in-cluster step (tests use a temp dir). */
  readonly serviceAccountDir?: string | undefined;
}

/**
 * The first non-empty entry of a `KUBECONFIG` list (`a:b`); this loader does not merge files.
 */
export function firstKubeconfigPath(value: string | undefined): string | undefined {
  return value
    ?.split(delimiter)
    .map((entry) => entry.trim())
    .find((entry) => entry !== '');
}

/**
 * Loads a client configuration the way controller-runtime's `GetConfig` looks for one: the
 * explicit `path`, else the first entry of `KUBECONFIG`, else the pod's service account when in
 * a cluster, else `~/.kube/config`. Unlike client-node's `loadFromDefault` it never falls back to
 * `http://localhost:8080`: finding nothing is an error.
 *
 * @throws KubeConfigError `no-config`, or whatever loading the chosen source throws.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? processEnv();
  const runtime = { ...options, env };
  const explicit = options.path?.trim() || firstKubeconfigPath(env['KUBECONFIG']);
  if (explicit !== undefined) return loadKubeConfigFile(explicit, runtime);
  if (isInCluster({ env, dir: options.serviceAccountDir })) {
    return loadInClusterConfig({ ...runtime, dir: options.serviceAccountDir });
  }
  const home = join(options.homeDir ?? (env['HOME'] || homedir()), '.kube', 'config');
  if (existsSync(home)) return loadKubeConfigFile(home, runtime);
  throw new KubeConfigError(
    'no-config',
    `no Kubernetes configuration: no --kubeconfig, no KUBECONFIG, not in a pod, no ${home}`,
  );
}
