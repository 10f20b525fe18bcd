import { describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';

import { isResourceError } from './errors.js';
import {
  buildFilterConfig,
  buildRouteFilterConfigs,
  defaultProfile,
  mergeFilterConfigs,
} from './filter-config.js';
import { planRoutes } from './plan.js';
import { loadResources } from './resources.js';
import { buildStandalone, type StandaloneConfig } from './standalone.js';

const options = {
  listenPort: 1975,
  adminPort: 9901,
  extprocSocket: '/run/aigw/extproc.sock',
  stateDir: '/state',
};

function backends(text: string): NonNullable<FilterConfigInput['backends']> {
  const config = buildStandalone(loadResources([{ path: 'in.yaml', text }]), options);
  return config.filterConfig.backends ?? [];
}

const base = (extra: { backend?: string; ref?: string } = {}): string => `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  rules:
    - backendRefs:
        - name: b
${extra.ref ?? ''}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: b}
spec:
  schema: {name: AzureOpenAI, version: 2025-01-01-preview}
  backendRef: {name: b, kind: Backend, group: gateway.envoyproxy.io}
${extra.backend ?? ''}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: b}
spec:
  endpoints: [{fqdn: {hostname: x.openai.azure.com, port: 443}}]
`;

describe('filter config backends', () => {
  it('carries the schema version and no auth without a policy', () => {
    expect(backends(base())).toEqual([
      {
        name: 'default/b/route/r/rule/0/ref/0',
        schema: { name: 'AzureOpenAI', version: '2025-01-01-preview' },
      },
    ]);
  });

  it.each([
    ['chat', { responsesApi: 'chat' }],
    ['passthrough', {}],
  ])('carries the responses-api annotation %s into the schema', (value, extra) => {
    const text = base().replace(
      'metadata: {name: b}\nspec:\n  schema',
      `metadata: {name: b, annotations: {aigateway.envoyproxy.io/responses-api: ${value}}}\nspec:\n  schema`,
    );
    expect(backends(text)[0]?.schema).toEqual({
      name: 'AzureOpenAI',
      version: '2025-01-01-preview',
      ...extra,
    });
  });

  it('reports a bad responses-api annotation naming the backend and the field', () => {
    const text = base().replace(
      'metadata: {name: b}\nspec:\n  schema',
      'metadata: {name: b, annotations: {aigateway.envoyproxy.io/responses-api: translate}}\nspec:\n  schema',
    );
    expect(() => backends(text)).toThrow(
      'in.yaml: AIServiceBackend default/b: metadata.annotations[aigateway.envoyproxy.io/responses-api]: expected "passthrough" or "chat", got "translate"',
    );
  });

  it("merges header and body mutations, the route's backendRef winning", () => {
    const [backend] = backends(
      base({
        backend: `  headerMutation:
    set: [{name: X-Team, value: a}, {name: x-keep, value: k}]
    remove: [x-debug]
  bodyMutation:
    set: [{path: service_tier, value: '"flex"'}]`,
        ref: `          headerMutation:
            set: [{name: x-team, value: b}]
            remove: [x-other]
          bodyMutation:
            remove: [user]`,
      }),
    );
    expect(backend).toMatchObject({
      headerMutation: {
        set: [
          { name: 'x-team', value: 'b' },
          { name: 'x-keep', value: 'k' },
        ],
        remove: ['x-debug', 'x-other'],
      },
      bodyMutation: { set: [{ path: 'service_tier', value: '"flex"' }], remove: ['user'] },
    });
  });

  it("lets the backendRef's remove drop the backend's set of a name, and its set the remove", () => {
    const [backend] = backends(
      base({
        backend: `  headerMutation:
    set: [{name: X-Team, value: a}]
    remove: [X-Debug]
  bodyMutation:
    set: [{path: service_tier, value: '"flex"'}]
    remove: [user]`,
        ref: `          headerMutation:
            set: [{name: x-debug, value: on}]
            remove: [x-team]
          bodyMutation:
            set: [{path: user, value: '"route"'}]
            remove: [service_tier]`,
      }),
    );
    expect(backend).toMatchObject({
      headerMutation: { set: [{ name: 'x-debug', value: 'on' }], remove: ['x-team'] },
      bodyMutation: { set: [{ path: 'user', value: '"route"' }], remove: ['service_tier'] },
    });
  });
});

describe('defaultProfile', () => {
  const ini = `[default]
aws_access_key_id = A
aws_secret_access_key = a

[profile prod]
aws_access_key_id = P
aws_secret_access_key = p
[dev]
aws_access_key_id = D
`;

  it('keeps the file for the default profile', () => {
    expect(defaultProfile(ini, 'default')).toBe(ini);
  });

  it.each([
    ['prod', '[default]\naws_access_key_id = P\naws_secret_access_key = p\n'],
    ['dev', '[default]\naws_access_key_id = D\n'],
  ])('makes profile %s the default one', (profile, expected) => {
    expect(defaultProfile(ini, profile)).toBe(expected);
  });
});

describe('credentials aigw run exchanges (standalone mode)', () => {
  const policy = (type: string, credentials: string): string => `
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: p}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: b}]
  type: ${type}
${credentials}`;
  const secret = (name: string, data: string): string => `
---
apiVersion: v1
kind: Secret
metadata: {name: ${name}}
stringData: ${data}`;
  const oidc = `oidcExchangeToken:
      oidc:
        provider: {issuer: 'https://issuer.test'}
        clientID: aigw
        clientSecret: {name: oidc}`;
  const build = (text: string): StandaloneConfig =>
    buildStandalone(loadResources([{ path: 'in.yaml', text: `${base()}${text}` }]), options);
  const problems = (text: string): readonly string[] => {
    try {
      build(text);
    } catch (err) {
      if (isResourceError(err)) return err.problems;
      throw err;
    }
    return [];
  };
  const azureClientSecret = `  azureCredentials:
    clientID: app
    tenantID: tenant
    clientSecretRef: {name: azure}`;
  const gcpKey = `  gcpCredentials:
    projectName: proj
    region: us-east5
    credentialsFile: {secretRef: {name: gcp}}`;

  it.each([
    {
      kind: 'azure-client-secret',
      text:
        policy('AzureCredentials', azureClientSecret) + secret('azure', '{client-secret: s3cret}'),
      file: 'default.p.token',
      auth: { azure: { tokenFile: '/state/credentials/default.p.token' } },
      refs: [['spec.azureCredentials.clientSecretRef', 'default/azure', 'client-secret']],
    },
    {
      kind: 'azure-oidc',
      text:
        policy(
          'AzureCredentials',
          `  azureCredentials:\n    clientID: app\n    tenantID: tenant\n    ${oidc}`,
        ) + secret('oidc', '{client-secret: s3cret}'),
      file: 'default.p.token',
      auth: { azure: { tokenFile: '/state/credentials/default.p.token' } },
      refs: [
        [
          'spec.azureCredentials.oidcExchangeToken.oidc.clientSecret',
          'default/oidc',
          'client-secret',
        ],
      ],
    },
    {
      kind: 'gcp-service-account-key',
      text: policy('GCPCredentials', gcpKey) + secret('gcp', `{service_account.json: '{}'}`),
      file: 'default.p.token',
      auth: {
        gcp: {
          tokenFile: '/state/credentials/default.p.token',
          region: 'us-east5',
          projectName: 'proj',
        },
      },
      refs: [
        ['spec.gcpCredentials.credentialsFile.secretRef', 'default/gcp', 'service_account.json'],
      ],
    },
    {
      kind: 'gcp-workload-identity',
      text:
        policy(
          'GCPCredentials',
          `  gcpCredentials:
    projectName: proj
    region: us-east5
    workloadIdentityFederationConfig:
      projectID: '123'
      workloadIdentityPoolName: pool
      workloadIdentityProviderName: provider
      ${oidc.replaceAll('\n', '\n  ')}`,
        ) + secret('oidc', '{client-secret: s3cret}'),
      file: 'default.p.token',
      auth: {
        gcp: {
          tokenFile: '/state/credentials/default.p.token',
          region: 'us-east5',
          projectName: 'proj',
        },
      },
      refs: [
        [
          'spec.gcpCredentials.workloadIdentityFederationConfig.oidcExchangeToken.oidc.clientSecret',
          'default/oidc',
          'client-secret',
        ],
      ],
    },
    {
      kind: 'aws-oidc',
      text:
        policy(
          'AWSCredentials',
          `  awsCredentials:\n    region: us-east-1\n    ${oidc.replace('oidc:', 'awsRoleArn: arn:aws:iam::1:role/r\n      oidc:')}`,
        ) + secret('oidc', '{client-secret: s3cret}'),
      file: 'default.p.credentials',
      auth: {
        aws: { credentialsFile: '/state/credentials/default.p.credentials', region: 'us-east-1' },
      },
      refs: [
        [
          'spec.awsCredentials.oidcExchangeToken.oidc.clientSecret',
          'default/oidc',
          'client-secret',
        ],
      ],
    },
  ])('$kind: the file path in the filter config, no content, one rotation', (c) => {
    const config = build(c.text);
    expect(config.filterConfig.backends?.[0]?.auth).toEqual(c.auth);
    expect(config.files).toEqual({});
    expect(config.rotations).toHaveLength(1);
    const [rotation] = config.rotations;
    expect(rotation).toMatchObject({
      kind: c.kind,
      path: `/state/credentials/${c.file}`,
      policy: { namespace: 'default', name: 'p', file: 'in.yaml' },
    });
    expect(rotation?.secretRefs.map((r) => [r.field, `${r.namespace}/${r.name}`, r.key])).toEqual(
      c.refs,
    );
    const [, id = '', key = ''] = c.refs[0] ?? [];
    expect(rotation?.secrets[id]?.[key]).toBeDefined();
  });

  it('keeps a pre-minted token in the Secret working (static file, no rotation)', () => {
    const config = build(
      policy('AzureCredentials', azureClientSecret) + secret('azure', '{token: tok}'),
    );
    expect(config.files).toEqual({ 'credentials/default.p.token': 'tok' });
    expect(config.rotations).toEqual([]);
  });

  it.each([
    {
      type: 'AzureCredentials',
      spec: azureClientSecret,
      secret: secret('azure', '{client-secret: s, token: tok}'),
    },
    {
      type: 'GCPCredentials',
      spec: gcpKey,
      secret: secret('gcp', `{service_account.json: '{}', token: tok}`),
    },
  ])('$type: with both keys, the exchange wins (upstream reads only its own key)', (c) => {
    const config = build(policy(c.type, c.spec) + c.secret);
    expect(config.files).toEqual({});
    expect(config.rotations.map((r) => r.path)).toEqual(['/state/credentials/default.p.token']);
  });

  it.each([
    {
      what: 'an OIDC client secret whose Secret is missing',
      text: policy(
        'AzureCredentials',
        `  azureCredentials:\n    clientID: app\n    tenantID: tenant\n    ${oidc}`,
      ),
      problem:
        'in.yaml: BackendSecurityPolicy default/p: spec.azureCredentials.oidcExchangeToken.oidc.clientSecret.name: Secret default/oidc not found',
    },
    {
      what: 'an OIDC client secret without "client-secret"',
      text:
        policy(
          'AzureCredentials',
          `  azureCredentials:\n    clientID: app\n    tenantID: tenant\n    ${oidc}`,
        ) + secret('oidc', '{secret: s}'),
      problem:
        'in.yaml: BackendSecurityPolicy default/p: spec.azureCredentials.oidcExchangeToken.oidc.clientSecret.name: Secret default/oidc has no key "client-secret"',
    },
    {
      what: 'an Azure Secret with neither key',
      text: policy('AzureCredentials', azureClientSecret) + secret('azure', '{apiKey: k}'),
      problem:
        'in.yaml: BackendSecurityPolicy default/p: spec.azureCredentials.clientSecretRef.name: Secret default/azure has no key "client-secret" or "token"',
    },
    {
      what: 'GCP Application Default Credentials',
      text: policy('GCPCredentials', '  gcpCredentials: {projectName: proj, region: us-east5}'),
      problem:
        'in.yaml: BackendSecurityPolicy default/p: spec.gcpCredentials: credentialsFile or workloadIdentityFederationConfig is required by aigw (Application Default Credentials are not supported yet)',
    },
  ])('reports $what with the file, object and field', ({ text, problem }) => {
    expect(problems(text)).toEqual([problem]);
  });

  describe('kubernetes mode (controller, aigw translate): credentials inlined', () => {
    const kubernetes = (text: string) => {
      const plan = planRoutes(
        loadResources([{ path: 'in.yaml', text: `${base()}${text}` }], { target: 'kubernetes' }),
      );
      return buildFilterConfig(plan, { mode: 'kubernetes' });
    };
    const rotated = (data: string): string => secret('ai-eg-bsp-p', data);
    const awsOidc = `  awsCredentials:\n    region: us-east-1\n    ${oidc.replace('oidc:', 'awsRoleArn: arn:aws:iam::1:role/r\n      oidc:')}`;
    const ini = '[default]\naws_access_key_id = A\naws_secret_access_key = S\n';

    it.each([
      {
        what: 'an API key, from its Secret',
        text: policy('APIKey', '  apiKey: {secretRef: {name: k}}') + secret('k', '{apiKey: sk-1}'),
        auth: { apiKey: { key: 'sk-1' } },
      },
      {
        what: 'an Azure API key',
        text:
          policy('AzureAPIKey', '  azureAPIKey: {secretRef: {name: k}}') +
          secret('k', '{apiKey: az-1}'),
        auth: { azureApiKey: { key: 'az-1' } },
      },
      {
        what: 'AWS credentials, the named profile as the default one',
        text:
          policy(
            'AWSCredentials',
            '  awsCredentials:\n    region: eu-west-1\n    credentialsFile: {secretRef: {name: aws}, profile: p2}',
          ) + secret('aws', `{credentials: "[p2]\\naws_access_key_id = A\\n"}`),
        auth: {
          aws: { credentialFileLiteral: '[default]\naws_access_key_id = A\n', region: 'eu-west-1' },
        },
      },
      {
        what: 'AWS OIDC, from the rotated Secret',
        text:
          policy('AWSCredentials', awsOidc) +
          secret('oidc', '{client-secret: s}') +
          rotated(JSON.stringify({ credentials: ini })),
        auth: { aws: { credentialFileLiteral: ini, region: 'us-east-1' } },
      },
      {
        what: 'Azure client secret, from the rotated Secret',
        text:
          policy('AzureCredentials', azureClientSecret) +
          secret('azure', '{client-secret: s}') +
          rotated('{azureAccessToken: az-token}'),
        auth: { azure: { accessToken: 'az-token' } },
      },
      {
        what: 'Azure with a ready token in its Secret and no rotated one',
        text: policy('AzureCredentials', azureClientSecret) + secret('azure', '{token: ready}'),
        auth: { azure: { accessToken: 'ready' } },
      },
      {
        what: 'GCP service-account key, from the rotated Secret',
        text:
          policy('GCPCredentials', gcpKey) +
          secret('gcp', `{service_account.json: '{}'}`) +
          rotated('{gcpAccessToken: g-token}'),
        auth: { gcp: { accessToken: 'g-token', region: 'us-east5', projectName: 'proj' } },
      },
    ])('inlines $what', ({ text, auth }) => {
      const result = kubernetes(text);
      expect(result.problems).toEqual([]);
      expect(result.rotations).toEqual([]);
      expect(result.credentials).toEqual({});
      expect(result.config.backends?.[0]?.auth).toEqual(auth);
    });

    it.each([
      {
        what: 'AWS OIDC',
        text: policy('AWSCredentials', awsOidc) + secret('oidc', '{client-secret: s}'),
      },
      {
        what: 'Azure client secret',
        text: policy('AzureCredentials', azureClientSecret) + secret('azure', '{client-secret: s}'),
      },
      {
        what: 'GCP service-account key',
        text: policy('GCPCredentials', gcpKey) + secret('gcp', `{service_account.json: '{}'}`),
      },
    ])(
      'leaves $what without auth, and no problem, until the rotator writes its Secret',
      ({ text }) => {
        const result = kubernetes(text);
        expect(result.problems).toEqual([]);
        expect(result.rotations).toEqual([]);
        expect(result.config.backends?.[0]?.name).toBe('default/b/route/r/rule/0/ref/0');
        expect(result.config.backends?.[0]?.auth).toBeUndefined();
      },
    );

    it('names the Secret and key of a missing API key', () => {
      const text =
        policy('APIKey', '  apiKey: {secretRef: {name: k}}') + secret('k', `{apiKey: ''}`);
      expect(kubernetes(text).problems).toEqual([
        'in.yaml: BackendSecurityPolicy default/p: spec.apiKey: Secret default/k has no key "apiKey" (aigw reads the credential from it)',
      ]);
    });
  });
});

describe('route shares of the filter config', () => {
  const twoRoutes = `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: first, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  llmRequestCosts: [{metadataKey: tokens, type: TotalToken}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: shared}]}, {headers: [{name: x-ai-eg-model, value: only-first}]}]
      backendRefs: [{name: b}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: second, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  llmRequestCosts: [{metadataKey: tokens, type: OutputToken}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: shared}]}]
      backendRefs: [{name: b}]
    - matches: [{headers: [{name: x-ai-eg-model, value: only-second}]}]
      backendRefs: [{name: b, modelNameOverride: other}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: b}
spec:
  schema: {name: OpenAI}
  backendRef: {name: b, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: b}
spec:
  endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]
`;
  const plan = planRoutes(loadResources([{ path: 'in.yaml', text: twoRoutes }]));

  it('merged in route order equal the config built from the whole plan', () => {
    const whole = buildFilterConfig(plan, { mode: 'kubernetes' }).config;
    const { routes } = buildRouteFilterConfigs(plan, { mode: 'kubernetes' });
    expect(mergeFilterConfigs(routes.values())).toEqual(whole);
    expect(whole.models?.map((m) => [m.name, m.createdAt])).toEqual([
      ['shared', '2026-01-01T00:00:00Z'],
      ['only-first', '2026-01-01T00:00:00Z'],
      ['only-second', '2026-02-01T00:00:00Z'],
    ]);
    expect(whole.llmRequestCosts?.map((c) => [c.routeName, c.type])).toEqual([
      ['default/first', 'TotalToken'],
      ['default/second', 'OutputToken'],
    ]);
    expect(whole.backends?.map((b) => b.name)).toEqual([
      'default/b/route/first/rule/0/ref/0',
      'default/b/route/second/rule/0/ref/0',
      'default/b/route/second/rule/1/ref/0',
    ]);
  });

  it('keep only their own route: a share is the same built alone or with the others', () => {
    const alone = planRoutes(
      loadResources([{ path: 'in.yaml', text: twoRoutes.replace(/^[\s\S]*?---\n/, '') }]),
    );
    const [secondAlone] = buildRouteFilterConfigs(alone, { mode: 'kubernetes' }).routes.values();
    const [, second] = buildRouteFilterConfigs(plan, { mode: 'kubernetes' }).routes.values();
    expect(secondAlone).toEqual(second);
  });

  it('put the extra models and costs after the routes', () => {
    const { routes } = buildRouteFilterConfigs(plan, { mode: 'kubernetes' });
    const merged = mergeFilterConfigs(routes.values(), {
      extraModels: [
        { name: 'shared', ownedBy: 'provider' },
        { name: 'extra', ownedBy: 'provider' },
      ],
      extraCosts: [{ metadataKey: 'quota', type: 'TotalToken' }],
    });
    expect(merged.models?.map((m) => [m.name, m.ownedBy])).toEqual([
      ['shared', 'Envoy AI Gateway'],
      ['only-first', 'Envoy AI Gateway'],
      ['only-second', 'Envoy AI Gateway'],
      ['extra', 'provider'],
    ]);
    expect(merged.llmRequestCosts?.at(-1)).toEqual({ metadataKey: 'quota', type: 'TotalToken' });
  });
});
