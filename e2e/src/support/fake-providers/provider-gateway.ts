import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendAuth, FilterConfigInput } from '@aigw/filterapi';
import type { EnvoyProcess, FakeUpstream, Harness } from '@aigw/testkit';
import { startTestExtProc, type TestExtProc } from '../extproc-harness.js';
import { gatewayBootstrap, type TestBackend } from '../gateway-bootstrap.js';
import type { FakeTokenUsage } from './conversation.js';
import { fakeAnthropic } from './fake-anthropic.js';
import { fakeBedrock } from './fake-bedrock.js';
import { fakeOpenAI } from './fake-openai.js';
import { fakeVertex } from './fake-vertex.js';

/** The credentials the fakes accept; none of them may ever show up in a log. */
export const providerSecrets = {
  openAIKey: 'sk-fake-openai-secret-0123456789abcdef',
  azureKey: 'azure-fake-secret-fedcba9876543210',
  anthropicKey: 'sk-ant-fake-secret-00112233445566778899',
  gcpToken: 'ya29.fake-gcp-access-token-aabbccddeeff',
  awsAccessKeyId: 'AKIAFAKEE2E00000001',
  awsSecretAccessKey: 'fake/aws+secret/KEY0123456789abcdefghijklmn',
  awsSessionToken: 'FwoGZXIvYXdzEFAKEsessiontoken//0123456789+abc=',
} as const;

/** Region and project the GCP and AWS backends are configured with. */
export const providerLocation = {
  gcpProject: 'fake-project',
  gcpRegion: 'us-east5',
  awsRegion: 'us-east-1',
} as const;

/**
 * The provider hostnames the clusters carry: Envoy rewrites `host` to them (`auto_host_rewrite`)
 * as Envoy Gateway does for real providers, so SigV4 must sign the rewritten host.
 */
export const providerHostnames = {
  openai: 'api.openai.com',
  azure: 'fake-resource.openai.azure.com',
  bedrock: `bedrock-runtime.${providerLocation.awsRegion}.amazonaws.com`,
  vertex: `${providerLocation.gcpRegion}-aiplatform.googleapis.com`,
  anthropic: 'api.anthropic.com',
} as const;

/** The schemas the gateway can send to, one backend (and Envoy cluster) each. */
export type ProviderBackend =
  | 'OpenAI'
  | 'AzureOpenAI'
  | 'AWSBedrock'
  | 'GCPVertexAI'
  | 'Anthropic'
  | 'GCPAnthropic'
  | 'AWSAnthropic';

/** Per backend: the model a client asks for, the token counts its fake reports. */
export interface ProviderModel {
  readonly backend: ProviderBackend;
  readonly model: string;
  readonly usage: FakeTokenUsage;
}

/**
 * The chat models, one per backend. Token counts differ per fake so a mix-up shows. AWS Claude and
 * GCP Claude use a `modelNameOverride` to the provider's model id (with `:` and `@`).
 */
export const providerModels: Readonly<Record<ProviderBackend, ProviderModel>> = {
  OpenAI: { backend: 'OpenAI', model: 'gpt-4o-mini', usage: { input: 11, output: 7 } },
  AzureOpenAI: { backend: 'AzureOpenAI', model: 'azure-gpt-4o', usage: { input: 11, output: 7 } },
  AWSBedrock: {
    backend: 'AWSBedrock',
    model: 'amazon.nova-pro-v1:0',
    usage: { input: 23, output: 9 },
  },
  GCPVertexAI: {
    backend: 'GCPVertexAI',
    model: 'gemini-2.0-flash',
    usage: { input: 31, output: 13 },
  },
  Anthropic: { backend: 'Anthropic', model: 'claude-direct', usage: { input: 41, output: 17 } },
  GCPAnthropic: {
    backend: 'GCPAnthropic',
    model: 'claude-vertex',
    usage: { input: 31, output: 13 },
  },
  AWSAnthropic: {
    backend: 'AWSAnthropic',
    model: 'claude-bedrock',
    usage: { input: 23, output: 9 },
  },
};

/** Embedding models per backend that has an embeddings translator. */
export const embeddingModels = {
  OpenAI: 'text-embedding-3-small',
  AzureOpenAI: 'azure-embedding',
  AWSBedrock: 'amazon.titan-embed-text-v2:0',
  GCPVertexAI: 'text-embedding-005',
} as const;

/** A running gateway (Envoy + extproc) in front of the four fake providers. */
export interface ProviderGateway {
  /** The Envoy listener, e.g. `http://127.0.0.1:12345`. */
  readonly url: string;
  readonly envoy: EnvoyProcess;
  readonly extproc: TestExtProc;
  readonly upstreams: {
    readonly openai: FakeUpstream;
    readonly bedrock: FakeUpstream;
    readonly vertex: FakeUpstream;
    readonly anthropic: FakeUpstream;
  };
  /** Which fake serves a backend. */
  upstreamOf(backend: ProviderBackend): FakeUpstream;
  /** Envoy's JSON access log lines so far (fields: `accessLogFormat`). */
  accessLog(): Record<string, unknown>[];
  /** Everything every process logged so far, plus the access log. */
  allLogs(): string;
  stop(): Promise<void>;
}

/** The filterapi backend name of a schema's backend. */
export const backendName = (backend: ProviderBackend): string =>
  `default/${backend.toLowerCase()}/route/sdk/rule/0/ref/0`;

function backendConfig(dir: string): FilterConfigInput['backends'] {
  const aws: BackendAuth = {
    aws: { credentialsFile: join(dir, 'aws-credentials'), region: providerLocation.awsRegion },
  };
  const gcp: BackendAuth = {
    gcp: {
      tokenFile: join(dir, 'gcp-token'),
      region: providerLocation.gcpRegion,
      projectName: providerLocation.gcpProject,
    },
  };
  return [
    {
      name: backendName('OpenAI'),
      schema: { name: 'OpenAI' },
      auth: { apiKey: { file: join(dir, 'openai-key') } },
    },
    {
      name: backendName('AzureOpenAI'),
      schema: { name: 'AzureOpenAI', version: '2024-10-21' },
      auth: { azureApiKey: { file: join(dir, 'azure-key') } },
    },
    { name: backendName('AWSBedrock'), schema: { name: 'AWSBedrock' }, auth: aws },
    { name: backendName('GCPVertexAI'), schema: { name: 'GCPVertexAI' }, auth: gcp },
    {
      name: backendName('Anthropic'),
      schema: { name: 'Anthropic' },
      auth: { anthropicApiKey: { file: join(dir, 'anthropic-key') } },
    },
    {
      name: backendName('GCPAnthropic'),
      schema: { name: 'GCPAnthropic' },
      auth: gcp,
      modelNameOverride: 'claude-3-5-haiku@20241022',
    },
    {
      name: backendName('AWSAnthropic'),
      schema: { name: 'AWSAnthropic' },
      auth: aws,
      modelNameOverride: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    },
  ];
}

function writeCredentials(dir: string): void {
  writeFileSync(join(dir, 'openai-key'), `${providerSecrets.openAIKey}\n`);
  writeFileSync(join(dir, 'azure-key'), providerSecrets.azureKey);
  writeFileSync(join(dir, 'anthropic-key'), `${providerSecrets.anthropicKey}\n`);
  writeFileSync(join(dir, 'gcp-token'), `${providerSecrets.gcpToken}\n`);
  writeFileSync(
    join(dir, 'aws-credentials'),
    [
      '[default]',
      `aws_access_key_id = ${providerSecrets.awsAccessKeyId}`,
      `aws_secret_access_key = ${providerSecrets.awsSecretAccessKey}`,
      `aws_session_token = ${providerSecrets.awsSessionToken}`,
      '',
    ].join('\n'),
  );
}

const clusterOf = (backend: ProviderBackend): string => backend.toLowerCase();

/** The hostname the gateway sends to a backend. */
export function hostnameOf(backend: ProviderBackend): string {
  switch (backend) {
    case 'OpenAI':
      return providerHostnames.openai;
    case 'AzureOpenAI':
      return providerHostnames.azure;
    case 'AWSBedrock':
    case 'AWSAnthropic':
      return providerHostnames.bedrock;
    case 'GCPVertexAI':
    case 'GCPAnthropic':
      return providerHostnames.vertex;
    case 'Anthropic':
      return providerHostnames.anthropic;
  }
}

function routeRules(): { models: string[]; cluster: string }[] {
  return Object.values(providerModels).map(({ backend, model }) => {
    const embedding = (embeddingModels as Partial<Record<ProviderBackend, string>>)[backend];
    return { models: embedding ? [model, embedding] : [model], cluster: clusterOf(backend) };
  });
}

/**
 * Starts the four fake providers, the extproc with one backend per schema, and Envoy with one
 * cluster per backend (clusters of the same provider share its fake), routed by model.
 */
export async function startProviderGateway(harness: Harness): Promise<ProviderGateway> {
  const dir = harness.tempDir('sdk-gw');
  writeCredentials(dir);
  const upstreams = {
    openai: await harness.upstream(
      fakeOpenAI({
        apiKey: providerSecrets.openAIKey,
        azureApiKey: providerSecrets.azureKey,
        usage: providerModels.OpenAI.usage,
      }),
      { name: 'fake-openai' },
    ),
    bedrock: await harness.upstream(
      fakeBedrock({
        credentials: {
          accessKeyId: providerSecrets.awsAccessKeyId,
          secretAccessKey: providerSecrets.awsSecretAccessKey,
          sessionToken: providerSecrets.awsSessionToken,
          region: providerLocation.awsRegion,
        },
        usage: providerModels.AWSBedrock.usage,
      }),
      { name: 'fake-bedrock' },
    ),
    vertex: await harness.upstream(
      fakeVertex({
        token: providerSecrets.gcpToken,
        project: providerLocation.gcpProject,
        region: providerLocation.gcpRegion,
        usage: providerModels.GCPVertexAI.usage,
      }),
      { name: 'fake-vertex' },
    ),
    anthropic: await harness.upstream(
      fakeAnthropic({
        apiKey: providerSecrets.anthropicKey,
        usage: providerModels.Anthropic.usage,
      }),
      { name: 'fake-anthropic' },
    ),
  };
  const upstreamOf = (backend: ProviderBackend): FakeUpstream => {
    switch (backend) {
      case 'OpenAI':
      case 'AzureOpenAI':
        return upstreams.openai;
      case 'AWSBedrock':
      case 'AWSAnthropic':
        return upstreams.bedrock;
      case 'GCPVertexAI':
      case 'GCPAnthropic':
        return upstreams.vertex;
      case 'Anthropic':
        return upstreams.anthropic;
    }
  };
  const extproc = await startTestExtProc({
    dir,
    config: { version: 'v1', backends: backendConfig(dir), routes: { rules: routeRules() } },
  });
  const accessLogPath = join(dir, 'access.log');
  const backends: TestBackend[] = (Object.keys(providerModels) as ProviderBackend[]).map(
    (backend) => ({
      cluster: clusterOf(backend),
      backendName: backendName(backend),
      upstream: upstreamOf(backend),
      hostname: hostnameOf(backend),
    }),
  );
  const envoy = await harness.envoy({
    name: 'envoy-sdk',
    extraArgs: ['--file-flush-interval-msec', '50'],
    bootstrap: gatewayBootstrap({ extprocSocket: extproc.socket, accessLogPath, backends }),
  });
  const readAccessLog = (): string => {
    try {
      return readFileSync(accessLogPath, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    url: await envoy.listenerUrl('ingress'),
    envoy,
    extproc,
    upstreams,
    upstreamOf,
    accessLog: () =>
      readAccessLog()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    allLogs: () =>
      [
        envoy.logs(),
        extproc.logs(),
        readAccessLog(),
        ...Object.values(upstreams).map((u) => u.logs()),
      ].join('\n'),
    stop: () => extproc.stop(),
  };
}
