import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  configLoader,
  httpListenConfig,
  logFormatSchema,
  logLevelSchema,
  millisecondsSchema,
  portSchema,
  type ConfigKey,
} from '@aigw/service-kit';

const listen = httpListenConfig({ envPrefix: 'AIGW_WEBHOOK', defaultPort: 9443, portFlag: 'port' });

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

/** `K=V;K2=V2` (upstream's `-extProcExtraEnvVars` format: `;` so values may hold commas). */
const envPairs = z.string().transform((value, ctx) => {
  const vars: { name: string; value: string }[] = [];
  for (const pair of value.split(';').map((p) => p.trim())) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = at < 0 ? '' : pair.slice(0, at).trim();
    if (name === '') {
      ctx.addIssue({ code: 'custom', message: `expected NAME=value, got "${pair}"`, input: value });
      return z.NEVER;
    }
    vars.push({ name, value: pair.slice(at + 1) });
  }
  return vars;
});

/** Configuration of the sidecar-injection webhook: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({
  ...commonConfigShape,
  ...listen.shape,
  /**
   * Directory of the serving certificate (`tls.crt`, `tls.key`), as a mounted `kubernetes.io/tls`
   * Secret (cert-manager) lays it out; re-read when the files change. Unused with `selfSigned`.
   */
  certDir: z.string().min(1).default('/etc/aigw-webhook/tls'),
  /**
   * Bootstrap for installs without cert-manager: get or create a CA and serving certificate in
   * the Secret `certSecretName` and patch the CA into `webhookConfigName`'s `caBundle`.
   */
  selfSigned: z.stringbool().default(false),
  /** The Secret holding the self-signed CA and certificate (`ca.crt`, `tls.crt`, `tls.key`). */
  certSecretName: z.string().min(1).default('aigw-webhook-tls'),
  /** The webhook's namespace (the Secret's); default `POD_NAMESPACE`, else the kubeconfig's. */
  namespace: z.string().min(1).optional(),
  /** The webhook's Service: the certificate is for `<service>.<namespace>.svc`. */
  serviceName: z.string().min(1).default('aigw-webhook'),
  /** Further DNS names or IP addresses for the self-signed certificate (csv). */
  tlsSans: csv.default([]),
  /** The MutatingWebhookConfiguration whose `caBundle` `selfSigned` patches; empty: none. */
  webhookConfigName: z.string().default('aigw-webhook'),
  /** A kubeconfig file (first entry of a `KUBECONFIG` list); unset: in-cluster. */
  kubeconfig: z
    .string()
    .transform((value) =>
      value
        .split(':')
        .find((p) => p.trim() !== '')
        ?.trim(),
    )
    .optional(),
  /** The extproc image (entrypoint: the extproc, see docs/webhook.md "Image contract"). */
  extprocImage: z.string().min(1).default('aigw-extproc:latest'),
  extprocImagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  /** Pull Secrets added to the pod for the extproc image (csv of Secret names). */
  extprocImagePullSecrets: csv.default([]),
  extprocLogLevel: logLevelSchema,
  extprocLogFormat: logFormatSchema,
  /** Extra env of the extproc container (`K=V;K2=V2`); a GatewayConfig's env overrides it. */
  extprocEnv: envPairs.default([]),
  /** The extproc's `--root-prefix` (as upstream's `-rootPrefix`); unset: the extproc's default. */
  extprocRootPrefix: z.string().min(1).optional(),
  /** The extproc's `--endpoint-prefixes`; unset: the extproc's default. */
  extprocEndpointPrefixes: z.string().min(1).optional(),
  /**
   * The extproc's socket, in the emptyDir shared with Envoy. Envoy's ext_proc cluster (the
   * extension server) dials this path: change both together.
   */
  extprocSocketPath: z
    .string()
    .regex(/^\/[^/]+(?:\/[^/]+)*\/[^/]+$/, 'expected an absolute path with a directory')
    .default('/etc/ai-gateway-extproc-uds/run.sock'),
  /**
   * The extproc's admin port (its `--admin-port`, upstream's 1064): container port `aigw-admin`,
   * probed by the readiness probe `GET /health`.
   */
  extprocAdminPort: portSchema.default(1064),
  /**
   * How the extproc joins the pod: `native` (an init container with `restartPolicy: Always`,
   * Kubernetes ≥ 1.33), `container` (a regular container), or `auto`: native when the API
   * server reports ≥ 1.33.
   */
  sidecarMode: z.enum(['auto', 'native', 'container']).default('auto'),
  /** How long a list of AIGatewayRoutes that found routes for a Gateway is reused. */
  routeCacheTtlMs: millisecondsSchema.default(5_000),
  /** Time limit of one API request made while admitting a pod (the API server waits 10 s). */
  apiTimeoutMs: millisecondsSchema.default(4_000),
  /** Poll interval of the certificate files (fs.watch misses a Secret volume's symlink swap). */
  certPollMs: millisecondsSchema.default(1_000),
  podNamespace: z.string().min(1).optional(),
});

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

const keys: Record<keyof Config, ConfigKey> = {
  ...commonConfigKeys,
  ...listen.keys,
  certDir: { flag: 'cert-dir', env: 'AIGW_WEBHOOK_CERT_DIR' },
  selfSigned: { flag: 'self-signed', env: 'AIGW_WEBHOOK_SELF_SIGNED', boolean: true },
  certSecretName: { flag: 'cert-secret-name', env: 'AIGW_WEBHOOK_CERT_SECRET_NAME' },
  namespace: { flag: 'namespace', env: 'AIGW_WEBHOOK_NAMESPACE' },
  serviceName: { flag: 'service-name', env: 'AIGW_WEBHOOK_SERVICE_NAME' },
  tlsSans: { flag: 'tls-sans', env: 'AIGW_WEBHOOK_TLS_SANS' },
  webhookConfigName: { flag: 'webhook-config-name', env: 'AIGW_WEBHOOK_CONFIG_NAME' },
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG' },
  extprocImage: { flag: 'extproc-image', env: 'AIGW_EXTPROC_IMAGE' },
  extprocImagePullPolicy: {
    flag: 'extproc-image-pull-policy',
    env: 'AIGW_EXTPROC_IMAGE_PULL_POLICY',
  },
  extprocImagePullSecrets: {
    flag: 'extproc-image-pull-secrets',
    env: 'AIGW_EXTPROC_IMAGE_PULL_SECRETS',
  },
  extprocLogLevel: { flag: 'extproc-log-level', env: 'AIGW_EXTPROC_LOG_LEVEL' },
  extprocLogFormat: { flag: 'extproc-log-format', env: 'AIGW_EXTPROC_LOG_FORMAT' },
  extprocEnv: { flag: 'extproc-env', env: 'AIGW_EXTPROC_ENV' },
  extprocRootPrefix: { flag: 'extproc-root-prefix', env: 'AIGW_EXTPROC_ROOT_PREFIX' },
  extprocEndpointPrefixes: {
    flag: 'extproc-endpoint-prefixes',
    env: 'AIGW_EXTPROC_ENDPOINT_PREFIXES',
  },
  extprocSocketPath: { flag: 'extproc-socket-path', env: 'AIGW_EXTPROC_SOCKET_PATH' },
  extprocAdminPort: { flag: 'extproc-admin-port', env: 'AIGW_EXTPROC_ADMIN_PORT' },
  sidecarMode: { flag: 'sidecar-mode', env: 'AIGW_WEBHOOK_SIDECAR_MODE' },
  routeCacheTtlMs: { flag: 'route-cache-ttl-ms', env: 'AIGW_WEBHOOK_ROUTE_CACHE_TTL_MS' },
  apiTimeoutMs: { flag: 'api-timeout-ms', env: 'AIGW_WEBHOOK_API_TIMEOUT_MS' },
  certPollMs: { flag: 'cert-poll-ms', env: 'AIGW_WEBHOOK_CERT_POLL_MS' },
  podNamespace: { flag: 'pod-namespace', env: 'POD_NAMESPACE' },
};

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export const loadConfig = configLoader(ConfigSchema, keys);
