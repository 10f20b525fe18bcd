import { extprocCluster, rateLimitCluster } from './clusters.js';
import { fileConfigSource } from './listener.js';
import { typeUrl } from './names.js';
import type { Bootstrap, DiscoveryResponse, XdsResource } from './types.js';

/** What the static bootstrap needs. */
export interface BootstrapOptions {
  readonly adminPort: number;
  readonly extprocSocket: string;
  readonly rateLimit: { readonly host: string; readonly port: number } | undefined;
  /** Absolute paths of the LDS and CDS files and the directory Envoy watches for renames. */
  readonly ldsPath: string;
  readonly cdsPath: string;
  readonly watchedDirectory: string;
  /** Downstream connections Envoy accepts at once, all listeners together (default 50,000). */
  readonly maxDownstreamConnections?: number;
}

/** Default of {@link BootstrapOptions.maxDownstreamConnections}. */
export const defaultMaxDownstreamConnections = 50_000;

/**
 * The static Envoy bootstrap of `aigw run`: admin on 127.0.0.1, the extproc (and rate-limit)
 * clusters, the runtime flag the extproc needs, and LDS/CDS from files in the state directory,
 * so a config change is an atomic rename of a file, never an Envoy restart.
 */
export function bootstrap(options: BootstrapOptions): Bootstrap {
  return {
    node: { id: 'aigw', cluster: 'aigw' },
    admin: {
      address: { socket_address: { address: '127.0.0.1', port_value: options.adminPort } },
    },
    // Without it Envoy ends every ext_proc stream with RST_STREAM right after its half-close;
    // Node's HTTP/2 server counts those as rapid resets and drops the connection (GOAWAY) after
    // ~1,000, failing every request in flight on it (docs/extproc.md).
    layered_runtime: {
      layers: [
        {
          name: 'static',
          static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': true },
        },
      ],
    },
    // Envoy warns on every start when no downstream connection limit is configured; past it new
    // connections are refused (counter overload.envoy.resource_monitors.global_downstream_max_connections).
    overload_manager: {
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type': typeUrl(
              'envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            ),
            max_active_downstream_connections:
              options.maxDownstreamConnections ?? defaultMaxDownstreamConnections,
          },
        },
      ],
    },
    static_resources: {
      clusters: [
        extprocCluster(options.extprocSocket),
        ...(options.rateLimit === undefined ? [] : [rateLimitCluster(options.rateLimit)]),
      ],
    },
    dynamic_resources: {
      lds_config: fileConfigSource(options.ldsPath, options.watchedDirectory),
      cds_config: fileConfigSource(options.cdsPath, options.watchedDirectory),
    },
  };
}

/** A discovery response as a file-based xDS source expects it. */
export function discoveryResponse<Resource extends XdsResource>(
  resources: readonly Resource[],
): DiscoveryResponse<Resource> {
  return { resources };
}
