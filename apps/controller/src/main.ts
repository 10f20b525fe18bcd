import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { endpointsFromEnv } from '@aigw/cloud-credentials';
import type { KubeConfig } from '@aigw/kube-config';
import {
  createLogger,
  startProbeServer,
  type MainArgs,
  type Service,
} from '@aigw/service-kit/core';
import { loadConfig } from './config.js';
import { startIdleGcIf } from './idle-gc.js';
import { startReconcileTracing } from './tracing.js';
import { compactCached } from './reconcilers/apply.js';
import type { ReconcilerOptions } from './reconcilers/options.js';
import { RateLimitConfigMap } from './reconcilers/ratelimit-config.js';
import { createReconcilers } from './reconcilers/reconcilers.js';
import { createCredentialRotator } from './reconcilers/rotation.js';
import type { Kind, Reconciler } from './runtime/contracts.js';
import { Controller } from './runtime/controller.js';
import { KubeClient } from './runtime/kube-client.js';
import { contextNamespace, loadKubeConfig } from './runtime/kube-config.js';

export { Controller, startController, type ControllerOptions } from './runtime/controller.js';
export type { IndexedObjectCache } from './runtime/cache.js';

/** What {@link main} wires besides the configuration; by default the real reconcilers. */
export interface ControllerMainOptions {
  /** Replaces the reconcilers of every kind (tests of the runtime). */
  readonly reconcilers?: Partial<Record<Kind, Reconciler>>;
}

/** The running controller: its HTTP server (`/healthz`, `/readyz`, `/metrics`) and the manager. */
export interface ControllerService extends Service {
  readonly controller: Controller;
  /** The bound port of `/healthz`, `/readyz` and `/metrics` (useful when asked for port 0). */
  readonly port: number;
}

/**
 * The ConfigMap of the QuotaPolicies' rate-limit rules (`--ratelimit-config-map`, empty: none),
 * beside the Lease: the chart's Role in the controller's namespace grants both. Its own client:
 * the ConfigMap is no watched kind (no informer, no cache).
 */
function rateLimitRulesOf(
  name: string,
  kubeConfig: KubeConfig,
  namespace: string,
): { readonly options: Pick<ReconcilerOptions, 'rateLimitConfig'>; close(): void } {
  if (name === '') return { options: {}, close: () => undefined };
  const client = new KubeClient(kubeConfig);
  return {
    options: { rateLimitConfig: new RateLimitConfigMap({ namespace, name }) },
    close: () => {
      client.close();
    },
  };
}

/**
 * Starts the controller: informers, leader election, reconcilers, and the HTTP server with
 * `/healthz`, `/readyz` (ready once every informer synced or found its CRD absent) and `/metrics`.
 * `close()` (SIGTERM) drains the reconciles in flight, releases the lease, then stops serving.
 */
export async function main(
  args: MainArgs,
  options: ControllerMainOptions = {},
): Promise<ControllerService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-controller',
    level: config.logLevel,
    format: config.logFormat,
  });
  const kubeConfig = loadKubeConfig({ path: config.kubeconfig });
  const leaseNamespace =
    config.leaderElectionNamespace ??
    config.podNamespace ??
    contextNamespace(kubeConfig) ??
    'default';
  // The proxies (and so the extproc config Secrets) may run in Envoy Gateway's namespace.
  const watchNamespaces =
    config.watchNamespaces.length === 0
      ? []
      : [...new Set([...config.watchNamespaces, config.envoyGatewayNamespace])];
  const rules = rateLimitRulesOf(config.ratelimitConfigMap, kubeConfig, leaseNamespace);
  const tracing = await startReconcileTracing(args.env);
  const controller = new Controller({
    kubeConfig,
    log,
    ...(tracing ? { traceReconcile: tracing.traceReconcile } : {}),
    reconcilers:
      options.reconcilers ??
      createReconcilers({
        rootPrefix: config.rootPrefix,
        rotateCredentials: createCredentialRotator({ endpoints: endpointsFromEnv(args.env) }),
        envoyGatewayNamespace: config.envoyGatewayNamespace,
        ...rules.options,
      }),
    compact: compactCached,
    namespaces: watchNamespaces,
    resyncMs: config.resyncPeriodMs,
    concurrency: config.maxConcurrentReconciles,
    leaderElection: config.leaderElect && {
      namespace: leaseNamespace,
      name: config.leaderElectionId,
      identity: `${config.podName ?? hostname()}_${randomUUID()}`,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
    },
  });
  const http = await startProbeServer({
    host: config.host,
    port: config.port,
    log,
    isReady: () => controller.isReady(),
    metrics: () => controller.metrics.text(),
  });
  controller.start();
  const idleGc = startIdleGcIf(config.gcWhenIdle, {
    activity: () => controller.reconciles,
    isBusy: () => controller.isBusy,
    log,
  });
  log.info(
    {
      namespaces: watchNamespaces.length ? watchNamespaces : 'all',
      envoyGatewayNamespace: config.envoyGatewayNamespace,
      leaderElection: config.leaderElect
        ? { namespace: leaseNamespace, name: config.leaderElectionId }
        : false,
      port: http.port,
    },
    'controller started',
  );
  return {
    port: http.port,
    controller,
    close: async () => {
      idleGc?.stop();
      await controller.stop({ release: true });
      await http.close();
      rules.close();
      await tracing?.shutdown();
    },
  };
}
