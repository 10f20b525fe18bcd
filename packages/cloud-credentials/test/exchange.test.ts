import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendSecurityPolicySpec } from '@aigw/api';

import {
  createRotator,
  exchangeFor,
  gcpWorkloadIdentityAudience,
  type ExchangeOptions,
  type PolicyInput,
  type RotatedCredential,
  type SecretData,
} from '../src/index.js';
import {
  FakeClock,
  LogRecorder,
  fakeServiceAccount,
  startFakeAwsSts,
  startFakeAzureAd,
  startFakeGoogle,
  startFakeOidcIssuer,
  testTls,
  type FakeAwsSts,
  type FakeAzureAd,
  type FakeGoogle,
  type FakeOidcIssuer,
  type FakeServiceAccount,
} from './fakes/index.js';

const ns = 'team-a';
const roleArn = 'arn:aws:iam::123456789012:role/gateway';
const oidcClient = { id: 'gateway-client', secret: 'oidc-client-secret-value' };
const azure = { tenant: 'tenant-1', client: 'app-1', secret: 'azure-client-secret-value' };
const wif = {
  projectID: '123456',
  workloadIdentityPoolName: 'pool',
  workloadIdentityProviderName: 'prov',
};
const secrets = new Map<string, Record<string, string>>();
const readSecret = ({
  namespace,
  name,
}: {
  namespace: string;
  name: string;
}): SecretData | undefined => secrets.get(`${namespace}/${name}`);

let issuer: FakeOidcIssuer;
let sts: FakeAwsSts;
let ad: FakeAzureAd;
let google: FakeGoogle;
let account: FakeServiceAccount;
let options: ExchangeOptions;

beforeAll(async () => {
  const tls = await testTls();
  issuer = await startFakeOidcIssuer({
    clientId: oidcClient.id,
    clientSecret: oidcClient.secret,
    scopesSupported: ['openid', 'gateway'],
  });
  sts = await startFakeAwsSts({ roleArn, verifyToken: (t) => issuer.verify(t) });
  ad = await startFakeAzureAd({
    tenantId: azure.tenant,
    clientId: azure.client,
    clientSecret: azure.secret,
    verifyAssertion: (t) => issuer.verify(t),
    tls,
  });
  account = fakeServiceAccount({ project: 'proj', name: 'gateway' });
  google = await startFakeGoogle({
    serviceAccounts: [account],
    workloadIdentity: {
      audience: gcpWorkloadIdentityAudience({
        projectId: wif.projectID,
        poolName: wif.workloadIdentityPoolName,
        providerName: wif.workloadIdentityProviderName,
      }),
      verifySubjectToken: (t) => issuer.verify(t),
    },
    impersonable: ['vertex@proj.iam.gserviceaccount.com'],
  });
  options = {
    endpoints: {
      awsSts: sts.url,
      azureAuthorityHost: ad.url,
      gcpOAuthToken: `${google.url}/token`,
      gcpSts: `${google.url}/v1/token`,
      gcpIamCredentials: google.url,
    },
    extraCaCertificates: [tls.caPem],
    timeoutMs: 5_000,
  };
  secrets.set(`${ns}/oidc`, { 'client-secret': oidcClient.secret });
  secrets.set(`${ns}/azure`, { 'client-secret': azure.secret });
  secrets.set(`${ns}/gcp`, { 'service_account.json': account.keyJson });
});

afterAll(async () => {
  await Promise.all([issuer, sts, ad, google].map((fake) => fake.close()));
});

const oidc = (clientSecretName = 'oidc') => ({
  oidc: {
    provider: { issuer: issuer.issuer },
    clientID: oidcClient.id,
    clientSecret: { name: clientSecretName },
  },
});

function policy(name: string, spec: BackendSecurityPolicySpec): PolicyInput {
  return { namespace: ns, name, spec };
}

const awsPolicy = (arn = roleArn, secretName = 'oidc'): PolicyInput =>
  policy('bedrock', {
    type: 'AWSCredentials',
    awsCredentials: {
      region: 'eu-west-1',
      oidcExchangeToken: { ...oidc(secretName), awsRoleArn: arn },
    },
  });
const azureSecretPolicy = (secretName = 'azure'): PolicyInput =>
  policy('azure', {
    type: 'AzureCredentials',
    azureCredentials: {
      clientID: azure.client,
      tenantID: azure.tenant,
      clientSecretRef: { name: secretName },
    },
  });
const azureOidcPolicy = (): PolicyInput =>
  policy('azure-fed', {
    type: 'AzureCredentials',
    azureCredentials: { clientID: azure.client, tenantID: azure.tenant, oidcExchangeToken: oidc() },
  });
const gcpKeyPolicy = (secretName = 'gcp'): PolicyInput =>
  policy('vertex', {
    type: 'GCPCredentials',
    gcpCredentials: {
      projectName: 'proj',
      region: 'us-central1',
      credentialsFile: { secretRef: { name: secretName } },
    },
  });
const gcpWifPolicy = (serviceAccountName?: string): PolicyInput =>
  policy('vertex-wif', {
    type: 'GCPCredentials',
    gcpCredentials: {
      projectName: 'proj',
      region: 'us-central1',
      workloadIdentityFederationConfig: {
        ...wif,
        oidcExchangeToken: oidc(),
        ...(serviceAccountName === undefined
          ? {}
          : { serviceAccountImpersonation: { serviceAccountName } }),
      },
    },
  });

function expectFreshExpiry(credential: RotatedCredential, seconds: number): void {
  const remaining = credential.expiresAt.getTime() - Date.now();
  expect(remaining).toBeGreaterThan((seconds - 60) * 1000);
  expect(remaining).toBeLessThanOrEqual(seconds * 1000 + 1000);
}

describe('AWS OIDC → STS AssumeRoleWithWebIdentity', () => {
  it('writes upstream’s shared-credentials file with the keys STS issued', async () => {
    const credential = await exchangeFor(awsPolicy(), readSecret, options);
    expect(credential.kind).toBe('aws-oidc');
    const [accessKeyId, keys] = [...sts.keys].at(-1)!;
    expect(credential.fileContent).toBe(
      `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n` +
        `aws_session_token = ${keys.sessionToken}\nregion = eu-west-1\n`,
    );
    expect(credential.secretData).toEqual({ credentials: credential.fileContent });
    expectFreshExpiry(credential, 3600);
    const call = new URLSearchParams(sts.requests.at(-1)!.body);
    expect(call.get('RoleSessionName')).toBe('ai-gateway-bedrock');
    expect(call.get('RoleArn')).toBe(roleArn);
    // The OIDC token asked for the configured scopes plus every scope the issuer supports.
    const tokenCall = issuer.requests.filter((r) => r.path === '/token').at(-1)!;
    expect(new URLSearchParams(tokenCall.body).get('scope')).toBe('openid gateway');
    expect(tokenCall.headers.authorization).toMatch(/^Basic /);
  });

  it('is refused when the role cannot be assumed', async () => {
    const err = await exchangeFor(
      awsPolicy('arn:aws:iam::123456789012:role/other'),
      readSecret,
      options,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CredentialError', code: 'refused' });
    expect((err as Error).message).toContain('AccessDenied');
  });

  it('is refused when the OIDC client secret is wrong, without saying the secret', async () => {
    secrets.set(`${ns}/oidc-wrong`, { 'client-secret': 'not-the-secret' });
    const err = await exchangeFor(awsPolicy(roleArn, 'oidc-wrong'), readSecret, options).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'refused' });
    expect((err as Error).message).toContain('invalid_client');
    expect((err as Error).message).not.toContain('not-the-secret');
  });
});

describe('Azure → Entra ID token', () => {
  it('exchanges the client secret for a Cognitive Services token', async () => {
    const credential = await exchangeFor(azureSecretPolicy(), readSecret, options);
    expect(ad.issued.isValid(credential.fileContent)).toBe(true);
    expect(credential.secretData).toEqual({ azureAccessToken: credential.fileContent });
    expectFreshExpiry(credential, 3599);
  });

  it('is refused for a wrong client secret (AADSTS7000215), without saying it', async () => {
    secrets.set(`${ns}/azure-wrong`, { 'client-secret': 'wrong-azure-secret' });
    const err = await exchangeFor(azureSecretPolicy('azure-wrong'), readSecret, options).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'refused' });
    expect((err as Error).message).toContain('AADSTS7000215');
    expect((err as Error).message).not.toContain('wrong-azure-secret');
  });

  it('federates an OIDC token as the client assertion', async () => {
    const credential = await exchangeFor(azureOidcPolicy(), readSecret, options);
    expect(credential.kind).toBe('azure-oidc');
    expect(ad.issued.isValid(credential.fileContent)).toBe(true);
    const call = new URLSearchParams(ad.requests.filter((r) => r.method === 'POST').at(-1)!.body);
    expect(call.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    expect(issuer.verify(call.get('client_assertion') ?? '')).toMatchObject({ sub: oidcClient.id });
  });
});

describe('GCP → Google access token', () => {
  it('signs a JWT-bearer assertion with the service-account key', async () => {
    const credential = await exchangeFor(gcpKeyPolicy(), readSecret, options);
    expect(google.issued.isValid(credential.fileContent)).toBe(true);
    expect(credential.secretData).toEqual({
      gcpAccessToken: credential.fileContent,
      projectName: 'proj',
      region: 'us-central1',
    });
    expectFreshExpiry(credential, 3599);
  });

  it('is refused for a key Google does not know', async () => {
    secrets.set(`${ns}/gcp-other`, {
      'service_account.json': fakeServiceAccount({ project: 'proj', name: 'other' }).keyJson,
    });
    const err = await exchangeFor(gcpKeyPolicy('gcp-other'), readSecret, options).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'refused' });
    expect((err as Error).message).toContain('invalid_grant');
  });

  it('says which Secret key is not a service-account key', async () => {
    secrets.set(`${ns}/gcp-bad`, { 'service_account.json': '{"type":"authorized_user"}' });
    await expect(exchangeFor(gcpKeyPolicy('gcp-bad'), readSecret, options)).rejects.toMatchObject({
      code: 'invalid-secret',
    });
  });

  it('federates an OIDC token at STS and impersonates the service account', async () => {
    const credential = await exchangeFor(gcpWifPolicy('vertex'), readSecret, options);
    expect(credential.kind).toBe('gcp-workload-identity');
    expect(google.issued.isValid(credential.fileContent)).toBe(true);
    expect(google.federated.isValid(credential.fileContent)).toBe(false);
    const exchange = new URLSearchParams(
      google.requests.filter((r) => r.path === '/v1/token').at(-1)!.body,
    );
    expect(exchange.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(exchange.get('audience')).toBe(
      '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/pool/providers/prov',
    );
    expect(google.requests.at(-1)!.path).toBe(
      '/v1/projects/-/serviceAccounts/vertex%40proj.iam.gserviceaccount.com:generateAccessToken',
    );
  });

  it('uses the federated token itself without impersonation', async () => {
    const credential = await exchangeFor(gcpWifPolicy(), readSecret, options);
    expect(google.federated.isValid(credential.fileContent)).toBe(true);
  });

  it('is refused when the account may not be impersonated', async () => {
    const err = await exchangeFor(gcpWifPolicy('nobody'), readSecret, options).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'refused' });
    expect((err as Error).message).toContain('iam.serviceAccounts.getAccessToken');
  });
});

describe('policy input', () => {
  it('names the field whose Secret is missing', async () => {
    await expect(exchangeFor(azureSecretPolicy('nope'), readSecret, options)).rejects.toMatchObject(
      {
        code: 'secret-missing',
        message: 'spec.azureCredentials.clientSecretRef: Secret team-a/nope not found',
      },
    );
  });

  it('refuses a policy with nothing to exchange', async () => {
    const apiKey = policy('key', { type: 'APIKey', apiKey: { secretRef: { name: 'k' } } });
    await expect(exchangeFor(apiKey, readSecret, options)).rejects.toMatchObject({
      code: 'invalid-policy',
    });
  });
});

describe('rotation against the fakes', () => {
  it('retries while the token server is down, says why, and recovers', async () => {
    const clock = new FakeClock();
    const log = new LogRecorder();
    const written: RotatedCredential[] = [];
    google.down = true;
    const rotator = createRotator({
      name: `${ns}/vertex`,
      kind: 'gcp-service-account-key',
      exchange: (signal) => exchangeFor(gcpKeyPolicy(), readSecret, { ...options, signal }),
      sink: (c) => {
        written.push(c);
      },
      clock,
      log,
    });
    try {
      rotator.start();
      await rotator.idle();
      expect(rotator.lastError?.code).toBe('unreachable');
      expect(rotator.lastError?.message).toMatch(
        /Google OAuth token for gateway@proj.iam.gserviceaccount.com at http:\/\/127\.0\.0\.1:\d+\/token: .*socket hang up/,
      );
      expect(rotator.nextAttemptAt?.getTime()).toBe(clock.now() + 1000);
      google.down = false;
      clock.advance(1000);
      await rotator.idle();
      expect(rotator.lastError).toBeUndefined();
      expect(written).toHaveLength(1);
    } finally {
      google.down = false;
      await rotator.stop();
    }
  });

  it('exchanges again 5 minutes before the token expires', async () => {
    const clock = new FakeClock();
    const written: RotatedCredential[] = [];
    const rotator = createRotator({
      name: `${ns}/azure`,
      kind: 'azure-client-secret',
      exchange: (signal) => exchangeFor(azureSecretPolicy(), readSecret, { ...options, signal }),
      sink: (c) => {
        written.push(c);
      },
      clock,
    });
    try {
      rotator.start();
      await rotator.idle();
      const first = written[0]!;
      const refreshAt = rotator.nextAttemptAt!.getTime();
      expect(refreshAt).toBe(first.expiresAt.getTime() - 5 * 60_000);
      clock.advance(refreshAt - clock.now());
      await rotator.idle();
      expect(written).toHaveLength(2);
      expect(written[1]!.fileContent).not.toBe(first.fileContent);
    } finally {
      await rotator.stop();
    }
  });

  it('never logs a secret: client secrets, keys, OIDC tokens or issued credentials', async () => {
    const log = new LogRecorder();
    const clock = new FakeClock();
    const issued: string[] = [];
    const policies = [
      awsPolicy(),
      azureSecretPolicy('azure-wrong'),
      azureOidcPolicy(),
      gcpKeyPolicy(),
      gcpWifPolicy('vertex'),
      gcpWifPolicy('nobody'),
    ];
    const rotators = policies.map((p) =>
      createRotator({
        name: `${p.namespace}/${p.name}`,
        kind: p.spec.type,
        exchange: (signal) => exchangeFor(p, readSecret, { ...options, signal }),
        sink: (c) => {
          issued.push(c.fileContent);
        },
        clock,
        log,
      }),
    );
    for (const r of rotators) r.start();
    await Promise.all(rotators.map((r) => r.idle()));
    await Promise.all(rotators.map((r) => r.stop()));
    expect(log.lines.filter((l) => l.includes('credential refresh failed'))).toHaveLength(2);
    const text = log.lines.join('\n');
    const secretValues = [
      oidcClient.secret,
      azure.secret,
      'wrong-azure-secret',
      account.keyJson,
      ...issuer.issued.all(),
      ...issued,
      ...[...sts.keys.values()].flatMap((k) => [k.secretAccessKey, k.sessionToken]),
    ];
    for (const value of secretValues) expect(text).not.toContain(value);
    expect(text).not.toContain('PRIVATE KEY');
  });
});
