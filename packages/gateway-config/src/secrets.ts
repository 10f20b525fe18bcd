import type { Secret } from './kube-types.js';

/** The Secret keys each credential reads, preferred first (Kubernetes conventions of upstream). */
export const secretKeys = {
  /** APIKey, AzureAPIKey, AnthropicAPIKey. */
  apiKey: ['apiKey'],
  /** AWSCredentials.credentialsFile: an AWS shared-credentials (ini) file. */
  awsCredentials: ['credentials'],
  /**
   * AzureCredentials.clientSecretRef: `client-secret` upstream (exchanged for a token by the
   * controller); aigw reads a ready access token from `token`, since it does no exchange.
   */
  azureCredentials: ['token', 'client-secret'],
  /** GCPCredentials.credentialsFile: `service_account.json` upstream; aigw reads `token`. */
  gcpCredentials: ['token', 'service_account.json'],
} as const satisfies Record<string, readonly string[]>;

/** The keys a credential may read from its Secret. */
export type SecretKeys = (typeof secretKeys)[keyof typeof secretKeys];

/**
 * The value of `key` in a Secret: `stringData` wins over `data` (as the API server merges them),
 * `data` is base64-decoded. Undefined when absent.
 */
export function secretValue(secret: Secret, key: string): string | undefined {
  const plain = secret.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = secret.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}
