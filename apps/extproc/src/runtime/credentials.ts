import { readFile } from 'node:fs/promises';
import type { BackendAuth } from '@aigw/filterapi';

/** A header that carries a backend credential, ready to be set on the upstream request. */
export interface CredentialHeader {
  readonly name: string;
  readonly value: string;
}

/** Headers clients may send that must never reach a backend next to our own credential. */
export const credentialHeaderNames: readonly string[] = ['authorization', 'api-key', 'x-api-key'];

/** Where an auth block's secret lives and how it becomes a header. */
interface CredentialSource {
  readonly file: string;
  /** Undefined when this build cannot use the kind yet. */
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
  // AWS SigV4 signs the final request; it lands with issue 3/7.
  return { file: auth.aws.credentialsFile, toHeader: undefined };
}

/** The credential files an auth block names (watched for rotation). */
export function credentialFiles(auth: BackendAuth | undefined): string[] {
  return auth ? [sourceOf(auth).file] : [];
}

/**
 * Reads the credential an auth block names and returns the header to send. The value never goes
 * to a log: errors name the file, not its content.
 */
export async function loadCredentialHeader(
  auth: BackendAuth | undefined,
): Promise<CredentialHeader | undefined> {
  if (!auth) return undefined;
  const source = sourceOf(auth);
  if (!source.toHeader) throw new Error('AWS SigV4 backend auth is not supported yet (issue 3/7)');
  const secret = (await readFile(source.file, 'utf8')).trim();
  if (!secret) throw new Error(`credential file ${source.file} is empty`);
  return source.toHeader(secret);
}
