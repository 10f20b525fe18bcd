/** Where a static cluster sends traffic: a TCP host and port, or a Unix socket path. */
export type ClusterTarget =
  { readonly host: string; readonly port: number } | { readonly socketPath: string };

/** Options for {@link staticClusterFor}. */
export interface StaticClusterOptions {
  /** Speak HTTP/2 to the upstream (needed for gRPC services such as ext_proc). */
  readonly http2?: boolean;
  /** Envoy duration string (default `'1s'`). */
  readonly connectTimeout?: string;
}

/** The v3 `Cluster` fields {@link staticClusterFor} produces, in Envoy's JSON/YAML spelling. */
export interface StaticCluster {
  readonly name: string;
  readonly type: 'STATIC';
  readonly connect_timeout: string;
  readonly load_assignment: {
    readonly cluster_name: string;
    readonly endpoints: readonly {
      readonly lb_endpoints: readonly { readonly endpoint: { readonly address: object } }[];
    }[];
  };
  readonly typed_extension_protocol_options?: Readonly<Record<string, object>>;
}

const httpProtocolOptions = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/**
 * Builds an Envoy v3 STATIC cluster with one endpoint at `target` (a Unix socket becomes
 * `{ pipe: { path } }`); with `http2: true` it adds explicit HTTP/2 protocol options, as gRPC
 * clusters (ext_proc, rate limit) require.
 */
export function staticClusterFor(
  name: string,
  target: ClusterTarget,
  options: StaticClusterOptions = {},
): StaticCluster {
  const address =
    'socketPath' in target
      ? { pipe: { path: target.socketPath } }
      : { socket_address: { address: target.host, port_value: target.port } };
  const cluster: StaticCluster = {
    name,
    type: 'STATIC',
    connect_timeout: options.connectTimeout ?? '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }],
    },
  };
  if (options.http2 !== true) {
    return cluster;
  }
  return {
    ...cluster,
    typed_extension_protocol_options: {
      [httpProtocolOptions]: {
        '@type': `type.googleapis.com/${httpProtocolOptions}`,
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
  };
}
