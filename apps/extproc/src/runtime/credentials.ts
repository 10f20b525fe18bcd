import { readFile } from 'node:fs/promises';
import type { BackendAuth } from '@aigw/filterapi';
import { ExtprocError } from '../errors.js';
import { loadAwsCredentials } from './aws-credentials.js';
import { AwsRequestSigner, awsSignatureHeaderNames } from './aws-signer.js';

/** A header that carries a backend credential, ready to be set on the upstream request. */
export interface CredentialHeader {
  readonly name: string;
  readonly value: string;
}

/** Headers clients may send that must never reach a backend next to our own credential. */
export const credentialHeaderNames: readonly string[] = ['authorization', 'api-key', 'x-api-key'];

/** Every header a signed (SigV4) request must not carry from the client. */
export const signedRequestHeaderNames: readonly string[] = [
  ...new Set([...credentialHeaderNames, ...awsSignatureHeaderNames]),
];

/** Where an auth block's secret lives and how it becomes a header. */
interface CredentialSource {
  readonly file: string;
  /** Undefined for AWS: SigV4 signs each request instead (see {@link loadRequestSigner}). */
  readonly toHeader: ((secret: string) => CredentialHeader) | undefined;
}

const bearer = (secret: string): CredentialHeader => ({
  name: 'authorization',
  value: `Bearer ${secret}`,
});

function sourceOf(auth: BackendAuth): CredentialSource {
  if ('apiKey' in auth) return { file: auth.apiKey.file, toHeader: bearer };
  if ('azureApiKey' in auth) {
    return { file: auth.azureApiKey.file, toHeader: (value) => ({ name: 'api-key', value }) };
  }
  if ('anthropicApiKey' in auth) {
    return { file: auth.anthropicApiKey.file, toHeader: (value) => ({ name: 'x-api-key', value }) };
  }
  if ('azure' in auth) return { file: auth.azure.tokenFile, toHeader: bearer };
  if ('gcp' in auth) return { file: auth.gcp.tokenFile, toHeader: bearer };
  // AWS SigV4 signs the final request (path, host, body): no fixed header.
  return { file: auth.aws.credentialsFile, toHeader: undefined };
}

/** The credential files an auth block names (watched for rotation). */
export function credentialFiles(auth: BackendAuth | undefined): string[] {
  return auth ? [sourceOf(auth).file] : [];
}

/**
 * Reads the credential an auth block names and returns the header to send; `undefined` without
 * auth or for AWS (signed per request, see {@link loadRequestSigner}). The value never goes to a
 * log: errors name the file, not its content.
 */
export async function loadCredentialHeader(
  auth: BackendAuth | undefined,
): Promise<CredentialHeader | undefined> {
  if (!auth) return undefined;
  const source = sourceOf(auth);
  if (!source.toHeader) return undefined;
  const secret = (await readFile(source.file, 'utf8')).trim();
  if (!secret)
    throw new ExtprocError('credential_unavailable', `credential file ${source.file} is empty`);
  return source.toHeader(secret);
}

/**
 * For AWS auth: reads the shared-credentials file (default profile) and returns the SigV4 signer
 * of the backend's region (service `bedrock`, which AWSBedrock and AWSAnthropic both use);
 * `undefined` for every other kind. Rotating the keys is rewriting the file: the config watcher
 * polls it and builds a new signer.
 */
export async function loadRequestSigner(
  auth: BackendAuth | undefined,
): Promise<AwsRequestSigner | undefined> {
  if (!auth || !('aws' in auth)) return undefined;
  const credentials = await loadAwsCredentials(auth.aws.credentialsFile);
  return new AwsRequestSigner({ credentials, region: auth.aws.region, service: 'bedrock' });
}
