import type { ClientSecretCredentialOptions, TokenCredential } from '@azure/identity';

import { CredentialError, describeError } from './errors.js';
import { lazyModule } from './lazy-module.js';
import { fetchOidcToken, type ExpiringToken, type OidcClientConfig } from './oidc.js';
import { trustedCas, type ExchangeOptions } from './options.js';

/** The scope upstream asks for: Azure OpenAI and the other Azure AI services. */
export const azureCognitiveServicesScope = 'https://cognitiveservices.azure.com/.default';

/** The tenant and application of an Azure credential. */
export interface AzureApp {
  readonly tenantId: string;
  readonly clientId: string;
}

/** `@azure/identity`, loaded at the first Azure exchange (see {@link lazyModule}). */
const loadIdentity = lazyModule('@azure/identity', () => import('@azure/identity'));

function authority(options: ExchangeOptions): string {
  return options.endpoints?.azureAuthorityHost ?? 'https://login.microsoftonline.com';
}

function credentialOptions(options: ExchangeOptions): ClientSecretCredentialOptions {
  const ca = trustedCas(options);
  return {
    ...(options.endpoints?.azureAuthorityHost === undefined
      ? {}
      : { authorityHost: options.endpoints.azureAuthorityHost }),
    // Instance discovery asks login.microsoftonline.com which authorities exist; with a known
    // authority host (the public cloud, a sovereign cloud, a proxy, a fake) it adds a round trip
    // to a host that may not be reachable, and decides nothing.
    disableInstanceDiscovery: true,
    retryOptions: { maxRetries: 2 },
    ...(ca === undefined ? {} : { tlsOptions: { ca } }),
  };
}

async function getToken(
  credential: TokenCredential,
  context: { what: string; known: readonly string[]; options: ExchangeOptions },
): Promise<ExpiringToken> {
  try {
    const token = await credential.getToken(azureCognitiveServicesScope, {
      ...(context.options.signal === undefined ? {} : { abortSignal: context.options.signal }),
      ...(context.options.timeoutMs === undefined
        ? {}
        : { requestOptions: { timeout: context.options.timeoutMs } }),
    });
    if (token === null) {
      throw new CredentialError('bad-response', `${context.what}: no access token in the answer`);
    }
    return { token: token.token, expiresAt: new Date(token.expiresOnTimestamp) };
  } catch (err) {
    if (err instanceof CredentialError) throw err;
    throw toCredentialError(err, context);
  }
}

/**
 * Azure client secret: an Entra ID access token for the Cognitive Services scope with
 * `@azure/identity`'s `ClientSecretCredential` (upstream's azidentity equivalent).
 *
 * @throws CredentialError `refused` (bad secret, unknown app or tenant), `unreachable`,
 * `internal` (`@azure/identity` cannot be loaded).
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/controller/tokenprovider/azure_token_provider.go
 */
export async function exchangeAzureClientSecret(
  input: AzureApp & { readonly clientSecret: string },
  options: ExchangeOptions = {},
): Promise<ExpiringToken> {
  const { ClientSecretCredential } = await loadIdentity();
  const credential = new ClientSecretCredential(
    input.tenantId,
    input.clientId,
    input.clientSecret,
    credentialOptions(options),
  );
  const what = `Entra ID token for app ${input.clientId} in tenant ${input.tenantId} at ${authority(options)}`;
  return getToken(credential, { what, known: [input.clientSecret], options });
}

/**
 * Azure OIDC federation: an OIDC client-credentials token used as the client assertion of
 * `ClientAssertionCredential` (workload identity federation), same scope.
 *
 * @throws CredentialError as {@link exchangeAzureClientSecret}, or any of {@link fetchOidcToken}.
 */
export async function exchangeAzureOidc(
  input: AzureApp & { readonly oidc: OidcClientConfig },
  options: ExchangeOptions = {},
): Promise<ExpiringToken> {
  const { ClientAssertionCredential } = await loadIdentity();
  const oidc = await fetchOidcToken(input.oidc, options);
  const credential = new ClientAssertionCredential(
    input.tenantId,
    input.clientId,
    () => Promise.resolve(oidc.token),
    credentialOptions(options),
  );
  const what = `Entra ID token (federated) for app ${input.clientId} in tenant ${input.tenantId} at ${authority(options)}`;
  return getToken(credential, { what, known: [oidc.token, input.oidc.clientSecret], options });
}

function toCredentialError(
  err: unknown,
  context: { what: string; known: readonly string[] },
): CredentialError {
  const message = describeError(err, context.known);
  // MSAL wraps Entra ID's OAuth error answer (invalid_client, unauthorized_client, …) in a
  // ServerError cause; anything else (endpoint resolution, network, abort) means the service was
  // not reached.
  const cause = (err as { cause?: { name?: unknown; errorCode?: unknown } }).cause;
  const oauthError = cause?.name === 'ServerError' ? cause.errorCode : undefined;
  const refused =
    typeof oauthError === 'string' &&
    !['server_error', 'temporarily_unavailable'].includes(oauthError);
  return new CredentialError(refused ? 'refused' : 'unreachable', `${context.what}: ${message}`);
}
