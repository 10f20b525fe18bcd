import { z } from 'zod';
import {
  ConfigError,
  commonConfigKeys,
  commonConfigShape,
  listenAddressSchema,
  loadConfig as load,
  millisecondsSchema,
  parsedString,
  portOrZeroSchema,
  type ConfigKey,
} from '@aigw/service-kit';
import { isEndpointPrefixError, parseEndpointPrefixes, parseRootPrefix } from '@aigw/translator';

/** Configuration of the ext_proc server: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({
  ...commonConfigShape,
  /**
   * gRPC listen address. Envoy reaches the extproc over a Unix socket (no TCP stack, no port to
   * secure); `host:port` works too.
   */
  address: listenAddressSchema.default('unix:/tmp/aigw-extproc.sock'),
  /**
   * The filter config (`@aigw/filterapi`): a file, as `aigw run` writes it, or a directory
   * holding a mounted config bundle (`index.yaml` and the parts at their `path`s, upstream's
   * `-configBundlePath` layout). In Kubernetes the mounted copy of the config Secrets: served
   * from the start, until the API server's config (`configSecret`) replaces it. Required unless
   * `configSecret` is set.
   */
  config: z.string().min(1, 'the filter config file is required').optional(),
  /**
   * Kubernetes: the filter config bundle's index Secret (`<gw>-<ns>-<h12>`), watched through the
   * API server so a change applies within a second.
   */
  configSecret: z.string().min(1).optional(),
  /** The namespace of `configSecret` (default: `POD_NAMESPACE`, then the service account's). */
  configNamespace: z.string().min(1).optional(),
  /** A kubeconfig instead of the in-cluster service account (tests, development). */
  kubeconfig: z.string().min(1).optional(),
  /**
   * The service-account directory of the in-cluster connection (default
   * `/var/run/secrets/kubernetes.io/serviceaccount`, where the kubelet mounts it): for running a
   * pod's container as a process in tests. Same env as `@aigw/kube-config`'s override.
   */
  serviceAccountDir: z.string().min(1).optional(),
  /**
   * The admin HTTP port (upstream's `-adminPort`, 1064 in its pods): `GET /health` (readiness, the
   * condition of gRPC health SERVING) and `GET /healthz` (liveness). Unset: no admin server (`aigw
   * run`, where Envoy's admin owns 1064); 0 picks a free port (tests).
   */
  adminPort: portOrZeroSchema.optional(),
  /** The admin server's address: all interfaces, since the kubelet probes the pod IP. */
  adminHost: z.string().min(1, 'expected a host name or address').default('0.0.0.0'),
  /** How often the config and credential files are checked for changes. */
  configPollMs: millisecondsSchema.default(250),
  /**
   * The first-token gate's limit (docs/resilience.md): how long a streamed attempt on a cluster
   * with a fallback tier may take from its response headers to its first content, tool delta or
   * error event before it is retried on the next tier. Keep it below the upstream filter's
   * `message_timeout` (10 s).
   */
  firstTokenTimeoutMs: millisecondsSchema.default(5_000),
  /** Path prefix of every endpoint (upstream's `-rootPrefix`), e.g. `/ai`; normalised. */
  rootPrefix: parsedString(parseRootPrefix, isEndpointPrefixError).prefault('/'),
  /**
   * Per-family prefixes below the root (upstream's `-endpointPrefixes`):
   * `openai:/,cohere:/cohere,anthropic:/anthropic`; keys not given keep these defaults.
   */
  endpointPrefixes: parsedString(parseEndpointPrefixes, isEndpointPrefixError).prefault(''),
});

/** Where the API server is when running in a pod (`KUBERNETES_SERVICE_HOST`/`_PORT`). */
export interface InClusterEnv {
  readonly host: string | undefined;
  readonly port: string | undefined;
}

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema> & { readonly inCluster: InClusterEnv };

const keys: Record<keyof z.output<typeof ConfigSchema>, ConfigKey> = {
  ...commonConfigKeys,
  address: { flag: 'address', env: 'AIGW_EXTPROC_ADDRESS' },
  config: { flag: 'config', env: 'AIGW_EXTPROC_CONFIG' },
  configSecret: { flag: 'config-secret', env: 'AIGW_EXTPROC_CONFIG_SECRET' },
  configNamespace: { flag: 'config-namespace', env: 'AIGW_EXTPROC_CONFIG_NAMESPACE' },
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG' },
  serviceAccountDir: { flag: 'service-account-dir', env: 'AIGW_SERVICE_ACCOUNT_DIR' },
  adminPort: { flag: 'admin-port', env: 'AIGW_EXTPROC_ADMIN_PORT' },
  adminHost: { flag: 'admin-host', env: 'AIGW_EXTPROC_ADMIN_HOST' },
  configPollMs: { flag: 'config-poll-ms', env: 'AIGW_EXTPROC_CONFIG_POLL_MS' },
  firstTokenTimeoutMs: {
    flag: 'first-token-timeout-ms',
    env: 'AIGW_EXTPROC_FIRST_TOKEN_TIMEOUT_MS',
  },
  rootPrefix: { flag: 'root-prefix', env: 'AIGW_EXTPROC_ROOT_PREFIX' },
  endpointPrefixes: { flag: 'endpoint-prefixes', env: 'AIGW_EXTPROC_ENDPOINT_PREFIXES' },
};

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  const { config } = load({ schema: ConfigSchema, keys, argv, env });
  if (config.config === undefined && config.configSecret === undefined) {
    throw new ConfigError(
      'the filter config file is required (--config), or a config Secret (--config-secret)',
    );
  }
  const podNamespace = env.POD_NAMESPACE === '' ? undefined : env.POD_NAMESPACE;
  return {
    ...config,
    configNamespace: config.configNamespace ?? podNamespace,
    inCluster: { host: env.KUBERNETES_SERVICE_HOST, port: env.KUBERNETES_SERVICE_PORT },
  };
}
