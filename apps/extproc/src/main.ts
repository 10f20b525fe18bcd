import { createLogger, type Logger, type MainArgs, type ProbeServer } from '@aigw/service-kit';
import * as health from '@aigw/proto/health';
import { createEndpointMatcher } from '@aigw/translator';
import { startAdminServer, type AdminServerOptions } from './admin.js';
import { loadConfig, type Config } from './config.js';
import { ConfigWatcher } from './config-watcher.js';
import { startMetricsSinks } from './observability/sinks.js';
import { startExtProcServer, type ExtProcServer } from './server.js';
import type { KubeConfigSource } from './kube/kube-config-source.js';

const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
const extProcServiceName = 'envoy.service.ext_proc.v3.ExternalProcessor';

/**
 * Starts the ext_proc server from flags and environment: loads the filter config (refusing to
 * start on a bad one), watches it, and serves until closed. `--config` is a file or a directory
 * holding a mounted config bundle (`index.yaml` and its parts); a bundle the kubelet is still
 * updating is waited for (NOT_SERVING on gRPC health until it is whole), never fatal.
 *
 * With `--config-secret` (Kubernetes) the config comes from the API server: the server starts
 * listening at once, loads the mounted copy (`--config`) at once when there is one — so it serves
 * before the API server answers, and keeps serving it, following its updates, while the API
 * server is unreachable — and the API server's config replaces it as soon as it arrives. gRPC
 * health reports NOT_SERVING until a config is in force.
 *
 * With `--admin-port` an HTTP admin server answers the kubelet's readiness probe (`GET /health`,
 * 200 exactly when gRPC health is SERVING), liveness (`GET /healthz`) and Prometheus
 * (`GET /metrics`: the GenAI metrics); closed first on shutdown. The same metrics go out over OTLP
 * when the standard `OTEL_*` variables ask for it (docs/observability.md), flushed last.
 */
export async function main(args: MainArgs): Promise<ExtProcMain> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-extproc',
    level: config.logLevel,
    format: config.logFormat,
  });
  const watcher = new ConfigWatcher({ path: config.config, log, intervalMs: config.configPollMs });
  const source =
    config.configSecret === undefined ? undefined : await kubeSource(config, watcher, log);
  if (!source) await watcher.start();
  // Prometheus on the admin port, OTLP by the OTEL_* variables; each library loads only when on.
  const sinks = await startMetricsSinks({
    hasAdminPort: config.adminPort !== undefined,
    env: args.env,
  });
  const metrics = sinks.prometheus;
  const server = await startExtProcServer({
    address: config.address,
    log,
    ...(sinks.sink === undefined ? {} : { metrics: sinks.sink }),
    runtime: () => watcher.current,
    firstTokenTimeoutMs: config.firstTokenTimeoutMs,
    endpoints: createEndpointMatcher({
      rootPrefix: config.rootPrefix,
      prefixes: config.endpointPrefixes,
    }),
  });
  let serving = false;
  const setServing = (isServing: boolean): void => {
    serving = isServing;
    for (const name of ['', extProcServiceName]) {
      server.health.setStatus(name, isServing ? SERVING : NOT_SERVING);
    }
  };
  setServing(watcher.isLoaded);
  void watcher.firstLoaded.then(() => {
    setServing(true);
  });
  const admin = await adminServer(config, {
    log,
    isServing: () => serving,
    ...(metrics === undefined ? {} : { metrics: () => metrics.text() }),
  }).catch(async (err: unknown) => {
    watcher.close();
    await server.close();
    await sinks.close();
    throw err;
  });
  if (source) {
    source.start();
    if (config.config !== undefined) await watcher.startWaiting();
  }
  return {
    ...server,
    admin,
    close: async () => {
      await admin?.close();
      await source?.stop();
      watcher.close();
      await server.close();
      // After the last request: its metrics go out with the final export.
      await sinks.close();
    },
  };
}

/** The running extproc: the ext_proc server, and the admin server of `--admin-port`. */
export interface ExtProcMain extends ExtProcServer {
  /** The admin HTTP server (`--admin-port`), if any: its `port` is the bound one. */
  readonly admin: ProbeServer | undefined;
}

/** The admin server of `--admin-port`; none without the flag. */
async function adminServer(
  config: Config,
  options: Omit<AdminServerOptions, 'host' | 'port'>,
): Promise<ProbeServer | undefined> {
  if (config.adminPort === undefined) return undefined;
  return startAdminServer({ host: config.adminHost, port: config.adminPort, ...options });
}

/**
 * The API-server config source of `--config-secret`, feeding the watcher. Its client (node:https,
 * `@aigw/kube-config`) loads only with that flag: a file-configured extproc never needs it.
 */
async function kubeSource(
  config: Config,
  watcher: ConfigWatcher,
  log: Logger,
): Promise<KubeConfigSource> {
  const [{ inClusterConnection, KubeClient, kubeconfigConnection }, { KubeConfigSource }] =
    await Promise.all([import('./kube/kube-client.js'), import('./kube/kube-config-source.js')]);
  const connection =
    config.kubeconfig === undefined
      ? await inClusterConnection({
          ...config.inCluster,
          ...(config.serviceAccountDir === undefined ? {} : { dir: config.serviceAccountDir }),
        })
      : await kubeconfigConnection(config.kubeconfig);
  const client = new KubeClient(connection);
  return new KubeConfigSource({
    client,
    namespace: config.configNamespace ?? connection.namespace ?? 'default',
    indexName: config.configSecret ?? '',
    log,
    apply: (filterConfig, from) => watcher.apply(filterConfig, from),
  });
}

export { startExtProcServer, type ExtProcServer, type ExtProcServerOptions } from './server.js';
export { ConfigWatcher, type ConfigWatcherOptions } from './config-watcher.js';
export { metadataKeys } from './processor/metadata.js';
export { backendNameAttribute } from './processor/upstream-processor.js';
