import { envoyConfig, envoyFilters } from '@aigw/proto';

import { pack } from './any.js';
import {
  dynamicMetadataNamespace,
  extProcFilterName,
  extProcUdsClusterName,
  filterNames,
  httpProtocolOptionsName,
  upstreamAttributes,
} from './names.js';

type HttpFilter = envoyFilters.hcm.HttpFilter;
const { ProcessingMode_HeaderSendMode: Header, ProcessingMode_BodySendMode: Body } =
  envoyFilters.processingMode;

const seconds = (s: number): envoyConfig.Duration => ({ seconds: BigInt(s), nanos: 0 });

function httpFilter(name: string, typedConfig: envoyConfig.Any, disabled = false): HttpFilter {
  return envoyFilters.hcm.HttpFilter.fromPartial({
    name,
    configType: { $case: 'typedConfig', value: typedConfig },
    disabled,
  });
}

function extProcessor(config: Partial<envoyFilters.extProc.ExternalProcessor>): envoyConfig.Any {
  return pack(
    'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
    envoyFilters.extProc.ExternalProcessor,
    envoyFilters.extProc.ExternalProcessor.fromPartial({
      grpcService: {
        targetSpecifier: { $case: 'envoyGrpc', value: { clusterName: extProcUdsClusterName } },
        timeout: seconds(30),
      },
      messageTimeout: seconds(10),
      allowModeOverride: true,
      failureModeAllow: false,
      metadataOptions: { receivingNamespaces: { untyped: [dynamicMetadataNamespace] } },
      ...config,
    }),
  );
}

/** Options of {@link upstreamExtProcFilter}. */
export interface UpstreamExtProcOptions {
  /**
   * The cluster has a fallback tier: the first-token gate may hold its streamed attempts
   * (docs/resilience.md). As `aigw run`'s `upstreamHttpFilters({ hasFirstTokenGate })`.
   */
  readonly hasFirstTokenGate?: boolean;
}

/**
 * The upstream-level ext_proc of an AI cluster: request headers of each attempt only, with the
 * backend name, host name and route name as attributes (translation and credentials per backend).
 * On a cluster with a fallback tier the response body mode is `STREAMED`: the mark the extproc
 * reads in each stream's first message; it then sets every attempt's modes by `mode_override`
 * (request headers only, or the response in `FULL_DUPLEX_STREAMED` for a gated stream). Not
 * `FULL_DUPLEX_STREAMED` itself: Envoy 1.40 ignores every override on a filter configured so.
 */
export function upstreamExtProcFilter(options: UpstreamExtProcOptions = {}): HttpFilter {
  return httpFilter(
    extProcFilterName,
    extProcessor({
      processingMode: {
        requestHeaderMode: Header.SEND,
        requestBodyMode: Body.NONE,
        responseHeaderMode: Header.SKIP,
        responseBodyMode: options.hasFirstTokenGate === true ? Body.STREAMED : Body.NONE,
        requestTrailerMode: Header.DEFAULT,
        responseTrailerMode: Header.DEFAULT,
      },
      requestAttributes: [...upstreamAttributes],
    }),
  );
}

/**
 * Sets `content-length` from the extproc's `content_length` dynamic metadata. Overwrites rather
 * than adds (upstream uses ADD_IF_ABSENT): a retry to a fallback backend gets the headers the
 * previous attempt left, with that attempt's length (`aigw run` does the same, docs/extproc.md).
 */
export function contentLengthFilter(): HttpFilter {
  const { HeaderValueOption_HeaderAppendAction: Action } = envoyConfig;
  return httpFilter(
    filterNames.headerMutation,
    pack(
      'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
      envoyFilters.headerMutation.HeaderMutation,
      envoyFilters.headerMutation.HeaderMutation.fromPartial({
        mutations: {
          requestMutations: [
            {
              action: {
                $case: 'append',
                value: {
                  appendAction: Action.OVERWRITE_IF_EXISTS_OR_ADD,
                  header: {
                    key: 'content-length',
                    value: `%DYNAMIC_METADATA(${dynamicMetadataNamespace}:content_length)%`,
                  },
                },
              },
            },
          ],
        },
      }),
    ),
  );
}

/** The upstream codec, which must be the last upstream HTTP filter. */
export function upstreamCodecFilter(): HttpFilter {
  return httpFilter(
    filterNames.upstreamCodec,
    pack(
      'envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec',
      envoyFilters.upstreamCodec.UpstreamCodec,
      envoyFilters.upstreamCodec.UpstreamCodec.fromPartial({}),
    ),
  );
}

/**
 * The router-level ext_proc, added to every HCM **disabled**: only AI routes enable it (per-route
 * `FilterConfig`), so other routes on the same listener never reach the extproc.
 */
export function routerExtProcFilter(): HttpFilter {
  return httpFilter(
    extProcFilterName,
    extProcessor({
      processingMode: {
        requestHeaderMode: Header.SEND,
        requestBodyMode: Body.BUFFERED,
        requestTrailerMode: Header.SKIP,
        responseHeaderMode: Header.SEND,
        responseBodyMode: Body.BUFFERED,
        responseTrailerMode: Header.SKIP,
      },
    }),
    true,
  );
}

/** The per-route config that enables the router-level ext_proc on an AI route. */
export function enableOnRoute(): envoyConfig.Any {
  return pack(
    'envoy.config.route.v3.FilterConfig',
    envoyConfig.FilterConfig,
    // An empty Any: use the filter's own config, only lift its `disabled`.
    envoyConfig.FilterConfig.fromPartial({ config: { typeUrl: '', value: Buffer.alloc(0) } }),
  );
}

/** Upstream HTTP options of an AI cluster that had none: HTTP/1.1, as Envoy's default. */
export function defaultHttpProtocolOptions(): envoyFilters.upstreamHttp.HttpProtocolOptions {
  return envoyFilters.upstreamHttp.HttpProtocolOptions.fromPartial({
    upstreamProtocolOptions: {
      $case: 'explicitHttpConfig',
      value: { protocolConfig: { $case: 'httpProtocolOptions', value: {} } },
    },
  });
}

/** The extproc's cluster: its Unix socket, HTTP/2 (Envoy Gateway's window sizes), 50 MiB buffers. */
export function extProcUdsCluster(socketPath: string): envoyConfig.Cluster {
  const options = envoyFilters.upstreamHttp.HttpProtocolOptions.fromPartial({
    upstreamProtocolOptions: {
      $case: 'explicitHttpConfig',
      value: {
        protocolConfig: {
          $case: 'http2ProtocolOptions',
          value: { initialConnectionWindowSize: 1_048_576, initialStreamWindowSize: 65_536 },
        },
      },
    },
  });
  return envoyConfig.Cluster.fromPartial({
    name: extProcUdsClusterName,
    clusterDiscoveryType: { $case: 'type', value: envoyConfig.Cluster_DiscoveryType.STATIC },
    connectTimeout: seconds(10),
    perConnectionBufferLimitBytes: 52_428_800,
    typedExtensionProtocolOptions: {
      [httpProtocolOptionsName]: pack(
        httpProtocolOptionsName,
        envoyFilters.upstreamHttp.HttpProtocolOptions,
        options,
      ),
    },
    loadAssignment: {
      clusterName: extProcUdsClusterName,
      endpoints: [
        {
          lbEndpoints: [
            {
              hostIdentifier: {
                $case: 'endpoint',
                value: { address: { address: { $case: 'pipe', value: { path: socketPath } } } },
              },
            },
          ],
        },
      ],
    },
  });
}
