import {
  filterNames,
  extprocClusterName,
  metadataKeys,
  metadataNamespace,
  typeUrl,
  xdsMetadataNamespace,
} from './names.js';
import type { ExtProcFilter, UpstreamHttpFilter } from './types.js';

/** The attribute naming the backend of an upstream attempt, read by the upstream-level extproc. */
export const backendNameAttribute = `xds.upstream_host_metadata.filter_metadata['${xdsMetadataNamespace}']['${metadataKeys.backendName}']`;

/**
 * The attribute with the endpoint's host name (the `Host` Envoy sends with `auto_host_rewrite`):
 * the host the upstream-level extproc signs AWS requests for. Absent for endpoints without one.
 */
export const endpointHostnameAttribute = `xds.upstream_host_metadata.filter_metadata['${xdsMetadataNamespace}']['${metadataKeys.hostname}']`;

/**
 * The attribute with the AIGatewayRoute (`namespace/name`) of the route Envoy picked, from the
 * route metadata `aigw_route_name` (upstream's attribute): what route-scoped costs and the
 * `route_name` metadata use.
 */
export const routeNameAttribute = `xds.route_metadata.filter_metadata['${xdsMetadataNamespace}']['${metadataKeys.routeName}']`;

/** Options of the upstream-level filter of one AI cluster. */
export interface UpstreamFilterOptions {
  /**
   * The cluster has a fallback tier (more than one priority): its upstream filter also gets the
   * response of streamed attempts, for the first-token gate (docs/resilience.md).
   */
  readonly hasFirstTokenGate?: boolean;
}

/**
 * The upstream filter's modes on a cluster with a fallback tier. Envoy tells the extproc the body
 * modes in each stream's first message: a response body mode of `STREAMED` marks the filter of
 * such a cluster. The extproc then sets every attempt's modes in its one answer to the request
 * headers (`mode_override`): request headers only, as elsewhere, except for a gated stream, which
 * gets the response headers and body in `FULL_DUPLEX_STREAMED` (body chunks reach the extproc
 * while it holds its answer to the headers; trailers `SEND`, as Envoy requires). The static mode
 * cannot be `FULL_DUPLEX_STREAMED` itself: Envoy 1.40 ignores every `mode_override` then.
 */
const firstTokenGateMode = {
  request_header_mode: 'SEND',
  request_body_mode: 'NONE',
  response_header_mode: 'SKIP',
  response_body_mode: 'STREAMED',
} as const;

/**
 * The ext_proc filter at one of its two levels (docs/extproc.md): the router level sees the
 * whole request body and every response, the upstream level only the request headers of each
 * attempt, plus the backend name and host name from the endpoint metadata and the route name from
 * the route metadata. Both fail closed
 * (`failure_mode_allow: false`): an untranslated, unauthenticated request never goes upstream.
 */
export function extProcFilter(
  level: 'router' | 'upstream',
  options: UpstreamFilterOptions = {},
): ExtProcFilter {
  const isRouter = level === 'router';
  return {
    name: filterNames.extProc,
    typed_config: {
      '@type': typeUrl('envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor'),
      grpc_service: { envoy_grpc: { cluster_name: extprocClusterName }, timeout: '30s' },
      failure_mode_allow: false,
      allow_mode_override: true,
      message_timeout: '10s',
      metadata_options: { receiving_namespaces: { untyped: [metadataNamespace] } },
      processing_mode: isRouter
        ? {
            request_header_mode: 'SEND',
            request_body_mode: 'BUFFERED',
            response_header_mode: 'SEND',
            response_body_mode: 'BUFFERED',
          }
        : options.hasFirstTokenGate === true
          ? firstTokenGateMode
          : {
              request_header_mode: 'SEND',
              request_body_mode: 'NONE',
              response_header_mode: 'SKIP',
              response_body_mode: 'NONE',
            },
      ...(isRouter
        ? {}
        : {
            request_attributes: [
              backendNameAttribute,
              endpointHostnameAttribute,
              routeNameAttribute,
            ],
          }),
    },
  };
}

/**
 * The upstream HTTP filters of every backend cluster: the upstream-level extproc, a setter of
 * `content-length` and the codec, which must come last. The extproc reports the length of the body
 * each attempt sends; Envoy drops the header when the extproc replaces the body, and a retry gets
 * the headers the previous attempt left — with that attempt's length, while Envoy re-sends the
 * client's original body — so the value is overwritten, not only added. A stream the extproc
 * reported nothing for formats to an empty value, which Envoy does not set: its header stays.
 */
export function upstreamHttpFilters(options: UpstreamFilterOptions = {}): UpstreamHttpFilter[] {
  return [
    extProcFilter('upstream', options),
    {
      name: filterNames.headerMutation,
      typed_config: {
        '@type': typeUrl('envoy.extensions.filters.http.header_mutation.v3.HeaderMutation'),
        mutations: {
          request_mutations: [
            {
              append: {
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
                header: {
                  key: 'content-length',
                  value: `%DYNAMIC_METADATA(${metadataNamespace}:content_length)%`,
                },
              },
            },
          ],
        },
      },
    },
    {
      name: filterNames.upstreamCodec,
      typed_config: {
        '@type': typeUrl('envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec'),
      },
    },
  ];
}
