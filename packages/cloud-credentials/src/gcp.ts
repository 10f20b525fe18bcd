import type { AuthClient } from 'google-auth-library';

import { CredentialError, describeError } from './errors.js';
import { lazyModule } from './lazy-module.js';
import { fetchOidcToken, type ExpiringToken, type OidcClientConfig } from './oidc.js';
import { defaultTimeoutMs, type ExchangeOptions } from './options.js';

/** The scope upstream asks for: every Google Cloud API (Vertex AI among them). */
export const gcpCloudPlatformScope = 'https://www.googleapis.com/auth/cloud-platform';
/** Google's OAuth token URL: where service-account assertions are sent and whom they address. */
export const googleOAuthTokenUrl = 'https://oauth2.googleapis.com/token';
const defaultStsUrl = 'https://sts.googleapis.com/v1/token';
const defaultIamCredentialsUrl = 'https://iamcredentials.googleapis.com';

/** `google-auth-library`, loaded at the first GCP exchange (see {@link lazyModule}). */
const loadGoogleAuth = lazyModule('google-auth-library', () => import('google-auth-library'));

interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly token_uri?: string;
}

function parseKey(json: string): ServiceAccountKey {
  let key: Partial<Record<keyof ServiceAccountKey | 'type', unknown>>;
  try {
    key = JSON.parse(json) as typeof key;
  } catch {
    throw new CredentialError('invalid-secret', 'service_account.json is not JSON');
  }
  if (
    key.type !== 'service_account' ||
    typeof key.client_email !== 'string' ||
    typeof key.private_key !== 'string'
  ) {
    throw new CredentialError(
      'invalid-secret',
      'service_account.json is not a service-account key (type "service_account" with client_email and private_key)',
    );
  }
  return {
    client_email: key.client_email,
    private_key: key.private_key,
    ...(typeof key.private_key_id === 'string' ? { private_key_id: key.private_key_id } : {}),
    ...(typeof key.token_uri === 'string' ? { token_uri: key.token_uri } : {}),
  };
}

/**
 * Sends the requests `client` makes to `from` to `to` instead (google-auth-library has Google's
 * token URL built in; the JWT assertion keeps addressing it, as a proxy would see it).
 */
function redirect(client: AuthClient, from: string, to: string): void {
  if (from === to) return;
  client.transporter.interceptors.request.add({
    resolved: (opts) => {
      if (opts.url.href === from) opts.url = new URL(to);
      return Promise.resolve(opts);
    },
  });
}

async function accessToken(
  client: AuthClient,
  context: { what: string; known: readonly string[] },
): Promise<ExpiringToken> {
  try {
    const { token } = await client.getAccessToken();
    const expiry = client.credentials.expiry_date;
    if (!token || typeof expiry !== 'number') {
      throw new CredentialError('bad-response', `${context.what}: no access token or expiry`);
    }
    return { token, expiresAt: new Date(expiry) };
  } catch (err) {
    if (err instanceof CredentialError) throw err;
    throw toCredentialError(err, context);
  }
}

/**
 * GCP service-account key: an OAuth access token for the cloud-platform scope from a
 * `service_account.json` key with google-auth-library's `JWT` client (the JWT-bearer grant),
 * sent to `endpoints.gcpOAuthToken`, else the key's `token_uri`, else Google.
 *
 * @throws CredentialError `invalid-secret` (not a key), `refused` (Google refused the assertion),
 * `unreachable`, `internal` (`google-auth-library` cannot be loaded).
 */
export async function exchangeGcpServiceAccountKey(
  input: { readonly serviceAccountJson: string },
  options: ExchangeOptions = {},
): Promise<ExpiringToken> {
  const key = parseKey(input.serviceAccountJson);
  const { JWT } = await loadGoogleAuth();
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    ...(key.private_key_id === undefined ? {} : { keyId: key.private_key_id }),
    scopes: [gcpCloudPlatformScope],
    transporterOptions: { timeout: options.timeoutMs ?? defaultTimeoutMs },
  });
  const target = options.endpoints?.gcpOAuthToken ?? key.token_uri ?? googleOAuthTokenUrl;
  redirect(client, googleOAuthTokenUrl, target);
  return accessToken(client, {
    what: `Google OAuth token for ${key.client_email} at ${target}`,
    known: [key.private_key],
  });
}

/** Inputs of {@link exchangeGcpWorkloadIdentity}, secrets resolved. */
export interface GcpWorkloadIdentityInput {
  readonly projectId: string;
  readonly poolName: string;
  readonly providerName: string;
  readonly oidc: OidcClientConfig;
  /** The service account to impersonate, `name@project.iam.gserviceaccount.com`. */
  readonly serviceAccountEmail?: string;
}

/** The workload identity provider audience STS expects (upstream's format). */
export function gcpWorkloadIdentityAudience(input: {
  projectId: string;
  poolName: string;
  providerName: string;
}): string {
  return `//iam.googleapis.com/projects/${input.projectId}/locations/global/workloadIdentityPools/${input.poolName}/providers/${input.providerName}`;
}

/**
 * GCP workload identity federation: an OIDC client-credentials token exchanged at Google STS
 * (`grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, subject token type JWT) for a
 * federated access token, then, when a service account is named, IAM Credentials
 * `generateAccessToken` for it (cloud-platform) — google-auth-library's `IdentityPoolClient` with
 * the OIDC token as its subject-token supplier.
 *
 * @throws CredentialError `refused` (STS or IAM said no), `unreachable`, `internal`
 * (`google-auth-library` cannot be loaded), or any error of {@link fetchOidcToken}.
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/controller/rotators/gcp_oidc_token_rotator.go
 */
export async function exchangeGcpWorkloadIdentity(
  input: GcpWorkloadIdentityInput,
  options: ExchangeOptions = {},
): Promise<ExpiringToken> {
  const { IdentityPoolClient } = await loadGoogleAuth();
  const oidc = await fetchOidcToken(input.oidc, options);
  const audience = gcpWorkloadIdentityAudience(input);
  const stsUrl = options.endpoints?.gcpSts ?? defaultStsUrl;
  const iam = (options.endpoints?.gcpIamCredentials ?? defaultIamCredentialsUrl).replace(
    /\/+$/,
    '',
  );
  const email = input.serviceAccountEmail;
  const client = new IdentityPoolClient({
    type: 'external_account',
    audience,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: stsUrl,
    subject_token_supplier: { getSubjectToken: () => Promise.resolve(oidc.token) },
    ...(email === undefined
      ? {}
      : {
          service_account_impersonation_url: `${iam}/v1/projects/-/serviceAccounts/${encodeURIComponent(email)}:generateAccessToken`,
        }),
    scopes: [gcpCloudPlatformScope],
    transporterOptions: { timeout: options.timeoutMs ?? defaultTimeoutMs },
  });
  const step =
    email === undefined ? `STS at ${stsUrl}` : `STS at ${stsUrl} and impersonation of ${email}`;
  return accessToken(client, {
    what: `Google federated token for ${audience} (${step})`,
    known: [oidc.token, input.oidc.clientSecret],
  });
}

interface GaxiosLikeError {
  readonly status?: unknown;
  readonly response?: { readonly status?: unknown; readonly data?: unknown };
}

function toCredentialError(
  err: unknown,
  context: { what: string; known: readonly string[] },
): CredentialError {
  const e = err as GaxiosLikeError;
  const status = typeof e.status === 'number' ? e.status : e.response?.status;
  const message = describeError(err, context.known);
  const refused = typeof status === 'number' && status >= 400 && status < 500;
  return new CredentialError(refused ? 'refused' : 'unreachable', `${context.what}: ${message}`);
}
