import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileRules, type NamedRulesFile } from './compile-rules.js';
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
    message:
      /^bad\.yaml: descriptors\[0\]\.share_threshold: share_threshold can only be used with wildcard values \(containing '\*'\), but found key 'k_v'$/,
  },
  ...[
    ['an empty domain', 'domain: ""\n'],
    ['a null domain', 'domain:\ndescriptors: []\n'],
    ['no domain', 'descriptors: []\n'],
    ['an empty file', ''],
    ['a file of comments', '# nothing yet\n'],
  ].map(([name, yaml]) => ({
    name: name ?? '',
    yaml: yaml ?? '',
    code: 'schema' as const,
    message: /^bad\.yaml: domain: config file cannot have empty domain$/,
  })),
  ...[
    ['an empty key', 'domain: d\ndescriptors:\n  - key: ""\n', 'descriptors[0].key'],
    ['a null key', 'domain: d\ndescriptors:\n  - key:\n    value: v\n', 'descriptors[0].key'],
    ['no key', 'domain: d\ndescriptors:\n  - value: v\n', 'descriptors[0].key'],
    [
      'no key, nested',
      'domain: d\ndescriptors:\n  - key: a\n    descriptors:\n      - key: b\n      - value: c\n',
      'descriptors[0].descriptors[1].key',
    ],
  ].map(([name, yaml, path]) => ({
    name: name ?? '',
    yaml: yaml ?? '',
    code: 'schema' as const,
    message: new RegExp(
      `^bad\\.yaml: ${(path ?? '').replace(/[.[\]]/g, '\\$&')}: descriptor has empty key$`,
    ),
  })),
  {
    name: 'descriptors that are not a list',
    yaml: 'domain: d\ndescriptors: 5\n',
    code: 'schema',
    message: /^bad\.yaml: descriptors: expected a list, got the number 5$/,
  },
  {
    name: 'a descriptor that is not a mapping',
    yaml: 'domain: d\ndescriptors: [k]\n',
    code: 'schema',
    message: /^bad\.yaml: descriptors\[0\]: expected a mapping, got the text "k"$/,
  },
  {
    name: 'a null descriptor',
    yaml: 'domain: d\ndescriptors:\n  -\n',
    code: 'schema',
    message: /^bad\.yaml: descriptors\[0\]: expected a mapping, got null$/,
  },
  {
    name: 'a key that is a list',
    yaml: 'domain: d\ndescriptors:\n  - key: [a]\n',
    code: 'schema',
    message: /^bad\.yaml: descriptors\[0\]\.key: expected a string, got a list$/,
  },
  {
    name: 'a rate_limit that is a number',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    rate_limit: 5\n',
    code: 'schema',
    message: /^bad\.yaml: descriptors\[0\]\.rate_limit: expected a mapping, got the number 5$/,
  },
  {
    name: 'a whole file that is a list',
    yaml: '- domain: d\n',
    code: 'schema',
    message: /^bad\.yaml: expected a mapping with 'domain' and 'descriptors', got a list$/,
  },
  {
    name: 'a boolean that is a string',
    yaml: 'domain: d\ndescriptors:\n  - key: k\n    shadow_mode: "yes"\n',
    code: 'schema',
    message:
      /^bad\.yaml: descriptors\[0\]\.shadow_mode: expected true or false, got the text "yes"$/,
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
    expect(err.message).not.toMatch(/Invalid input/);
  });

  it('rejects a domain defined in two files, naming both', () => {
    const err = errorOf(() =>
      compileRules([
        parseRulesFile('a.yaml', 'domain: d\n'),
        parseRulesFile('b.yaml', 'domain: d\n'),
      ]),
    );
    expect(err).toEqual({
      code: 'duplicate_domain',
      message:
        "b.yaml: domain: duplicate domain 'd' in config file (already defined in a.yaml; " +
        '--merge-domain-config merges such files)',
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
    expect(node?.wildcardPattern).toBe('k_v*');
    expect(node?.children.get('n')?.limit?.unlimited).toBe(true);
    expect(rules.domains.get('all')?.wildcards).toEqual([{ key: 'k_v*', parts: ['k_v', ''] }]);
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

  it.each([
    ['descriptors: (null)', 'domain: d\ndescriptors:\n'],
    ['descriptors: ~', 'domain: d\ndescriptors: ~\n'],
    ['descriptors: []', 'domain: d\ndescriptors: []\n'],
    ['no descriptors', 'domain: d\n'],
  ])('loads a domain without limits from %s', (_name, yaml) => {
    const rules = compileRules([parseRulesFile('empty.yaml', yaml)]);
    expect([...rules.domains.keys()]).toEqual(['d']);
    expect(rules.domains.get('d')?.children.size).toBe(0);
  });

  it('reads null fields as absent, at any depth', () => {
    const yaml = `
domain: d
descriptors:
  - key: a
    value:
    rate_limit:
    shadow_mode:
    descriptors:
      - key: b
        descriptors:
        rate_limit: {unit: second, requests_per_unit: 1, replaces:, name:}
`;
    const a = compileRules([parseRulesFile('n.yaml', yaml)])
      .domains.get('d')
      ?.children.get('a');
    expect(a?.limit).toBeUndefined();
    expect(a?.children.get('b')?.limit?.requestsPerUnit).toBe(1);
  });

  it.each([['/api*v1'], ['svc*ep*rpc'], ['*.example.com'], ['*'], ['files/*']])(
    'accepts share_threshold with the wildcard %s',
    (value) => {
      const yaml = `domain: d\ndescriptors:\n  - key: k\n    value: "${value}"\n    share_threshold: true\n`;
      const rules = compileRules([parseRulesFile('s.yaml', yaml)]);
      expect(rules.domains.get('d')?.wildcards).toEqual([
        { key: `k_${value}`, parts: `k_${value}`.split('*') },
      ]);
    },
  );
});

/** A fixture mirroring a file of envoyproxy/ratelimit's test/config. */
function upstreamFile(name: string): NamedRulesFile {
  const path = fileURLToPath(
    new URL(`../../test/fixtures/upstream/config/${name}`, import.meta.url),
  );
  return parseRulesFile(name, readFileSync(path, 'utf8'));
}

const limitAt = (rules: ReturnType<typeof compileRules>, key: string): number | undefined =>
  rules.domains.get('test-domain')?.children.get(key)?.limit?.requestsPerUnit;

describe('MERGE_DOMAIN_CONFIG (--merge-domain-config)', () => {
  const key1 = upstreamFile('merge_domain_key1.yaml');
  const key2 = upstreamFile('merge_domain_key2.yaml');

  it('merges the top-level descriptors of files naming one domain (TestDomainMerge)', () => {
    const rules = compileRules([key1, key2], { mergeDomains: true });
    expect([...rules.domains.keys()]).toEqual(['test-domain']);
    expect(limitAt(rules, 'key1_value1')).toBe(10);
    expect(limitAt(rules, 'key2_value2')).toBe(20);
    expect(rules.files).toEqual(['merge_domain_key1.yaml', 'merge_domain_key2.yaml']);
  });

  it('refuses the same files without it, naming both', () => {
    const err = errorOf(() => compileRules([key1, key2]));
    expect(err.code).toBe('duplicate_domain');
    expect(err.message).toMatch(
      /^merge_domain_key2\.yaml: domain: duplicate domain 'test-domain' in config file \(already defined in merge_domain_key1\.yaml/,
    );
  });

  it.each([
    {
      name: 'the same key and value in two files (TestDuplicateKeyDomainMerge)',
      a: 'domain: d\ndescriptors:\n  - key: k\n    value: v\n',
      b: 'domain: d\ndescriptors:\n  - key: x\n  - key: k\n    value: v\n',
      message:
        /^b\.yaml: descriptors\[1\]: duplicate descriptor composite key 'd\.k_v' \(already defined in a\.yaml\)$/,
    },
    {
      name: 'the same top-level key with other children (no deep merge)',
      a: 'domain: d\ndescriptors:\n  - key: k\n    descriptors: [{key: a}]\n',
      b: 'domain: d\ndescriptors:\n  - key: k\n    descriptors: [{key: b}]\n',
      message:
        /^b\.yaml: descriptors\[0\]: duplicate descriptor composite key 'd\.k' \(already defined in a\.yaml\)$/,
    },
  ])('still refuses $name', ({ a, b, message }) => {
    const err = errorOf(() =>
      compileRules([parseRulesFile('a.yaml', a), parseRulesFile('b.yaml', b)], {
        mergeDomains: true,
      }),
    );
    expect(err.code).toBe('duplicate_descriptor');
    expect(err.message).toMatch(message);
  });

  it('keeps wildcards in file order across merged files, and merges empty files', () => {
    const rules = compileRules(
      [
        parseRulesFile('a.yaml', 'domain: d\ndescriptors:\n  - key: p\n    value: a*\n'),
        parseRulesFile('b.yaml', 'domain: d\ndescriptors:\n'),
        parseRulesFile('c.yaml', 'domain: d\ndescriptors:\n  - key: p\n    value: "*"\n'),
      ],
      { mergeDomains: true },
    );
    expect(rules.domains.get('d')?.wildcards.map((w) => w.key)).toEqual(['p_a*', 'p_*']);
  });
});
