import { z } from 'zod';
import {
  commonConfigKeys,
  commonConfigShape,
  configLoader,
  httpListenConfig,
  millisecondsSchema,
  parsedString,
} from '@aigw/service-kit/core';
import { isEndpointPrefixError, parseRootPrefix } from '@aigw/gateway-config';
import { defaultEnvoyGatewayNamespace } from './reconcilers/options.js';
import { defaultRateLimitConfigMap } from './reconcilers/ratelimit-config.js';

const listen = httpListenConfig({
  envPrefix: 'AIGW_CONTROLLER',
  defaultPort: 8081,
  portFlag: 'health-port',
});

const positiveInteger = z.coerce.number().int().min(1);

/** Configuration of the controller: flags and environment through one schema. */
export const ConfigSchema = z
  .strictObject({
    ...commonConfigShape,
    ...listen.shape,
    /** A kubeconfig file; `KUBECONFIG` may list several (`a:b`), the first is used. Unset: in-cluster. */
    kubeconfig: z
      .string()
      .transform((value) =>
        value
          .split(':')
          .find((p) => p.trim() !== '')
          ?.trim(),
      )
      .optional(),
    /** Namespaces to watch (csv), like upstream's `-watchNamespaces`; empty: all. */
    watchNamespaces: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((ns) => ns.trim())
          .filter((ns) => ns !== ''),
      )
      .default([]),
    /**
     * Envoy Gateway's namespace, where its proxies run in its default deployment mode, like
     * upstream's `-envoyGatewayNamespace`; a Gateway's extproc config goes where its proxies run.
     */
    envoyGatewayNamespace: z.string().min(1).default(defaultEnvoyGatewayNamespace),
    leaderElect: z.stringbool().default(true),
    /** Namespace of the Lease; default the pod's namespace (`POD_NAMESPACE`), else the kubeconfig's. */
    leaderElectionNamespace: z.string().min(1).optional(),
    leaderElectionId: z.string().min(1).default('envoy-ai-gateway-controller'),
    leaseDurationMs: millisecondsSchema.default(15_000),
    renewDeadlineMs: millisecondsSchema.default(10_000),
    retryPeriodMs: millisecondsSchema.default(2_000),
    podNamespace: z.string().min(1).optional(),
    podName: z.string().min(1).optional(),
    resyncPeriodMs: millisecondsSchema.default(600_000),
    maxConcurrentReconciles: positiveInteger.default(4),
    /** A full garbage collection after each burst of reconciles, once idle (gives heap back). */
    gcWhenIdle: z.stringbool().default(true),
    /** Path prefix of every generated HTTPRoute match, like upstream's `-rootPrefix`. */
    rootPrefix: parsedString(parseRootPrefix, isEndpointPrefixError).prefault('/'),
    /**
     * The ConfigMap (in the Lease's namespace) that gets apps/ratelimit's rules of the
     * QuotaPolicies; empty: none is written.
     */
    ratelimitConfigMap: z.string().trim().default(defaultRateLimitConfigMap),
  })
  .refine((c) => c.renewDeadlineMs < c.leaseDurationMs, {
    path: ['renewDeadlineMs'],
    error: 'must be shorter than the lease duration',
  })
  .refine((c) => c.retryPeriodMs < c.renewDeadlineMs, {
    path: ['retryPeriodMs'],
    error: 'must be shorter than the renew deadline',
  });

/** Validated configuration. */
export type Config = z.output<typeof ConfigSchema>;

/** Reads flags (which win) and environment variables; throws ConfigError on bad input. */
export const loadConfig = configLoader(ConfigSchema, {
  ...commonConfigKeys,
  ...listen.keys,
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG' },
  watchNamespaces: { flag: 'watch-namespaces', env: 'AIGW_CONTROLLER_WATCH_NAMESPACES' },
  envoyGatewayNamespace: {
    flag: 'envoy-gateway-namespace',
    env: 'AIGW_CONTROLLER_ENVOY_GATEWAY_NAMESPACE',
  },
  leaderElect: { flag: 'leader-elect', env: 'AIGW_CONTROLLER_LEADER_ELECT' },
  leaderElectionNamespace: {
    flag: 'leader-election-namespace',
    env: 'AIGW_CONTROLLER_LEADER_ELECTION_NAMESPACE',
  },
  leaderElectionId: { flag: 'leader-election-id', env: 'AIGW_CONTROLLER_LEADER_ELECTION_ID' },
  leaseDurationMs: { flag: 'lease-duration-ms', env: 'AIGW_CONTROLLER_LEASE_DURATION_MS' },
  renewDeadlineMs: { flag: 'renew-deadline-ms', env: 'AIGW_CONTROLLER_RENEW_DEADLINE_MS' },
  retryPeriodMs: { flag: 'retry-period-ms', env: 'AIGW_CONTROLLER_RETRY_PERIOD_MS' },
  podNamespace: { flag: 'pod-namespace', env: 'POD_NAMESPACE' },
  podName: { flag: 'pod-name', env: 'POD_NAME' },
  resyncPeriodMs: { flag: 'resync-period-ms', env: 'AIGW_CONTROLLER_RESYNC_PERIOD_MS' },
  maxConcurrentReconciles: {
    flag: 'max-concurrent-reconciles',
    env: 'AIGW_CONTROLLER_MAX_CONCURRENT_RECONCILES',
  },
  rootPrefix: { flag: 'root-prefix', env: 'AIGW_CONTROLLER_ROOT_PREFIX' },
  gcWhenIdle: { flag: 'gc-when-idle', env: 'AIGW_CONTROLLER_GC_WHEN_IDLE' },
  ratelimitConfigMap: {
    flag: 'ratelimit-config-map',
    env: 'AIGW_CONTROLLER_RATELIMIT_CONFIG_MAP',
  },
});
