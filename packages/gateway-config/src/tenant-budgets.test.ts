import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFilterConfig } from '@aigw/filterapi';
import { stringify } from 'yaml';

import { isResourceError } from './errors.js';
import { loadResources } from './resources.js';
import { buildStandalone, type StandaloneConfig } from './standalone.js';
import { translateToKubernetes } from './translate.js';

const basic = readFileSync(new URL('testdata/basic.yaml', import.meta.url), 'utf8');
const options = {
  listenPort: 1975,
  adminPort: 9901,
  extprocSocket: '/run/aigw/extproc.sock',
  stateDir: '/var/lib/aigw',
  rateLimit: { host: '127.0.0.1', port: 8081 },
};
const sha = (key: string): string => createHash('sha256').update(key).digest('hex');

const catalog = `
currency: USD
models:
  - model: gpt-4o-mini
    price: {input: 150000, cachedInput: 75000, output: 600000}
  - backend: bedrock
    model: us.meta.*
    price: {input: 100000, output: 100000, reasoning: 200000}
`;

interface Parts {
  readonly annotations?: string;
  readonly secret?: string;
  readonly prices?: string;
  readonly extra?: string;
}

function input(parts: Parts = {}): string {
  const annotations =
    parts.annotations ??
    '{aigateway.envoyproxy.io/client-keys: client-keys, aigateway.envoyproxy.io/price-catalog: prices}';
  return [
    basic.replace(
      '  name: aigw\n',
      '  name: aigw\n  annotations: {aigateway.envoyproxy.io/gateway-config: gwc}\n',
    ),
    `apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: GatewayConfig\nmetadata: {name: gwc, annotations: ${annotations}}\nspec: {}`,
    `apiVersion: v1\nkind: Secret\nmetadata: {name: client-keys}\nstringData:\n${
      parts.secret ??
      `  acme: ${sha('sk-acme-1')} ${sha('sk-acme-2')}\n  globex: ${sha('sk-globex')}`
    }`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: prices}\ndata:\n  prices.yaml: ${JSON.stringify(
      parts.prices ?? catalog,
    )}`,
    ...(parts.extra === undefined ? [] : [parts.extra]),
  ].join('\n---\n');
}

const build = (parts: Parts = {}): StandaloneConfig =>
  buildStandalone(loadResources([{ path: 'in.yaml', text: input(parts) }]), options);

function problems(parts: Parts): readonly string[] {
  try {
    build(parts);
  } catch (err) {
    if (isResourceError(err)) return err.problems;
    throw err;
  }
  return [];
}

describe('tenants and money budgets from a GatewayConfig (aigw run)', () => {
  it('puts the client key digests and the price catalog into the filter config', () => {
    const parsed = parseFilterConfig(stringify(build().filterConfig));
    expect(parsed.tenants).toEqual({
      tenantHeader: 'x-aigw-tenant',
      required: true,
      keys: [
        { tenant: 'acme', sha256: sha('sk-acme-1') },
        { tenant: 'acme', sha256: sha('sk-acme-2') },
        { tenant: 'globex', sha256: sha('sk-globex') },
      ],
    });
    expect(parsed.prices).toEqual({
      currency: 'USD',
      metadataKey: 'llm_cost',
      budgetUnit: 'micro',
      models: [
        { model: 'gpt-4o-mini', price: { input: 150000, cachedInput: 75000, output: 600000 } },
        {
          backend: 'default/bedrock',
          model: 'us.meta.*',
          price: { input: 100000, output: 100000, reasoning: 200000 },
        },
      ],
    });
    // The key itself is nowhere in what aigw run writes.
    expect(JSON.stringify(build())).not.toContain('sk-acme-1');
  });

  it('makes keys optional with client-keys-required: "false"', () => {
    const config = build({
      annotations:
        '{aigateway.envoyproxy.io/client-keys: client-keys, aigateway.envoyproxy.io/client-keys-required: "false", aigateway.envoyproxy.io/price-catalog: prices}',
    });
    expect(parseFilterConfig(stringify(config.filterConfig)).tenants?.required).toBe(false);
  });

  it('refuses a raw key where a digest belongs, without printing it', () => {
    const found = problems({ secret: '  acme: sk-live-raw-key' });
    expect(found).toEqual([
      'in.yaml: Secret default/client-keys: data[acme]: value 1 is not a SHA-256 digest (64 hex digits); store what `aigw hash-key` prints, never the key itself',
    ]);
    expect(found.join('\n')).not.toContain('sk-live-raw-key');
  });

  it.each([
    [
      'a price missing for a model a route sends',
      { prices: 'currency: USD\nmodels:\n  - {model: gpt-4o-mini, price: {input: 1, output: 1}}' },
      'in.yaml: AIGatewayRoute default/chat: spec.rules[0].backendRefs[1]: model "us.meta.llama3-2-1b-instruct-v1:0" on default/bedrock has no price in the price catalog (add it to prices.yaml\'s models, or set a default)',
    ],
    [
      'a negative price',
      { prices: 'currency: USD\nmodels:\n  - {model: "*", price: {input: -1, output: 1}}' },
      'in.yaml: ConfigMap default/prices: data[prices.yaml]: models[0].price.input: Too small: expected number to be >=0',
    ],
    [
      'an unknown currency unit',
      { prices: 'currency: dollars\ndefault: {input: 1, output: 1}\nmodels: []' },
      'in.yaml: ConfigMap default/prices: data[prices.yaml]: currency: must be an ISO 4217 code such as USD',
    ],
    [
      'an unknown field',
      {
        prices:
          'currency: USD\nmodels:\n  - {model: "*", price: {input: 1, output: 1, cacheRead: 1}}',
      },
      'in.yaml: ConfigMap default/prices: data[prices.yaml]: models[0].price.cacheRead: unknown field',
    ],
    [
      'a backend that does not exist',
      {
        prices:
          'currency: USD\ndefault: {input: 1, output: 1}\nmodels:\n  - {backend: nope, model: x, price: {input: 1, output: 1}}',
      },
      'in.yaml: ConfigMap default/prices: data[prices.yaml]: models[0].backend: AIServiceBackend default/nope not found',
    ],
    [
      'a required flag that is not a boolean',
      {
        annotations:
          '{aigateway.envoyproxy.io/client-keys: client-keys, aigateway.envoyproxy.io/client-keys-required: "yes"}',
      },
      'in.yaml: GatewayConfig default/gwc: metadata.annotations[aigateway.envoyproxy.io/client-keys-required]: expected "true" or "false"',
    ],
    [
      'a Secret that does not exist',
      { annotations: '{aigateway.envoyproxy.io/client-keys: other}' },
      'in.yaml: GatewayConfig default/gwc: metadata.annotations[aigateway.envoyproxy.io/client-keys]: Secret default/other not found',
    ],
  ])('refuses %s, naming the field', (_what, parts, problem) => {
    expect(problems(parts)).toEqual([problem]);
  });

  it('refuses a money budget when no price catalog is configured', () => {
    const budget = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: money}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - clientSelectors: [{headers: [{name: x-aigw-tenant, type: Distinct}]}]
          limit: {requests: 5000000, unit: Month}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_cost}}`;
    expect(
      problems({
        annotations: '{aigateway.envoyproxy.io/client-keys: client-keys}',
        extra: budget,
      }),
    ).toEqual([
      'in.yaml: BackendTrafficPolicy default/money: spec.rateLimit.global.rules[0].cost.response.metadata.key: charges llm_cost, the cost in money, but no GatewayConfig has a price catalog (annotation aigateway.envoyproxy.io/price-catalog)',
    ]);
    // With the catalog, the same budget is a per-tenant limit on the cost key.
    const config = build({ extra: budget });
    expect(JSON.stringify(config.xds['xds/rds.yaml'])).toContain(
      '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_cost)%',
    );
    expect(JSON.stringify(config.rateLimitRules)).toContain('"requests_per_unit":5000000');
  });

  it.each([
    [
      'an unknown unit',
      '{requests: 10, unit: Fortnight}',
      /spec\.rateLimit\.global\.rules\[0\]\.limit\.unit: expected one of Second\|Minute\|Hour\|Day\|Month\|Year/,
    ],
    [
      'a negative limit',
      '{requests: -1, unit: Day}',
      /spec\.rateLimit\.global\.rules\[0\]\.limit\.requests: Too small: expected number to be >=0/,
    ],
  ])('refuses a token budget with %s', (_what, limit, problem) => {
    const budget = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: tokens}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}]
  rateLimit:
    type: Global
    global:
      rules:
        - limit: ${limit}
          cost:
            request: {from: Number, number: 0}
            response: {from: Metadata, metadata: {namespace: io.envoy.ai_gateway, key: llm_total_token}}`;
    let message = '';
    try {
      build({ extra: budget });
    } catch (err) {
      message = isResourceError(err) ? err.problems.join('\n') : String(err);
    }
    expect(message).toMatch(problem);
  });

  it('refuses annotations on a GatewayConfig no Gateway names', () => {
    const text = [
      basic,
      'apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: GatewayConfig\nmetadata: {name: lonely, annotations: {aigateway.envoyproxy.io/client-keys: k}}\nspec: {}',
    ].join('\n---\n');
    let found: readonly string[] = [];
    try {
      buildStandalone(loadResources([{ path: 'in.yaml', text }]), options);
    } catch (err) {
      if (isResourceError(err)) found = err.problems;
    }
    expect(found).toEqual([
      'in.yaml: GatewayConfig default/lonely: metadata.annotations: no Gateway names this GatewayConfig (annotation aigateway.envoyproxy.io/gateway-config), so its client keys and prices would apply nowhere',
    ]);
  });
});

describe('budget limits the limiter cannot hold', () => {
  const quota = (limit: string): string =>
    `apiVersion: aigateway.envoyproxy.io/v1alpha1\nkind: QuotaPolicy\nmetadata: {name: q}\nspec:\n  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai}]\n  serviceQuota: {quota: {limit: ${limit}, duration: 1h}}`;

  it.each([
    ['-5', 'in.yaml: QuotaPolicy default/q: spec.serviceQuota.defaultBucket.limit: -5 is negative'],
    [
      '5000000000',
      "in.yaml: QuotaPolicy default/q: spec.serviceQuota.defaultBucket.limit: 5000000000 is above the limiter's 32-bit maximum (4294967295); a money budget can count in milli-units or cents (the price catalog's budgetUnit)",
    ],
  ])('refuses a QuotaPolicy limit of %s', (limit, problem) => {
    expect(problems({ extra: quota(limit) })).toEqual([problem]);
  });

  it('refuses an unknown budget unit in the price catalog', () => {
    expect(
      problems({
        prices: 'currency: USD\nbudgetUnit: dollar\ndefault: {input: 1, output: 1}\nmodels: []',
      }),
    ).toEqual([
      'in.yaml: ConfigMap default/prices: data[prices.yaml]: budgetUnit: expected one of micro|milli|cent',
    ]);
  });
});

describe('aigw translate (Kubernetes)', () => {
  /** The filter config of the Gateway's legacy config Secret. */
  function translatedConfig(parts: Parts = {}): ReturnType<typeof parseFilterConfig> {
    const objects = translateToKubernetes(loadResources([{ path: 'in.yaml', text: input(parts) }]));
    const secret = objects.find(
      (o) => o.kind === 'Secret' && (o.metadata as { name?: string }).name === 'aigw-default',
    ) as { stringData?: Record<string, string>; data?: Record<string, string> } | undefined;
    const text =
      secret?.stringData?.['filter-config.yaml'] ??
      Buffer.from(secret?.data?.['filter-config.yaml'] ?? '', 'base64').toString('utf8');
    return parseFilterConfig(text);
  }

  it('writes the client key digests and the price catalog into the Gateway config, as aigw run', () => {
    const parsed = translatedConfig();
    const standalone = parseFilterConfig(stringify(build().filterConfig));
    expect(parsed.tenants).toEqual(standalone.tenants);
    expect(parsed.prices).toEqual(standalone.prices);
    expect(parsed.tenants?.keys).toHaveLength(3);
  });

  it('refuses a raw key in the Secret, naming the entry and not the value', () => {
    let found: readonly string[] = [];
    try {
      translatedConfig({ secret: `  acme: sk-live-raw-key` });
    } catch (err) {
      if (isResourceError(err)) found = err.problems;
    }
    expect(found).toEqual([
      'in.yaml: Secret default/client-keys: data[acme]: value 1 is not a SHA-256 digest (64 hex digits); store what `aigw hash-key` prints, never the key itself',
    ]);
    expect(found.join('\n')).not.toContain('sk-live-raw-key');
  });
});
