import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { isResourceError, ResourceError } from './errors.js';
import { loadResources } from './resources.js';

const basic = readFileSync(new URL('testdata/basic.yaml', import.meta.url), 'utf8');

function problemsOf(text: string, path = 'in.yaml'): readonly string[] {
  try {
    loadResources([{ path, text }]);
  } catch (err) {
    if (isResourceError(err)) return err.problems;
    throw err;
  }
  return [];
}

/** `basic.yaml` with `from` replaced by `to` (each must occur). */
function edited(...edits: readonly [string, string][]): string {
  let text = basic;
  for (const [from, to] of edits) {
    expect(text).toContain(from);
    text = text.replace(from, to);
  }
  return text;
}

describe('loadResources', () => {
  it('groups the objects by kind, with namespaces and the CRD defaults applied', () => {
    const set = loadResources([{ path: 'basic.yaml', text: basic }]);
    expect(set.aiGatewayRoutes.map((r) => r.name)).toEqual(['chat']);
    expect(set.aiServiceBackends.map((b) => b.name)).toEqual(['openai', 'bedrock']);
    expect(set.backendSecurityPolicies).toHaveLength(2);
    expect(set.backends.map((b) => b.name)).toEqual(['openai', 'bedrock']);
    expect(set.secrets.map((s) => s.name)).toEqual(['openai-apikey', 'aws-credentials']);
    expect(set.gateways.map((g) => g.name)).toEqual(['aigw']);
    const route = set.aiGatewayRoutes[0]!;
    expect(route).toMatchObject({ file: 'basic.yaml', index: 1, namespace: 'default' });
    // CRD defaults: weight 1, priority 0, header match type Exact.
    expect(route.resource.spec?.rules[0]?.backendRefs?.[0]).toMatchObject({
      weight: 1,
      priority: 0,
    });
    expect(route.resource.spec?.rules[0]?.matches?.[0]?.headers?.[0]?.type).toBe('Exact');
  });

  it('reads several files and defaults the namespace to "default"', () => {
    const [first, ...rest] = basic.split('\n---\n');
    const set = loadResources([
      { path: 'a.yaml', text: first! },
      { path: 'b.yaml', text: rest.join('\n---\n').replaceAll('  namespace: default\n', '') },
    ]);
    expect(set.aiGatewayRoutes[0]).toMatchObject({ file: 'b.yaml', namespace: 'default' });
  });

  it('keeps objects of other kinds for translate', () => {
    const set = loadResources([
      {
        path: 'x.yaml',
        text: `${basic}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: aigw}\nspec: {controllerName: x}\n`,
      },
    ]);
    expect(set.others.map((o) => o.resource.kind)).toEqual(['GatewayClass']);
  });

  it('skips empty documents and comment-only files', () => {
    expect(loadResources([{ path: 'empty.yaml', text: '# nothing\n' }]).aiGatewayRoutes).toEqual(
      [],
    );
    expect(loadResources([{ path: 'x.yaml', text: `---\n${basic}\n---\n` }]).secrets).toHaveLength(
      2,
    );
  });

  it.each([
    {
      what: 'a CRD schema error',
      text: edited(['    name: OpenAI', '    name: OpenAi']),
      problem:
        'in.yaml: AIServiceBackend default/openai: spec.schema.name: Unsupported value: "OpenAi": supported values: "OpenAI", "Cohere", "AWSBedrock", "AzureOpenAI", "GCPVertexAI", "GCPAnthropic", "Anthropic", "AWSAnthropic"',
    },
    {
      what: 'a Backend without endpoints',
      text: edited([
        '  endpoints:\n    - fqdn:\n        hostname: api.openai.com\n        port: 443',
        '  endpoints: []',
      ]),
      problem: 'in.yaml: Backend default/openai: spec.endpoints: at least one endpoint is required',
    },
    {
      what: 'a Backend endpoint with a bad port',
      text: edited([
        'hostname: api.openai.com\n        port: 443',
        'hostname: api.openai.com\n        port: 0',
      ]),
      problem:
        'in.yaml: Backend default/openai: spec.endpoints[0].fqdn.port: Too small: expected number to be >=1',
    },
    {
      what: 'an unknown Secret field',
      text: edited([
        'stringData:\n  apiKey: sk-test-openai',
        'stringdata:\n  apiKey: sk-test-openai',
      ]),
      problem: 'in.yaml: Secret default/openai-apikey: stringdata: unknown field',
    },
    {
      what: 'a missing AIServiceBackend',
      text: edited([
        '        - name: bedrock\n      timeouts',
        '        - name: bedrok\n      timeouts',
      ]),
      problem:
        'in.yaml: AIGatewayRoute default/chat: spec.rules[1].backendRefs[0].name: AIServiceBackend default/bedrok not found',
    },
    {
      what: 'a missing Backend',
      text: edited(['  backendRef:\n    name: openai', '  backendRef:\n    name: openai-x']),
      problem:
        'in.yaml: AIServiceBackend default/openai: spec.backendRef.name: Backend default/openai-x not found',
    },
    {
      what: 'a missing Secret',
      text: edited(['      name: openai-apikey\n---', '      name: nope\n---']),
      problem:
        'in.yaml: BackendSecurityPolicy default/openai-apikey: spec.apiKey.secretRef.name: Secret default/nope not found',
    },
    {
      what: 'a Secret without the key',
      text: edited(['  apiKey: sk-test-openai', '  key: sk-test-openai']),
      problem:
        'in.yaml: BackendSecurityPolicy default/openai-apikey: spec.apiKey.secretRef.name: Secret default/openai-apikey has no key "apiKey"',
    },
    {
      what: 'a policy for a missing backend',
      text: edited([
        '      kind: AIServiceBackend\n      name: openai',
        '      kind: AIServiceBackend\n      name: gone',
      ]),
      problem:
        'in.yaml: BackendSecurityPolicy default/openai-apikey: spec.targetRefs[0].name: AIServiceBackend default/gone not found',
    },
    {
      what: 'a missing Gateway',
      text: edited(['  parentRefs:\n    - name: aigw', '  parentRefs:\n    - name: other']),
      problem:
        'in.yaml: AIGatewayRoute default/chat: spec.parentRefs[0].name: Gateway default/other not found',
    },
    {
      what: 'two policies for one backend',
      text: edited([
        '      kind: AIServiceBackend\n      name: bedrock',
        '      kind: AIServiceBackend\n      name: openai',
      ]),
      problem:
        'in.yaml: BackendSecurityPolicy default/bedrock-credentials: spec.targetRefs[0].name: AIServiceBackend default/openai already has BackendSecurityPolicy default/openai-apikey',
    },
    {
      what: 'an object defined twice with different content',
      text: `${basic}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: openai-apikey}\nstringData: {apiKey: x}\n`,
      problem:
        'in.yaml: Secret default/openai-apikey: defined twice with different content (also in in.yaml)',
    },
    {
      what: 'a Service backendRef (aigw run has no cluster to resolve it)',
      text: edited([
        '    name: openai\n    kind: Backend\n    group: gateway.envoyproxy.io',
        '    name: openai-svc\n    port: 8000',
      ]),
      problem:
        'in.yaml: AIServiceBackend default/openai: spec.backendRef: Service default/openai-svc cannot be resolved outside a cluster; aigw run needs an Envoy Gateway Backend (group gateway.envoyproxy.io, kind Backend) with the address (use aigw translate to deploy this object to Kubernetes)',
    },
    {
      what: 'rateLimitsFromHeaders (accepted by the CRD, not acted on yet)',
      text: edited([
        '  rules:\n',
        '  rateLimitsFromHeaders:\n    - { metadataKey: limit, header: x-limit }\n  rules:\n',
      ]),
      problem:
        'in.yaml: AIGatewayRoute default/chat: spec.rateLimitsFromHeaders: not supported by aigw yet',
    },
    {
      what: 'responseBodyMutation (accepted by the CRD, not acted on yet)',
      text: edited([
        '    name: OpenAI\n',
        '    name: OpenAI\n  responseBodyMutation:\n    remove: [usage]\n',
      ]),
      problem:
        'in.yaml: AIServiceBackend default/openai: spec.responseBodyMutation: not supported by aigw yet',
    },
    {
      what: 'GCP isPassthrough (accepted by the CRD, not acted on yet)',
      text: `${basic}\n---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: BackendSecurityPolicy\nmetadata: {name: vertex}\nspec:\n  type: GCPCredentials\n  gcpCredentials: {isPassthrough: true}\n`,
      problem:
        'in.yaml: BackendSecurityPolicy default/vertex: spec.gcpCredentials.isPassthrough: not supported by aigw yet',
    },
    {
      what: 'invalid YAML',
      text: 'kind: Secret\n  bad: [\n',
      problem: expect.stringMatching(/^in\.yaml:\d+:\d+: /) as string,
    },
    {
      what: 'a document that is not an object',
      text: '- a\n- b\n',
      problem: 'in.yaml: document 1: expected a Kubernetes object',
    },
  ])('reports $what with the file, object and field', ({ text, problem }) => {
    expect(problemsOf(text)).toContainEqual(problem);
  });

  it('throws a ResourceError whose message has one line per problem', () => {
    const text = edited(
      ['    name: OpenAI', '    name: X'],
      ['  apiKey: sk-test-openai', '  k: v'],
    );
    let error: unknown;
    try {
      loadResources([{ path: 'in.yaml', text }]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ResourceError);
    const { message, problems } = error as ResourceError;
    expect(message.split('\n')).toEqual(problems);
    expect(problems.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses regular expressions RE2 does not accept, naming the file, object and field', () => {
    const text = edited(["value: 'llama-.*'", "value: 'llama-(?!guard).*'"]);
    expect(problemsOf(text, 'gw.yaml')).toEqual([
      'gw.yaml: AIGatewayRoute default/chat: spec.rules[1].matches[0].headers[0].value: regular expression "llama-(?!guard).*" uses negative lookahead, which RE2 (Envoy\'s regex engine) does not support',
    ]);
  });

  it('counts an object given twice with identical content once', () => {
    const set = loadResources([
      { path: 'a.yaml', text: basic },
      { path: 'b.yaml', text: basic },
    ]);
    expect(set.aiServiceBackends.map((b) => `${b.file}:${b.name}`)).toEqual([
      'a.yaml:openai',
      'a.yaml:bedrock',
    ]);
  });

  it('names both files when two different objects share kind, namespace and name', () => {
    const other = basic.replace('  apiKey: sk-test-openai', '  apiKey: sk-other');
    expect(() =>
      loadResources([
        { path: 'a.yaml', text: basic },
        { path: 'b.yaml', text: other },
      ]),
    ).toThrow(
      'b.yaml: Secret default/openai-apikey: defined twice with different content (also in a.yaml)',
    );
  });

  it('accepts a Service backendRef when loading for Kubernetes (aigw translate)', () => {
    const text = edited([
      '    name: openai\n    kind: Backend\n    group: gateway.envoyproxy.io',
      '    name: openai-svc\n    port: 8000',
    ]);
    const set = loadResources([{ path: 'in.yaml', text }], { target: 'kubernetes' });
    expect(set.aiServiceBackends[0]?.resource.spec?.backendRef).toEqual({
      name: 'openai-svc',
      port: 8000,
      group: '',
      kind: 'Service',
    });
  });

  it('drops fields the schema does not know with a warning naming the file, object and field', () => {
    const text = edited([
      '    name: OpenAI\n',
      '    name: OpenAI\n  timeouts:\n    request: 30s\n',
    ]);
    const set = loadResources([{ path: 'in.yaml', text }]);
    expect(set.warnings).toEqual([
      'in.yaml: AIServiceBackend default/openai: unknown field "spec.timeouts" (ignored)',
    ]);
    expect(set.aiServiceBackends[0]?.resource.spec).not.toHaveProperty('timeouts');
  });
});

describe("upstream's example manifests (testdata/upstream, see its README)", () => {
  const upstream = (name: string): string =>
    readFileSync(new URL(`testdata/upstream/${name}`, import.meta.url), 'utf8');

  it.each([
    [
      'openai.yaml',
      [
        'openai.yaml: AIServiceBackend default/envoy-ai-gateway-basic-openai: unknown field "spec.schema.capabilities" (ignored)',
      ],
    ],
    ['anthropic.yaml', []],
    [
      'basic.yaml',
      [
        'basic.yaml: AIGatewayRoute default/envoy-ai-gateway-basic: unknown field "spec.schema" (ignored)',
      ],
    ],
  ])('%s loads, with warnings %j', (name, warnings) => {
    const set = loadResources([{ path: name, text: upstream(name) }]);
    expect(set.warnings).toEqual(warnings);
    expect(set.aiGatewayRoutes).toHaveLength(1);
  });
});
