import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  fakeServiceAccount,
  startFakeAzureAd,
  startFakeGoogle,
  testTls,
  type FakeAzureAd,
  type FakeGoogle,
  type FakeServiceAccount,
} from '@aigw/cloud-credentials/testing';
import { getFreePort, useHarness, waitFor, type FakeUpstream } from '@aigw/testkit';
import { runAigw, startAigw, type RunningAigw } from './support/aigw-process.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';
import { fakeVertex } from './support/fake-providers/fake-vertex.js';
import { providerHostnames } from './support/fake-providers/provider-gateway.js';

/**
 * `aigw run` exchanges cloud credentials itself: a GCP service-account key and an Azure client
 * secret, against fake Google and Entra ID token services that issue tokens living just over the
 * 5-minute refresh window, so the rotators replace them every few seconds. The fake providers
 * accept only tokens those services issued: requests succeed with the first tokens, the tokens
 * rotate, requests keep succeeding with the new ones, and no secret reaches a log.
 */
const harness = useHarness();

/** Seconds a token lives: the rotator refreshes 5 minutes before expiry, i.e. after ~3 s. */
const expiresIn = 303;
const gcp = { project: 'rotation-project', region: 'us-east5' } as const;
const azure = {
  tenant: 'rotation-tenant',
  client: 'rotation-app',
  secret: 'azure-rotation-client-secret-0123456789',
} as const;
const usage = { input: 7, output: 5 };

let google: FakeGoogle;
let ad: FakeAzureAd;
let account: FakeServiceAccount;
let vertex: FakeUpstream;
let azureOpenAI: FakeUpstream;
let caFile: string;

beforeAll(async () => {
  const tls = await testTls();
  account = fakeServiceAccount({ project: gcp.project, name: 'gateway' });
  google = await startFakeGoogle({ serviceAccounts: [account], expiresIn });
  ad = await startFakeAzureAd({
    tenantId: azure.tenant,
    clientId: azure.client,
    clientSecret: azure.secret,
    tls: { cert: tls.cert, key: tls.key },
    expiresIn,
  });
  caFile = join(harness.tempDir('aigw-rotation-ca'), 'ca.pem');
  writeFileSync(caFile, tls.caPem);
  vertex = await harness.upstream(
    fakeVertex({
      token: (token) => google.issued.isValid(token),
      project: gcp.project,
      region: gcp.region,
      usage,
    }),
    { name: 'fake-vertex' },
  );
  azureOpenAI = await harness.upstream(
    fakeOpenAI({
      apiKey: 'unused',
      azureApiKey: 'unused',
      azureAccessToken: (token) => ad.issued.isValid(token),
      usage,
    }),
    { name: 'fake-azure-openai' },
  );
});

afterAll(async () => {
  await Promise.all([google.close(), ad.close()]);
});

/** The gateway's resources: a model per provider, each behind a policy aigw must exchange. */
function config(
  clientSecret: string,
  file = join(harness.tempDir('aigw-rotation'), 'gateway.yaml'),
): string {
  const backend = (
    name: string,
    schema: object,
    at: { upstream: FakeUpstream; hostname: string },
  ): object[] => [
    {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'AIServiceBackend',
      metadata: { name },
      spec: { schema, backendRef: { name, kind: 'Backend', group: 'gateway.envoyproxy.io' } },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'Backend',
      metadata: { name },
      spec: {
        endpoints: [
          { ip: { address: '127.0.0.1', port: at.upstream.port }, hostname: at.hostname },
        ],
      },
    },
  ];
  const target = (name: string) => [
    { group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name },
  ];
  const route = (model: string, name: string) => ({
    matches: [{ headers: [{ type: 'Exact', name: 'x-ai-eg-model', value: model }] }],
    backendRefs: [{ name }],
  });
  const docs = [
    {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'AIGatewayRoute',
      metadata: { name: 'rotation' },
      spec: {
        rules: [route('gemini-2.0-flash', 'vertex'), route('azure-gpt-4o', 'azure')],
      },
    },
    ...backend(
      'vertex',
      { name: 'GCPVertexAI' },
      { upstream: vertex, hostname: providerHostnames.vertex },
    ),
    ...backend(
      'azure',
      { name: 'AzureOpenAI', version: '2024-10-21' },
      { upstream: azureOpenAI, hostname: providerHostnames.azure },
    ),
    {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: 'vertex-key' },
      spec: {
        targetRefs: target('vertex'),
        type: 'GCPCredentials',
        gcpCredentials: {
          projectName: gcp.project,
          region: gcp.region,
          credentialsFile: { secretRef: { name: 'vertex-key' } },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'vertex-key' },
      stringData: { 'service_account.json': account.keyJson },
    },
    {
      apiVersion: 'aigateway.envoyproxy.io/v1alpha1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: 'azure-app' },
      spec: {
        targetRefs: target('azure'),
        type: 'AzureCredentials',
        azureCredentials: {
          clientID: azure.client,
          tenantID: azure.tenant,
          clientSecretRef: { name: 'azure-app' },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'azure-app' },
      stringData: { 'client-secret': clientSecret },
    },
  ];
  writeFileSync(file, docs.map((doc) => stringify(doc)).join('---\n'));
  return file;
}

/** Points aigw at the fake token services (and trusts the fake Entra ID's CA). */
const tokenEnv = (): Record<string, string> => ({
  AIGW_GCP_OAUTH_TOKEN_URL: `${google.url}/token`,
  AIGW_AZURE_AUTHORITY_HOST: ad.url,
  NODE_EXTRA_CA_CERTS: caFile,
});

const bearerOf = (upstream: FakeUpstream): string | undefined =>
  /^Bearer (\S+)$/.exec(upstream.requests.at(-1)?.headers.authorization ?? '')?.[1];

describe('aigw run: GCP service-account key and Azure client secret, exchanged and refreshed', () => {
  const refused = 'edited-azure-client-secret-5555555555';
  let aigw: RunningAigw;
  let client: OpenAI;
  let file: string;
  beforeAll(async () => {
    file = config(azure.secret);
    aigw = await startAigw({ args: [file], env: tokenEnv() });
    client = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'client-side', maxRetries: 0 });
  });
  afterAll(async () => {
    await aigw.stop();
  });

  /** One chat completion through the gateway; it must succeed. Returns the token the fake saw. */
  async function chat(model: string, upstream: FakeUpstream): Promise<string | undefined> {
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: `rotation ${model}` }],
    });
    expect(completion.choices[0]?.message.content).toContain('rotation');
    return bearerOf(upstream);
  }

  it.each([
    { model: 'gemini-2.0-flash', provider: 'vertex' as const },
    { model: 'azure-gpt-4o', provider: 'azure' as const },
  ])(
    '$provider: answers with the first token, then with a rotated one',
    async ({ model, provider }) => {
      const upstream = provider === 'vertex' ? vertex : azureOpenAI;
      const issued = provider === 'vertex' ? google.issued : ad.issued;
      const first = await chat(model, upstream);
      expect(first).toBeDefined();
      expect(issued.all()).toContain(first);

      // Each poll is a request that must succeed, until the gateway sends a newer token.
      const rotated = await waitFor(
        async () => {
          const token = await chat(model, upstream);
          return token !== first ? token : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200, description: `a rotated ${provider} token` },
      );
      expect(issued.isValid(rotated)).toBe(true);
      expect(issued.all().indexOf(rotated)).toBeGreaterThan(issued.all().indexOf(first ?? ''));
      // And it keeps answering with the new token.
      expect(issued.isValid((await chat(model, upstream)) ?? '')).toBe(true);
    },
  );

  it('keeps the running configuration when an edited Secret cannot be exchanged', async () => {
    config(refused, file);
    await waitFor(() => aigw.output().includes('cannot obtain cloud credentials'), {
      timeoutMs: 20_000,
      description: 'the reload refused for its credential',
    });
    expect(aigw.output()).toMatch(/BackendSecurityPolicy default\/azure-app: .*invalid_client/);
    expect(ad.issued.isValid((await chat('azure-gpt-4o', azureOpenAI)) ?? '')).toBe(true);
    // The same file saved with the good secret again is a reload like any other.
    const reloads = aigw.output().split('config reloaded').length;
    config(azure.secret, file);
    await waitFor(() => aigw.output().split('config reloaded').length > reloads, {
      timeoutMs: 20_000,
      description: 'the reload with the good secret',
    });
    expect(ad.issued.isValid((await chat('azure-gpt-4o', azureOpenAI)) ?? '')).toBe(true);
  });

  it('logs each refresh and never a secret or a token', () => {
    const logs = aigw.output();
    expect(logs).toContain('credential refreshed');
    expect(logs).toContain('default/vertex-key');
    expect(logs).toContain('default/azure-app');
    const privateKey = (JSON.parse(account.keyJson) as { private_key: string }).private_key;
    const secrets = [
      azure.secret,
      refused,
      ...privateKey.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')),
      ...google.issued.all(),
      ...ad.issued.all(),
    ];
    expect(secrets.length).toBeGreaterThan(4);
    for (const secret of secrets) expect(logs.includes(secret), 'a secret in the logs').toBe(false);
  });
});

describe('aigw run: a credential that cannot be exchanged', () => {
  it('stops the start-up with a line naming the policy and why, never the secret', async () => {
    const wrong = 'wrong-azure-client-secret-9876543210';
    const ports = [String(await getFreePort()), String(await getFreePort())];
    const args = ['run', config(wrong), '--port', ports[0] ?? '', '--admin-port', ports[1] ?? ''];
    const { status, output } = await runAigw(args, {
      env: tokenEnv(),
      timeoutMs: 60_000,
    });
    expect(status.code).toBe(1);
    expect(output).toContain('could not obtain cloud credentials');
    expect(output).toMatch(
      /gateway\.yaml: BackendSecurityPolicy default\/azure-app: .*invalid_client/,
    );
    expect(output).not.toContain(wrong);
    expect(output).not.toContain(azure.secret);
  });
});
