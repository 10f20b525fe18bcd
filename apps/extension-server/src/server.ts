import { status, type sendUnaryData, type ServerUnaryCall, type Server } from '@grpc/grpc-js';
import type { Logger } from '@aigw/service-kit';
import { egExtension } from '@aigw/proto';

import { toGrpcStatus } from './errors.js';
import type { ExtensionServerMetrics } from './metrics.js';
import { postClusterModify } from './hooks/post-cluster-modify.js';
import { postEndpointsModify } from './hooks/post-endpoints-modify.js';
import { postRouteModify } from './hooks/post-route-modify.js';
import { postTranslateModify, type PostTranslateOptions } from './hooks/post-translate-modify.js';

/** The name upstream's health `List` reports. */
export const healthServiceName = 'envoy-gateway-extension-server';

/** A hook and how to log its requests. */
interface HookSpec<Req, Res> {
  readonly hook: string;
  readonly handler: (request: Req) => Res;
  readonly describe: (request: Req) => Record<string, unknown>;
}

/** Where a hook's outcome goes: the log and, when served, the metrics. */
interface HookObservers {
  readonly log: Logger;
  readonly metrics?: ExtensionServerMetrics | undefined;
}

/** Wraps a hook: logs what it did, turns a throw into a gRPC error (never a partial response). */
function unary<Req, Res>(observers: HookObservers, spec: HookSpec<Req, Res>) {
  const { hook, handler, describe } = spec;
  const { log, metrics } = observers;
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const started = performance.now();
    try {
      const response = handler(call.request);
      const ms = performance.now() - started;
      metrics?.observe(hook, 'ok', ms / 1000);
      log.debug({ hook, ...describe(call.request), ms: Math.round(ms) }, 'hook done');
      callback(null, response);
    } catch (err) {
      metrics?.observe(hook, 'error', (performance.now() - started) / 1000);
      const grpcStatus = toGrpcStatus(err);
      log.error({ hook, err, ...describe(call.request) }, 'hook failed');
      callback({ code: grpcStatus.code, details: grpcStatus.details });
    }
  };
}

function unimplemented(hook: string) {
  return (_call: unknown, callback: sendUnaryData<never>): void => {
    callback({ code: status.UNIMPLEMENTED, details: `${hook} is not implemented` });
  };
}

/**
 * Registers `envoygateway.extension.EnvoyGatewayExtension`: PostTranslateModify,
 * PostClusterModify, PostRouteModify and PostEndpointsModify; PostVirtualHostModify and
 * PostHTTPListenerModify answer UNIMPLEMENTED, so Envoy Gateway must not be configured to call them.
 */
export function registerExtensionService(
  server: Server,
  options: PostTranslateOptions & HookObservers,
): void {
  const log: HookObservers = { log: options.log, metrics: options.metrics };
  const implementation: egExtension.EnvoyGatewayExtensionServer = {
    postTranslateModify: unary(log, {
      hook: 'PostTranslateModify',
      handler: (request: egExtension.PostTranslateModifyRequest) =>
        postTranslateModify(request, options),
      describe: (r) => ({
        clusters: r.clusters.length,
        listeners: r.listeners.length,
        routeConfigurations: r.routes.length,
      }),
    }),
    postClusterModify: unary(log, {
      hook: 'PostClusterModify',
      handler: postClusterModify,
      describe: (r) => ({ cluster: r.cluster?.name }),
    }),
    postRouteModify: unary(log, {
      hook: 'PostRouteModify',
      handler: postRouteModify,
      describe: (r) => ({ route: r.route?.name }),
    }),
    postVirtualHostModify: unimplemented('PostVirtualHostModify'),
    postHttpListenerModify: unimplemented('PostHTTPListenerModify'),
    postEndpointsModify: unary(log, {
      hook: 'PostEndpointsModify',
      handler: (request: egExtension.PostEndpointsModifyRequest) =>
        postEndpointsModify(request, options.routes),
      describe: (r) => ({ cluster: r.loadAssignment?.clusterName }),
    }),
  };
  server.addService(egExtension.EnvoyGatewayExtensionService, implementation);
}
