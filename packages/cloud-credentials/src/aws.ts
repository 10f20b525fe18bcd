import { Agent } from 'node:https';
import type { Credentials, STSClient } from '@aws-sdk/client-sts';

import { CredentialError, describeError } from './errors.js';
import { lazyModule } from './lazy-module.js';
import { fetchOidcToken, type OidcClientConfig } from './oidc.js';
import { defaultTimeoutMs, trustedCas, type ExchangeOptions } from './options.js';

/** Inputs of {@link exchangeAwsOidc}, secrets resolved. */
export interface AwsOidcInput {
  /** The BackendSecurityPolicy's name: the session is `ai-gateway-<name>` (upstream's). */
  readonly policyName: string;
  readonly region: string;
  readonly roleArn: string;
  readonly oidc: OidcClientConfig;
}

/** Temporary AWS credentials and the shared-credentials file the extproc reads. */
export interface AwsSessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresAt: Date;
  /** `[default]` profile with the keys and region, as upstream writes key `credentials`. */
  readonly credentialsFile: string;
}

/** The shared-credentials (ini) text upstream writes for a rotated AWS credential. */
export function awsCredentialsFile(creds: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  region: string;
}): string {
  return (
    `[default]\naws_access_key_id = ${creds.accessKeyId}\n` +
    `aws_secret_access_key = ${creds.secretAccessKey}\n` +
    `aws_session_token = ${creds.sessionToken}\nregion = ${creds.region}\n`
  );
}

/** The AWS SDK's STS client, loaded at the first AWS exchange (see {@link lazyModule}). */
const loadSts = lazyModule('@aws-sdk/client-sts', () => import('@aws-sdk/client-sts'));

/** STS caps a role session name at 64 characters of `[\w+=,.@-]`. */
function sessionName(policyName: string): string {
  return `ai-gateway-${policyName}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * AWS OIDC federation: an OIDC client-credentials token, then STS
 * `AssumeRoleWithWebIdentity(RoleArn, RoleSessionName="ai-gateway-<policy>")` with the AWS SDK v3
 * (adaptive retry, as upstream), at `endpoints.awsSts` when set.
 *
 * @throws CredentialError `refused` (STS said no: bad token, role not assumable), `unreachable`,
 * `bad-response`, `internal` (the AWS SDK cannot be loaded), or any error of
 * {@link fetchOidcToken}.
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/controller/rotators/aws_oidc_rotator.go
 */
export async function exchangeAwsOidc(
  input: AwsOidcInput,
  options: ExchangeOptions = {},
): Promise<AwsSessionCredentials> {
  const sts = await loadSts();
  const oidc = await fetchOidcToken(input.oidc, options);
  const endpoint = options.endpoints?.awsSts;
  const client = stsClient(sts, { region: input.region, options });
  const what = `STS AssumeRoleWithWebIdentity (${input.roleArn}) at ${endpoint ?? `the ${input.region} endpoint`}`;
  try {
    const out = await client.send(
      new sts.AssumeRoleWithWebIdentityCommand({
        RoleArn: input.roleArn,
        RoleSessionName: sessionName(input.policyName),
        WebIdentityToken: oidc.token,
      }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
    return sessionCredentials(out.Credentials, { what, region: input.region });
  } catch (err) {
    throw toCredentialError(err, { what, known: [oidc.token] });
  } finally {
    client.destroy();
  }
}

function stsClient(
  sts: { readonly STSClient: typeof STSClient },
  { region, options }: { region: string; options: ExchangeOptions },
): STSClient {
  const endpoint = options.endpoints?.awsSts;
  const ca = trustedCas(options);
  return new sts.STSClient({
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    retryMode: 'adaptive',
    maxAttempts: 3,
    requestHandler: {
      requestTimeout: options.timeoutMs ?? defaultTimeoutMs,
      ...(ca === undefined ? {} : { httpsAgent: new Agent({ ca }) }),
    },
  });
}

function sessionCredentials(
  c: Credentials | undefined,
  context: { what: string; region: string },
): AwsSessionCredentials {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new CredentialError('bad-response', `${context.what}: no Credentials in the answer`);
  }
  const creds = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    region: context.region,
  };
  return { ...creds, expiresAt: c.Expiration, credentialsFile: awsCredentialsFile(creds) };
}

interface SdkError {
  readonly name?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function toCredentialError(
  err: unknown,
  context: { what: string; known: readonly string[] },
): CredentialError {
  if (err instanceof CredentialError) return err;
  const sdk = err as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  const message = describeError(err, context.known);
  if (status !== undefined && status < 500 && sdk.$fault === 'client') {
    return new CredentialError('refused', `${context.what}: ${sdk.name ?? 'Error'}: ${message}`);
  }
  return new CredentialError('unreachable', `${context.what}: ${message}`);
}
