import { ratelimit } from '@aigw/proto';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../rules/compile-rules.js';
import { parseRulesFile } from '../rules/load-rules.js';
import { matchLimit } from './match-limit.js';

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
