import { randomUUID } from 'node:crypto';
import { IssuedTokens, randomChars } from './tokens.js';
import { extend, form, startFake, type FakeReply, type FakeServer } from './server.js';

/** Options of {@link startFakeAwsSts}. */
export interface FakeAwsStsOptions {
  /** The only role that may be assumed. */
  readonly roleArn: string;
  /** Verifies the web identity token (e.g. a fake OIDC issuer's `verify`); throws to refuse. */
  readonly verifyToken: (token: string) => Record<string, unknown>;
  /** Lifetime of the credentials, seconds (default 3600; mutable on the fake). */
  readonly expiresIn?: number;
}

/** A fake AWS STS speaking the Query protocol for `AssumeRoleWithWebIdentity`. */
export interface FakeAwsSts extends FakeServer {
  expiresIn: number;
  /** Every access key id issued, with its secret and session token. */
  readonly keys: Map<string, { secretAccessKey: string; sessionToken: string }>;
  readonly sessionTokens: IssuedTokens;
}

const ns = 'https://sts.amazonaws.com/doc/2011-06-15/';
const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const secretAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function xml(status: number, body: string): FakeReply {
  return {
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
    contentType: 'text/xml',
  };
}

function stsError(status: number, code: string, message: string): FakeReply {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return xml(
    status,
    `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/**
 * Starts a fake STS. It accepts what the real service accepts for this action: a form POST with
 * `Action=AssumeRoleWithWebIdentity`, `Version=2011-06-15`, the configured `RoleArn`, a
 * `RoleSessionName` of 2–64 characters `[\w+=,.@-]`, and a `WebIdentityToken` the issuer signed.
 * The call is unsigned (no SigV4), as on AWS. Errors are STS's XML `ErrorResponse`
 * (`InvalidIdentityToken` 400, `AccessDenied` 403, `ValidationError` 400).
 */
export async function startFakeAwsSts(options: FakeAwsStsOptions): Promise<FakeAwsSts> {
  const state = { expiresIn: options.expiresIn ?? 3600 };
  const keys = new Map<string, { secretAccessKey: string; sessionToken: string }>();
  const sessionTokens = new IssuedTokens('FwoGZXIvYXdzE');
  const server = await startFake((req) => {
    if (req.method !== 'POST') return stsError(400, 'InvalidAction', 'Use POST');
    const p = form(req.body);
    if (p.Action !== 'AssumeRoleWithWebIdentity') {
      return stsError(400, 'InvalidAction', `Could not find operation ${String(p.Action)}`);
    }
    if (p.Version !== '2011-06-15') return stsError(400, 'InvalidParameterValue', 'bad Version');
    if (!/^[\w+=,.@-]{2,64}$/.test(p.RoleSessionName ?? '')) {
      return stsError(
        400,
        'ValidationError',
        'Value at roleSessionName failed to satisfy constraint',
      );
    }
    let claims: Record<string, unknown>;
    try {
      claims = options.verifyToken(p.WebIdentityToken ?? '');
    } catch (err) {
      return stsError(400, 'InvalidIdentityToken', (err as Error).message);
    }
    if (p.RoleArn !== options.roleArn) {
      return stsError(
        403,
        'AccessDenied',
        'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      );
    }
    const accessKeyId = `ASIA${randomChars(16, upper)}`;
    const secretAccessKey = randomChars(40, secretAlphabet);
    const { token: sessionToken, expiresAt } = sessionTokens.issue(state.expiresIn);
    keys.set(accessKeyId, { secretAccessKey, sessionToken });
    return xml(
      200,
      `<AssumeRoleWithWebIdentityResponse xmlns="${ns}">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>${String(claims.sub)}</SubjectFromWebIdentityToken>
    <Audience>${String(claims.aud)}</Audience>
    <AssumedRoleUser>
      <Arn>${options.roleArn.replace(':role/', ':assumed-role/').replace(':iam:', ':sts:')}/${p.RoleSessionName ?? ''}</Arn>
      <AssumedRoleId>AROA${randomChars(17, upper)}:${p.RoleSessionName ?? ''}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${sessionToken}</SessionToken>
      <SecretAccessKey>${secretAccessKey}</SecretAccessKey>
      <Expiration>${expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}</Expiration>
      <AccessKeyId>${accessKeyId}</AccessKeyId>
    </Credentials>
    <Provider>${String(claims.iss)}</Provider>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`,
    );
  });
  return extend(server, {
    keys,
    sessionTokens,
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(value: number) {
      state.expiresIn = value;
    },
  });
}
