import { randomBytes } from 'node:crypto';
import { rsaKeyPair, verifyJwt } from './jwt.js';
import { IssuedTokens } from './tokens.js';
import { extend, form, json, startFake, type FakeReply, type FakeServer } from './server.js';

/** The OAuth endpoint a service-account assertion is addressed to (`aud`), whatever URL serves it. */
export const googleTokenAudience = 'https://oauth2.googleapis.com/token';
const cloudPlatform = 'https://www.googleapis.com/auth/cloud-platform';
const jwtBearer = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** A service-account key file as the Cloud console downloads it, and its public half. */
export interface FakeServiceAccount {
  readonly email: string;
  readonly publicKeyPem: string;
  /** The `service_account.json` content. */
  readonly keyJson: string;
}

/** A fresh service account `name@project.iam.gserviceaccount.com` with an RSA key. */
export function fakeServiceAccount(options: {
  project: string;
  name: string;
  tokenUri?: string;
}): FakeServiceAccount {
  const keys = rsaKeyPair();
  const email = `${options.name}@${options.project}.iam.gserviceaccount.com`;
  const keyJson = JSON.stringify({
    type: 'service_account',
    project_id: options.project,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: keys.privateKeyPem,
    client_email: email,
    client_id: String(100000000000000000000n + BigInt(randomBytes(4).readUInt32BE())),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: options.tokenUri ?? googleTokenAudience,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    universe_domain: 'googleapis.com',
  });
  return { email, publicKeyPem: keys.publicKeyPem, keyJson };
}

/** Options of {@link startFakeGoogle}. */
export interface FakeGoogleOptions {
  /** Service accounts whose key-signed assertions the OAuth endpoint accepts. */
  readonly serviceAccounts?: readonly FakeServiceAccount[];
  /** Workload identity federation: the provider audience and how to verify subject tokens. */
  readonly workloadIdentity?: {
    readonly audience: string;
    readonly verifySubjectToken: (token: string) => Record<string, unknown>;
  };
  /** Service accounts a federated token may impersonate (IAM Credentials). */
  readonly impersonable?: readonly string[];
  /** Token lifetime, seconds (default 3599; mutable on the fake). */
  readonly expiresIn?: number;
}

/** A fake Google: OAuth token endpoint, Security Token Service and IAM Credentials on one server. */
export interface FakeGoogle extends FakeServer {
  expiresIn: number;
  /** Access tokens good for Google APIs (OAuth, impersonated, and federated ones). */
  readonly issued: IssuedTokens;
  /** Federated tokens from STS (also in {@link FakeGoogle.issued}). */
  readonly federated: IssuedTokens;
}

function oauthError(status: number, error: string, description: string): FakeReply {
  return json(status, { error, error_description: description });
}

function googleApiError(status: number, message: string, reason: string): FakeReply {
  return json(status, { error: { code: status, message, status: reason } });
}

/**
 * Starts a fake Google on one server (the real ones are separate hosts; each client takes its URL):
 * - `POST /token`: the OAuth 2.0 JWT-bearer grant (RFC 7523) of a service-account key; checks the
 *   assertion's RS256 signature against the account's key, `iss`, `aud`, `exp` and the scope.
 * - `POST /v1/token`: STS token exchange (RFC 8693) of an OIDC token for a federated token; checks
 *   the grant type, audience, token types and the subject token.
 * - `POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken`: IAM Credentials, with a
 *   federated token as bearer; answers `{accessToken, expireTime}`.
 */
export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  const state = { expiresIn: options.expiresIn ?? 3599 };
  const issued = new IssuedTokens('ya29.');
  const federated = new IssuedTokens('ya29.fed.');
  const server = await startFake((req) => {
    const path = req.path.split('?')[0] ?? '';
    if (req.method !== 'POST') return undefined;
    if (path === '/token') return oauthToken(form(req.body));
    if (path === '/v1/token') return stsToken(req.headers['content-type'], req.body);
    const impersonate = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(
      path,
    );
    if (impersonate?.[1]) {
      return generateAccessToken(decodeURIComponent(impersonate[1]), req);
    }
    return undefined;
  });

  function oauthToken(f: Record<string, string>): FakeReply {
    if (f.grant_type !== jwtBearer) {
      return oauthError(
        400,
        'unsupported_grant_type',
        'Invalid grant_type: ' + String(f.grant_type),
      );
    }
    const assertion = f.assertion ?? '';
    const payload = assertion.split('.')[1] ?? '';
    let iss: unknown;
    try {
      iss = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown })
        .iss;
    } catch {
      return oauthError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token');
    }
    const account = options.serviceAccounts?.find((sa) => sa.email === iss);
    if (!account) return oauthError(400, 'invalid_grant', 'Invalid grant: account not found');
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(assertion, {
        publicKeyPem: account.publicKeyPem,
        audience: googleTokenAudience,
      });
    } catch {
      return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes(cloudPlatform)) {
      return oauthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    const { token } = issued.issue(state.expiresIn);
    return json(200, { access_token: token, expires_in: state.expiresIn, token_type: 'Bearer' });
  }

  function stsToken(contentType: string | undefined, body: string): FakeReply {
    const f: Record<string, string> = (contentType ?? '').includes('json')
      ? (JSON.parse(body) as Record<string, string>)
      : form(body);
    const wif = options.workloadIdentity;
    if (f.grant_type !== tokenExchange) {
      return oauthError(400, 'unsupported_grant_type', 'Invalid value for "grant_type".');
    }
    if (!wif || f.audience !== wif.audience) {
      return oauthError(
        400,
        'invalid_target',
        'The target service indicated by the "audience" parameters is invalid.',
      );
    }
    if (f.subject_token_type !== 'urn:ietf:params:oauth:token-type:jwt') {
      return oauthError(400, 'invalid_request', 'Invalid value for "subject_token_type".');
    }
    if (f.requested_token_type !== 'urn:ietf:params:oauth:token-type:access_token') {
      return oauthError(400, 'invalid_request', 'Invalid value for "requested_token_type".');
    }
    try {
      wif.verifySubjectToken(f.subject_token ?? '');
    } catch (err) {
      return oauthError(
        400,
        'invalid_grant',
        `The provided subject token is invalid: ${(err as Error).message}`,
      );
    }
    const { token } = federated.issue(state.expiresIn);
    issued.record(token, state.expiresIn);
    return json(200, {
      access_token: token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: state.expiresIn,
    });
  }

  function generateAccessToken(
    email: string,
    req: { headers: Record<string, string | string[] | undefined>; body: string },
  ): FakeReply {
    const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (bearer === undefined || !federated.isValid(bearer)) {
      return googleApiError(
        401,
        'Request had invalid authentication credentials.',
        'UNAUTHENTICATED',
      );
    }
    if (!(options.impersonable ?? []).includes(email)) {
      return googleApiError(
        403,
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        'PERMISSION_DENIED',
      );
    }
    const body = JSON.parse(req.body || '{}') as { scope?: string[] };
    if (!(body.scope ?? []).includes(cloudPlatform)) {
      return googleApiError(400, 'Scope required.', 'INVALID_ARGUMENT');
    }
    const { token, expiresAt } = issued.issue(state.expiresIn);
    return json(200, {
      accessToken: token,
      expireTime: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  }

  return extend(server, {
    issued,
    federated,
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(value: number) {
      state.expiresIn = value;
    },
  });
}
