// The only file in testkit that reads process.env, so the lint rule that confines environment
// access to config.ts / bin.ts holds here as well.

/** Environment settings the harness honours, read once per call so tests may change them. */
export interface TestkitEnv {
  /** Explicit path to the envoy binary (`ENVOY_BIN`). */
  readonly envoyBin: string | undefined;
  /** Explicit path to the redis-server binary (`REDIS_SERVER_BIN`). */
  readonly redisServerBin: string | undefined;
  /** Explicit path to the kube-apiserver binary (`KUBE_APISERVER_BIN`). */
  readonly kubeApiServerBin: string | undefined;
  /** Explicit path to the etcd binary (`ETCD_BIN`). */
  readonly etcdBin: string | undefined;
  /** Explicit path to the kube-controller-manager binary (`KUBE_CONTROLLER_MANAGER_BIN`). */
  readonly kubeControllerManagerBin: string | undefined;
  /** Explicit path to the kubectl binary (`KUBECTL_BIN`). */
  readonly kubectlBin: string | undefined;
  /** A directory holding Python's `prometheus_client` package (`PROMETHEUS_CLIENT_PYTHONPATH`). */
  readonly prometheusClientPythonPath: string | undefined;
  /** The search path for binaries (`PATH`). */
  readonly path: string;
  /** Mirror every child's output to this process's stderr as it arrives (`AIGW_TESTKIT_VERBOSE=1`). */
  readonly isVerbose: boolean;
}

/** Reads the testkit's environment variables; empty strings count as unset. */
export function testkitEnv(): TestkitEnv {
  const env = process.env;
  return {
    envoyBin: nonEmpty(env['ENVOY_BIN']),
    redisServerBin: nonEmpty(env['REDIS_SERVER_BIN']),
    kubeApiServerBin: nonEmpty(env['KUBE_APISERVER_BIN']),
    etcdBin: nonEmpty(env['ETCD_BIN']),
    kubeControllerManagerBin: nonEmpty(env['KUBE_CONTROLLER_MANAGER_BIN']),
    kubectlBin: nonEmpty(env['KUBECTL_BIN']),
    prometheusClientPythonPath: nonEmpty(env['PROMETHEUS_CLIENT_PYTHONPATH']),
    path: env['PATH'] ?? '',
    isVerbose: env['AIGW_TESTKIT_VERBOSE'] === '1' || env['AIGW_TESTKIT_VERBOSE'] === 'true',
  };
}

/** The environment a child process starts from: this process's environment plus `overrides`. */
export function childEnv(overrides: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
