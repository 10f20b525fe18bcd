import { createLogger, type Logger, type MainArgs } from '@aigw/service-kit';
import * as health from '@aigw/proto/health';
import { createEndpointMatcher } from '@aigw/translator';
import { loadConfig, type Config } from './config.js';
import { ConfigWatcher } from './config-watcher.js';
import { startExtProcServer, type ExtProcServer } from './server.js';
import { inClusterConnection, KubeClient, kubeconfigConnection } from './kube/kube-client.js';
import { KubeConfigSource } from './kube/kube-config-source.js';

const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
const extProcServiceName = 'envoy.service.ext_proc.v3.ExternalProcessor';

/**
 * Starts the ext_proc server from flags and environment: loads the filter config (refusing to
 * start on a bad one), watches it, and serves until closed.
 *
 * With `--config-secret` (Kubernetes) the config comes from the API server: the server starts
 * listening at once, reports NOT_SERVING on gRPC health until a config is in force, waits up to
 * `--config-start-timeout-ms` for the bundle, and falls back to the mounted copy (`--config`)
 * when the API server cannot be reached; the API server's config replaces it when it arrives.
 */
export async function main(args: MainArgs): Promise<ExtProcServer> {
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
  const server = await startExtProcServer({
    address: config.address,
    log,
    runtime: () => watcher.current,
    endpoints: createEndpointMatcher({
      rootPrefix: config.rootPrefix,
      prefixes: config.endpointPrefixes,
    }),
  });
  if (source) await startFromApiOrFile({ config, source, watcher, server, log });
  return {
    ...server,
    close: async () => {
      await source?.stop();
      watcher.close();
      await server.close();
    },
  };
}

/** The API-server config source of `--config-secret`, feeding the watcher. */
async function kubeSource(
  config: Config,
  watcher: ConfigWatcher,
  log: Logger,
): Promise<KubeConfigSource> {
  const connection =
    config.kubeconfig === undefined
      ? await inClusterConnection(config.inCluster)
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

/**
 * Starts the API source; NOT_SERVING until a config is in force. When the API server gives none
 * within the start timeout, loads the mounted copy (a bad or missing one is logged, and the
 * extproc keeps waiting for the API server instead of exiting: in Kubernetes the kubelet would
 * only restart it into the same situation).
 */
async function startFromApiOrFile(options: {
  readonly config: Config;
  readonly source: KubeConfigSource;
  readonly watcher: ConfigWatcher;
  readonly server: ExtProcServer;
  readonly log: Logger;
}): Promise<void> {
  const { config, source, watcher, server, log } = options;
  const setServing = (isServing: boolean): void => {
    for (const name of ['', extProcServiceName]) {
      server.health.setStatus(name, isServing ? SERVING : NOT_SERVING);
    }
  };
  setServing(false);
  source.start();
  if (await source.waitForFirstConfig(config.configStartTimeoutMs)) {
    setServing(true);
    return;
  }
  if (config.config !== undefined && !watcher.isLoaded) {
    log.warn(
      { path: config.config, timeoutMs: config.configStartTimeoutMs },
      'no config from the API server yet; starting from the mounted copy',
    );
    try {
      await watcher.start();
    } catch (err) {
      log.error(
        { err, path: config.config },
        'mounted config unusable; waiting for the API server',
      );
    }
  }
  if (watcher.isLoaded) {
    setServing(true);
    return;
  }
  void source.firstApplied.then(() => {
    setServing(true);
  });
}

export { startExtProcServer, type ExtProcServer, type ExtProcServerOptions } from './server.js';
export { ConfigWatcher, type ConfigWatcherOptions } from './config-watcher.js';
export { metadataKeys } from './processor/metadata.js';
export { backendNameAttribute } from './processor/upstream-processor.js';
