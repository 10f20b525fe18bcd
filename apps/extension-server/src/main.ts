import { loadKubeConfig } from '@aigw/kube-config';
import { createLogger, startProbeServer, type GrpcService, type MainArgs } from '@aigw/service-kit';
import { startGrpcService } from '@aigw/service-kit/grpc-js';

import { loadConfig } from './config.js';
import { FileRouteStore } from './file-routes.js';
import { KubeRouteStore } from './kube-routes.js';
import { ExtensionServerMetrics } from './metrics.js';
import { healthServiceName, registerExtensionService } from './server.js';
import { budgetRateLimits } from './xds/rate-limits.js';

/**
 * Starts the Envoy Gateway extension server: the `EnvoyGatewayExtension` hooks plus gRPC health,
 * with the AIGatewayRoutes from files (`--routes`) or from the API server.
 */
export async function main(args: MainArgs): Promise<GrpcService> {
  const config = loadConfig(args.argv, args.env);
  const log = createLogger({
    name: 'aigw-extension-server',
    level: config.logLevel,
    format: config.logFormat,
  });
  let routes: FileRouteStore | KubeRouteStore;
  const budgets = config.ratelimitAddress;
  if (config.routes.length > 0) {
    routes = new FileRouteStore(config.routes);
    routes.refresh();
    log.info({ files: config.routes, routes: routes.size }, 'AIGatewayRoutes read');
  } else {
    const kube = loadKubeConfig({ path: config.kubeconfig, env: args.env });
    routes = new KubeRouteStore({
      kube,
      log,
      namespace: config.watchNamespace,
      budgets: budgets !== undefined,
    });
    // Hooks answer UNAVAILABLE until the first list: Envoy Gateway retries them.
    void routes.start();
  }
  // Both modes: the same generation over the store's budget input.
  const rateLimits =
    budgets === undefined
      ? undefined
      : budgetRateLimits(routes, { service: budgets, udsPath: config.udsPath });
  const metrics = config.metricsPort === 0 ? undefined : new ExtensionServerMetrics(() => routes);
  const service = await startGrpcService({
    address: config.address,
    log,
    healthServices: [healthServiceName],
    register: (server) => {
      registerExtensionService(server, {
        routes,
        udsPath: config.udsPath,
        rateLimits,
        log,
        metrics,
      });
    },
  });
  const http =
    metrics === undefined
      ? undefined
      : await startProbeServer({
          host: '0.0.0.0',
          port: config.metricsPort,
          log,
          isReady: () => routes.isSynced,
          metrics: () => metrics.text(),
        });
  if (http !== undefined) log.info({ port: http.port }, 'metrics and probes listening');
  return {
    ...service,
    close: async () => {
      if (routes instanceof KubeRouteStore) routes.close();
      await service.close();
      await http?.close();
    },
  };
}
