import { describe, expect, it } from 'vitest';

import { staticClusterFor } from './static-cluster-for.js';

describe('staticClusterFor', () => {
  it('points a STATIC cluster at a TCP endpoint', () => {
    expect(staticClusterFor('backend', { host: '127.0.0.1', port: 8080 })).toEqual({
      name: 'backend',
      type: 'STATIC',
      connect_timeout: '1s',
      load_assignment: {
        cluster_name: 'backend',
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: {
                  address: { socket_address: { address: '127.0.0.1', port_value: 8080 } },
                },
              },
            ],
          },
        ],
      },
    });
  });

  it('uses a pipe address for a Unix socket and explicit HTTP/2 for gRPC', () => {
    const cluster = staticClusterFor(
      'extproc',
      { socketPath: '/tmp/x.sock' },
      { http2: true, connectTimeout: '5s' },
    );
    expect(cluster.connect_timeout).toBe('5s');
    expect(cluster.load_assignment.endpoints[0]?.lb_endpoints[0]?.endpoint.address).toEqual({
      pipe: { path: '/tmp/x.sock' },
    });
    expect(cluster.typed_extension_protocol_options).toEqual({
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    });
  });

  it('adds no protocol options without http2', () => {
    expect(staticClusterFor('b', { host: 'h', port: 1 }, { http2: false })).not.toHaveProperty(
      'typed_extension_protocol_options',
    );
  });
});
