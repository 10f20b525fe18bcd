import { randomUUID } from 'node:crypto';
import { IssuedTokens } from './tokens.js';
import { extend, form, json, startFake, type FakeReply, type FakeServer } from './server.js';

/** Options of {@link startFakeAzureAd}. */
export interface FakeAzureAdOptions {
  readonly tenantId: string;
  readonly clientId: string;
  /** The application's client secret (client-secret flow). */
  readonly clientSecret?: string;
  /** Verifies a federated client assertion (e.g. a fake OIDC issuer's `verify`); throws to refuse. */
  readonly verifyAssertion?: (token: string) => Record<string, unknown>;
  /** Serving certificate and key: Entra ID is HTTPS only, and @azure/identity insists on it. */
  readonly tls: { cert: string; key: string };
  /** Token lifetime, seconds (default 3599; mutable on the fake). */
  readonly expiresIn?: number;
}

/** A fake Microsoft Entra ID (Azure AD) v2.0 token endpoint. */
export interface FakeAzureAd extends FakeServer {
  expiresIn: number;
  readonly issued: IssuedTokens;
}

/** The scope the gateway asks for (Azure OpenAI / AI services). */
export const cognitiveServicesScope = 'https://cognitiveservices.azure.com/.default';
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function aadError(
  status: number,
  error: string,
  detail: { text: string; code: number },
): FakeReply {
  const { text: description, code } = detail;
  return json(status, {
    error,
    error_description: `AADSTS${String(code)}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

/**
 * Starts a fake Entra ID over HTTPS: the tenant's OpenID configuration
 * (`/{tenant}/v2.0/.well-known/openid-configuration`, which MSAL reads before its first token
 * request) and `POST /{tenant}/oauth2/v2.0/token` for the client-credentials grant with either a
 * client secret or a `jwt-bearer` client assertion. It checks the tenant, client id, grant type,
 * scope and the secret or assertion, refusing with Entra's JSON errors and AADSTS codes.
 */
export async function startFakeAzureAd(options: FakeAzureAdOptions): Promise<FakeAzureAd> {
  const state = { expiresIn: options.expiresIn ?? 3599, url: '' };
  const issued = new IssuedTokens('aad.');
  const server = await startFake(
    (req) => {
      const path = req.path.split('?')[0] ?? '';
      const [, tenant, ...rest] = path.split('/');
      const tail = rest.join('/');
      if (req.method === 'GET' && tail === 'v2.0/.well-known/openid-configuration') {
        if (tenant !== options.tenantId) {
          return aadError(400, 'invalid_tenant', {
            text: `Tenant '${String(tenant)}' not found.`,
            code: 90002,
          });
        }
        const base = `${state.url}/${tenant}`;
        return json(200, {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
          jwks_uri: `${base}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          issuer: `${base}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          tenant_region_scope: 'EU',
          cloud_instance_name: 'microsoftonline.com',
        });
      }
      if (req.method !== 'POST' || tail !== 'oauth2/v2.0/token') return undefined;
      return token(tenant, form(req.body));
    },
    { tls: options.tls },
  );
  state.url = server.url;

  function token(tenant: string | undefined, f: Record<string, string>): FakeReply {
    if (tenant !== options.tenantId) {
      return aadError(400, 'invalid_request', {
        text: `Tenant '${String(tenant)}' not found.`,
        code: 90002,
      });
    }
    if (f.grant_type !== 'client_credentials') {
      return aadError(400, 'unsupported_grant_type', {
        text: 'The grant type is not supported.',
        code: 70003,
      });
    }
    if (f.client_id !== options.clientId) {
      return aadError(400, 'unauthorized_client', {
        text: `Application with identifier '${String(f.client_id)}' was not found in the directory.`,
        code: 700016,
      });
    }
    if (f.scope !== cognitiveServicesScope) {
      return aadError(400, 'invalid_scope', {
        text: `The provided scope '${String(f.scope)}' is not valid.`,
        code: 70011,
      });
    }
    const refused = clientAuth(f);
    if (refused) return refused;
    const { token: accessToken } = issued.issue(state.expiresIn);
    return json(200, {
      token_type: 'Bearer',
      expires_in: state.expiresIn,
      ext_expires_in: state.expiresIn,
      access_token: accessToken,
    });
  }

  function clientAuth(f: Record<string, string>): FakeReply | undefined {
    if (f.client_assertion !== undefined) {
      if (f.client_assertion_type !== assertionType || !options.verifyAssertion) {
        return aadError(400, 'invalid_request', {
          text: 'Invalid client assertion type.',
          code: 50027,
        });
      }
      try {
        options.verifyAssertion(f.client_assertion);
        return undefined;
      } catch (err) {
        return aadError(401, 'invalid_client', {
          text: `Client assertion failed: ${(err as Error).message}.`,
          code: 700024,
        });
      }
    }
    if (options.clientSecret === undefined || f.client_secret !== options.clientSecret) {
      return aadError(401, 'invalid_client', {
        text: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${options.clientId}'.`,
        code: 7000215,
      });
    }
    return undefined;
  }

  return extend(server, {
    issued,
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(value: number) {
      state.expiresIn = value;
    },
  });
}
