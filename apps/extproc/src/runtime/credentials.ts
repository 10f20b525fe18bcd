import { readFile } from 'node:fs/promises';
import type { BackendAuth } from '@aigw/filterapi';
import { ExtprocError } from '../errors.js';
import { loadAwsCredentials, parseAwsCredentials } from './aws-credentials.js';
import { AwsRequestSigner, awsSignatureHeaderNames } from './aws-signer.js';

/** A header that carries a backend credential, ready to be set on the upstream request. */
export interface CredentialHeader {
  readonly name: string;
  readonly value: string;
}

/**
 * Headers clients may send that must never reach a backend next to our own credential (Google's
 * SDKs send `x-goog-api-key`).
 */
export const credentialHeaderNames: readonly string[] = [
  'authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
];

/** Every header a signed (SigV4) request must not carry from the client. */
export const signedRequestHeaderNames: readonly string[] = [
  ...new Set([...credentialHeaderNames, ...awsSignatureHeaderNames]),
];

/** Where an auth block's secret lives (a file, or inlined in the config) and how it is sent. */
interface CredentialSource {
  /** The file to read; undefined when the secret is inlined. */
  readonly file: string | undefined;
  /** The secret itself, inlined in the config (Kubernetes); undefined when in a file. */
  readonly inline: string | undefined;
  /** Undefined for AWS: SigV4 signs each request instead (see {@link loadRequestSigner}). */
  readonly toHeader: ((secret: string) => CredentialHeader) | undefined;
}

const bearer = (secret: string): CredentialHeader => ({
  name: 'authorization',
  value: `Bearer ${secret}`,
});

/** A key block: `{ file }` or `{ key }`. */
const keyOf = (block: { file: string } | { key: string }) =>
  'key' in block ? { file: undefined, inline: block.key } : { file: block.file, inline: undefined };

/** A token block: `{ tokenFile }` or `{ accessToken }`. */
const tokenOf = (block: { tokenFile: string } | { accessToken: string }) =>
  'accessToken' in block
    ? { file: undefined, inline: block.accessToken }
    : { file: block.tokenFile, inline: undefined };

function sourceOf(auth: BackendAuth): CredentialSource {
  if ('apiKey' in auth) return { ...keyOf(auth.apiKey), toHeader: bearer };
  if ('azureApiKey' in auth) {
    return { ...keyOf(auth.azureApiKey), toHeader: (value) => ({ name: 'api-key', value }) };
  }
  if ('anthropicApiKey' in auth) {
    return { ...keyOf(auth.anthropicApiKey), toHeader: (value) => ({ name: 'x-api-key', value }) };
  }
  if ('azure' in auth) return { ...tokenOf(auth.azure), toHeader: bearer };
  if ('gcp' in auth) return { ...tokenOf(auth.gcp), toHeader: bearer };
  // AWS SigV4 signs the final request (path, host, body): no fixed header.
  return 'credentialFileLiteral' in auth.aws
    ? { file: undefined, inline: auth.aws.credentialFileLiteral, toHeader: undefined }
    : { file: auth.aws.credentialsFile, inline: undefined, toHeader: undefined };
}

/** The credential files an auth block names (watched for rotation); none for inline secrets. */
export function credentialFiles(auth: BackendAuth | undefined): string[] {
  const file = auth ? sourceOf(auth).file : undefined;
  return file === undefined ? [] : [file];
}

/**
 * Reads the credential an auth block names (or takes the inlined one) and returns the header to
 * send; `undefined` without auth or for AWS (signed per request, see {@link loadRequestSigner}).
 * The value never goes to a log: errors name the file, not its content.
 */
export async function loadCredentialHeader(
  auth: BackendAuth | undefined,
): Promise<CredentialHeader | undefined> {
  if (!auth) return undefined;
  const source = sourceOf(auth);
  if (!source.toHeader) return undefined;
  const secret = (source.inline ?? (await readFile(source.file ?? '', 'utf8'))).trim();
  if (!secret) {
    const where =
      source.file === undefined ? 'inline credential' : `credential file ${source.file}`;
    throw new ExtprocError('credential_unavailable', `${where} is empty`);
  }
  return source.toHeader(secret);
}

/**
 * For AWS auth: reads the shared-credentials file (default profile) and returns the SigV4 signer
 * of the backend's region (service `bedrock`, which AWSBedrock and AWSAnthropic both use);
 * `undefined` for every other kind. Rotating the keys is rewriting the file (the config watcher
 * polls it and builds a new signer) or, inlined, writing a new config.
 */
export async function loadRequestSigner(
  auth: BackendAuth | undefined,
): Promise<AwsRequestSigner | undefined> {
  if (!auth || !('aws' in auth)) return undefined;
  const credentials =
    'credentialFileLiteral' in auth.aws
      ? parseAwsCredentials(auth.aws.credentialFileLiteral, {
          file: '(inline credentialFileLiteral)',
        })
      : await loadAwsCredentials(auth.aws.credentialsFile);
  return new AwsRequestSigner({ credentials, region: auth.aws.region, service: 'bedrock' });
}
