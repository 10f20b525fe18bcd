import { localReplyConfig, localReplyHeader, type LocalReplyConfig } from '@aigw/gateway-config';
import { egExtension, envoyFilters } from '@aigw/proto';
import { describe, expect, it } from 'vitest';

import { postTranslateModify } from '../src/hooks/post-translate-modify.js';
import { addLocalReplies, toLocalReplyConfig } from '../src/xds/local-reply.js';
import type { RateLimitSource } from '../src/xds/rate-limits.js';
import { chatRoute, egLikeRequest, storeWith } from './support/eg-like.js';
import { readable } from './support/readable.js';

type Mapper = envoyFilters.hcm.ResponseMapper;
type Filter = NonNullable<Mapper['filter']>;

/** Reads the CEL `ExpressionFilter{expression}` bytes back (field 1, a length-delimited string). */
function celExpression(bytes: Uint8Array): string {
  expect(bytes[0]).toBe(0x0a);
  let length = 0;
  let shift = 0;
  let i = 1;
  for (; (bytes[i] ?? 0) & 0x80; i += 1, shift += 7) length |= ((bytes[i] ?? 0) & 0x7f) << shift;
  length |= (bytes[i] ?? 0) << shift;
  const text = Buffer.from(bytes.subarray(i + 1)).toString('utf8');
  expect(Buffer.byteLength(text)).toBe(length);
  return text;
}

type Spec = NonNullable<Filter['filterSpecifier']>;
type SpecOf<C extends Spec['$case']> = Extract<Spec, { $case: C }>['value'];

/** The JSON form of the filters the local reply config uses, back from the message. */
const jsonFilters: {
  readonly [C in Spec['$case']]?: (value: SpecOf<C>) => unknown;
} = {
  statusCodeFilter: ({ comparison: c }) => ({
    status_code_filter: {
      comparison: {
        op: ['EQ', 'GE', 'LE'][c?.op ?? -1],
        value: { default_value: c?.value?.defaultValue, runtime_key: c?.value?.runtimeKey },
      },
    },
  }),
  responseFlagFilter: ({ flags }) => ({ response_flag_filter: { flags } }),
  andFilter: ({ filters }) => ({ and_filter: { filters: filters.map(jsonFilter) } }),
  extensionFilter: ({ name, configType }) => ({
    extension_filter: {
      name,
      typed_config: {
        '@type': configType?.value.typeUrl,
        expression: celExpression(configType?.value.value ?? new Uint8Array()),
      },
    },
  }),
};

/** The JSON form back from the message, to compare with `@aigw/gateway-config`'s. */
function jsonFilter(filter: Filter | undefined): unknown {
  const spec = filter?.filterSpecifier;
  if (spec === undefined) return undefined;
  const convert = jsonFilters[spec.$case] as ((value: unknown) => unknown) | undefined;
  return convert ? convert(spec.value) : `unexpected ${spec.$case}`;
}

const appendActions = [
  'APPEND_IF_EXISTS_OR_ADD',
  'ADD_IF_ABSENT',
  'OVERWRITE_IF_EXISTS_OR_ADD',
  'OVERWRITE_IF_EXISTS',
];

function jsonMapper(mapper: Mapper): unknown {
  const format = mapper.bodyFormatOverride;
  return {
    filter: jsonFilter(mapper.filter),
    ...(mapper.statusCode === undefined ? {} : { status_code: mapper.statusCode }),
    ...(mapper.headersToAdd.length === 0
      ? {}
      : {
          headers_to_add: mapper.headersToAdd.map((h) => ({
            header: { key: h.header?.key, value: h.header?.value },
            append_action: appendActions[h.appendAction],
          })),
        }),
    ...(format === undefined
      ? {}
      : {
          body_format_override: {
            json_format: format.format?.$case === 'jsonFormat' ? format.format.value : undefined,
            content_type: format.contentType,
          },
        }),
  };
}

/** Through the wire, as Envoy Gateway and Envoy get it. */
function wire(config: envoyFilters.hcm.LocalReplyConfig): envoyFilters.hcm.LocalReplyConfig {
  return envoyFilters.hcm.LocalReplyConfig.decode(
    envoyFilters.hcm.LocalReplyConfig.encode(config).finish(),
  );
}

const limits: RateLimitSource = {
  service: { host: 'ratelimit.local', port: 8081 },
  limitsOf: (ruleId) =>
    ruleId === 'default/chat/rule/0'
      ? [{ actions: [{ generic_key: { descriptor_key: 'limit', descriptor_value: 'b' } }] }]
      : undefined,
};

function hcmOf(
  response: egExtension.PostTranslateModifyResponse,
): envoyFilters.hcm.HttpConnectionManager {
  const decoded = egExtension.PostTranslateModifyResponse.decode(
    egExtension.PostTranslateModifyResponse.encode(response).finish(),
  );
  const filter = decoded.listeners[0]?.filterChains[0]?.filters[0];
  const any = filter?.configType?.$case === 'typedConfig' ? filter.configType.value : undefined;
  return envoyFilters.hcm.HttpConnectionManager.decode(any?.value ?? new Uint8Array());
}

describe('aigw run’s local reply config as protobuf', () => {
  const json: LocalReplyConfig = localReplyConfig();
  const config = wire(toLocalReplyConfig(json));

  it('carries every mapper of @aigw/gateway-config unchanged through the wire', () => {
    expect(JSON.parse(JSON.stringify(config.mappers.map(jsonMapper)))).toEqual(
      JSON.parse(JSON.stringify(json.mappers)),
    );
  });

  it('answers a rate-limited request (RL) with an OpenAI error body, marked', () => {
    const rateLimited = config.mappers.filter((m) => {
      const spec = m.filter?.filterSpecifier;
      return spec?.$case === 'responseFlagFilter' && spec.value.flags.includes('RL');
    });
    // Unrestricted: OpenAI's (Anthropic's sits in an and_filter with its path check, first).
    expect(rateLimited).toHaveLength(1);
    const [openai] = rateLimited;
    expect(openai?.bodyFormatOverride).toEqual(
      expect.objectContaining({
        contentType: 'application/json',
        format: {
          $case: 'jsonFormat',
          value: {
            error: {
              message: 'rate limit exceeded',
              type: 'rate_limit_error',
              param: null,
              code: null,
            },
          },
        },
      }),
    );
    expect(openai?.headersToAdd.map((h) => h.header?.key)).toEqual([localReplyHeader]);
  });

  it('matches the golden file', async () => {
    await expect(JSON.stringify(readable(config), null, 2) + '\n').toMatchFileSnapshot(
      'testdata/local-reply.out.json',
    );
  });
});

describe('local replies in PostTranslateModify', () => {
  const translate = (rateLimits?: RateLimitSource): egExtension.PostTranslateModifyResponse =>
    postTranslateModify(egLikeRequest(), {
      routes: storeWith(chatRoute()),
      udsPath: '/run/x.sock',
      rateLimits,
    });

  it('are set on the AI listener’s HCM when budgets exist', () => {
    const hcm = hcmOf(translate(limits));
    expect(hcm.localReplyConfig?.mappers).toHaveLength(localReplyConfig().mappers.length);
  });

  it('are not set without budgets', () => {
    expect(hcmOf(translate()).localReplyConfig).toBeUndefined();
    const none: RateLimitSource = { service: limits.service, limitsOf: () => undefined };
    expect(hcmOf(translate(none)).localReplyConfig).toBeUndefined();
  });

  it('come after mappers Envoy Gateway set, once', () => {
    const theirs = envoyFilters.hcm.ResponseMapper.fromPartial({
      filter: { filterSpecifier: { $case: 'responseFlagFilter', value: { flags: ['NR'] } } },
      statusCode: 404,
    });
    const hcm = envoyFilters.hcm.HttpConnectionManager.fromPartial({
      localReplyConfig: { mappers: [theirs] },
    });
    expect(addLocalReplies(hcm)).toBe(true);
    expect(addLocalReplies(hcm)).toBe(false);
    const mappers = hcm.localReplyConfig?.mappers ?? [];
    expect(mappers[0]?.statusCode).toBe(404);
    expect(mappers).toHaveLength(1 + localReplyConfig().mappers.length);
  });
});
