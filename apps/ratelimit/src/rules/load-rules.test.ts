import { describe, expect, it } from 'vitest';
import { compileRules } from './compile-rules.js';
import { parseRulesFile } from './load-rules.js';
import { isRulesError, type RulesErrorCode } from './rules-error.js';

function errorOf(fn: () => unknown): { code: RulesErrorCode; message: string } {
  try {
    fn();
  } catch (err) {
    if (isRulesError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a RulesError');
}

const bad: readonly { name: string; yaml: string; code: RulesErrorCode; message: RegExp }[] = [
  {
    name: 'unknown field',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limt: {unit: second, requests_per_unit: 1}\n',
    code: 'schema',
    message: /^bad\.yaml: descriptors\[0\]: unknown field 'rate_limt'/,
  },
  {
    name: 'unknown field in rate_limit',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: 1, burst: 3}\n',
    code: 'schema',
    message: /descriptors\[0\]\.rate_limit: unknown field 'burst'/,
  },
  {
    name: 'bad unit',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: fortnight, requests_per_unit: 1}\n',
    code: 'schema',
    message: /descriptors\[0\]\.rate_limit\.unit: invalid rate limit unit "fortnight"/,
  },
  {
    name: 'missing unit',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {requests_per_unit: 1}\n',
    code: 'schema',
    message: /rate_limit\.unit: invalid rate limit unit ""/,
  },
  {
    name: 'unlimited with a unit',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unlimited: true, unit: second}\n',
    code: 'schema',
    message: /rate_limit\.unit: should not specify rate limit unit when unlimited/,
  },
  {
    name: 'replaces of itself',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: 1, name: a, replaces: [{name: a}]}\n',
    code: 'schema',
    message: /rate_limit\.replaces\[0\]\.name: replaces should not contain name of same descriptor/,
  },
  {
    name: 'empty replaces entry',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: 1, replaces: [{name: ""}]}\n',
    code: 'schema',
    message: /replaces\[0\]\.name: should not have an empty replaces entry/,
  },
  {
    name: 'negative requests_per_unit',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: -1}\n',
    code: 'schema',
    message: /requests_per_unit: requests_per_unit must not be negative/,
  },
  {
    name: 'requests_per_unit beyond uint32',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: 4294967296}\n',
    code: 'schema',
    message: /requests_per_unit must fit in 32 bits/,
  },
  {
    name: 'missing requests_per_unit',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second}\n',
    code: 'schema',
    message: /rate_limit\.requests_per_unit: requests_per_unit is required/,
  },
  {
    name: 'empty key',
    yaml: 'domain: d\ndescriptors:\n  - key: ""\n',
    code: 'schema',
    message: /descriptors\[0\]\.key: descriptor has empty key/,
  },
  {
    name: 'empty domain',
    yaml: 'domain: ""\n',
    code: 'schema',
    message: /domain: config file cannot have empty domain/,
  },
  {
    name: 'share_threshold without a wildcard',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    value: v\n    share_threshold: true\n',
    code: 'schema',
    message: /share_threshold can only be used with wildcard values/,
  },
  {
    name: 'a boolean that is a string',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    shadow_mode: "yes"\n',
    code: 'schema',
    message: /descriptors\[0\]\.shadow_mode:/,
  },
  {
    name: 'duplicate YAML key',
    yaml: 'domain: d\ndomain: e\n',
    code: 'yaml',
    message: /^bad\.yaml: Map keys must be unique/,
  },
  {
    name: 'invalid YAML',
    yaml: 'domain: [d\n',
    code: 'yaml',
    message: /^bad\.yaml: /,
  },
  {
    name: 'a nested unknown field',
    yaml: 'domain: d\ndescriptors:\n  - key: a\n    descriptors:\n      - key: b\n        limit: 3\n',
    code: 'schema',
    message: /descriptors\[0\]\.descriptors\[0\]: unknown field 'limit'/,
  },
  {
    name: 'duplicate descriptor',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    value: v\n  - key: k\n    value: v\n',
    code: 'duplicate_descriptor',
    message: /descriptors\[1\]: duplicate descriptor composite key 'd\.k_v'/,
  },
];

describe('config file validation', () => {
  it.each(bad)('rejects $name with file and path', ({ yaml, code, message }) => {
    const err = errorOf(() => compileRules([parseRulesFile('bad.yaml', yaml)]));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('rejects a domain defined in two files, naming the second', () => {
    const err = errorOf(() =>
      compileRules([
        parseRulesFile('a.yaml', 'domain: d\n'),
        parseRulesFile('b.yaml', 'domain: d\n'),
      ]),
    );
    expect(err).toEqual({
      code: 'duplicate_domain',
      message: "b.yaml: domain: duplicate domain 'd' in config file",
    });
  });

  it('accepts every field of the format', () => {
    const yaml = `
domain: all
descriptors:
  - key: k
    value: "v*"
    share_threshold: true
    shadow_mode: true
    quota_mode: true
    detailed_metric: true
    value_to_metric: true
    metadata: {tier: gold, nested: {a: 1}}
    rate_limit: {unit: WEEK, requests_per_unit: 5, name: wk, replaces: [{name: other}]}
    descriptors:
      - key: n
        rate_limit: {unlimited: true}
`;
    const rules = compileRules([parseRulesFile('all.yaml', yaml)]);
    const node = rules.domains.get('all')?.children.get('k_v*');
    expect(node?.limit).toMatchObject({
      requestsPerUnit: 5,
      unitSeconds: 604_800,
      shadowMode: true,
      quotaMode: true,
      name: 'wk',
      replaces: ['other'],
      metadata: { tier: 'gold', nested: { a: 1 } },
      statKey: 'all.k_v*',
    });
    expect(node?.wildcardValue).toBe('v*');
    expect(node?.children.get('n')?.limit?.unlimited).toBe(true);
    expect(rules.domains.get('all')?.wildcardKeys).toEqual(['k_v*']);
  });

  it('reads numeric and boolean values as strings, like yaml.v2', () => {
    const rules = compileRules([
      parseRulesFile('n.yaml', 'domain: 42\ndescriptors:\n  - key: port\n    value: 8080\n'),
    ]);
    expect(rules.domains.get('42')?.children.has('port_8080')).toBe(true);
  });

  it('treats an empty file as a domain-less file and rejects it', () => {
    expect(errorOf(() => parseRulesFile('e.yaml', '')).code).toBe('schema');
  });
});
