import { rootCertificates } from 'node:tls';

/**
 * Where the token services are. Each defaults to the public cloud's endpoint; set them for a
 * sovereign cloud, a private endpoint, a proxy, or a test's fake servers.
 */
export interface Endpoints {
  /** AWS STS base URL (default: the SDK's regional endpoint `https://sts.<region>.amazonaws.com`). */
  readonly awsSts?: string;
  /** Entra ID authority host (default `https://login.microsoftonline.com`). HTTPS only. */
  readonly azureAuthorityHost?: string;
  /**
   * Google OAuth token URL for service-account keys (default: the key's `token_uri`, else
   * `https://oauth2.googleapis.com/token`). The assertion's `aud` stays Google's token URL.
   */
  readonly gcpOAuthToken?: string;
  /** Google STS token URL (default `https://sts.googleapis.com/v1/token`). */
  readonly gcpSts?: string;
  /** Google IAM Credentials base URL (default `https://iamcredentials.googleapis.com`). */
  readonly gcpIamCredentials?: string;
}

/** Options of every exchange. */
export interface ExchangeOptions {
  readonly endpoints?: Endpoints;
  /**
   * PEM certificates trusted in addition to Node's bundled roots, for HTTPS to the OIDC issuer,
   * Entra ID and AWS STS (a private CA, a TLS-inspecting proxy, a test's fake); not Google's.
   */
  readonly extraCaCertificates?: readonly string[];
  /** Per-request timeout, milliseconds (default 30 s). */
  readonly timeoutMs?: number;
  /** Aborts the exchange (the rotator stops). */
  readonly signal?: AbortSignal;
}

/** Default per-request timeout. */
export const defaultTimeoutMs = 30_000;

/** The CA list for HTTPS clients: Node's roots plus the extra ones, or undefined for the default. */
export function trustedCas(options: ExchangeOptions): string[] | undefined {
  const extra = options.extraCaCertificates ?? [];
  return extra.length === 0 ? undefined : [...rootCertificates, ...extra];
}
