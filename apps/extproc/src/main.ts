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
 * start on a bad one), watches it, and serves until closed. `--config` is a file or a directory
 * holding a mounted config bundle (`index.yaml` and its parts); a bundle the kubelet is still
 * updating is waited for (NOT_SERVING on gRPC health until it is whole), never fatal.
 *
 * With `--config-secret` (Kubernetes) the config comes from the API server: the server starts
 * listening at once, loads the mounted copy (`--config`) at once when there is one — so it serves
 * before the API server answers, and keeps serving it, following its updates, while the API
 * server is unreachable — and the API server's config replaces it as soon as it arrives. gRPC
 * health reports NOT_SERVING until a config is in force.
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
  setServing(server, watcher.isLoaded);
  void watcher.firstLoaded.then(() => {
    setServing(server, true);
  });
  if (source) {
    source.start();
    if (config.config !== undefined) await watcher.startWaiting();
  }
  return {
    ...server,
    close: async () => {
      await source?.stop();
      watcher.close();
      await server.close();
    },
  };
}

function setServing(server: ExtProcServer, isServing: boolean): void {
  for (const name of ['', extProcServiceName]) {
    server.health.setStatus(name, isServing ? SERVING : NOT_SERVING);
  }
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

export { startExtProcServer, type ExtProcServer, type ExtProcServerOptions } from './server.js';
export { ConfigWatcher, type ConfigWatcherOptions } from './config-watcher.js';
export { metadataKeys } from './processor/metadata.js';
export { backendNameAttribute } from './processor/upstream-processor.js';
