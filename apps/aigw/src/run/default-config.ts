import { defaultModelNameHeader } from '@aigw/filterapi';
import { stringify } from 'yaml';
import type { ModelSource } from './model-discovery.js';

type Env = Readonly<Record<string, string | undefined>>;

const defaultOpenAIUrl = 'https://api.openai.com/v1';
const defaultAnthropicUrl = 'https://api.anthropic.com';
const namespace = 'default';
const modelHeader = defaultModelNameHeader;

/** The embedded default as resource YAML, plus what the banner should tell the user. */
export interface DefaultResources {
  readonly text: string;
  readonly notes: readonly string[];
  /**
   * Where `/v1/models` entries come from: the routes send any model to the providers, so their own
   * model lists say what the gateway can serve (see `model-discovery.ts`).
   */
  readonly modelSources: readonly ModelSource[];
}

/** Anthropic's models API version header value. */
const anthropicVersion = '2023-06-01';
/** The ids the `claude-*` rule sends to Anthropic (Envoy matches the whole value). */
const claudeModel = /^claude-/;

interface Provider {
  readonly name: string;
  readonly schema: 'OpenAI' | 'AzureOpenAI' | 'Anthropic';
  /** The schema version (Azure's api-version). */
  readonly version?: string;
  readonly url: URL;
  readonly key: string | undefined;
  readonly policy: 'APIKey' | 'AzureAPIKey' | 'AnthropicAPIKey';
  /** Request headers set on every request to this provider. */
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
}

/**
 * The configuration `aigw run` uses without files, as upstream's `aigw run` does: one
 * OpenAI-compatible backend (`OPENAI_BASE_URL`, default https://api.openai.com/v1, key from
 * `OPENAI_API_KEY`) that serves every model — or Azure OpenAI when `AZURE_OPENAI_API_KEY` is set
 * (`AZURE_OPENAI_ENDPOINT` and `OPENAI_API_VERSION` required; Azure wins over `OPENAI_API_KEY`,
 * as upstream) — with `OPENAI_ORG_ID` / `OPENAI_PROJECT_ID` sent as the `OpenAI-Organization` /
 * `OpenAI-Project` headers; and, when `ANTHROPIC_API_KEY` is set, Anthropic (`ANTHROPIC_BASE_URL`,
 * default https://api.anthropic.com) for `claude-*` models.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/autoconfig/openai.go
 */
export function defaultResources(env: Env): DefaultResources {
  const openai = openAIProvider(env);
  const anthropicKey = nonEmpty(env.ANTHROPIC_API_KEY);
  const anthropic: Provider | undefined =
    anthropicKey === undefined
      ? undefined
      : {
          name: 'anthropic',
          schema: 'Anthropic',
          url: parseUrl(
            'ANTHROPIC_BASE_URL',
            nonEmpty(env.ANTHROPIC_BASE_URL) ?? defaultAnthropicUrl,
          ),
          key: anthropicKey,
          policy: 'AnthropicAPIKey',
        };
  const providers = anthropic === undefined ? [openai] : [anthropic, openai];
  const docs = [route(anthropic !== undefined), ...providers.flatMap(providerObjects)];
  return {
    text: docs.map((doc) => stringify(doc)).join('---\n'),
    notes: notes(openai, anthropic),
    modelSources: modelSources(openai, anthropic),
  };
}

/**
 * The model lists to ask: OpenAI-compatible `GET <base>/models` (what `claude-*` does not take
 * when Anthropic is configured) and Anthropic's `GET /v1/models` (only `claude-*`). Azure OpenAI
 * is not asked: its callable names are deployments, which its model list does not give.
 */
function modelSources(openai: Provider, anthropic: Provider | undefined): ModelSource[] {
  const sources: ModelSource[] = [];
  if (anthropic?.key !== undefined) {
    sources.push({
      provider: 'anthropic',
      url: new URL('v1/models?limit=1000', withSlash(anthropic.url)).href,
      headers: { 'x-api-key': anthropic.key, 'anthropic-version': anthropicVersion },
      include: claudeModel,
    });
  }
  if (openai.schema === 'OpenAI') {
    const headers: Record<string, string> = {};
    if (openai.key !== undefined) headers.authorization = `Bearer ${openai.key}`;
    for (const { name, value } of openai.headers ?? []) headers[name.toLowerCase()] = value;
    sources.push({
      provider: 'openai',
      url: new URL('models', withSlash(openai.url)).href,
      headers,
      ...(anthropic === undefined ? {} : { exclude: claudeModel }),
    });
  }
  return sources;
}

/** `https://h/v1` → `https://h/v1/`, so relative URLs resolve below the base path. */
function withSlash(url: URL): URL {
  return new URL(url.href.endsWith('/') ? url.href : `${url.href}/`);
}

function openAIProvider(env: Env): Provider {
  const headers = [
    { name: 'OpenAI-Organization', value: nonEmpty(env.OPENAI_ORG_ID) },
    { name: 'OpenAI-Project', value: nonEmpty(env.OPENAI_PROJECT_ID) },
  ].flatMap((h) => (h.value === undefined ? [] : [{ name: h.name, value: h.value }]));
  const azureKey = nonEmpty(env.AZURE_OPENAI_API_KEY);
  if (azureKey === undefined) {
    return {
      name: 'openai',
      schema: 'OpenAI',
      url: parseUrl('OPENAI_BASE_URL', nonEmpty(env.OPENAI_BASE_URL) ?? defaultOpenAIUrl),
      key: nonEmpty(env.OPENAI_API_KEY),
      policy: 'APIKey',
      headers,
    };
  }
  const endpoint = nonEmpty(env.AZURE_OPENAI_ENDPOINT);
  if (endpoint === undefined) {
    throw new DefaultConfigError(
      'AZURE_OPENAI_ENDPOINT is required when AZURE_OPENAI_API_KEY is set (e.g. https://my-resource.openai.azure.com)',
    );
  }
  const version = nonEmpty(env.OPENAI_API_VERSION);
  if (version === undefined) {
    throw new DefaultConfigError(
      'OPENAI_API_VERSION is required when AZURE_OPENAI_API_KEY is set (e.g. 2024-10-21)',
    );
  }
  // The Azure translator builds /openai/deployments/<model>/… itself: the endpoint's path is unused.
  const url = parseUrl('AZURE_OPENAI_ENDPOINT', endpoint);
  return {
    name: 'openai',
    schema: 'AzureOpenAI',
    version,
    url: new URL(url.origin),
    key: azureKey,
    policy: 'AzureAPIKey',
    headers,
  };
}

function route(withAnthropic: boolean): object {
  const claude = {
    matches: [{ headers: [{ type: 'RegularExpression', name: modelHeader, value: 'claude-.*' }] }],
    backendRefs: [{ name: 'anthropic' }],
  };
  // A rule without matches takes every model the rules before it did not.
  const everything = { backendRefs: [{ name: 'openai' }] };
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
    kind: 'AIGatewayRoute',
    metadata: { name: 'aigw-run', namespace },
    spec: { rules: withAnthropic ? [claude, everything] : [everything] },
  };
}

function providerObjects(provider: Provider): object[] {
  const { name, url } = provider;
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  const prefix = url.pathname.replace(/^\/+|\/+$/g, '');
  const objects: object[] = [
    {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'AIServiceBackend',
      metadata: { name, namespace },
      spec: {
        schema: {
          name: provider.schema,
          ...(provider.version === undefined ? {} : { version: provider.version }),
          ...(prefix === '' ? {} : { prefix }),
        },
        backendRef: { name, kind: 'Backend', group: 'gateway.envoyproxy.io' },
        ...(provider.headers === undefined || provider.headers.length === 0
          ? {}
          : { headerMutation: { set: provider.headers } }),
      },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'Backend',
      metadata: { name, namespace },
      spec: {
        endpoints: [isIp ? { ip: { address: host, port } } : { fqdn: { hostname: host, port } }],
        ...(https ? { tls: { wellKnownCACertificates: 'System', sni: host } } : {}),
      },
    },
  ];
  if (provider.key !== undefined) objects.push(...credentialObjects(provider, provider.key));
  return objects;
}

function credentialObjects(provider: Provider, key: string): object[] {
  const secret = `${provider.name}-apikey`;
  const fields = {
    APIKey: 'apiKey',
    AzureAPIKey: 'azureAPIKey',
    AnthropicAPIKey: 'anthropicAPIKey',
  } as const;
  const field = fields[provider.policy];
  return [
    {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: secret, namespace },
      spec: {
        type: provider.policy,
        targetRefs: [
          { group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name: provider.name },
        ],
        [field]: { secretRef: { name: secret } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret, namespace },
      type: 'Opaque',
      stringData: { apiKey: key },
    },
  ];
}

function notes(openai: Provider, anthropic: Provider | undefined): string[] {
  const base = openai.url.href.replace(/\/$/, '');
  if (openai.key === undefined && anthropic === undefined) {
    return [
      'No OPENAI_API_KEY or ANTHROPIC_API_KEY is set: requests go to ' +
        `${base} without a key (fine for a local server such as Ollama; OpenAI will refuse them).`,
      'Set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server) and/or ' +
        'ANTHROPIC_API_KEY (or AZURE_OPENAI_API_KEY with AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION), ' +
        'then restart aigw run — or pass your own files: aigw run my-gateway.yaml',
    ];
  }
  if (openai.key === undefined) {
    return [`OPENAI_API_KEY is not set: models other than claude-* go to ${base} without a key.`];
  }
  return [];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A URL from the environment; a bad one is reported with the variable's name. */
function parseUrl(variable: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DefaultConfigError(
      `${variable}=${value} is not a URL (expected e.g. ${defaultOpenAIUrl})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DefaultConfigError(
      `${variable}=${value}: only http:// and https:// URLs are supported`,
    );
  }
  return url;
}

/** The environment the embedded default is built from is unusable (e.g. a malformed URL). */
export class DefaultConfigError extends Error {
  override readonly name = 'DefaultConfigError';
}
