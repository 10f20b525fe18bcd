import {
  localReplyConfig,
  type AccessLogFilter,
  type HeaderValueOption,
  type LocalReplyConfig,
  type ResponseMapper,
} from '@aigw/gateway-config';
import { envoyConfig, envoyFilters } from '@aigw/proto';

type ProtoLocalReplyConfig = envoyFilters.hcm.LocalReplyConfig;
type ProtoResponseMapper = envoyFilters.hcm.ResponseMapper;
type ProtoAccessLogFilter = NonNullable<ProtoResponseMapper['filter']>;
type ProtoComparison = Extract<
  ProtoAccessLogFilter['filterSpecifier'],
  { $case: 'statusCodeFilter' }
>['value']['comparison'];

/** `config.accesslog.v3.ComparisonFilter.Op` (not re-exported by `@aigw/proto`). */
const comparisonOps = { EQ: 0, GE: 1, LE: 2 } as const;

const appendActions: Record<
  HeaderValueOption['append_action'],
  envoyConfig.HeaderValueOption_HeaderAppendAction
> = {
  APPEND_IF_EXISTS_OR_ADD: envoyConfig.HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
  ADD_IF_ABSENT: envoyConfig.HeaderValueOption_HeaderAppendAction.ADD_IF_ABSENT,
  OVERWRITE_IF_EXISTS_OR_ADD:
    envoyConfig.HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
  OVERWRITE_IF_EXISTS: envoyConfig.HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS,
};

/** A protobuf varint. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return bytes;
}

/**
 * `envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter{expression}` (field 1, a
 * string), written by hand: the only field of a message `@aigw/proto` does not generate.
 */
export function celExpressionFilter(expression: string): Buffer {
  const text = Buffer.from(expression, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...varint(text.length)]), text]);
}

function accessLogFilter(filter: AccessLogFilter): ProtoAccessLogFilter {
  if ('status_code_filter' in filter) {
    const { op, value } = filter.status_code_filter.comparison;
    const comparison: ProtoComparison = {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the proto's numbers; @aigw/proto does not re-export ComparisonFilter_Op
      op: comparisonOps[op],
      value: { defaultValue: value.default_value, runtimeKey: value.runtime_key },
    };
    return { filterSpecifier: { $case: 'statusCodeFilter', value: { comparison } } };
  }
  if ('response_flag_filter' in filter) {
    const flags = [...filter.response_flag_filter.flags];
    return { filterSpecifier: { $case: 'responseFlagFilter', value: { flags } } };
  }
  if ('and_filter' in filter) {
    const filters = filter.and_filter.filters.map(accessLogFilter);
    return { filterSpecifier: { $case: 'andFilter', value: { filters } } };
  }
  const { name, typed_config: typed } = filter.extension_filter;
  const any = { typeUrl: typed['@type'], value: celExpressionFilter(typed.expression) };
  return {
    filterSpecifier: {
      $case: 'extensionFilter',
      value: { name, configType: { $case: 'typedConfig', value: any } },
    },
  };
}

function responseMapper(mapper: ResponseMapper): ProtoResponseMapper {
  const format = mapper.body_format_override;
  return envoyFilters.hcm.ResponseMapper.fromPartial({
    filter: accessLogFilter(mapper.filter),
    ...(mapper.status_code === undefined ? {} : { statusCode: mapper.status_code }),
    headersToAdd: (mapper.headers_to_add ?? []).map((h) => ({
      header: { key: h.header.key, value: h.header.value },
      appendAction: appendActions[h.append_action],
    })),
    ...(format === undefined
      ? {}
      : {
          bodyFormatOverride: {
            format: { $case: 'jsonFormat', value: structuredClone(format.json_format) },
            contentType: format.content_type,
          },
        }),
  });
}

/** `@aigw/gateway-config`'s JSON local reply config as the generated protobuf message. */
export function toLocalReplyConfig(config: LocalReplyConfig): ProtoLocalReplyConfig {
  return envoyFilters.hcm.LocalReplyConfig.fromPartial({
    mappers: config.mappers.map(responseMapper),
  });
}

/**
 * `aigw run`'s local reply config (`@aigw/gateway-config`'s `localReplyConfig()`): Envoy's own
 * replies — a budget's 429 from the rate-limit filter, an unreachable upstream or extproc, a
 * timeout — as JSON errors in the client's dialect (OpenAI's, or Anthropic's for its paths).
 * Mappers already on the HCM (from Envoy Gateway) stay first, so theirs win where both match.
 * True when it changed the HCM (not when our mappers are there already).
 */
export function addLocalReplies(hcm: envoyFilters.hcm.HttpConnectionManager): boolean {
  const ours = toLocalReplyConfig(localReplyConfig());
  const existing = hcm.localReplyConfig;
  if (existing === undefined) {
    hcm.localReplyConfig = ours;
    return true;
  }
  const encode = (m: ProtoResponseMapper): string =>
    Buffer.from(envoyFilters.hcm.ResponseMapper.encode(m).finish()).toString('base64');
  const present = new Set(existing.mappers.map(encode));
  if (ours.mappers.every((m) => present.has(encode(m)))) return false;
  existing.mappers.push(...ours.mappers);
  return true;
}
