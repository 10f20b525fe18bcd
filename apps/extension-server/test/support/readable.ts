import { envoyConfig, envoyFilters } from '@aigw/proto';

interface Codec {
  decode(input: Uint8Array): unknown;
}

/** The Any payloads the goldens show decoded; others appear as base64. */
const codecs: Record<string, Codec> = {
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager':
    envoyFilters.hcm.HttpConnectionManager,
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions':
    envoyFilters.upstreamHttp.HttpProtocolOptions,
  'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor':
    envoyFilters.extProc.ExternalProcessor,
  'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation':
    envoyFilters.headerMutation.HeaderMutation,
  'envoy.extensions.filters.http.router.v3.Router': envoyFilters.router.Router,
  'envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec':
    envoyFilters.upstreamCodec.UpstreamCodec,
  'envoy.config.route.v3.FilterConfig': envoyConfig.FilterConfig,
};

function isAny(value: object): value is envoyConfig.Any {
  return 'typeUrl' in value && 'value' in value && value.value instanceof Uint8Array;
}

function readableAny(value: envoyConfig.Any): unknown {
  const name = value.typeUrl.replace('type.googleapis.com/', '');
  const codec = codecs[name];
  if (codec) return { '@type': name, ...(readable(codec.decode(value.value)) as object) };
  return { '@type': name, value: readable(value.value) };
}

const isEmptyObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && Object.keys(value).length === 0;

function readableObject(value: object): unknown {
  if (isAny(value)) return readableAny(value);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const shown = readable(field);
    // An empty FilterConfig.config is meaningful (enable the filter with its own config).
    if (shown === undefined || (isEmptyObject(shown) && key !== 'config')) continue;
    out[key] = shown;
  }
  return out;
}

function readableScalar(value: unknown): unknown {
  if (typeof value === 'bigint') return value === 0n ? undefined : value.toString();
  return value === '' || value === false || value === 0 ? undefined : value;
}

/**
 * A JSON-friendly view of a decoded message for golden files: Anys decoded when the type is known,
 * bigints as strings, bytes as base64, default-valued and empty fields left out (unknown fields are
 * shown as `_unknownFields` with base64 values).
 */
export function readable(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
  }
  if (Array.isArray(value)) {
    const items = value.map(readable);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object' && value !== null) return readableObject(value);
  return readableScalar(value);
}
