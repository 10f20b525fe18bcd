import { expect } from 'vitest';
import type { RecordedRequest } from '@aigw/testkit';
import {
  hostnameOf,
  providerLocation,
  providerSecrets,
  type ProviderBackend,
} from './provider-gateway.js';
import { verifySigV4 } from './sigv4-verifier.js';

const awsExpectation = {
  accessKeyId: providerSecrets.awsAccessKeyId,
  secretAccessKey: providerSecrets.awsSecretAccessKey,
  sessionToken: providerSecrets.awsSessionToken,
  region: providerLocation.awsRegion,
  service: 'bedrock',
};

/** Client credential headers that must never reach a backend next to the gateway's own. */
const credentialHeaders = ['authorization', 'api-key', 'x-api-key', 'x-goog-api-key'] as const;

function expectOnly(
  req: RecordedRequest,
  name: (typeof credentialHeaders)[number],
  value: string,
): void {
  expect(req.headers[name]).toBe(value);
  for (const other of credentialHeaders) {
    if (other !== name) expect(req.headers[other], other).toBeUndefined();
  }
}

/**
 * Asserts a request reached its fake provider with the backend's credential, and with nothing of
 * the client's: the key for the API-key kinds, the GCP token, or a SigV4 signature that verifies
 * (recomputed independently from the received bytes) for AWS.
 */
export function expectBackendAuth(
  backend: ProviderBackend,
  req: RecordedRequest | undefined,
): void {
  expect(req, `a request reached the ${backend} fake`).toBeDefined();
  if (!req) return;
  expect(req.headers['x-ai-eg-internal-req-id']).toBeUndefined();
  // Envoy rewrote the host to the provider's (what SigV4 must have signed for AWS).
  expect(req.headers.host).toBe(hostnameOf(backend));
  switch (backend) {
    case 'OpenAI':
      expectOnly(req, 'authorization', `Bearer ${providerSecrets.openAIKey}`);
      break;
    case 'AzureOpenAI':
      expectOnly(req, 'api-key', providerSecrets.azureKey);
      expect(req.url).toContain('api-version=2024-10-21');
      break;
    case 'GCPVertexAI':
    case 'GCPAnthropic':
      expectOnly(req, 'authorization', `Bearer ${providerSecrets.gcpToken}`);
      break;
    case 'Anthropic':
      expectOnly(req, 'x-api-key', providerSecrets.anthropicKey);
      // The client's version passes through (Anthropic ingress) or the gateway sets 2023-06-01.
      expect(req.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      break;
    case 'AWSBedrock':
    case 'AWSAnthropic':
      expect(verifySigV4(req, awsExpectation)).toBeUndefined();
      expect(req.headers['x-amz-security-token']).toBe(providerSecrets.awsSessionToken);
      expect(req.headers['api-key']).toBeUndefined();
      expect(req.headers['x-api-key']).toBeUndefined();
      break;
  }
}

/** Asserts that no credential the fakes accept appears in any log text. */
export function expectNoSecretIn(logs: string): void {
  expect(logs.length).toBeGreaterThan(0);
  for (const [name, secret] of Object.entries(providerSecrets)) {
    if (name === 'awsAccessKeyId') continue; // an identifier, not a secret (it is in every SigV4 header)
    expect(logs.includes(secret), `${name} appears in a log`).toBe(false);
  }
}
