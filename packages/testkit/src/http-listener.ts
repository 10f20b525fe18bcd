/** Options of {@link httpListener}. */
export interface HttpListenerOptions {
  /** Listener name, used by `EnvoyProcess.listenerPort(name)` (default `ingress`). */
  readonly name?: string;
  /** The virtual host's routes (Envoy v3 `Route` objects). */
  readonly routes: readonly object[];
  /** HTTP filters before the router, which is appended last. */
  readonly httpFilters?: readonly object[];
  /** More `HttpConnectionManager` fields (access logs, …). */
  readonly hcm?: Readonly<Record<string, unknown>>;
  /** More `Listener` fields (`per_connection_buffer_limit_bytes`, …). */
  readonly listener?: Readonly<Record<string, unknown>>;
}

const hcmType =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const routerType = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/**
 * An Envoy v3 listener on 127.0.0.1, port 0, with one HTTP connection manager: one virtual host
 * for every domain with `routes`, then `httpFilters` and the router. Tests spell out only what
 * differs between them.
 */
export function httpListener(options: HttpListenerOptions): object {
  const name = options.name ?? 'ingress';
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    ...options.listener,
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': hcmType,
              stat_prefix: name,
              route_config: {
                name,
                virtual_hosts: [{ name: 'all', domains: ['*'], routes: options.routes }],
              },
              http_filters: [
                ...(options.httpFilters ?? []),
                { name: 'envoy.filters.http.router', typed_config: { '@type': routerType } },
              ],
              ...options.hcm,
            },
          },
        ],
      },
    ],
  };
}
