import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { parseFilterConfig } from './config.js';
import {
  isFilterConfigError,
  type FilterConfigError,
  type FilterConfigErrorCode,
} from './errors.js';
import { authKind, backendAuthKinds, llmRequestCostTypes } from './schema.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8');

/** Calls `fn` and returns what it threw, failing the test when it does not throw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('parseFilterConfig: valid documents', () => {
  const yamlConfig = parseFilterConfig(fixture('full.yaml'), { source: 'full.yaml' });

  it('reads a YAML document with every auth kind and cost type', () => {
    expect(yamlConfig.version).toBe('v1');
    expect(yamlConfig.uuid).toBe('6f1c2b9e-8d3a-4f5e-9a7b-0c1d2e3f4a5b');
    expect(yamlConfig.backends).toHaveLength(9);
    const kinds = yamlConfig.backends.flatMap((b) => (b.auth ? [authKind(b.auth)] : []));
    expect(kinds).toEqual([...backendAuthKinds]);
    expect(yamlConfig.llmRequestCosts.map((c) => c.type)).toEqual([...llmRequestCostTypes]);
  });

  it('keeps backend details as written, lower-casing header names', () => {
    const [openai, azure] = yamlConfig.backends;
    expect(openai).toEqual({
      name: 'default/openai/route/chat/rule/0/ref/0',
      schema: { name: 'OpenAI', prefix: 'v1' },
      auth: { apiKey: { file: '/etc/aigw/credentials/openai/apiKey' } },
      headerMutation: {
        set: [{ name: 'x-team', value: 'platform' }],
        remove: ['x-internal-debug'],
      },
      bodyMutation: {
        set: [
          { path: 'service_tier', value: '"flex"' },
          { path: 'temperature', value: '0.2' },
        ],
        remove: ['user'],
      },
    });
    expect(azure?.schema).toEqual({ name: 'AzureOpenAI', version: '2025-01-01-preview' });
    expect(azure?.modelNameOverride).toBe('gpt-4o-mini');
  });

  it('reads inline credentials of every kind, as the controller writes them', () => {
    const auths = [
      { apiKey: { key: 'sk-inline' } },
      { azureApiKey: { key: 'az-inline' } },
      { anthropicApiKey: { key: 'ant-inline' } },
      { aws: { credentialFileLiteral: '[default]\naws_access_key_id = A\n', region: 'us-east-1' } },
      { azure: { accessToken: 'eyJ-azure' } },
      { gcp: { accessToken: 'ya29-gcp', region: 'us-east5', projectName: 'p' } },
    ];
    const config = parseFilterConfig(
      doc({ backends: auths.map((auth, i) => ({ ...backend({ auth }), name: `b${String(i)}` })) }),
    );
    expect(config.backends.map((b) => b.auth)).toEqual(auths);
    expect(config.backends.map((b) => (b.auth ? authKind(b.auth) : undefined))).toEqual([
      ...backendAuthKinds,
    ]);
  });

  it('never quotes an inline credential in an error message', () => {
    const secret = 'sk-must-not-leak-0123456789';
    const text = doc({
      backends: [
        backend({ auth: { apiKey: { key: secret, file: secret } } }),
        backend({ name: 'x', auth: { azure: { accessToken: secret, extra: secret } } }),
        backend({ name: 'y', auth: { aws: { credentialFileLiteral: 42, region: secret } } }),
      ],
    });
    const err = thrown(() => parseFilterConfig(text));
    expect(isFilterConfigError(err)).toBe(true);
    expect(String(err)).not.toContain(secret);
    expect(JSON.stringify((err as FilterConfigError).issues)).not.toContain(secret);
  });

  it('accepts one metadataKey in several scopes (a route cost beside the global one)', () => {
    const config = parseFilterConfig(
      doc({
        llmRequestCosts: [
          { metadataKey: 'tokens', type: 'TotalToken' },
          { metadataKey: 'tokens', type: 'OutputToken', routeName: 'ns/a' },
          { metadataKey: 'tokens', type: 'InputToken', routeName: 'ns/b' },
        ],
      }),
    );
    expect(config.llmRequestCosts.map((c) => c.routeName)).toEqual([undefined, 'ns/a', 'ns/b']);
  });

  it('keeps cost scoping fields and the CEL expression', () => {
    expect(yamlConfig.llmRequestCosts.at(-1)).toEqual({
      metadataKey: 'llm_cel_cost',
      type: 'CEL',
      cel: 'input_tokens + output_tokens * 2',
      routeName: 'default/chat',
      backend: 'default/bedrock',
      model: 'claude-sonnet-4',
    });
  });

  it('reads models as strings, defaulting ownedBy', () => {
    expect(yamlConfig.models).toEqual([
      { name: 'gpt-4o-mini', ownedBy: 'openai', createdAt: '2024-07-18T00:00:00Z' },
      {
        name: 'claude-sonnet-4',
        ownedBy: 'Envoy AI Gateway',
        createdAt: '2025-05-22T09:30:00+02:00',
      },
    ]);
  });

  it('reads the same document written as JSON to the same config', () => {
    expect(parseFilterConfig(fixture('full.json'))).toEqual(yamlConfig);
  });

  it('applies defaults to a document with only a version', () => {
    expect(parseFilterConfig(fixture('minimal.yaml'))).toEqual({
      version: 'v1',
      metadataNamespace: 'io.envoy.ai_gateway',
      modelNameHeaderKey: 'x-ai-eg-model',
      backends: [],
      models: [],
      llmRequestCosts: [],
    });
  });

  it('accepts tab-indented JSON', () => {
    const text = JSON.stringify({ version: 'v1', models: [{ name: 'm' }] }, null, '\t');
    expect(parseFilterConfig(text).models).toEqual([{ name: 'm', ownedBy: 'Envoy AI Gateway' }]);
  });
});

describe('parseFilterConfig: result is deeply frozen', () => {
  const config = parseFilterConfig(fixture('full.yaml'));

  function everyNode(value: unknown, visit: (node: object) => void): void {
    if (typeof value !== 'object' || value === null) return;
    visit(value);
    for (const child of Object.values(value)) everyNode(child, visit);
  }

  it('freezes every object and array', () => {
    const unfrozen: object[] = [];
    everyNode(config, (node) => {
      if (!Object.isFrozen(node)) unfrozen.push(node);
    });
    expect(unfrozen).toEqual([]);
  });

  it('throws on mutation (ES modules run in strict mode)', () => {
    const mutable = config as unknown as {
      uuid: string;
      backends: { name: string }[];
      models: unknown[];
    };
    expect(() => {
      mutable.uuid = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      mutable.backends[0]!.name = 'changed';
    }).toThrow(TypeError);
    expect(() => mutable.models.push({})).toThrow(TypeError);
  });

  it('freezes defaulted empty lists too', () => {
    const minimal = parseFilterConfig('version: v1');
    expect(Object.isFrozen(minimal.backends)).toBe(true);
    expect(Object.isFrozen(minimal.llmRequestCosts)).toBe(true);
  });
});

interface InvalidCase {
  readonly rule: string;
  readonly text: string;
  readonly code: FilterConfigErrorCode;
  /** Expected in the message, after `filter config test.yaml: `. */
  readonly problem: string;
}

const backend = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'ns/b/route/r/rule/0/ref/0',
  schema: { name: 'OpenAI' },
  ...extra,
});
const doc = (extra: Record<string, unknown>): string => JSON.stringify({ version: 'v1', ...extra });
const cost = (extra: Record<string, unknown>): string =>
  doc({ llmRequestCosts: [{ metadataKey: 'k', type: 'OutputToken', ...extra }] });

const invalidCases: InvalidCase[] = [
  {
    rule: 'bad YAML',
    text: 'version: v1\nbackends: [\n',
    code: 'invalid_yaml',
    problem: 'line 3, column 1: ',
  },
  {
    rule: 'duplicate YAML key',
    text: 'version: v1\nuuid: a\nuuid: b\n',
    code: 'invalid_yaml',
    problem: 'line 3, column 1: Map keys must be unique',
  },
  {
    rule: 'duplicate JSON key',
    text: '{"version": "v1", "uuid": "a", "uuid": "b"}',
    code: 'invalid_yaml',
    problem: 'line 1, column 32: Map keys must be unique',
  },
  {
    rule: 'more than one YAML document',
    text: 'version: v1\n---\nversion: v1\n',
    code: 'invalid_yaml',
    problem: 'line 2, column 1: ',
  },
  {
    rule: 'wrong version',
    text: 'version: v2\nsomeFutureField: true\n',
    code: 'version_mismatch',
    problem: 'version: "v2" is not supported; this build reads "v1"',
  },
  { rule: 'missing version', text: '{}', code: 'invalid_config', problem: 'version: required' },
  {
    rule: 'non-string version',
    text: 'version: 1',
    code: 'invalid_config',
    problem: 'version: expected string, got number',
  },
  {
    rule: 'document is not a mapping',
    text: '- version: v1',
    code: 'invalid_config',
    problem: '(root): expected object, got array',
  },
  {
    rule: 'empty document',
    text: '# nothing here\n',
    code: 'invalid_config',
    problem: '(root): expected object, got null',
  },
  {
    rule: 'unknown top-level field',
    text: doc({ backend: [] }),
    code: 'invalid_config',
    problem: 'backend: unknown field',
  },
  {
    rule: 'unknown backend field',
    text: doc({ backends: [backend({ modelOverride: 'x' })] }),
    code: 'invalid_config',
    problem: 'backends[0].modelOverride: unknown field',
  },
  {
    rule: 'empty backend name',
    text: doc({ backends: [backend({ name: '' })] }),
    code: 'invalid_config',
    problem: 'backends[0].name: must not be empty',
  },
  {
    rule: 'bad schema name',
    text: doc({ backends: [backend(), backend({ name: 'b2', schema: { name: 'OpenAi' } })] }),
    code: 'invalid_config',
    problem:
      'backends[1].schema.name: expected one of OpenAI|AzureOpenAI|AWSBedrock|GCPVertexAI|' +
      'GCPAnthropic|AWSAnthropic|Anthropic|Cohere (got "OpenAi")',
  },
  {
    rule: 'missing schema',
    text: doc({ backends: [{ name: 'b' }] }),
    code: 'invalid_config',
    problem: 'backends[0].schema: required',
  },
  {
    rule: 'two auth kinds at once',
    text: doc({
      backends: [backend({ auth: { apiKey: { file: '/k' }, azure: { tokenFile: '/t' } } })],
    }),
    code: 'invalid_config',
    problem:
      'backends[0].auth: set exactly one of apiKey|azureApiKey|anthropicApiKey|aws|azure|gcp ' +
      '(got apiKey and azure)',
  },
  {
    rule: 'auth with no kind',
    text: doc({ backends: [backend({ auth: {} })] }),
    code: 'invalid_config',
    problem: 'backends[0].auth: set exactly one of apiKey|',
  },
  {
    rule: 'auth with unknown kind',
    text: doc({ backends: [backend({ auth: { apiToken: { file: '/k' } } })] }),
    code: 'invalid_config',
    problem: 'backends[0].auth.apiToken: unknown field',
  },
  {
    rule: 'an API key both in a file and inline',
    text: doc({ backends: [backend({ auth: { apiKey: { file: '/k', key: 'sk-1' } } })] }),
    code: 'invalid_config',
    problem: 'backends[0].auth.apiKey: set exactly one of file|key (got both)',
  },
  {
    rule: 'AWS credentials neither in a file nor inline',
    text: doc({ backends: [backend({ auth: { aws: { region: 'us-east-1' } } })] }),
    code: 'invalid_config',
    problem:
      'backends[0].auth.aws: set exactly one of credentialsFile|credentialFileLiteral (got none)',
  },
  {
    rule: 'an empty inline access token',
    text: doc({ backends: [backend({ auth: { azure: { accessToken: '' } } })] }),
    code: 'invalid_config',
    problem: 'backends[0].auth.azure.accessToken: must not be empty',
  },
  {
    rule: 'auth kind missing a field',
    text: doc({ backends: [backend({ auth: { gcp: { tokenFile: '/t', region: 'r' } } })] }),
    code: 'invalid_config',
    problem: 'backends[0].auth.gcp.projectName: required',
  },
  {
    rule: 'duplicate backend name',
    text: doc({ backends: [backend(), backend({ schema: { name: 'Cohere' } })] }),
    code: 'invalid_config',
    problem:
      'backends[1].name: duplicate backend name "ns/b/route/r/rule/0/ref/0" (first at index 0)',
  },
  {
    rule: 'duplicate global metadataKey',
    text: doc({
      llmRequestCosts: [
        { metadataKey: 'tokens', type: 'InputToken' },
        { metadataKey: 'tokens', type: 'OutputToken' },
      ],
    }),
    code: 'invalid_config',
    problem:
      'llmRequestCosts[1].metadataKey: duplicate metadataKey "tokens" without a scope (first at index 0)',
  },
  {
    rule: 'duplicate metadataKey in one scope',
    text: doc({
      llmRequestCosts: [
        { metadataKey: 'tokens', type: 'InputToken', routeName: 'ns/r' },
        { metadataKey: 'tokens', type: 'InputToken', routeName: 'ns/other' },
        { metadataKey: 'tokens', type: 'OutputToken', routeName: 'ns/r' },
      ],
    }),
    code: 'invalid_config',
    problem:
      'llmRequestCosts[2].metadataKey: duplicate metadataKey "tokens" with the same routeName, backend and model (first at index 0)',
  },
  {
    rule: 'a header the gateway owns',
    text: doc({ backends: [backend({ headerMutation: { set: [{ name: 'Host', value: 'x' }] } })] }),
    code: 'invalid_config',
    problem:
      'backends[0].headerMutation.set[0].name: host is managed by the gateway and cannot be mutated',
  },
  {
    rule: 'too many body fields',
    text: doc({
      backends: [
        backend({
          bodyMutation: { remove: Array.from({ length: 17 }, (_, i) => `f${String(i)}`) },
        }),
      ],
    }),
    code: 'invalid_config',
    problem: 'backends[0].bodyMutation.remove: expected array to have <=16 items',
  },
  {
    rule: 'bad cost type',
    text: cost({ type: 'Tokens' }),
    code: 'invalid_config',
    problem: 'llmRequestCosts[0].type: expected one of InputToken|CachedInputToken|',
  },
  {
    rule: 'CEL without cel',
    text: cost({ type: 'CEL' }),
    code: 'invalid_config',
    problem: 'llmRequestCosts[0].cel: required when type is CEL',
  },
  {
    rule: 'cel with a non-CEL type',
    text: cost({ cel: 'input_tokens' }),
    code: 'invalid_config',
    problem: 'llmRequestCosts[0].cel: only allowed when type is CEL (type is OutputToken)',
  },
  {
    rule: 'bodyMutation value not JSON',
    text: doc({
      backends: [backend({ bodyMutation: { set: [{ path: 'service_tier', value: 'flex' }] } })],
    }),
    code: 'invalid_config',
    problem: 'backends[0].bodyMutation.set[0].value: must be a JSON value written as a string',
  },
  {
    rule: 'bodyMutation value not a string',
    text:
      'version: v1\nbackends:\n  - name: b\n    schema: {name: OpenAI}\n' +
      '    bodyMutation: {set: [{path: temperature, value: 0.5}]}\n',
    code: 'invalid_config',
    problem: 'backends[0].bodyMutation.set[0].value: expected string, got number',
  },
  {
    rule: 'more than 16 header sets',
    text: doc({
      backends: [
        backend({
          headerMutation: {
            set: Array.from({ length: 17 }, (_, i) => ({ name: `x-h${i}`, value: 'v' })),
          },
        }),
      ],
    }),
    code: 'invalid_config',
    problem: 'backends[0].headerMutation.set: expected array to have <=16 items',
  },
  {
    rule: 'pseudo-header in header mutation',
    text: doc({ backends: [backend({ headerMutation: { remove: [':path'] } })] }),
    code: 'invalid_config',
    problem: 'backends[0].headerMutation.remove[0]: not a valid HTTP header name',
  },
  {
    rule: 'createdAt not RFC 3339',
    text: doc({ models: [{ name: 'm', createdAt: '2024-07-18' }] }),
    code: 'invalid_config',
    problem:
      'models[0].createdAt: expected an RFC 3339 timestamp like 2025-01-31T12:00:00Z ' +
      '(got "2024-07-18")',
  },
  {
    rule: 'createdAt without a time zone',
    text: doc({ models: [{ name: 'm', createdAt: '2024-07-18T00:00:00' }] }),
    code: 'invalid_config',
    problem: 'models[0].createdAt: expected an RFC 3339 timestamp',
  },
];

describe('parseFilterConfig: invalid documents', () => {
  it.each(invalidCases)('rejects $rule with $code', ({ text, code, problem }) => {
    const err = thrown(() => parseFilterConfig(text, { source: 'test.yaml' }));
    expect(isFilterConfigError(err)).toBe(true);
    if (!isFilterConfigError(err)) return;
    expect(err.code).toBe(code);
    expect(err.source).toBe('test.yaml');
    expect(err.message).toContain(`filter config test.yaml: ${problem}`);
    expect(err.issues.length).toBeGreaterThan(0);
  });

  it('reports every problem, one line each, naming the source', () => {
    const text = doc({
      uuid: 1,
      backends: [backend({ schema: { name: 'Nope' }, extra: true })],
    });
    const err = thrown(() => parseFilterConfig(text, { source: '/etc/x.yaml' }));
    if (!isFilterConfigError(err)) throw err;
    expect(err.message.split('\n')).toEqual(
      [
        '/etc/x.yaml: uuid: expected string, got number',
        '/etc/x.yaml: backends[0].schema.name: expected one of OpenAI|AzureOpenAI|AWSBedrock|' +
          'GCPVertexAI|GCPAnthropic|AWSAnthropic|Anthropic|Cohere (got "Nope")',
        '/etc/x.yaml: backends[0].extra: unknown field',
      ].map((line) => `filter config ${line}`),
    );
    expect(err.issues.map((issue) => issue.path)).toEqual([
      'uuid',
      'backends[0].schema.name',
      'backends[0].extra',
    ]);
  });

  it('omits the source when none is given and keeps the cause', () => {
    const err = thrown(() => parseFilterConfig('version: v1\nuuid: a\nuuid: b\n'));
    if (!isFilterConfigError(err)) throw err;
    expect(err.message).toBe('filter config: line 3, column 1: Map keys must be unique');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('does not echo header values in messages', () => {
    const text = doc({
      backends: [backend({ headerMutation: { set: [{ name: 'x-key', value: ['sk-secret'] }] } })],
    });
    const err = thrown(() => parseFilterConfig(text));
    if (!isFilterConfigError(err)) throw err;
    expect(err.message).toBe(
      'filter config: backends[0].headerMutation.set[0].value: expected string, got array',
    );
  });
});
