import { join } from 'node:path';

import { testkitEnv } from './config.js';
import { TestkitError } from './errors.js';
import { findRepoRoot } from './find-repo-root.js';
import { isExecutableFile, which } from './which.js';

/** The external programs the harness knows how to locate. */
export type BinaryName =
  'envoy' | 'redis-server' | 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'etcd';

const envVarFor = {
  envoy: 'ENVOY_BIN',
  'redis-server': 'REDIS_SERVER_BIN',
  'kube-apiserver': 'KUBE_APISERVER_BIN',
  'kube-controller-manager': 'KUBE_CONTROLLER_MANAGER_BIN',
  kubectl: 'KUBECTL_BIN',
  etcd: 'ETCD_BIN',
} as const satisfies Record<BinaryName, string>;

/**
 * Locates `name`: the environment variable (`ENVOY_BIN`, `REDIS_SERVER_BIN`, `KUBE_APISERVER_BIN`,
 * `KUBE_CONTROLLER_MANAGER_BIN`, `KUBECTL_BIN`, `ETCD_BIN`) first, then the repository's `.tools/bin/` cache written by `scripts/bootstrap.sh`,
 * then `PATH`.
 *
 * @throws TestkitError `binary-not-found` naming the variable to set and the bootstrap script.
 */
export function findBinary(name: BinaryName): string {
  const fromEnv = envValue(name);
  if (fromEnv !== undefined) {
    if (!isExecutableFile(fromEnv)) {
      throw new TestkitError(
        'binary-not-found',
        `${envVarFor[name]}=${fromEnv} is not an executable file: fix the variable or run \`bash scripts/bootstrap.sh\``,
      );
    }
    return fromEnv;
  }
  const found = fromToolsCache(name) ?? which(name);
  if (found === undefined) {
    throw new TestkitError(
      'binary-not-found',
      `${name} not found: set ${envVarFor[name]} to its path, or run \`bash scripts/bootstrap.sh\` ` +
        `(installs it into .tools/bin) and \`source .tools/env.sh\``,
    );
  }
  return found;
}

function envValue(name: BinaryName): string | undefined {
  const env = testkitEnv();
  const byName = {
    envoy: env.envoyBin,
    'redis-server': env.redisServerBin,
    'kube-apiserver': env.kubeApiServerBin,
    'kube-controller-manager': env.kubeControllerManagerBin,
    kubectl: env.kubectlBin,
    etcd: env.etcdBin,
  } as const satisfies Record<BinaryName, string | undefined>;
  return byName[name];
}

function fromToolsCache(name: BinaryName): string | undefined {
  const root = findRepoRoot();
  const candidate = root === undefined ? undefined : join(root, '.tools', 'bin', name);
  return candidate !== undefined && isExecutableFile(candidate) ? candidate : undefined;
}
