import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ratelimit } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../rules/compile-rules.js';
import { parseRulesFile } from '../rules/load-rules.js';
import type { RuleSet } from '../rules/rule-set.js';
import { matchLimit, wildcardMatch } from './match-limit.js';

const rules = compileRules([
  parseRulesFile(
    'm.yaml',
    `
domain: m
descriptors:
  - key: remote_address
    rate_limit: {unit: second, requests_per_unit: 10}
  - key: remote_address
    value: 50.0.0.5
    rate_limit: {unit: second, requests_per_unit: 0}
  - key: path
    value: /api/*
    rate_limit: {unit: minute, requests_per_unit: 20}
  - key: path
    value: /api/v2/*
    rate_limit: {unit: minute, requests_per_unit: 99}
  - key: files
    value: files/*
    share_threshold: true
    rate_limit: {unit: hour, requests_per_unit: 100}
  - key: model
    value: gpt-*
    share_threshold: true
    descriptors:
      - key: user
        rate_limit: {unit: day, requests_per_unit: 7}
  - key: tenant
    value: t*
    value_to_metric: true
    rate_limit: {unit: hour, requests_per_unit: 5}
  - key: detailed
    detailed_metric: true
    rate_limit: {unit: hour, requests_per_unit: 5}
  - key: message_type
    value: marketing
    descriptors:
      - key: to_number
        rate_limit: {unit: day, requests_per_unit: 5}
  - key: to_number
    rate_limit: {unit: day, requests_per_unit: 100}
  - key: key
    value: value
    rate_limit: {unit: second, requests_per_unit: 300}
`,
  ),
]);

function descriptor(
  entries: readonly (readonly [string, string])[],
  extra: Partial<ratelimit.RateLimitDescriptor> = {},
): ratelimit.RateLimitDescriptor {
  return {
    entries: entries.map(([key, value]) => ({ key, value })),
    isNegativeHits: false,
    ...extra,
  };
}

function limitOf(entries: readonly (readonly [string, string])[]): number | undefined {
  return matchLimit({ rules, domain: 'm', descriptor: descriptor(entries) })?.rule.requestsPerUnit;
}

describe('descriptor matching', () => {
  it.each([
    { entries: [['remote_address', '50.0.0.1']], limit: 10, why: 'default key (no value)' },
    { entries: [['remote_address', '50.0.0.5']], limit: 0, why: 'exact value before default key' },
    { entries: [['path', '/api/users']], limit: 20, why: 'wildcard value' },
    { entries: [['path', '/api/v2/x']], limit: 20, why: 'first wildcard in file order wins' },
    { entries: [['path', '/other']], limit: undefined, why: 'no match' },
    {
      entries: [
        ['message_type', 'marketing'],
        ['to_number', '2061111111'],
      ],
      limit: 5,
      why: 'nested',
    },
    { entries: [['to_number', '2061111111']], limit: 100, why: 'top-level default key' },
    {
      entries: [['message_type', 'marketing']],
      limit: undefined,
      why: 'placeholder without limit',
    },
    {
      entries: [
        ['key', 'value'],
        ['subkey', 'subvalue'],
      ],
      limit: undefined,
      why: 'deeper request than config',
    },
    {
      entries: [
        ['model', 'gpt-4o'],
        ['user', 'u1'],
      ],
      limit: 7,
      why: 'wildcard parent, nested limit',
    },
  ] as const)('$why: $entries → $limit', ({ entries, limit }) => {
    expect(limitOf(entries)).toBe(limit);
  });

  it('share_threshold replaces the value by the pattern for the cache key', () => {
    const a = matchLimit({
      rules,
      domain: 'm',
      descriptor: descriptor([['files', 'files/a.pdf']]),
    });
    expect(a?.sharedValues).toEqual(['files/*']);
    const nested = matchLimit({
      rules,
      domain: 'm',
      descriptor: descriptor([
        ['model', 'gpt-4o'],
        ['user', 'u1'],
      ]),
    });
    expect(nested?.sharedValues).toEqual(['gpt-*', undefined]);
  });

  it('builds stats keys as upstream: config path, value_to_metric, detailed_metric', () => {
    const statKey = (entries: readonly (readonly [string, string])[]): string | undefined =>
      matchLimit({ rules, domain: 'm', descriptor: descriptor(entries) })?.statKey;
    expect(statKey([['remote_address', '50.0.0.1']])).toBe('m.remote_address');
    expect(statKey([['path', '/api/users']])).toBe('m.path_/api/*');
    expect(statKey([['tenant', 'team-a']])).toBe('m.tenant_team-a');
    expect(statKey([['detailed', 'x']])).toBe('m.detailed_x');
    expect(statKey([['files', 'files/b.csv']])).toBe('m.files_files/*');
  });

  it('has no limits for an unknown domain, even with an override', () => {
    const override = { requestsPerUnit: 1, unit: ratelimit.RateLimitUnit.SECOND };
    expect(
      matchLimit({
        rules,
        domain: 'nope',
        descriptor: descriptor([['a', 'b']], { limit: override }),
      }),
    ).toBeUndefined();
  });

  it('lets a descriptor limit override from Envoy win in a known domain', () => {
    const override = { requestsPerUnit: 42, unit: ratelimit.RateLimitUnit.HOUR };
    const matched = matchLimit({
      rules,
      domain: 'm',
      descriptor: descriptor([['remote_address', '1.2.3.4']], { limit: override }),
    });
    expect(matched?.rule).toMatchObject({
      requestsPerUnit: 42,
      unitSeconds: 3600,
      shadowMode: false,
    });
    expect(matched?.statKey).toBe('m.remote_address_1.2.3.4');
  });

  it('rejects an override with an unknown unit', () => {
    const override = { requestsPerUnit: 1, unit: ratelimit.RateLimitUnit.UNKNOWN };
    expect(() =>
      matchLimit({ rules, domain: 'm', descriptor: descriptor([['a', 'b']], { limit: override }) }),
    ).toThrow(/unknown unit/);
  });
});

describe('wildcardMatch: `*` anywhere, each matching any run of characters', () => {
  it.each([
    { pattern: 'k_foo*', value: 'k_foo', match: true },
    { pattern: 'k_foo*', value: 'k_foo1', match: true },
    { pattern: 'k_foo*', value: 'k_fo', match: false },
    { pattern: 'k_bar*b', value: 'k_barb', match: true },
    { pattern: 'k_bar*b', value: 'k_bar123b', match: true },
    { pattern: 'k_bar*b', value: 'k_bara', match: false },
    { pattern: 'k_bar*b', value: 'k_xbarb', match: false },
    { pattern: 'k_foo*bar*baz', value: 'k_foobarbaz', match: true },
    { pattern: 'k_foo*bar*baz', value: 'k_foo1bar2baz', match: true },
    { pattern: 'k_foo*bar*baz', value: 'k_foo1baz', match: false },
    { pattern: 'k_foo*bar*baz', value: 'k_foobazbar', match: false },
    { pattern: 'k_*.example.com', value: 'k_api.example.com', match: true },
    { pattern: 'k_*.example.com', value: 'k_example.com', match: false },
    { pattern: 'k_ab*ba', value: 'k_aba', match: false }, // prefix and suffix may not overlap
    { pattern: 'k_a*bc*c', value: 'k_abcc', match: true },
    { pattern: 'k_a*bc*c', value: 'k_abc', match: false }, // the middle may not eat the suffix
    { pattern: 'k_a**b', value: 'k_ab', match: true },
    { pattern: 'k_*', value: 'k_', match: true },
    { pattern: 'k_v', value: 'k_v', match: true },
  ])('$pattern ~ $value → $match', ({ pattern, value, match }) => {
    expect(wildcardMatch(pattern.split('*'), value)).toBe(match);
  });
});

/** A fixture mirroring a file of envoyproxy/ratelimit's test/config. */
function upstreamRules(name: string): RuleSet {
  const file = fileURLToPath(
    new URL(`../../test/fixtures/upstream/config/${name}`, import.meta.url),
  );
  return compileRules([parseRulesFile(name, readFileSync(file, 'utf8'))]);
}

type Entries = readonly (readonly [string, string])[];

function match(set: RuleSet, entries: Entries) {
  const found = matchLimit({ rules: set, domain: 'test-domain', descriptor: descriptor(entries) });
  if (!found) return undefined;
  return {
    limit: found.rule.requestsPerUnit,
    statKey: found.statKey,
    shared: found.sharedValues,
  };
}

describe('upstream test/config/wildcard.yaml (TestWildcardConfig)', () => {
  const wildcard = upstreamRules('wildcard.yaml');
  it.each([
    { entries: [['noVal', 'foo1']], limit: 20, statKey: 'test-domain.noVal' },
    { entries: [['wild', 'foo1']], limit: 20, statKey: 'test-domain.wild_foo*' },
    { entries: [['wild', 'foo2']], limit: 20, statKey: 'test-domain.wild_foo*' },
    {
      entries: [
        ['nestedWild', 'val1'],
        ['wild', 'goo2'],
      ],
      limit: 20,
      statKey: 'test-domain.nestedWild_val1.wild_goo*',
    },
    { entries: [['wild', 'bar']], limit: undefined },
    { entries: [['noWild', 'foo1']], limit: undefined },
    { entries: [['midWild', 'barab']], limit: 20, statKey: 'test-domain.midWild_bar*b' },
    { entries: [['midWild', 'bar123b']], limit: 20, statKey: 'test-domain.midWild_bar*b' },
    { entries: [['midWild', 'barb']], limit: 20, statKey: 'test-domain.midWild_bar*b' },
    { entries: [['midWild', 'bar*b']], limit: 20, statKey: 'test-domain.midWild_bar*b' },
    { entries: [['midWild', 'bara']], limit: undefined },
    { entries: [['midWild', 'xbarb']], limit: undefined },
    {
      entries: [['multiWild', 'foo123bar456baz']],
      limit: 10,
      statKey: 'test-domain.multiWild_foo*bar*baz',
    },
    { entries: [['multiWild', 'foobarbaz']], limit: 10 },
    { entries: [['multiWild', 'foo123baz']], limit: undefined },
    { entries: [['multiWild', 'bar456baz']], limit: undefined },
  ] as const)('$entries → $limit', ({ entries, limit, ...rest }) => {
    const found = match(wildcard, entries);
    expect(found?.limit).toBe(limit);
    if ('statKey' in rest) expect(found?.statKey).toBe(rest.statKey);
    expect(found?.shared).toBeUndefined();
  });
});

describe('upstream test/config/share_threshold.yaml (TestShareThreshold)', () => {
  const share = upstreamRules('share_threshold.yaml');
  const u = undefined;
  it.each([
    { entries: [['files', 'files/a.pdf']], limit: 100, shared: ['files/*'], stat: 'files_files/*' },
    { entries: [['files', 'files/b.csv']], limit: 100, shared: ['files/*'], stat: 'files_files/*' },
    {
      entries: [
        ['route', 'api/v1'],
        ['method', 'GET'],
      ],
      limit: 60,
      shared: ['api/*', u],
      stat: 'route_api/*.method',
    },
    {
      entries: [
        ['service', 'svc/user'],
        ['endpoint', 'get'],
      ],
      limit: 80,
      shared: ['svc/*', u],
      stat: 'service_svc/*.endpoint_get',
    },
    {
      entries: [
        ['nested', 'parent'],
        ['files', 'nested/file1.txt'],
      ],
      limit: 200,
      shared: [u, 'nested/*'],
      stat: 'nested_parent.files_nested/*',
    },
    {
      entries: [
        ['files', 'top/file1.txt'],
        ['files', 'nested/file1.txt'],
      ],
      limit: 300,
      shared: ['top/*', 'nested/*'],
      stat: 'files_top/*.files_nested/*',
    },
    {
      entries: [
        ['path', 'path/foo'],
        ['file', 'file/doc1'],
        ['type', 'pdf'],
      ],
      limit: 120,
      shared: ['path/*', u, u],
      stat: 'path_path/*.file_file/*.type',
    },
    {
      entries: [
        ['user', 'user/alice'],
        ['resource', 'res/file1'],
        ['action', 'read'],
      ],
      limit: 150,
      shared: ['user/*', 'res/*', u],
      stat: 'user_user/*.resource_res/*.action',
    },
    { entries: [['file', 'test1']], limit: 50, shared: u, stat: 'file_test1' },
    { entries: [['file', 'test2']], limit: 100, shared: ['test*'], stat: 'file_test*' },
    { entries: [['file', 'test123']], limit: 100, shared: ['test*'], stat: 'file_test*' },
    { entries: [['midpath', '/api/v1']], limit: 100, shared: ['/api*v1'], stat: 'midpath_/api*v1' },
    {
      entries: [['midpath', '/apiXYZv1']],
      limit: 100,
      shared: ['/api*v1'],
      stat: 'midpath_/api*v1',
    },
    {
      entries: [['multiroute', 'svceprpc']],
      limit: 50,
      shared: ['svc*ep*rpc'],
      stat: 'multiroute_svc*ep*rpc',
    },
    {
      entries: [['multiroute', 'svcXXXepYYYrpc']],
      limit: 50,
      shared: ['svc*ep*rpc'],
      stat: 'multiroute_svc*ep*rpc',
    },
    {
      entries: [['midroute', '/api-beta-v2']],
      limit: 80,
      shared: ['/api*v2'],
      stat: 'midroute_/api*v2',
    },
    {
      entries: [
        ['tenant', 't99prod'],
        ['resource', 'resBBBv2'],
      ],
      limit: 60,
      shared: ['t*prod', 'res*v2'],
      stat: 'tenant_t*prod.resource_res*v2',
    },
  ] as const)('$entries → $limit, shared $shared', ({ entries, limit, shared, stat }) => {
    expect(match(share, entries)).toEqual({ limit, shared, statKey: `test-domain.${stat}` });
  });

  it.each([[[['midpath', '/api/v2']]], [[['multiroute', 'svcABCrpc']]]] as const)(
    '%j matches nothing',
    (entries) => {
      expect(match(share, entries)).toBeUndefined();
    },
  );
});

describe('wildcard precedence, as upstream', () => {
  const precedence = compileRules([
    parseRulesFile(
      'p.yaml',
      `
domain: test-domain
descriptors:
  - key: path
    value: /api*
    rate_limit: {unit: minute, requests_per_unit: 1}
  - key: path
    value: /api/v1
    rate_limit: {unit: minute, requests_per_unit: 2}
  - key: path
    value: /api*v1
    rate_limit: {unit: minute, requests_per_unit: 3}
  - key: path
    rate_limit: {unit: minute, requests_per_unit: 4}
  - key: a
    value: b*
    rate_limit: {unit: minute, requests_per_unit: 5}
`,
    ),
  ]);
  it.each([
    { entries: [['path', '/api/v1']], limit: 2, why: 'an exact value before any wildcard' },
    { entries: [['path', '/apiXv1']], limit: 1, why: 'the first wildcard in file order' },
    { entries: [['path', '/other']], limit: 4, why: 'the bare key when no pattern matches' },
    { entries: [['a', 'bz']], limit: 5, why: 'a trailing wildcard' },
    // envoyproxy/ratelimit matches the pattern against `key_value`, so `a_b*` also takes key `a_b`.
    { entries: [['a_b', 'x']], limit: 5, why: 'the composite key, across keys' },
  ] as const)('$why: $entries → $limit', ({ entries, limit }) => {
    expect(match(precedence, entries)?.limit).toBe(limit);
  });
});
