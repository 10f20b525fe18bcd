import { IssuedTokens } from './tokens.js';
import {
  basicAuth,
  extend,
  form,
  json,
  startFake,
  type FakeReply,
  type FakeServer,
} from './server.js';
import { rsaKeyPair, signJwt, verifyJwt } from './jwt.js';

/** Options of {@link startFakeOidcIssuer}. */
export interface FakeOidcIssuerOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** `scopes_supported` of the discovery document (default `["openid"]`). */
  readonly scopesSupported?: readonly string[];
  /** `token_endpoint_auth_methods_supported` (default both basic and post). */
  readonly authMethods?: readonly ('client_secret_basic' | 'client_secret_post')[];
  /** `aud` of the tokens (default `sts.amazonaws.com`). */
  readonly audience?: string;
  /** Lifetime of the tokens, seconds (default 3600; mutable on the returned fake). */
  readonly expiresIn?: number;
}

/** A fake OpenID Connect issuer: discovery document and a client-credentials token endpoint. */
export interface FakeOidcIssuer extends FakeServer {
  /** The issuer URL (= `url`). */
  readonly issuer: string;
  readonly audience: string;
  expiresIn: number;
  /** Verifies a token this issuer signed (signature, expiry, issuer); throws `JwtRejectedError`. */
  verify(token: string): Record<string, unknown>;
  /** Every access token issued. */
  readonly issued: IssuedTokens;
}

/**
 * Starts a fake OIDC issuer. `GET /.well-known/openid-configuration` returns the discovery
 * document; `POST /token` implements the client-credentials grant (RFC 6749 §4.4) with client
 * authentication by HTTP Basic or form fields, and answers with an RS256-signed JWT access token.
 * Refusals use RFC 6749 §5.2 errors (`invalid_client` 401, `unsupported_grant_type` 400).
 */
export async function startFakeOidcIssuer(options: FakeOidcIssuerOptions): Promise<FakeOidcIssuer> {
  const keys = rsaKeyPair();
  const issued = new IssuedTokens('');
  const audience = options.audience ?? 'sts.amazonaws.com';
  const state = { issuer: '', expiresIn: options.expiresIn ?? 3600 };
  const methods = options.authMethods ?? ['client_secret_basic', 'client_secret_post'];
  const server = await startFake((req) => {
    const path = req.path.split('?')[0];
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: state.issuer,
        authorization_endpoint: `${state.issuer}/authorize`,
        token_endpoint: `${state.issuer}/token`,
        jwks_uri: `${state.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: options.scopesSupported ?? ['openid'],
        token_endpoint_auth_methods_supported: methods,
        grant_types_supported: ['client_credentials'],
      });
    }
    if (req.method !== 'POST' || path !== '/token') return undefined;
    return token(req.headers.authorization, form(req.body));
  });

  /** The client the request authenticates as, by the methods the issuer allows. */
  function client(
    authorization: string | undefined,
    fields: Record<string, string>,
  ): { id: string | undefined; secret: string | undefined } | undefined {
    const basic = basicAuth(authorization);
    if (basic && methods.includes('client_secret_basic')) {
      return { id: basic.user, secret: basic.password };
    }
    if (methods.includes('client_secret_post')) {
      return { id: fields.client_id, secret: fields.client_secret };
    }
    return undefined;
  }

  function token(authorization: string | undefined, fields: Record<string, string>): FakeReply {
    const who = client(authorization, fields);
    if (who?.id !== options.clientId || who.secret !== options.clientSecret) {
      return json(401, {
        error: 'invalid_client',
        error_description: 'Invalid client credentials',
      });
    }
    if (fields.grant_type !== 'client_credentials') {
      return json(400, { error: 'unsupported_grant_type' });
    }
    const now = Math.floor(Date.now() / 1000);
    const scope = fields.scope ?? '';
    const jwt = signJwt(
      {
        iss: state.issuer,
        sub: options.clientId,
        aud: audience,
        azp: options.clientId,
        scope,
        iat: now,
        exp: now + state.expiresIn,
      },
      { privateKeyPem: keys.privateKeyPem, kid: 'fake-1' },
    );
    issued.record(jwt, state.expiresIn);
    return json(200, {
      access_token: jwt,
      token_type: 'Bearer',
      expires_in: state.expiresIn,
      scope,
    });
  }

  state.issuer = server.url;
  return extend(server, {
    issuer: server.url,
    audience,
    issued,
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(value: number) {
      state.expiresIn = value;
    },
    verify: (token: string) =>
      verifyJwt(token, { publicKeyPem: keys.publicKeyPem, issuer: state.issuer }),
  });
}
