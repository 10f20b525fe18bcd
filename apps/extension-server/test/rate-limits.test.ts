import { egExtension, envoyConfig, envoyFilters } from '@aigw/proto';
import { describe, expect, it } from 'vitest';

import { postTranslateModify } from '../src/hooks/post-translate-modify.js';
import { toRouteRateLimits, type RateLimitSource } from '../src/xds/rate-limits.js';
import { chatRoute, egLikeRequest, storeWith } from './support/eg-like.js';

const limits: RateLimitSource = {
  service: { host: 'ratelimit.local', port: 8081 },
  limitsOf: (ruleId) =>
    ruleId === 'default/chat/rule/0'
      ? [
          {
            actions: [
              { generic_key: { descriptor_key: 'limit', descriptor_value: 'budget-0' } },
              { request_headers: { header_name: 'x-user-id', descriptor_key: 'user' } },
            ],
            hits_addend: { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%' },
            apply_on_stream_done: true,
          },
        ]
      : undefined,
};

function translate(): egExtension.PostTranslateModifyResponse {
  const response = postTranslateModify(egLikeRequest(), {
    routes: storeWith(chatRoute()),
    udsPath: '/run/x.sock',
    rateLimits: limits,
  });
  return egExtension.PostTranslateModifyResponse.decode(
    egExtension.PostTranslateModifyResponse.encode(response).finish(),
  );
}

describe('token budgets in PostTranslateModify', () => {
  it('adds the rate-limit filter right after the router-level ext_proc, and its cluster', () => {
    const response = translate();
    const filter = response.listeners[0]?.filterChains[0]?.filters[0];
    const hcm = envoyFilters.hcm.HttpConnectionManager.decode(
      filter?.configType?.$case === 'typedConfig'
        ? filter.configType.value.value
        : new Uint8Array(),
    );
    expect(hcm.httpFilters.map((f) => f.name)).toEqual([
      'envoy.filters.http.cors',
      'envoy.filters.http.ext_proc/aigateway',
      'envoy.filters.http.ratelimit/ai-gateway-quota',
      'envoy.filters.http.ratelimit',
      'envoy.filters.http.router',
    ]);
    const cluster = response.clusters.find((c) => c.name === 'ai_gateway_ratelimit_cluster');
    expect(cluster?.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.hostIdentifier).toMatchObject({
      value: { address: { address: { value: { address: 'ratelimit.local' } } } },
    });
  });

  it('charges the limited rule’s routes only, with the stream-done token count', () => {
    const [chat, web] = translate().routes[0]?.virtualHosts[0]?.routes ?? [];
    const perRoute = chat?.typedPerFilterConfig['envoy.filters.http.ratelimit/ai-gateway-quota'];
    const decoded = envoyFilters.rateLimit.RateLimitPerRoute.decode(
      perRoute?.value ?? new Uint8Array(),
    );
    expect(decoded.rateLimits[0]).toMatchObject({
      applyOnStreamDone: true,
      hitsAddend: { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%' },
    });
    expect(
      web?.typedPerFilterConfig['envoy.filters.http.ratelimit/ai-gateway-quota'],
    ).toBeUndefined();
  });

  it('converts header matches of the JSON form', () => {
    const [limit] = toRouteRateLimits([
      {
        actions: [
          {
            header_value_match: {
              descriptor_key: 'model',
              descriptor_value: 'm',
              expect_match: true,
              headers: [
                { name: 'x-ai-eg-model', string_match: { safe_regex: { regex: 'gpt-.*' } } },
              ],
            },
          },
        ],
        hits_addend: { number: 0 },
      },
    ]);
    expect(
      envoyConfig.RateLimit.encode(limit ?? envoyConfig.RateLimit.fromPartial({})).finish().length,
    ).toBeGreaterThan(0);
    expect(limit?.actions[0]?.actionSpecifier).toMatchObject({
      $case: 'headerValueMatch',
      value: {
        expectMatch: true,
        headers: [
          {
            headerMatchSpecifier: {
              $case: 'stringMatch',
              value: { matchPattern: { $case: 'safeRegex', value: { regex: 'gpt-.*' } } },
            },
          },
        ],
      },
    });
    expect(limit?.hitsAddend?.number).toBe(0n);
  });
  it('packs the CEL descriptor of a selector on the extproc metadata', () => {
    const text = "('io.envoy.ai_gateway' in metadata.filter_metadata) ? 'match-1' : {}['no match']";
    const [limit] = toRouteRateLimits([
      {
        actions: [
          {
            extension: {
              name: 'envoy.rate_limit_descriptors.expr',
              typed_config: {
                '@type':
                  'type.googleapis.com/envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor',
                descriptor_key: 'match-1',
                text,
              },
            },
          },
        ],
      },
    ]);
    const specifier = limit?.actions[0]?.actionSpecifier;
    expect(specifier?.$case).toBe('extension');
    if (specifier?.$case !== 'extension') return;
    expect(specifier.value.name).toBe('envoy.rate_limit_descriptors.expr');
    const config = specifier.value.typedConfig;
    expect(config?.typeUrl).toBe(
      'type.googleapis.com/envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor',
    );
    expect(
      envoyFilters.rateLimitDescriptorExpr.Descriptor.decode(config?.value ?? new Uint8Array()),
    ).toEqual({ descriptorKey: 'match-1', skipIfError: false, text });
  });
});
