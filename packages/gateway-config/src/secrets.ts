import type { Secret } from './kube-types.js';

/** The Secret keys each credential reads, preferred first (Kubernetes conventions of upstream). */
export const secretKeys = {
  /** APIKey, AzureAPIKey, AnthropicAPIKey. */
  apiKey: ['apiKey'],
  /** AWSCredentials.credentialsFile: an AWS shared-credentials (ini) file. */
  awsCredentials: ['credentials'],
  /**
   * AzureCredentials.clientSecretRef: `client-secret` (upstream's; exchanged for an access token,
   * by the controller or by `aigw run`), or `token`, a ready access token (`aigw run` only). With
   * both, `client-secret` wins, as upstream knows no `token`.
   */
  azureCredentials: ['client-secret', 'token'],
  /**
   * GCPCredentials.credentialsFile: `service_account.json` (upstream's; exchanged for an access
   * token), or `token`, a ready access token (`aigw run` only). With both, the key file wins.
   */
  gcpCredentials: ['service_account.json', 'token'],
  /** Every OIDC `clientSecret` (AWS, Azure and GCP token exchange). */
  oidcClientSecret: ['client-secret'],
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
