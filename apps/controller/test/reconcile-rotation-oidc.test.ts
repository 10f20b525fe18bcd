import { gcpWorkloadIdentityAudience } from '@aigw/cloud-credentials';
import {
  startFakeAwsSts,
  startFakeAzureAd,
  startFakeGoogle,
  startFakeOidcIssuer,
  testTls,
  type FakeAwsSts,
  type FakeAzureAd,
  type FakeGoogle,
  type FakeOidcIssuer,
  type FakeServer,
  type RecordedRequest,
} from '@aigw/cloud-credentials/testing';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/runtime/contracts.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { createNamespace, testClient } from './support/kube.js';
import {
  applyObjects,
  applyReconcilerCrds,
  decodedData,
  parseObjects,
  readObject,
  waitForAccepted,
} from './support/reconcile-kit.js';
import {
  expiryOf,
  policyRef,
  rotatedRef,
  startRotatingController,
  waitForConfigAuth,
  waitForRotated,
  type RotatingController,
} from './support/rotation-kit.js';

/**
 * The controller's federated credential rotations against the fake token services, each starting
 * from an OIDC client-credentials token of the fake issuer: AWS `AssumeRoleWithWebIdentity`,
 * Azure workload identity federation (the token as client assertion), GCP workload identity
 * federation (STS token exchange, with and without service-account impersonation). Each writes
 * `ai-eg-bsp-<policy>` with upstream's key and an ownerReference to the policy, the Gateway's
 * extproc config carries the credential, and it is rewritten before expiry (the fakes issue
 * credentials living 303 s, so the 5-minute pre-rotation window leaves 3 s). A token service that
 * is down is the policy's Accepted=False with the reason, and it recovers; no secret reaches the
 * controller's logs.
 */
const namespace = 'rotation-oidc';
const gateway = { namespace, name: 'gw' };
const lifetimeSeconds = 303;
const oidcClient = {
  id: 'gateway-oidc-client',
  secret: 'oidc-controller-client-secret-0123456789',
};
const wrongOidcSecret = 'edited-oidc-client-secret-9876543210';
const roleArn = 'arn:aws:iam::123456789012:role/ai-gateway';
const azure = { tenant: 'tenant-federated', client: 'app-federated' };
const wif = { project: '424242', pool: 'gateway-pool', provider: 'gateway-provider' };
const impersonated = 'vertex@proj.iam.gserviceaccount.com';
const audience = gcpWorkloadIdentityAudience({
  projectId: wif.project,
  poolName: wif.pool,
  providerName: wif.provider,
});
const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
const cloudPlatform = 'https://www.googleapis.com/auth/cloud-platform';
const v1beta1 = 'aigateway.envoyproxy.io/v1beta1';
const federatedPolicies = ['aws', 'azure-fed', 'gcp-sa', 'gcp-fed'];

function manifests(issuer: string): KubeObject[] {
  const client = `{provider: {issuer: "${issuer}"}, clientID: ${oidcClient.id}, clientSecret: {name: oidc-client}}`;
  const oidc = `{oidc: ${client}}`;
  const serviceBackend = (name: string, schema: string) => `
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: ${name}, namespace: ${namespace}}
spec: {schema: ${schema}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---`;
  const rule = (model: string, backend: string) =>
    `{matches: [{headers: [{name: x-ai-eg-model, value: ${model}}]}], backendRefs: [{name: ${backend}}]}`;
  const wifConfig = `projectID: "${wif.project}"
      workloadIdentityPoolName: ${wif.pool}
      workloadIdentityProviderName: ${wif.provider}
      oidcExchangeToken: ${oidc}`;
  return parseObjects(`
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${gateway.name}, namespace: ${namespace}}
spec: {gatewayClassName: aigw, listeners: [{name: http, protocol: HTTP, port: 80}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: ${namespace}}
spec: {endpoints: [{fqdn: {hostname: provider.example, port: 443}}]}
---${serviceBackend('bedrock', '{name: AWSBedrock}')}${serviceBackend('azure-fed', '{name: AzureOpenAI, version: 2025-01-01-preview}')}${serviceBackend('vertex-sa', '{name: GCPVertexAI}')}${serviceBackend('vertex-fed', '{name: GCPVertexAI}')}
apiVersion: ${v1beta1}
kind: AIGatewayRoute
metadata: {name: route, namespace: ${namespace}}
spec:
  parentRefs: [{name: ${gateway.name}}]
  rules:
    - ${rule('llama', 'bedrock')}
    - ${rule('gpt', 'azure-fed')}
    - ${rule('gemini-sa', 'vertex-sa')}
    - ${rule('gemini-fed', 'vertex-fed')}
---
apiVersion: v1
kind: Secret
metadata: {name: oidc-client, namespace: ${namespace}}
stringData: {client-secret: ${oidcClient.secret}}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: aws, namespace: ${namespace}}
spec:
  type: AWSCredentials
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: bedrock}]
  awsCredentials:
    region: eu-west-1
    oidcExchangeToken:
      awsRoleArn: "${roleArn}"
      oidc: ${client}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: azure-fed, namespace: ${namespace}}
spec:
  type: AzureCredentials
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: azure-fed}]
  azureCredentials:
    clientID: ${azure.client}
    tenantID: ${azure.tenant}
    oidcExchangeToken: ${oidc}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: gcp-sa, namespace: ${namespace}}
spec:
  type: GCPCredentials
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: vertex-sa}]
  gcpCredentials:
    projectName: proj
    region: europe-west4
    workloadIdentityFederationConfig:
      ${wifConfig}
      serviceAccountImpersonation: {serviceAccountName: vertex}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: gcp-fed, namespace: ${namespace}}
spec:
  type: GCPCredentials
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: vertex-fed}]
  gcpCredentials:
    projectName: proj
    region: us-central1
    workloadIdentityFederationConfig:
      ${wifConfig}
`);
}

/** The keys of an AWS shared-credentials file's `[default]` profile. */
function iniValues(ini: string): Record<string, string> {
  return Object.fromEntries(
    [...ini.matchAll(/^(\w+) = (.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}

/**
 * The shared-credentials file upstream writes for the keys STS issued under the access key id
 * that `ini` names (undefined when STS issued no such key).
 */
function issuedIni(sts: FakeAwsSts, ini: string): string | undefined {
  const accessKeyId = iniValues(ini)['aws_access_key_id'] ?? '';
  const issued = sts.keys.get(accessKeyId);
  return (
    issued &&
    `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${issued.secretAccessKey}\n` +
      `aws_session_token = ${issued.sessionToken}\nregion = eu-west-1\n`
  );
}

/** A request body's fields (form-encoded, or JSON as some Google clients send). */
function fields(request: RecordedRequest): Record<string, string> {
  return String(request.headers['content-type']).includes('json')
    ? (JSON.parse(request.body) as Record<string, string>)
    : Object.fromEntries(new URLSearchParams(request.body));
}

/** The POSTs a fake received, to paths (without query) that `path` matches. */
const posts = (fake: FakeServer, path?: RegExp): RecordedRequest[] =>
  fake.requests.filter(
    (r) => r.method === 'POST' && (path === undefined || path.test(r.path.split('?')[0] ?? '')),
  );

describe('federated credential rotation of BackendSecurityPolicies (OIDC)', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  let issuer: FakeOidcIssuer;
  let sts: FakeAwsSts;
  let ad: FakeAzureAd;
  let google: FakeGoogle;
  let running: RotatingController;

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    const tls = await testTls();
    issuer = await startFakeOidcIssuer({
      clientId: oidcClient.id,
      clientSecret: oidcClient.secret,
    });
    const verify = (token: string) => issuer.verify(token);
    sts = await startFakeAwsSts({ roleArn, verifyToken: verify, expiresIn: lifetimeSeconds });
    ad = await startFakeAzureAd({
      tenantId: azure.tenant,
      clientId: azure.client,
      verifyAssertion: verify,
      tls,
      expiresIn: lifetimeSeconds,
    });
    google = await startFakeGoogle({
      workloadIdentity: { audience, verifySubjectToken: verify },
      impersonable: [impersonated],
      expiresIn: lifetimeSeconds,
    });
    await createNamespace(client, namespace);
    await applyObjects(client, manifests(issuer.issuer));
    running = await startRotatingController(kube, {
      endpoints: {
        awsSts: sts.url,
        azureAuthorityHost: ad.url,
        gcpSts: `${google.url}/v1/token`,
        gcpIamCredentials: google.url,
      },
      extraCaCertificates: [tls.caPem],
      retryAfterMs: 1_000,
      timeoutMs: 5_000,
    });
  }, 240_000);

  afterAll(async () => {
    await running.controller.stop();
    await Promise.all([issuer, sts, ad, google].map((fake) => fake.close()));
  });

  /** The policy's uid, for the ownerReference upstream puts on federated credentials. */
  async function ownerOf(name: string): Promise<Record<string, unknown>[]> {
    const policy = await readObject(client, policyRef(namespace, name));
    return [
      {
        apiVersion: v1beta1,
        kind: 'BackendSecurityPolicy',
        name,
        uid: policy?.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }

  it('asks the OIDC issuer for a client-credentials token with HTTP Basic client authentication', async () => {
    await waitForAccepted(client, policyRef(namespace, 'aws'), 'True');
    const tokenCalls = posts(issuer, /^\/token/);
    expect(tokenCalls.length).toBeGreaterThan(0);
    const basic = `Basic ${Buffer.from(`${oidcClient.id}:${oidcClient.secret}`).toString('base64')}`;
    for (const call of tokenCalls) {
      expect(call.headers.authorization).toBe(basic);
      expect(fields(call)).toMatchObject({ grant_type: 'client_credentials', scope: 'openid' });
    }
  });

  it('writes AWS credentials from AssumeRoleWithWebIdentity and rewrites them before expiry', async () => {
    await waitForAccepted(client, policyRef(namespace, 'aws'), 'True');
    const first = await waitForRotated(client, { namespace, policy: 'aws', key: 'credentials' });
    const data = decodedData(first);
    expect(Object.keys(data)).toEqual(['credentials']);
    const ini = String(data['credentials']);
    expect(ini).toBe(issuedIni(sts, ini));
    expect(first['type']).toBe('Opaque');
    expect(first.metadata.ownerReferences).toEqual(await ownerOf('aws'));
    const firstExpiry = expiryOf(first);
    expect(firstExpiry).toBeGreaterThan(Date.now() + 290_000);

    // The wire: unsigned Query API calls for the role, each with a token the issuer minted.
    const calls = posts(sts).map(fields);
    expect(calls.length).toBeGreaterThan(0);
    const minted = new Set(issuer.issued.all());
    for (const call of calls) {
      expect(call).toMatchObject({
        Action: 'AssumeRoleWithWebIdentity',
        Version: '2011-06-15',
        RoleArn: roleArn,
        RoleSessionName: 'ai-gateway-aws',
      });
      const webIdentity = String(call['WebIdentityToken']);
      expect(minted.has(webIdentity)).toBe(true);
      expect(issuer.verify(webIdentity)).toMatchObject({ sub: oidcClient.id });
    }

    // The Gateway's extproc config inlines the credentials file.
    await waitForConfigAuth(
      client,
      { gateway, backend: 'bedrock' },
      (auth) => auth['aws']?.['credentialFileLiteral'] === ini,
    );

    const second = await waitForRotated(
      client,
      { namespace, policy: 'aws', key: 'credentials' },
      { previous: ini },
    );
    expect(Date.now()).toBeLessThan(firstExpiry);
    const next = String(decodedData(second)['credentials']);
    expect(next).toBe(issuedIni(sts, next));
    expect(expiryOf(second)).toBeGreaterThan(firstExpiry);
    await waitForConfigAuth(
      client,
      { gateway, backend: 'bedrock' },
      (auth) => auth['aws']?.['credentialFileLiteral'] !== ini,
    );
  });

  it('writes an Azure token federated from the OIDC token and rewrites it before expiry', async () => {
    await waitForAccepted(client, policyRef(namespace, 'azure-fed'), 'True');
    const first = await waitForRotated(client, {
      namespace,
      policy: 'azure-fed',
      key: 'azureAccessToken',
    });
    const token = decodedData(first)['azureAccessToken'] ?? '';
    expect(Object.keys(decodedData(first))).toEqual(['azureAccessToken']);
    expect(ad.issued.isValid(token)).toBe(true);
    expect(first.metadata.ownerReferences).toEqual(await ownerOf('azure-fed'));

    const calls = posts(ad, /\/oauth2\/v2\.0\/token$/).map(fields);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call).toMatchObject({
        grant_type: 'client_credentials',
        client_id: azure.client,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        scope: 'https://cognitiveservices.azure.com/.default',
      });
      expect(call['client_secret']).toBeUndefined();
      expect(issuer.verify(call['client_assertion'] ?? '')).toMatchObject({ sub: oidcClient.id });
    }

    await waitForConfigAuth(
      client,
      { gateway, backend: 'azure-fed' },
      (auth) => auth['azure']?.['accessToken'] === token,
    );
    const firstExpiry = expiryOf(first);
    const second = await waitForRotated(
      client,
      { namespace, policy: 'azure-fed', key: 'azureAccessToken' },
      { previous: token, isValid: (t) => ad.issued.isValid(t) },
    );
    expect(Date.now()).toBeLessThan(firstExpiry);
    expect(expiryOf(second)).toBeGreaterThan(firstExpiry);
  });

  it('writes a GCP token from the STS exchange and impersonation, rewritten before expiry', async () => {
    await waitForAccepted(client, policyRef(namespace, 'gcp-sa'), 'True');
    const first = await waitForRotated(client, {
      namespace,
      policy: 'gcp-sa',
      key: 'gcpAccessToken',
    });
    const data = decodedData(first);
    expect(Object.keys(data).sort()).toEqual(['gcpAccessToken', 'projectName', 'region']);
    expect(data).toMatchObject({ projectName: 'proj', region: 'europe-west4' });
    const token = data['gcpAccessToken'] ?? '';
    // The impersonated account's token, not the federated one it was obtained with.
    expect(google.issued.isValid(token)).toBe(true);
    expect(google.federated.all()).not.toContain(token);
    expect(first.metadata.ownerReferences).toEqual(await ownerOf('gcp-sa'));

    const exchanges = posts(google, /^\/v1\/token$/).map(fields);
    expect(exchanges.length).toBeGreaterThan(0);
    for (const call of exchanges) {
      expect(call).toMatchObject({
        grant_type: tokenExchange,
        audience,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      });
      expect(issuer.verify(call['subject_token'] ?? '')).toMatchObject({ sub: oidcClient.id });
    }
    const impersonations = posts(google, /:generateAccessToken$/);
    expect(impersonations.length).toBeGreaterThan(0);
    const federated = new Set(google.federated.all());
    for (const call of impersonations) {
      expect(decodeURIComponent(call.path)).toBe(
        `/v1/projects/-/serviceAccounts/${impersonated}:generateAccessToken`,
      );
      const bearer = /^Bearer (\S+)$/.exec(String(call.headers.authorization))?.[1] ?? '';
      expect(federated.has(bearer)).toBe(true);
      expect((JSON.parse(call.body) as { scope?: string[] }).scope).toContain(cloudPlatform);
    }

    await waitForConfigAuth(
      client,
      { gateway, backend: 'vertex-sa' },
      (auth) =>
        auth['gcp']?.['accessToken'] === token &&
        auth['gcp']['region'] === 'europe-west4' &&
        auth['gcp']['projectName'] === 'proj',
    );
    const firstExpiry = expiryOf(first);
    await waitForRotated(
      client,
      { namespace, policy: 'gcp-sa', key: 'gcpAccessToken' },
      { previous: token, isValid: (t) => google.issued.isValid(t) && !federated.has(t) },
    );
    expect(Date.now()).toBeLessThan(firstExpiry);
  });

  it('writes the federated GCP token itself when no service account is impersonated', async () => {
    await waitForAccepted(client, policyRef(namespace, 'gcp-fed'), 'True');
    const first = await waitForRotated(client, {
      namespace,
      policy: 'gcp-fed',
      key: 'gcpAccessToken',
    });
    const token = decodedData(first)['gcpAccessToken'] ?? '';
    expect(google.federated.isValid(token)).toBe(true);
    expect(decodedData(first)).toMatchObject({ projectName: 'proj', region: 'us-central1' });
    expect(first.metadata.ownerReferences).toEqual(await ownerOf('gcp-fed'));
    await waitForConfigAuth(
      client,
      { gateway, backend: 'vertex-fed' },
      (auth) => auth['gcp']?.['accessToken'] === token,
    );
    const firstExpiry = expiryOf(first);
    await waitForRotated(
      client,
      { namespace, policy: 'gcp-fed', key: 'gcpAccessToken' },
      { previous: token, isValid: (t) => google.federated.isValid(t) },
    );
    expect(Date.now()).toBeLessThan(firstExpiry);
  });

  it.each([
    {
      policy: 'aws',
      backend: 'bedrock',
      fake: () => sts,
      why: /STS AssumeRoleWithWebIdentity \(arn:aws:iam::123456789012:role\/ai-gateway\)/,
    },
    {
      policy: 'azure-fed',
      backend: 'azure-fed',
      fake: () => ad,
      why: /Entra ID token \(federated\) for app app-federated/,
    },
    {
      policy: 'gcp-sa',
      backend: 'vertex-sa',
      fake: () => google,
      why: /Google federated token for .*gateway-provider \(STS at .* and impersonation of vertex@proj/,
    },
  ])(
    'reports the $policy token service down as Accepted=False, keeps the credential, recovers',
    async ({ policy, backend, fake, why }) => {
      const ref = policyRef(namespace, policy);
      const key =
        { aws: 'credentials', 'azure-fed': 'azureAccessToken' }[policy] ?? 'gcpAccessToken';
      const inConfig = (auth: Record<string, Record<string, unknown>>): unknown =>
        auth['aws']?.['credentialFileLiteral'] ??
        auth['azure']?.['accessToken'] ??
        auth['gcp']?.['accessToken'];
      await waitForAccepted(client, ref, 'True');
      fake().down = true;
      let kept: string | undefined;
      try {
        const condition = await waitForAccepted(client, ref, 'False');
        expect(condition['reason']).toBe('ReconciliationFailed');
        expect(condition['message']).toMatch(
          new RegExp(`^BackendSecurityPolicy ${namespace}/${policy}: credential rotation failed: `),
        );
        expect(condition['message']).toMatch(why);
        expect(String(condition['message'])).not.toContain(oidcClient.secret);
        // The credential in place stays, in the Secret and in the config, while the service is down.
        kept = decodedData(await readObject(client, rotatedRef(namespace, policy)))[key];
        expect(kept).toBeDefined();
        await waitForConfigAuth(client, { gateway, backend }, (auth) => inConfig(auth) === kept);
      } finally {
        fake().down = false;
      }
      await waitForAccepted(client, ref, 'True');
      await waitForRotated(client, { namespace, policy, key }, { previous: kept ?? '' });
    },
  );

  it('reports the OIDC issuer down on every federated policy, then recovers', async () => {
    const names = federatedPolicies;
    for (const name of names) await waitForAccepted(client, policyRef(namespace, name), 'True');
    issuer.down = true;
    try {
      for (const name of names) {
        const condition = await waitForAccepted(client, policyRef(namespace, name), 'False');
        expect(condition['message']).toContain(
          `OIDC discovery at ${issuer.issuer}/.well-known/openid-configuration`,
        );
      }
    } finally {
      issuer.down = false;
    }
    for (const name of names) await waitForAccepted(client, policyRef(namespace, name), 'True');
  });

  it('exchanges again at once when the OIDC client secret changes, and names its refusal', async () => {
    const edit = (value: string) =>
      applyObjects(client, [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'oidc-client', namespace },
          stringData: { 'client-secret': value },
        },
      ]);
    // Credentials living an hour first, so that none is due: only the changed source makes the
    // exchanges below.
    const fakes = [sts, ad, google];
    for (const fake of fakes) fake.expiresIn = 3600;
    try {
      for (const name of federatedPolicies) {
        await waitFor(
          async () =>
            expiryOf(await readObject(client, rotatedRef(namespace, name))) >
            Date.now() + 3_000_000,
          { timeoutMs: 30_000, description: `an hour-long credential for policy ${name}` },
        );
        await waitForAccepted(client, policyRef(namespace, name), 'True');
      }
      await edit(wrongOidcSecret);
      for (const name of federatedPolicies) {
        const condition = await waitForAccepted(client, policyRef(namespace, name), 'False');
        expect(condition['message']).toMatch(
          new RegExp(
            `^BackendSecurityPolicy ${namespace}/${name}: .*OIDC token request to .*invalid_client`,
          ),
        );
        expect(String(condition['message'])).not.toContain(wrongOidcSecret);
      }
      await edit(oidcClient.secret);
      for (const name of federatedPolicies) {
        await waitForAccepted(client, policyRef(namespace, name), 'True');
      }
    } finally {
      for (const fake of fakes) fake.expiresIn = lifetimeSeconds;
    }
  });

  it('logs each rotation and failure without a secret', () => {
    const text = running.logLines.join('\n');
    expect(text).toContain('"msg":"credential rotated"');
    expect(text).toContain('"msg":"credential rotation failed; the current credential stays"');
    const secrets = [
      oidcClient.secret,
      wrongOidcSecret,
      Buffer.from(`${oidcClient.id}:${oidcClient.secret}`).toString('base64'),
      ...issuer.issued.all(),
      ...[...sts.keys.values()].flatMap((k) => [k.secretAccessKey, k.sessionToken]),
      ...ad.issued.all(),
      ...google.issued.all(),
    ];
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
