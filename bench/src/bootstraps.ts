import { staticClusterFor, type FakeUpstream } from '@aigw/testkit';
// The gateway's Envoy shape lives with the e2e tests; the benchmark measures exactly that shape
// rather than a copy that could drift from it.
// eslint-disable-next-line import-x/no-relative-packages
import { accessLogFormat, gatewayBootstrap } from '../../e2e/src/support/gateway-bootstrap.js';

/** The one backend cluster both Envoys route to. */
export const benchCluster = 'bench-backend';
/** Its filterapi backend name (endpoint metadata, as upstream's controller writes it). */
export const benchBackendName = 'default/bench/route/bench/rule/0/ref/0';

/** Where an Envoy sends traffic and logs. */
export interface BootstrapTarget {
  readonly backend: { readonly host: string; readonly port: number };
  readonly accessLogPath: string;
}

const type = (name: string): string => `type.googleapis.com/${name}`;

/**
 * Envoy alone: one listener, a plain HTTP connection manager routing everything to the backend
 * cluster, no ext_proc. It keeps the gateway's JSON access log (same format, same file sink), so
 * the only difference between the two Envoys is the extproc and its filters.
 */
export function directBootstrap(target: BootstrapTarget): object {
  const hcm = {
    '@type': type(
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    ),
    stat_prefix: 'direct',
    access_log: [
      {
        name: 'envoy.access_loggers.file',
        typed_config: {
          '@type': type('envoy.extensions.access_loggers.file.v3.FileAccessLog'),
          path: target.accessLogPath,
          log_format: { json_format: accessLogFormat },
        },
      },
    ],
    route_config: {
      name: 'direct',
      virtual_hosts: [
        {
          name: 'direct',
          domains: ['*'],
          routes: [{ match: { prefix: '/' }, route: { cluster: benchCluster, timeout: '10s' } }],
        },
      ],
    },
    http_filters: [
      {
        name: 'envoy.filters.http.router',
        typed_config: { '@type': type('envoy.extensions.filters.http.router.v3.Router') },
      },
    ],
  };
  return {
    static_resources: {
      listeners: [
        {
          name: 'ingress',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                { name: 'envoy.filters.network.http_connection_manager', typed_config: hcm },
              ],
            },
          ],
        },
      ],
      clusters: [staticClusterFor(benchCluster, target.backend)],
    },
  };
}

/** The e2e gateway (router-level + upstream-level ext_proc) in front of the one backend. */
export function benchGatewayBootstrap(
  target: BootstrapTarget & { readonly extprocSocket: string },
): object {
  // gatewayBootstrap reads only the upstream's host and port.
  const upstream = { host: target.backend.host, port: target.backend.port } as FakeUpstream;
  return gatewayBootstrap({
    extprocSocket: target.extprocSocket,
    accessLogPath: target.accessLogPath,
    backends: [{ cluster: benchCluster, backendName: benchBackendName, upstream }],
  });
}
