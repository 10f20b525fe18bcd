import { describe, expect, it } from 'vitest';
import { loadResources } from '@aigw/gateway-config';
import { parseAllDocuments } from 'yaml';
import { DefaultConfigError, defaultResources } from './default-config.js';

interface Doc {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  stringData?: Record<string, string>;
}

function docs(env: Record<string, string>): Doc[] {
  return parseAllDocuments(defaultResources(env).text).map((doc) => doc.toJS() as Doc);
}

function find(all: Doc[], kind: string, name: string): Doc | undefined {
  return all.find((doc) => doc.kind === kind && doc.metadata.name === name);
}

describe('the embedded default', () => {
  it('routes every model to OpenAI with the key from OPENAI_API_KEY', () => {
    const all = docs({ OPENAI_API_KEY: 'sk-test' });
    const route = find(all, 'AIGatewayRoute', 'aigw-run');
    expect(route?.spec?.rules).toEqual([{ backendRefs: [{ name: 'openai' }] }]);
    expect(find(all, 'Backend', 'openai')?.spec).toEqual({
      endpoints: [{ fqdn: { hostname: 'api.openai.com', port: 443 } }],
      tls: { wellKnownCACertificates: 'System', sni: 'api.openai.com' },
    });
    expect(find(all, 'AIServiceBackend', 'openai')?.spec?.schema).toEqual({
      name: 'OpenAI',
      prefix: 'v1',
    });
    expect(find(all, 'Secret', 'openai-apikey')?.stringData).toEqual({ apiKey: 'sk-test' });
    expect(find(all, 'BackendSecurityPolicy', 'openai-apikey')?.spec?.type).toBe('APIKey');
    expect(defaultResources({ OPENAI_API_KEY: 'sk-test' }).notes).toEqual([]);
  });

  it('follows OPENAI_BASE_URL (plain http, an IP, a path prefix)', () => {
    const all = docs({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1/' });
    expect(find(all, 'Backend', 'openai')?.spec).toEqual({
      endpoints: [{ ip: { address: '127.0.0.1', port: 11434 } }],
    });
    expect(find(all, 'AIServiceBackend', 'openai')?.spec?.schema).toEqual({
      name: 'OpenAI',
      prefix: 'v1',
    });
  });

  it('adds Anthropic for claude-* models when ANTHROPIC_API_KEY is set', () => {
    const all = docs({ OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'ak' });
    const rules = find(all, 'AIGatewayRoute', 'aigw-run')?.spec?.rules as unknown[];
    expect(rules[0]).toEqual({
      matches: [
        { headers: [{ type: 'RegularExpression', name: 'x-ai-eg-model', value: 'claude-.*' }] },
      ],
      backendRefs: [{ name: 'anthropic' }],
    });
    expect(rules[1]).toEqual({ backendRefs: [{ name: 'openai' }] });
    expect(find(all, 'BackendSecurityPolicy', 'anthropic-apikey')?.spec).toMatchObject({
      type: 'AnthropicAPIKey',
      anthropicAPIKey: { secretRef: { name: 'anthropic-apikey' } },
    });
    expect(find(all, 'Backend', 'anthropic')?.spec?.endpoints).toEqual([
      { fqdn: { hostname: 'api.anthropic.com', port: 443 } },
    ]);
  });

  it('uses Azure OpenAI when AZURE_OPENAI_API_KEY is set, over OPENAI_API_KEY (as upstream)', () => {
    const all = docs({
      OPENAI_API_KEY: 'sk-ignored',
      AZURE_OPENAI_API_KEY: 'az-key',
      AZURE_OPENAI_ENDPOINT: 'https://my-resource.openai.azure.com/',
      OPENAI_API_VERSION: '2024-10-21',
    });
    expect(find(all, 'AIServiceBackend', 'openai')?.spec?.schema).toEqual({
      name: 'AzureOpenAI',
      version: '2024-10-21',
    });
    expect(find(all, 'Backend', 'openai')?.spec).toEqual({
      endpoints: [{ fqdn: { hostname: 'my-resource.openai.azure.com', port: 443 } }],
      tls: { wellKnownCACertificates: 'System', sni: 'my-resource.openai.azure.com' },
    });
    expect(find(all, 'BackendSecurityPolicy', 'openai-apikey')?.spec).toMatchObject({
      type: 'AzureAPIKey',
      azureAPIKey: { secretRef: { name: 'openai-apikey' } },
    });
    expect(find(all, 'Secret', 'openai-apikey')?.stringData).toEqual({ apiKey: 'az-key' });
  });

  it.each([
    [{ AZURE_OPENAI_API_KEY: 'k', OPENAI_API_VERSION: 'v' }, /^AZURE_OPENAI_ENDPOINT is required/],
    [
      { AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com' },
      /^OPENAI_API_VERSION is required/,
    ],
    [
      { AZURE_OPENAI_API_KEY: 'k', AZURE_OPENAI_ENDPOINT: 'x.azure.com', OPENAI_API_VERSION: 'v' },
      /^AZURE_OPENAI_ENDPOINT=x\.azure\.com is not a URL/,
    ],
  ])('refuses an incomplete Azure setup %j, naming the variable', (env, message) => {
    expect(() => defaultResources(env)).toThrow(DefaultConfigError);
    expect(() => defaultResources(env)).toThrow(message);
  });

  it.each([
    [{ OPENAI_API_KEY: 'k' }],
    [
      {
        AZURE_OPENAI_API_KEY: 'k',
        AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com',
        OPENAI_API_VERSION: '2024-10-21',
      },
    ],
  ])('sends OPENAI_ORG_ID and OPENAI_PROJECT_ID as headers (%j)', (env) => {
    const all = docs({ ...env, OPENAI_ORG_ID: 'org-1', OPENAI_PROJECT_ID: 'proj_2' });
    expect(find(all, 'AIServiceBackend', 'openai')?.spec?.headerMutation).toEqual({
      set: [
        { name: 'OpenAI-Organization', value: 'org-1' },
        { name: 'OpenAI-Project', value: 'proj_2' },
      ],
    });
    const onlyProject = docs({ ...env, OPENAI_PROJECT_ID: 'proj_2' });
    expect(find(onlyProject, 'AIServiceBackend', 'openai')?.spec?.headerMutation).toEqual({
      set: [{ name: 'OpenAI-Project', value: 'proj_2' }],
    });
    expect(find(docs(env), 'AIServiceBackend', 'openai')?.spec).not.toHaveProperty(
      'headerMutation',
    );
  });

  it.each([
    [{}],
    [{ OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'a', OPENAI_ORG_ID: 'o', OPENAI_PROJECT_ID: 'p' }],
    [
      {
        AZURE_OPENAI_API_KEY: 'k',
        AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com',
        OPENAI_API_VERSION: '2024-10-21',
        OPENAI_ORG_ID: 'o',
      },
    ],
  ])('loads cleanly, without warnings (%j)', (env) => {
    const set = loadResources([{ path: 'default', text: defaultResources(env).text }]);
    expect(set.warnings).toEqual([]);
    expect(set.aiServiceBackends.length).toBeGreaterThan(0);
  });

  it('starts without keys and says what to set', () => {
    const { text, notes } = defaultResources({});
    expect(text).not.toContain('Secret');
    expect(notes.join('\n')).toMatch(/OPENAI_API_KEY.*ANTHROPIC_API_KEY/);
  });

  it('keeps a key with YAML-special characters intact', () => {
    const all = docs({ OPENAI_API_KEY: 'a: b # c ${X}' });
    expect(find(all, 'Secret', 'openai-apikey')?.stringData?.apiKey).toBe('a: b # c ${X}');
  });

  it('rejects a malformed base URL naming the variable', () => {
    expect(() => defaultResources({ OPENAI_BASE_URL: 'localhost:11434' })).toThrow(
      DefaultConfigError,
    );
    expect(() => defaultResources({ OPENAI_BASE_URL: 'ftp://x' })).toThrow(/OPENAI_BASE_URL/);
  });
});
