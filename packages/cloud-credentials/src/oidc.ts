import { CredentialError } from './errors.js';
import { httpRequest, jsonBody, oauthErrorText } from './http.js';
import type { ExchangeOptions } from './options.js';

/** An OIDC client-credentials configuration with its secret resolved. */
export interface OidcClientConfig {
  /** Issuer URL; discovery is at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** Overrides the discovered token endpoint. */
  readonly tokenEndpoint?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Scopes asked for, before the issuer's `scopes_supported` are added (as upstream does). */
  readonly scopes?: readonly string[];
}

/** A short-lived token and when it expires. */
export interface ExpiringToken {
  readonly token: string;
  readonly expiresAt: Date;
}

interface Discovery {
  readonly tokenEndpoint: string;
  readonly scopesSupported: readonly string[];
  readonly authMethods: readonly string[];
}

async function discover(config: OidcClientConfig, options: ExchangeOptions): Promise<Discovery> {
  const url = `${config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const what = `OIDC discovery at ${url}`;
  const res = await httpRequest({ url, method: 'GET', what }, options);
  const doc = jsonBody(res);
  if (res.status !== 200 || !doc) {
    throw new CredentialError('oidc-discovery-failed', `${what}: HTTP ${String(res.status)}`);
  }
  // go-oidc (upstream) refuses a document issued for another issuer: a misrouted discovery.
  if (doc.issuer !== config.issuer && doc.issuer !== config.issuer.replace(/\/+$/, '')) {
    throw new CredentialError(
      'oidc-discovery-failed',
      `${what}: the document is for issuer ${JSON.stringify(doc.issuer)}, not ${config.issuer}`,
    );
  }
  const tokenEndpoint = config.tokenEndpoint ?? doc.token_endpoint;
  if (typeof tokenEndpoint !== 'string' || tokenEndpoint === '') {
    throw new CredentialError('oidc-discovery-failed', `${what}: no token_endpoint`);
  }
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return {
    tokenEndpoint,
    scopesSupported: strings(doc.scopes_supported),
    authMethods: strings(doc.token_endpoint_auth_methods_supported),
  };
}

/**
 * Fetches an access token from an OIDC issuer with the client-credentials grant: discovery, then
 * a form POST to the token endpoint with the configured scopes plus every `scopes_supported` (what
 * upstream's token provider asks for). The client authenticates with HTTP Basic
 * (`client_secret_basic`, RFC 6749's default) unless the issuer only lists `client_secret_post`.
 *
 * @throws CredentialError `oidc-discovery-failed`, `refused` (the issuer said no), `unreachable`,
 * `bad-response`.
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/controller/tokenprovider/oidc_token_provider.go
 */
export async function fetchOidcToken(
  config: OidcClientConfig,
  options: ExchangeOptions = {},
): Promise<ExpiringToken> {
  const discovery = await discover(config, options);
  const scopes = [...new Set([...(config.scopes ?? []), ...discovery.scopesSupported])];
  const params = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scopes.length > 0) params.set('scope', scopes.join(' '));
  const headers = clientAuthentication({ discovery, config, params });
  const what = `OIDC token request to ${discovery.tokenEndpoint}`;
  const started = Date.now();
  const res = await httpRequest(
    { url: discovery.tokenEndpoint, method: 'POST', headers, body: params.toString(), what },
    options,
  );
  if (res.status !== 200) {
    const code = res.status >= 500 ? 'unreachable' : 'refused';
    throw new CredentialError(code, `${what}: ${oauthErrorText(res)}`);
  }
  const body = jsonBody(res);
  const token = body?.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new CredentialError('bad-response', `${what}: no access_token in the answer`);
  }
  const expiresAt = expiryOf({ expiresIn: body?.expires_in, token, started });
  return { token, expiresAt };
}

/**
 * Headers of the token request, the client authenticating with HTTP Basic
 * (`client_secret_basic`, RFC 6749's default) unless the issuer lists only `client_secret_post`,
 * in which case the credentials go into `params`.
 */
function clientAuthentication(context: {
  discovery: Discovery;
  config: OidcClientConfig;
  params: URLSearchParams;
}): Record<string, string> {
  const { discovery, config, params } = context;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const postOnly =
    discovery.authMethods.includes('client_secret_post') &&
    !discovery.authMethods.includes('client_secret_basic');
  if (postOnly) {
    params.set('client_id', config.clientId);
    params.set('client_secret', config.clientSecret);
  } else {
    const user = encodeURIComponent(config.clientId);
    const password = encodeURIComponent(config.clientSecret);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return headers;
}

/** Expiry from `expires_in`, else the JWT's `exp`, else an hour (the usual lifetime). */
function expiryOf(answer: { expiresIn: unknown; token: string; started: number }): Date {
  const expiresIn = Number(answer.expiresIn);
  if (Number.isFinite(expiresIn) && expiresIn > 0) {
    return new Date(answer.started + expiresIn * 1000);
  }
  return jwtExpiry(answer.token) ?? new Date(answer.started + 3600_000);
}

/** The `exp` of a JWT, when the token is one. */
function jwtExpiry(token: string): Date | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as { exp?: unknown };
    return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}
