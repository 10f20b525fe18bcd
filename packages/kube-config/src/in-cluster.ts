import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfigError } from './errors.js';
import { KubeConfig, type KubeConfigRuntimeOptions } from './kube-config.js';
import { processEnv, type Env } from './process-env.js';

/** Where the kubelet mounts a pod's service-account token, CA and namespace. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The environment variable that moves {@link serviceAccountDir}: for running a pod's container as
 * a plain process (tests), where nothing can be mounted at the fixed path. A kubelet mounts the
 * token at the default path, so pods never set it.
 */
export const serviceAccountDirEnv = 'AIGW_SERVICE_ACCOUNT_DIR';

/**
 * The service-account directory: `dir` when given, else `AIGW_SERVICE_ACCOUNT_DIR` of `env` when
 * set and not empty, else {@link serviceAccountDir}.
 */
export function resolveServiceAccountDir(
  options: { readonly env?: Env | undefined; readonly dir?: string | undefined } = {},
): string {
  const env = options.env ?? processEnv();
  return options.dir || env[serviceAccountDirEnv] || serviceAccountDir;
}

/** Options of {@link loadInClusterConfig}. */
export interface InClusterOptions extends KubeConfigRuntimeOptions {
  /** Default `KUBERNETES_SERVICE_HOST` of `env`. */
  readonly host?: string | undefined;
  /** Default `KUBERNETES_SERVICE_PORT` of `env`, else 443. */
  readonly port?: string | undefined;
  /**
   * The service-account directory (default `AIGW_SERVICE_ACCOUNT_DIR` of `env`, else
   * {@link serviceAccountDir}; tests use a temp dir).
   */
  readonly dir?: string | undefined;
}

/**
 * Whether this process runs in a pod: `KUBERNETES_SERVICE_HOST` set and a token mounted (in
 * `dir`, else as {@link resolveServiceAccountDir} finds it).
 */
export function isInCluster(
  options: { readonly env?: Env | undefined; readonly dir?: string | undefined } = {},
): boolean {
  const env = options.env ?? processEnv();
  return (
    Boolean(env['KUBERNETES_SERVICE_HOST']) &&
    existsSync(join(resolveServiceAccountDir({ env, dir: options.dir }), 'token'))
  );
}

/**
 * The configuration of a pod (client-go's `rest.InClusterConfig`): `https://$KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT`, the mounted CA, the mounted token (read again every minute: bound
 * service-account tokens are rotated by the kubelet) and the mounted namespace, if any, from
 * {@link serviceAccountDir} or where `dir` / `AIGW_SERVICE_ACCOUNT_DIR` moves it.
 *
 * @throws KubeConfigError `no-config` when the host is unset, `unreadable` when the token or CA is.
 */
export function loadInClusterConfig(options: InClusterOptions = {}): KubeConfig {
  const env = options.env ?? processEnv();
  const host = options.host ?? env['KUBERNETES_SERVICE_HOST'];
  const port = options.port ?? env['KUBERNETES_SERVICE_PORT'];
  if (!host) {
    throw new KubeConfigError(
      'no-config',
      'not in a cluster: KUBERNETES_SERVICE_HOST is unset (and no kubeconfig given)',
    );
  }
  const dir = resolveServiceAccountDir({ env, dir: options.dir });
  const read = (name: string): string => {
    const path = join(dir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new KubeConfigError('unreadable', `in-cluster: cannot read ${path}`, {
        file: path,
        cause: err,
      });
    }
  };
  // Read now to fail at start-up, as client-go does; requests read it again when it is stale.
  read('token');
  const ca = read('ca.crt');
  const namespace = existsSync(join(dir, 'namespace')) ? read('namespace').trim() : undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return new KubeConfig(
    {
      server: `https://${hostPart}:${port || '443'}`,
      ca,
      namespace,
      auth: { kind: 'token-file', path: join(dir, 'token') },
      source: 'in-cluster',
    },
    options,
  );
}
