import { describe, expect, it } from 'vitest';
import type { BackendSecurityPolicySpec } from '@aigw/api';

import {
  credentialSecretRefs,
  ownsRotatedSecret,
  rotatedSecretName,
  rotationKind,
} from './policy.js';

const oidc = {
  oidc: {
    provider: { issuer: 'https://issuer' },
    clientID: 'c',
    clientSecret: { name: 'oidc', namespace: 'idp' },
  },
};

const cases: [string, BackendSecurityPolicySpec, string | undefined][] = [
  ['API key', { type: 'APIKey', apiKey: { secretRef: { name: 'k' } } }, undefined],
  [
    'AWS credentials file',
    {
      type: 'AWSCredentials',
      awsCredentials: { region: 'us-east-1', credentialsFile: { secretRef: { name: 'aws' } } },
    },
    undefined,
  ],
  [
    'AWS default chain',
    { type: 'AWSCredentials', awsCredentials: { region: 'us-east-1' } },
    undefined,
  ],
  [
    'AWS OIDC',
    {
      type: 'AWSCredentials',
      awsCredentials: { region: 'us-east-1', oidcExchangeToken: { ...oidc, awsRoleArn: 'arn' } },
    },
    'aws-oidc',
  ],
  [
    'Azure client secret',
    {
      type: 'AzureCredentials',
      azureCredentials: { clientID: 'a', tenantID: 't', clientSecretRef: { name: 'az' } },
    },
    'azure-client-secret',
  ],
  [
    'Azure OIDC',
    {
      type: 'AzureCredentials',
      azureCredentials: { clientID: 'a', tenantID: 't', oidcExchangeToken: oidc },
    },
    'azure-oidc',
  ],
  [
    'GCP key',
    {
      type: 'GCPCredentials',
      gcpCredentials: {
        projectName: 'p',
        region: 'r',
        credentialsFile: { secretRef: { name: 'sa' } },
      },
    },
    'gcp-service-account-key',
  ],
  [
    'GCP ADC',
    { type: 'GCPCredentials', gcpCredentials: { projectName: 'p', region: 'r' } },
    undefined,
  ],
  [
    'GCP WIF',
    {
      type: 'GCPCredentials',
      gcpCredentials: {
        projectName: 'p',
        region: 'r',
        workloadIdentityFederationConfig: {
          projectID: '1',
          workloadIdentityPoolName: 'pool',
          workloadIdentityProviderName: 'prov',
          oidcExchangeToken: oidc,
        },
      },
    },
    'gcp-workload-identity',
  ],
];

describe('rotationKind', () => {
  it.each(cases)('%s → %s', (_name, spec, kind) => {
    expect(rotationKind(spec)).toBe(kind);
  });
});

describe('credentialSecretRefs', () => {
  it.each([
    [
      'Azure client secret',
      {
        name: 'az',
        namespace: 'ns',
        key: 'client-secret',
        field: 'spec.azureCredentials.clientSecretRef',
      },
    ],
    [
      'GCP key',
      {
        name: 'sa',
        namespace: 'ns',
        key: 'service_account.json',
        field: 'spec.gcpCredentials.credentialsFile.secretRef',
      },
    ],
    [
      'AWS OIDC',
      {
        name: 'oidc',
        namespace: 'idp',
        key: 'client-secret',
        field: 'spec.awsCredentials.oidcExchangeToken.oidc.clientSecret',
      },
    ],
  ])('names the Secret key the %s exchange reads', (name, expected) => {
    const spec = cases.find(([n]) => n === name)![1];
    expect(credentialSecretRefs({ namespace: 'ns', name: 'p', spec })).toEqual([expected]);
  });

  it('is empty for a policy without an exchange', () => {
    expect(credentialSecretRefs({ namespace: 'ns', name: 'p', spec: cases[0]![1] })).toEqual([]);
  });
});

describe('upstream naming', () => {
  it('writes ai-eg-bsp-<policy>, owned by the policy only for federated credentials', () => {
    expect(rotatedSecretName('vertex')).toBe('ai-eg-bsp-vertex');
    expect(ownsRotatedSecret('gcp-workload-identity')).toBe(true);
    expect(ownsRotatedSecret('azure-client-secret')).toBe(false);
  });
});
