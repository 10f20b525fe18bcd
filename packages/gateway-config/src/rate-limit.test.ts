import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { planRoutes } from './plan.js';
import type { RateLimitAction } from './envoy/types.js';
import { buildRateLimits } from './rate-limit.js';
import { loadResources } from './resources.js';

const basic = readFileSync(new URL('testdata/basic.yaml', import.meta.url), 'utf8');

function limits(extra: string): ReturnType<typeof buildRateLimits> {
  return buildRateLimits(
    planRoutes(loadResources([{ path: 'in.yaml', text: `${basic}\n---\n${extra}` }])),
  );
}

const tokenPolicy = `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: tokens}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors:
            - headers:
                - {name: x-user-id, type: Distinct}
                - {name: x-tier, value: free}
          limit: {requests: 1000, unit: Hour}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}
`;

describe('buildRateLimits: BackendTrafficPolicy', () => {
  const result = limits(tokenPolicy);
  const actions = [
    { generic_key: { descriptor_key: 'limit', descriptor_value: 'default/tokens/rule/0' } },
    { request_headers: { header_name: 'x-user-id', descriptor_key: 'match-0' } },
    {
      header_value_match: {
        descriptor_key: 'match-1',
        descriptor_value: 'match-1',
        expect_match: true,
        headers: [{ name: 'x-tier', string_match: { exact: 'free' } }],
      },
    },
  ];

  it('checks on the request path and charges the metadata when the stream ends', () => {
    const entries = [
      { actions, hits_addend: { number: 0 } },
      {
        actions,
        apply_on_stream_done: true,
        hits_addend: { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%' },
      },
    ];
    expect(result.problems).toEqual([]);
    expect(result.needsRateLimit).toBe(true);
    expect(result.routeRateLimits.get('default/chat/rule/0')).toEqual(entries);
    expect(result.routeRateLimits.get('default/chat/rule/1')).toEqual(entries);
    expect(result.owners).toEqual(['in.yaml: BackendTrafficPolicy default/tokens']);
  });

  it('writes one descriptor level per selector, the limit on the last', () => {
    expect(result.rules).toEqual({
      domain: 'ai-gateway',
      descriptors: [
        {
          key: 'limit',
          value: 'default/tokens/rule/0',
          descriptors: [
            {
              key: 'match-0',
              descriptors: [
                {
                  key: 'match-1',
                  value: 'match-1',
                  rate_limit: { unit: 'hour', requests_per_unit: 1000 },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('counts requests when there is no cost, and puts the limit at the top without selectors', () => {
    const result = limits(`
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: requests}
spec:
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: aigw}
  rateLimit:
    global:
      rules: [{limit: {requests: 5, unit: Second}, shadowMode: true}]
`);
    expect(result.routeRateLimits.get('default/chat/rule/0')).toEqual([
      {
        actions: [
          { generic_key: { descriptor_key: 'limit', descriptor_value: 'default/requests/rule/0' } },
        ],
      },
    ]);
    expect(result.rules).toEqual({
      domain: 'ai-gateway',
      descriptors: [
        {
          key: 'limit',
          value: 'default/requests/rule/0',
          rate_limit: { unit: 'second', requests_per_unit: 5 },
          shadow_mode: true,
        },
      ],
    });
  });

  it.each([
    {
      what: 'other BackendTrafficPolicy features',
      policy: tokenPolicy.replace('  rateLimit:', '  retry: {numRetries: 2}\n  rateLimit:'),
      problem:
        'in.yaml: BackendTrafficPolicy default/tokens: spec.retry: not supported by aigw (only rateLimit is)',
    },
    {
      what: 'a metadata cost without metadata',
      policy: tokenPolicy.replace(
        'response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}',
        'response: {from: Metadata}',
      ),
      problem:
        'in.yaml: BackendTrafficPolicy default/tokens: spec.rateLimit.global.rules[0].cost.response: metadata is required when from is Metadata',
    },
    {
      what: 'an exact selector without a value',
      policy: tokenPolicy.replace('{name: x-tier, value: free}', '{name: x-tier}'),
      problem:
        'in.yaml: BackendTrafficPolicy default/tokens: spec.rateLimit.global.rules[0].clientSelectors.headers[1].value: required for type Exact',
    },
  ])('reports $what', ({ policy, problem }) => {
    expect(limits(policy).problems).toContainEqual(problem);
  });
});

describe('buildRateLimits: selectors on the headers the gateway sets read its metadata', () => {
  const policy = tokenPolicy.replace(
    `                - {name: x-user-id, type: Distinct}
                - {name: x-tier, value: free}`,
    `                - {name: X-AIGW-Tenant, type: Distinct}
                - {name: x-ai-eg-model, value: "gpt-4o's"}
                - {name: x-ai-eg-model, type: RegularExpression, value: 'llama-.*'}
                - {name: x-ai-eg-model, value: gpt-5, invert: true}`,
  );
  const result = limits(policy);
  const model = "metadata.filter_metadata['io.envoy.ai_gateway']['request_model']";
  const present =
    "('io.envoy.ai_gateway' in metadata.filter_metadata && 'request_model' in metadata.filter_metadata['io.envoy.ai_gateway'])";
  const cel = (key: string, text: string): RateLimitAction => ({
    extension: {
      name: 'envoy.rate_limit_descriptors.expr',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.rate_limit_descriptors.expr.v3.Descriptor',
        descriptor_key: key,
        text,
      },
    },
  });

  it('Distinct: a metadata action (no descriptor when absent); matches: a CEL descriptor', () => {
    expect(result.problems).toEqual([]);
    const [check] = result.routeRateLimits.get('default/chat/rule/0') ?? [];
    expect(check?.actions).toEqual([
      { generic_key: { descriptor_key: 'limit', descriptor_value: 'default/tokens/rule/0' } },
      {
        metadata: {
          descriptor_key: 'match-0',
          metadata_key: { key: 'io.envoy.ai_gateway', path: [{ key: 'tenant' }] },
          source: 'DYNAMIC',
        },
      },
      cel('match-1', `(${present} && ${model} == 'gpt-4o\\'s') ? 'match-1' : {}['no match']`),
      cel(
        'match-2',
        `(${present} && ${model}.matches('^(?:llama-.*)$')) ? 'match-2' : {}['no match']`,
      ),
      cel('match-3', `!(${present} && ${model} == 'gpt-5') ? 'match-3' : {}['no match']`),
    ]);
  });

  it('keeps the limiter rules: a matched level is <key>=<key>, a distinct one any value', () => {
    const [tree] = result.rules?.descriptors ?? [];
    expect(tree).toMatchObject({
      key: 'limit',
      descriptors: [
        {
          key: 'match-0',
          descriptors: [{ key: 'match-1', value: 'match-1', descriptors: [{ value: 'match-2' }] }],
        },
      ],
    });
    expect(JSON.stringify(tree)).not.toContain('"key":"match-0","value"');
  });
});

const quotaPolicy = `
apiVersion: aigateway.envoyproxy.io/v1alpha1
kind: QuotaPolicy
metadata: {name: quota}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: bedrock}]
  serviceQuota:
    quota: {limit: 5000, duration: 1h}
  perModelQuotas:
    - modelName: us.meta.llama3-2-1b-instruct-v1:0
      quota:
        mode: Shared
        costExpression: input_tokens + output_tokens * 4u
        defaultBucket: {limit: 100, duration: 1m}
        bucketRules:
          - clientSelectors: [{headers: [{name: x-tenant, type: Distinct}]}]
            quota: {limit: 20, duration: 60s}
            shadowMode: true
`;

describe('buildRateLimits: QuotaPolicy', () => {
  const result = limits(quotaPolicy);

  it('charges a CEL cost that is the quota cost only for the backend (and model) it covers', () => {
    expect(result.problems).toEqual([]);
    expect(result.costs).toEqual([
      {
        metadataKey: 'aigw_quota_0',
        type: 'CEL',
        cel: '(backend in ["default/bedrock/route/chat/rule/0/ref/1", "default/bedrock/route/chat/rule/1/ref/0"]) ? uint(total_tokens) : 0u',
      },
      {
        // Rule 0 overrides the model to the quota's; rule 1 (model ~llama-.*) can never send it.
        metadataKey: 'aigw_quota_1',
        type: 'CEL',
        cel: '(backend in ["default/bedrock/route/chat/rule/0/ref/1"]) ? uint(input_tokens + output_tokens * 4u) : 0u',
      },
    ]);
  });

  it('scopes a per-model quota to the requested model where the rule does not override it', () => {
    const result = limits(
      quotaPolicy.replace('modelName: us.meta.llama3-2-1b-instruct-v1:0', 'modelName: llama-3'),
    );
    expect(result.costs[1]?.cel).toBe(
      '((backend in ["default/bedrock/route/chat/rule/1/ref/0"] && model == "llama-3")) ? uint(input_tokens + output_tokens * 4u) : 0u',
    );
    expect(result.routeRateLimits.get('default/chat/rule/0')).toHaveLength(2);
    expect(result.routeRateLimits.get('default/chat/rule/1')).toHaveLength(6);
  });

  it('checks every quota of the backend on its routes and charges each when the stream ends', () => {
    const entries = result.routeRateLimits.get('default/chat/rule/0') ?? [];
    const limitId = (action: RateLimitAction | undefined): string | undefined =>
      action !== undefined && 'generic_key' in action
        ? action.generic_key.descriptor_value
        : undefined;
    expect(entries.map((e) => [limitId(e.actions[0]), e.hits_addend])).toEqual([
      ['default/quota/backend/bedrock/service', { number: 0 }],
      [
        'default/quota/backend/bedrock/service',
        { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:aigw_quota_0)%' },
      ],
      ['default/quota/backend/bedrock/model/us.meta.llama3-2-1b-instruct-v1:0', { number: 0 }],
      [
        'default/quota/backend/bedrock/model/us.meta.llama3-2-1b-instruct-v1:0',
        { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:aigw_quota_1)%' },
      ],
      [
        'default/quota/backend/bedrock/model/us.meta.llama3-2-1b-instruct-v1:0/bucket/0',
        { number: 0 },
      ],
      [
        'default/quota/backend/bedrock/model/us.meta.llama3-2-1b-instruct-v1:0/bucket/0',
        { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:aigw_quota_1)%' },
      ],
    ]);
  });

  it('writes the windows as limiter units', () => {
    expect(result.rules).toEqual({
      domain: 'ai-gateway',
      descriptors: [
        {
          key: 'limit',
          value: 'default/quota/backend/bedrock/service',
          rate_limit: { unit: 'hour', requests_per_unit: 5000 },
        },
        {
          key: 'limit',
          value: 'default/quota/backend/bedrock/model/us.meta.llama3-2-1b-instruct-v1:0',
          rate_limit: { unit: 'minute', requests_per_unit: 100 },
        },
        {
          key: 'limit',
          value: 'default/quota/backend/bedrock/model/us.meta.llama3-2-1b-instruct-v1:0/bucket/0',
          descriptors: [
            {
              key: 'match-0',
              rate_limit: { unit: 'minute', requests_per_unit: 20 },
              shadow_mode: true,
            },
          ],
        },
      ],
    });
  });

  it('reports a window the limiter does not have', () => {
    expect(limits(quotaPolicy.replace('duration: 1h', 'duration: 90m')).problems).toEqual([
      'in.yaml: QuotaPolicy default/quota: spec.serviceQuota.defaultBucket.duration: "90m" is not a window the limiter has (1s, 1m, 1h, 24h or 168h)',
    ]);
  });

  it('counts nothing for a backend no route sends to', () => {
    const result = limits(
      quotaPolicy
        .replace('name: bedrock}]', 'name: openai}]')
        .replace('modelName: us.meta.llama3-2-1b-instruct-v1:0', 'modelName: other-model'),
    );
    expect(result.costs.map((c) => c.metadataKey)).toEqual(['aigw_quota_0']);
    expect(result.routeRateLimits.has('default/chat/rule/1')).toBe(false);
  });

  it('needs no limiter without policies', () => {
    const result = buildRateLimits(planRoutes(loadResources([{ path: 'in.yaml', text: basic }])));
    expect(result).toMatchObject({ needsRateLimit: false, rules: undefined, costs: [] });
  });
});

describe('buildRateLimits: token reservation (docs/budgets.md)', () => {
  const annotated = (annotations: string) =>
    tokenPolicy.replace(
      'metadata: {name: tokens}',
      `metadata: {name: tokens, annotations: {${annotations}}}`,
    );
  const limitAction = {
    generic_key: { descriptor_key: 'limit', descriptor_value: 'default/tokens/rule/0' },
  };

  it('checks, reserves the estimate, and reconciles the usage with what was reserved', () => {
    const result = limits(annotated('aigateway.envoyproxy.io/token-reservation: "true"'));
    expect(result.problems).toEqual([]);
    const entries = result.routeRateLimits.get('default/chat/rule/0') ?? [];
    expect(entries).toHaveLength(3);
    const [check, reserve, reconcile] = entries;
    expect(check).toMatchObject({ hits_addend: { number: 0 } });
    expect(check?.actions).toHaveLength(3);
    expect(reserve?.actions[0]).toEqual(limitAction);
    expect(reserve?.actions.at(-1)).toEqual({
      generic_key: { descriptor_key: 'aigw_reserve', descriptor_value: '1' },
    });
    expect(reserve?.hits_addend).toEqual({
      format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:reserved_tokens)%',
    });
    expect(reconcile).toMatchObject({
      apply_on_stream_done: true,
      hits_addend: { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%' },
    });
    expect(reconcile?.actions.at(-1)).toEqual({
      metadata: {
        descriptor_key: 'aigw_reserved',
        metadata_key: { key: 'envoy.filters.http.ratelimit', path: [{ key: 'aigw_reserved' }] },
        default_value: '0',
        source: 'DYNAMIC',
      },
    });
    expect(result.tokenReservation).toEqual({ defaultOutputTokens: 4096, inputBytesPerToken: 1 });
    // The limiter's rules do not change: the reservation entries are stripped before matching.
    expect(result.rules).toEqual(limits(tokenPolicy).rules);
  });

  it('takes the default output estimate from the policy', () => {
    const result = limits(
      annotated(
        'aigateway.envoyproxy.io/token-reservation: "true", aigateway.envoyproxy.io/token-reservation-default-output-tokens: "512"',
      ),
    );
    expect(result.tokenReservation?.defaultOutputTokens).toBe(512);
  });

  it('leaves a policy without the annotation charge-after, with no estimate', () => {
    const result = limits(tokenPolicy);
    expect(result.routeRateLimits.get('default/chat/rule/0')).toHaveLength(2);
    expect(result.tokenReservation).toBeUndefined();
  });

  it.each([
    {
      annotations: 'aigateway.envoyproxy.io/token-reservation: "yes"',
      problem:
        'metadata.annotations[aigateway.envoyproxy.io/token-reservation]: expected "true" or "false"',
    },
    {
      annotations:
        'aigateway.envoyproxy.io/token-reservation: "true", aigateway.envoyproxy.io/token-reservation-default-output-tokens: "lots"',
      problem: 'expected a whole number of tokens',
    },
  ])('reports a bad annotation: $annotations', ({ annotations, problem }) => {
    const result = limits(annotated(annotations));
    expect(result.problems).toEqual([expect.stringContaining(problem)]);
  });

  it('reports a reserving policy none of whose limits charges total tokens', () => {
    const result = limits(
      annotated('aigateway.envoyproxy.io/token-reservation: "true"').replace(
        'key: llm_total_token',
        'key: llm_output_token',
      ),
    );
    expect(result.problems).toEqual([expect.stringContaining('no limit of the policy charges')]);
    expect(result.routeRateLimits.get('default/chat/rule/0')).toHaveLength(2);
  });

  it('reserves on a QuotaPolicy whose cost is total tokens, not on a custom cost expression', () => {
    const result = limits(
      quotaPolicy.replace(
        /metadata: \{name: quota\}/,
        'metadata: {name: quota, annotations: {aigateway.envoyproxy.io/token-reservation: "true"}}',
      ),
    );
    expect(result.problems).toEqual([]);
    const entries = result.routeRateLimits.get('default/chat/rule/0') ?? [];
    // The service quota (total_tokens) reserves (3 entries); the per-model ones (a custom cost) do not.
    expect(entries).toHaveLength(3 + 2 + 2);
    expect(result.tokenReservation).toBeDefined();
  });
});

describe('buildRateLimits: hard budgets (aigateway.envoyproxy.io/token-budget-enforcement)', () => {
  const annotated = (annotations: string) =>
    tokenPolicy.replace(
      'metadata: {name: tokens}',
      `metadata: {name: tokens, annotations: {${annotations}}}`,
    );

  it('names the hard limit by size and window for the extproc; the entries do not change', () => {
    const result = limits(annotated('aigateway.envoyproxy.io/token-budget-enforcement: hard'));
    expect(result.problems).toEqual([]);
    expect(result.tokenReservation).toEqual({
      defaultOutputTokens: 4096,
      inputBytesPerToken: 1,
      hardLimits: [{ tokens: 1000, windowSeconds: 3600, reserves: false }],
    });
    expect(result.routeRateLimits).toEqual(limits(tokenPolicy).routeRateLimits);
  });

  it('notes that a hard limit also reserves', () => {
    const result = limits(
      annotated(
        'aigateway.envoyproxy.io/token-budget-enforcement: hard, aigateway.envoyproxy.io/token-reservation: "true", aigateway.envoyproxy.io/token-reservation-default-output-tokens: "256"',
      ),
    );
    expect(result.problems).toEqual([]);
    expect(result.tokenReservation).toEqual({
      defaultOutputTokens: 256,
      inputBytesPerToken: 1,
      hardLimits: [{ tokens: 1000, windowSeconds: 3600, reserves: true }],
    });
  });

  it('leaves "soft" (the default) charge-after with no settings', () => {
    const result = limits(annotated('aigateway.envoyproxy.io/token-budget-enforcement: soft'));
    expect(result.problems).toEqual([]);
    expect(result.tokenReservation).toBeUndefined();
  });

  it('reports a bad value, and a hard policy none of whose limits charges total tokens', () => {
    const bad = limits(annotated('aigateway.envoyproxy.io/token-budget-enforcement: strict'));
    expect(bad.problems).toEqual([expect.stringContaining('expected "hard" or "soft"')]);
    const output = limits(
      annotated('aigateway.envoyproxy.io/token-budget-enforcement: hard').replace(
        'key: llm_total_token',
        'key: llm_output_token',
      ),
    );
    expect(output.problems).toEqual([expect.stringContaining('no limit of the policy charges')]);
    expect(output.tokenReservation).toBeUndefined();
  });

  it('names a QuotaPolicy window in seconds (its total-token quota only)', () => {
    const result = limits(
      quotaPolicy.replace(
        /metadata: \{name: quota\}/,
        'metadata: {name: quota, annotations: {aigateway.envoyproxy.io/token-budget-enforcement: hard}}',
      ),
    );
    expect(result.problems).toEqual([]);
    expect(result.tokenReservation?.hardLimits).toHaveLength(1);
  });
});

describe('buildRateLimits: calendar windows (aigateway.envoyproxy.io/budget-time-zone)', () => {
  const monthly = (annotations: string): string =>
    tokenPolicy
      .replace(
        'metadata: {name: tokens}',
        `metadata: {name: tokens, annotations: {${annotations}}}`,
      )
      .replace('unit: Hour', 'unit: Month');

  it('puts a monthly budget on the calendar of the time zone', () => {
    const result = limits(monthly('aigateway.envoyproxy.io/budget-time-zone: Europe/Berlin'));
    expect(result.problems).toEqual([]);
    expect(JSON.stringify(result.rules)).toContain(
      '"rate_limit":{"unit":"month","requests_per_unit":1000,"calendar_time_zone":"Europe/Berlin"}',
    );
  });

  it('keeps a budget without the annotation on fixed windows', () => {
    expect(JSON.stringify(limits(monthly('x: y')).rules)).not.toContain('calendar_time_zone');
  });

  it('reports an unknown zone, and a policy with no limit of a day or longer', () => {
    expect(limits(monthly('aigateway.envoyproxy.io/budget-time-zone: Mars/Base')).problems).toEqual(
      [
        'in.yaml: default/tokens: metadata.annotations[aigateway.envoyproxy.io/budget-time-zone]: unknown time zone "Mars/Base" (an IANA name such as Europe/Berlin)',
      ],
    );
    const hourly = tokenPolicy.replace(
      'metadata: {name: tokens}',
      'metadata: {name: tokens, annotations: {aigateway.envoyproxy.io/budget-time-zone: UTC}}',
    );
    expect(limits(hourly).problems).toEqual([
      'in.yaml: default/tokens: metadata.annotations[aigateway.envoyproxy.io/budget-time-zone]: no limit of the policy has a unit of a day or longer',
    ]);
  });
});
