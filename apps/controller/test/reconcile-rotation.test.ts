import { Writable } from 'node:stream';
import {
  fakeServiceAccount,
  startFakeAzureAd,
  startFakeGoogle,
  testTls,
  type FakeAzureAd,
  type FakeGoogle,
  type FakeServiceAccount,
} from '@aigw/cloud-credentials/testing';
import { createLogger } from '@aigw/service-kit/core';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/runtime/contracts.js';
import { startController, type Controller } from '../src/runtime/controller.js';
import { createReconcilers } from '../src/reconcilers/reconcilers.js';
import { createCredentialRotator } from '../src/reconcilers/rotation.js';
import { createNamespace, kubeConfigFor, testClient } from './support/kube.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import {
  acceptedOf,
  applyObjects,
  applyReconcilerCrds,
  decodedData,
  parseObjects,
  readObject,
  reconciledKinds,
  testNow,
  waitForAccepted,
} from './support/reconcile-kit.js';

/**
 * The controller's credential rotation against the fake token services: a GCP service-account
 * key and an Azure client secret become Secrets `ai-eg-bsp-<policy>` with upstream's keys and
 * expiry annotation, rewritten before expiry (the fakes issue tokens living 303 s, so the
 * pre-rotation window leaves 3 s); an unreachable token service is the policy's Accepted=False
 * with the reason, and it recovers; no secret reaches the controller's logs.
 */
const namespace = 'rotation';
const lifetimeSeconds = 303;
const azure = {
  tenant: 'tenant-rotation',
  client: 'app-rotation',
  secret: 'azure-controller-client-secret-0123456789',
};
const v1beta1 = 'aigateway.envoyproxy.io/v1beta1';

function manifests(keyJson: string): KubeObject[] {
  return parseObjects(`
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: ${namespace}}
spec: {endpoints: [{fqdn: {hostname: provider.example, port: 443}}]}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: vertex, namespace: ${namespace}}
spec: {schema: {name: GCPVertexAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: ${v1beta1}
kind: AIServiceBackend
metadata: {name: azure, namespace: ${namespace}}
spec: {schema: {name: AzureOpenAI, version: 2025-01-01-preview}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: v1
kind: Secret
metadata: {name: gcp-key, namespace: ${namespace}}
stringData:
  service_account.json: ${JSON.stringify(keyJson)}
---
apiVersion: v1
kind: Secret
metadata: {name: azure-app, namespace: ${namespace}}
stringData: {client-secret: ${azure.secret}}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: gcp, namespace: ${namespace}}
spec:
  type: GCPCredentials
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: vertex}]
  gcpCredentials:
    projectName: proj
    region: europe-west4
    credentialsFile: {secretRef: {name: gcp-key}}
---
apiVersion: ${v1beta1}
kind: BackendSecurityPolicy
metadata: {name: azure, namespace: ${namespace}}
spec:
  type: AzureCredentials
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: azure}]
  azureCredentials:
    clientID: ${azure.client}
    tenantID: ${azure.tenant}
    clientSecretRef: {name: azure-app}
`);
}

const policy = (name: string) => ({
  apiVersion: v1beta1,
  kind: 'BackendSecurityPolicy',
  metadata: { name, namespace },
});
const rotated = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: `ai-eg-bsp-${name}`, namespace },
});
const expiryOf = (secret: KubeObject | undefined): number =>
  Date.parse(secret?.metadata.annotations?.['rotators/expiration-time'] ?? '');

describe('credential rotation of BackendSecurityPolicies', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  let google: FakeGoogle;
  let ad: FakeAzureAd;
  let account: FakeServiceAccount;
  let controller: Controller;
  const logLines: string[] = [];

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    const tls = await testTls();
    account = fakeServiceAccount({ project: 'proj', name: 'gateway' });
    google = await startFakeGoogle({ serviceAccounts: [account], expiresIn: lifetimeSeconds });
    ad = await startFakeAzureAd({
      tenantId: azure.tenant,
      clientId: azure.client,
      clientSecret: azure.secret,
      tls,
      expiresIn: lifetimeSeconds,
    });
    await createNamespace(client, namespace);
    await applyObjects(client, manifests(account.keyJson));

    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    controller = startController({
      reconcilers: createReconcilers({
        now: () => testNow,
        rotateCredentials: createCredentialRotator({
          endpoints: { gcpOAuthToken: `${google.url}/token`, azureAuthorityHost: ad.url },
          extraCaCertificates: [tls.caPem],
          retryAfterMs: 1_000,
          timeoutMs: 5_000,
        }),
      }),
      kubeConfig: kubeConfigFor(kube),
      log: createLogger({ name: 'controller-test', level: 'debug', format: 'json', destination }),
      kinds: reconciledKinds,
      resyncMs: 0,
    });
    await controller.whenSynced();
  }, 240_000);

  afterAll(async () => {
    await controller.stop();
    await Promise.all([google.close(), ad.close()]);
  });

  it('writes a GCP access token from a service-account key and rewrites it before expiry', async () => {
    await waitForAccepted(client, policy('gcp'), 'True');
    const first = await waitFor(() => readObject(client, rotated('gcp')), {
      timeoutMs: 30_000,
      description: 'Secret ai-eg-bsp-gcp',
    });
    const data = decodedData(first);
    expect(Object.keys(data).sort()).toEqual(['gcpAccessToken', 'projectName', 'region']);
    expect(data).toMatchObject({ projectName: 'proj', region: 'europe-west4' });
    expect(google.issued.isValid(data['gcpAccessToken'] ?? '')).toBe(true);
    expect(first['type']).toBe('Opaque');
    // Key-based credentials get no ownerReference (upstream's getBSPGeneratedSecretName).
    expect(first.metadata.ownerReferences).toBeUndefined();
    const firstExpiry = expiryOf(first);
    expect(firstExpiry).toBeGreaterThan(Date.now() + 290_000);

    // 303 s tokens are due 3 s after they are written: a new one arrives before the first expires.
    const second = await waitFor(
      async () => {
        const secret = await readObject(client, rotated('gcp'));
        return decodedData(secret)['gcpAccessToken'] !== data['gcpAccessToken']
          ? secret
          : undefined;
      },
      { timeoutMs: 30_000, description: 'a rotated GCP token' },
    );
    expect(Date.now()).toBeLessThan(firstExpiry);
    expect(google.issued.isValid(decodedData(second)['gcpAccessToken'] ?? '')).toBe(true);
    expect(expiryOf(second)).toBeGreaterThan(firstExpiry);
  });

  it('writes an Azure access token from a client secret and rewrites it before expiry', async () => {
    await waitForAccepted(client, policy('azure'), 'True');
    const first = await waitFor(() => readObject(client, rotated('azure')), {
      timeoutMs: 30_000,
      description: 'Secret ai-eg-bsp-azure',
    });
    const token = decodedData(first)['azureAccessToken'] ?? '';
    expect(Object.keys(decodedData(first))).toEqual(['azureAccessToken']);
    expect(ad.issued.isValid(token)).toBe(true);
    const firstExpiry = expiryOf(first);
    const next = await waitFor(
      async () => {
        const secret = await readObject(client, rotated('azure'));
        const latest = decodedData(secret)['azureAccessToken'];
        return latest !== token ? latest : undefined;
      },
      { timeoutMs: 30_000, description: 'a rotated Azure token' },
    );
    expect(Date.now()).toBeLessThan(firstExpiry);
    expect(ad.issued.isValid(next)).toBe(true);
  });

  it('reports an unreachable token service as Accepted=False, keeps the token, recovers', async () => {
    await waitForAccepted(client, policy('azure'), 'True');
    ad.down = true;
    const condition = await waitForAccepted(client, policy('azure'), 'False');
    const kept = decodedData(await readObject(client, rotated('azure')))['azureAccessToken'];
    expect(condition['reason']).toBe('ReconciliationFailed');
    expect(condition['message']).toMatch(
      /^BackendSecurityPolicy rotation\/azure: credential rotation failed: .*Entra ID/,
    );
    expect(String(condition['message'])).not.toContain(azure.secret);
    // The credential in place stays while the service is down.
    expect(ad.issued.isValid(kept ?? '')).toBe(true);

    ad.down = false;
    await waitForAccepted(client, policy('azure'), 'True');
    await waitFor(
      async () => {
        const latest = decodedData(await readObject(client, rotated('azure')))['azureAccessToken'];
        return latest !== kept && ad.issued.isValid(latest ?? '') ? latest : undefined;
      },
      { timeoutMs: 30_000, description: 'a new Azure token after the outage' },
    );
  });

  it('exchanges again at once when the Secret it reads changes, and names a refused secret', async () => {
    const wrong = 'edited-azure-client-secret-9876543210';
    await applyObjects(client, [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'azure-app', namespace },
        stringData: { 'client-secret': wrong },
      },
    ]);
    const condition = await waitForAccepted(client, policy('azure'), 'False');
    expect(condition['message']).toContain('AADSTS7000215');
    expect(String(condition['message'])).not.toContain(wrong);

    await applyObjects(client, [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'azure-app', namespace },
        stringData: { 'client-secret': azure.secret },
      },
    ]);
    await waitForAccepted(client, policy('azure'), 'True');
    expect(acceptedOf(await readObject(client, policy('azure')))?.['message']).toBe(
      'BackendSecurityPolicy reconciled successfully',
    );
  });

  it('logs each rotation and failure without a secret', () => {
    const text = logLines.join('\n');
    expect(text).toContain('"msg":"credential rotated"');
    expect(text).toContain('"msg":"credential rotation failed; the current credential stays"');
    const secrets = [
      azure.secret,
      'edited-azure-client-secret-9876543210',
      ...google.issued.all(),
      ...ad.issued.all(),
      // The service-account key's private key body.
      ...(JSON.parse(account.keyJson) as { private_key: string }).private_key
        .split('\n')
        .filter((line) => line.length > 40),
    ];
    expect(secrets.length).toBeGreaterThan(4);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
