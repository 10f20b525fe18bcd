import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  configLoader,
  grpcListenConfig,
  portOrZeroSchema,
} from '@aigw/service-kit';

import { defaultUdsPath } from './xds/names.js';

const listen = grpcListenConfig({ envPrefix: 'AIGW_EXTENSION_SERVER', defaultAddress: ':1063' });

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')
  .transform((value) => {
    const at = value.lastIndexOf(':');
    return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
  });

/** Configuration of the Envoy Gateway extension server: flags and environment through one schema. */
export const ConfigSchema = z.strictObject({
  ...commonConfigShape,
  ...listen.shape,
  /**
   * Standalone mode: YAML files or directories with the AIGatewayRoutes (the same files as
   * `aigw run`; other kinds are ignored), re-read when they change. Empty: read them from the API
   * server.
   */
  routes: csv.default([]),
  /** Kubeconfig for the API server mode; default in-cluster, then `KUBECONFIG`, then `~/.kube/config`. */
  kubeconfig: z.string().min(1).optional(),
  /** Only watch AIGatewayRoutes of this namespace; default all. */
  watchNamespace: z.string().min(1).optional(),
  /** The extproc's Unix socket, as the gateway's Envoy sees it. */
  udsPath: z.string().min(1).default(defaultUdsPath),
  /**
   * `host:port` of the rate-limit service (apps/ratelimit) that enforces the token budgets
   * (BackendTrafficPolicies, QuotaPolicies) of the files or, in API-server mode, of the cluster;
   * without it, budgets are not enforced.
   */
  ratelimitAddress: hostPort.optional(),
  /**
   * HTTP port of `/metrics` (Prometheus), `/healthz` and `/readyz` (ready once the AIGatewayRoutes
   * were listed); 0: not served.
   */
  metricsPort: portOrZeroSchema.default(0),
});

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export const loadConfig = configLoader(ConfigSchema, {
  ...commonConfigKeys,
  ...listen.keys,
  routes: { flag: 'routes', env: 'AIGW_EXTENSION_SERVER_ROUTES' },
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG' },
  watchNamespace: { flag: 'watch-namespace', env: 'AIGW_EXTENSION_SERVER_WATCH_NAMESPACE' },
  udsPath: { flag: 'uds-path', env: 'AIGW_EXTENSION_SERVER_UDS_PATH' },
  ratelimitAddress: {
    flag: 'ratelimit-address',
    env: 'AIGW_EXTENSION_SERVER_RATELIMIT_ADDRESS',
  },
  metricsPort: { flag: 'metrics-port', env: 'AIGW_EXTENSION_SERVER_METRICS_PORT' },
});
