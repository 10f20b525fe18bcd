import type { BackendEndpoint } from '../kube-types.js';
import type { PlannedRef, PlannedRule } from '../plan.js';
import { objectLabel } from '../resource-set.js';
import { upstreamHttpFilters } from './ext-proc.js';
import {
  bufferLimitBytes,
  extprocClusterName,
  rateLimitClusterName,
  systemCaFile,
  typeUrl,
  xdsMetadataNamespace,
} from './names.js';
import type {
  Address,
  CircuitBreakers,
  Cluster,
  LocalityLbEndpoints,
  OutlierDetection,
  UpstreamTlsSocket,
} from './types.js';

const httpProtocolOptions = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const transportSocketMatch = 'envoy.transport_socket_match';

/** How one endpoint is reached. */
interface EndpointTarget {
  readonly address: Address;
  readonly hostname: string | undefined;
  /** TLS settings when the endpoint speaks TLS. */
  readonly tls: { readonly sni: string | undefined; readonly verify: boolean } | undefined;
  readonly kind: 'fqdn' | 'ip' | 'unix';
}

function endpointTarget(ref: PlannedRef, endpoint: BackendEndpoint): EndpointTarget {
  const tlsSpec = ref.backend.resource.spec.tls;
  const tlsFor = (port: number, host: string | undefined): EndpointTarget['tls'] =>
    tlsSpec !== undefined || port === 443
      ? { sni: tlsSpec?.sni ?? host, verify: tlsSpec?.insecureSkipVerify !== true }
      : undefined;
  if (endpoint.fqdn) {
    const { hostname: fqdn, port } = endpoint.fqdn;
    const hostname = endpoint.hostname ?? fqdn;
    return {
      address: { socket_address: { address: fqdn, port_value: port } },
      hostname,
      tls: tlsFor(port, hostname),
      kind: 'fqdn',
    };
  }
  const hostname = endpoint.hostname;
  if (endpoint.ip) {
    const { address, port } = endpoint.ip;
    return {
      address: { socket_address: { address, port_value: port } },
      hostname,
      tls: tlsFor(port, hostname),
      kind: 'ip',
    };
  }
  return {
    address: { pipe: { path: endpoint.unix?.path ?? '' } },
    hostname,
    tls:
      tlsSpec === undefined
        ? undefined
        : { sni: tlsSpec.sni ?? hostname, verify: !tlsSpec.insecureSkipVerify },
    kind: 'unix',
  };
}

const tlsMatchKey = (tls: NonNullable<EndpointTarget['tls']>): string =>
  `${tls.sni ?? ''}${tls.verify ? '' : '|insecure'}`;

function upstreamTls(tls: NonNullable<EndpointTarget['tls']>): UpstreamTlsSocket {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': typeUrl('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'),
      ...(tls.sni === undefined ? {} : { sni: tls.sni }),
      common_tls_context: tls.verify
        ? {
            validation_context: {
              trusted_ca: { filename: systemCaFile },
              ...(tls.sni === undefined
                ? {}
                : {
                    match_typed_subject_alt_names: [
                      { san_type: 'DNS', matcher: { exact: tls.sni } },
                    ],
                  }),
            },
          }
        : {},
    },
  };
}

/**
 * Outlier ejection of every AI backend cluster (docs/resilience.md, "Ejection of a failing
 * backend"). A host is usually a whole provider and often the only host of its priority tier, so:
 * - 3 gateway errors (502/503/504: unavailable, overloaded) or 5 of any 5xx in a row eject it; a
 *   success or another status (a 429 too) resets the count;
 * - local-origin failures (connection refused or reset, a per-try timeout) are counted apart
 *   (`split_external_local_origin_errors`): 5 in a row eject;
 * - no success-rate ejection (it needs 5 hosts with 100 requests per interval);
 * - `max_ejection_percent: 100`: the only host of a tier can go, and its traffic moves to the
 *   next tier (a cluster with every host ejected routes to all of them: Envoy's panic mode);
 * - it returns after 10 s × its ejection count (one less for each 5 s sweep it stays healthy),
 *   at most 300 s, checked every 5 s: a provider back up is used again within 15 s, one still
 *   down is asked less and less often.
 */
export const aiOutlierDetection: OutlierDetection = {
  consecutive_5xx: 5,
  consecutive_gateway_failure: 3,
  enforcing_consecutive_gateway_failure: 100,
  split_external_local_origin_errors: true,
  consecutive_local_origin_failure: 5,
  enforcing_success_rate: 0,
  interval: '5s',
  base_ejection_time: '10s',
  max_ejection_time: '300s',
  max_ejection_percent: 100,
};

/**
 * The retry budget of every AI backend cluster: retries in flight (waiting to be sent or for
 * their response headers) may be at most 20 % of the cluster's active and pending requests, and
 * at least 10. It replaces Envoy's default of 3 concurrent retries per cluster, which made most
 * requests of a busy gateway fail instead of falling back in the seconds before an ejection.
 */
export const aiCircuitBreakers: CircuitBreakers = {
  thresholds: [
    {
      priority: 'DEFAULT',
      retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: 10 },
    },
  ],
};

/** The result of {@link ruleCluster}. */
export interface ClusterResult {
  readonly cluster: Cluster;
  readonly problems: readonly string[];
}

/**
 * The Envoy cluster of one AIGatewayRoute rule: one locality per backendRef (weight, and its
 * priority ranked densely from 0, so a fallback tier is an Envoy priority), each endpoint carrying
 * the filterapi backend name (and its host name, when it has one) in its metadata for the
 * upstream-level extproc. TLS (system CAs,
 * SNI = host name) for port 443 or a Backend with `tls`, chosen per endpoint through transport
 * socket matches.
 */
export function ruleCluster(rule: PlannedRule): ClusterResult {
  const problems: string[] = [];
  const ranks = [...new Set(rule.refs.map((r) => r.priority))].sort((a, b) => a - b);
  const tlsSockets = new Map<string, UpstreamTlsSocket>();
  const kinds = new Set<EndpointTarget['kind']>();
  const localities = rule.refs
    .filter((ref) => ref.weight > 0)
    .map((ref): LocalityLbEndpoints => {
      const lbEndpoints = ref.backend.resource.spec.endpoints.map((endpoint) => {
        const target = endpointTarget(ref, endpoint);
        kinds.add(target.kind);
        const socketMetadata = target.tls
          ? { [transportSocketMatch]: { tls: tlsMatchKey(target.tls) } }
          : {};
        if (target.tls) tlsSockets.set(tlsMatchKey(target.tls), upstreamTls(target.tls));
        return {
          endpoint: {
            address: target.address,
            ...(target.hostname === undefined ? {} : { hostname: target.hostname }),
          },
          metadata: {
            filter_metadata: {
              [xdsMetadataNamespace]: {
                per_route_rule_backend_name: ref.name,
                // The Host Envoy sends (auto_host_rewrite), for SigV4 (docs/extproc.md).
                ...(target.hostname === undefined ? {} : { hostname: target.hostname }),
              },
              ...socketMetadata,
            },
          },
        };
      });
      return {
        locality: { region: ref.name },
        priority: ranks.indexOf(ref.priority),
        load_balancing_weight: ref.weight,
        lb_endpoints: lbEndpoints,
      };
    });
  const isStatic = !kinds.has('fqdn');
  if (kinds.has('unix') && kinds.size > 1) {
    const route = rule.route;
    problems.push(
      `${route.file}: ${objectLabel('AIGatewayRoute', route)}: spec.rules[${String(rule.index)}].backendRefs: Backends with unix endpoints cannot share a rule with fqdn or ip endpoints`,
    );
  }
  const cluster: Cluster = {
    name: rule.id,
    type: isStatic ? 'STATIC' : 'STRICT_DNS',
    ...(isStatic ? {} : { dns_lookup_family: 'V4_PREFERRED' }),
    connect_timeout: '10s',
    per_connection_buffer_limit_bytes: bufferLimitBytes,
    common_lb_config: { locality_weighted_lb_config: {} },
    outlier_detection: aiOutlierDetection,
    circuit_breakers: aiCircuitBreakers,
    load_assignment: { cluster_name: rule.id, endpoints: localities },
    typed_extension_protocol_options: {
      [httpProtocolOptions]: {
        '@type': typeUrl(httpProtocolOptions),
        explicit_http_config: { http_protocol_options: {} },
        // A fallback tier: the first-token gate may still retry a stream (docs/resilience.md).
        http_filters: upstreamHttpFilters({ hasFirstTokenGate: ranks.length > 1 }),
      },
    },
    ...(tlsSockets.size === 0
      ? {}
      : {
          transport_socket_matches: [...tlsSockets].map(([key, socket]) => ({
            name: `tls:${key}`,
            match: { tls: key },
            transport_socket: socket,
          })),
        }),
  };
  return { cluster, problems };
}

/** A static HTTP/2 cluster for a gRPC service. */
function grpcCluster(name: string, address: Address): Cluster {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }],
    },
    typed_extension_protocol_options: {
      [httpProtocolOptions]: {
        '@type': typeUrl(httpProtocolOptions),
        explicit_http_config: {
          http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '5s' } },
        },
      },
    },
  };
}

/** The extproc's cluster: its Unix socket, HTTP/2. */
export function extprocCluster(socketPath: string): Cluster {
  return {
    ...grpcCluster(extprocClusterName, { pipe: { path: socketPath } }),
    per_connection_buffer_limit_bytes: bufferLimitBytes,
  };
}

/** The rate-limit service's cluster. */
export function rateLimitCluster(target: { host: string; port: number }): Cluster {
  return grpcCluster(rateLimitClusterName, {
    socket_address: { address: target.host, port_value: target.port },
  });
}
