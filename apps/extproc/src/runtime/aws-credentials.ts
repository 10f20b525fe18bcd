import { readFile } from 'node:fs/promises';
import { ExtprocError } from '../errors.js';

/** Static AWS credentials from a shared-credentials file. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials (STS, IRSA written out by a sidecar). */
  readonly sessionToken?: string;
}

/** Reads the `key = value` pairs of one `[profile]` section of an ini text (keys lower-cased). */
function iniSection(text: string, profile: string): Map<string, string> | undefined {
  let section: Map<string, string> | undefined;
  let isInProfile = false;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      isInProfile = header[1] === profile;
      if (isInProfile) section ??= new Map();
      continue;
    }
    const equals = line.indexOf('=');
    if (!isInProfile || !section || equals === -1) continue;
    section.set(line.slice(0, equals).trim().toLowerCase(), line.slice(equals + 1).trim());
  }
  return section;
}

/**
 * Parses an AWS shared-credentials file (the `~/.aws/credentials` ini format): the profile's
 * `aws_access_key_id`, `aws_secret_access_key` and optional `aws_session_token`. Errors name the
 * file and the missing key, never a value.
 */
export function parseAwsCredentials(
  text: string,
  options: { readonly file: string; readonly profile?: string },
): AwsCredentials {
  const profile = options.profile ?? 'default';
  const section = iniSection(text, profile);
  if (!section) {
    throw new ExtprocError(
      'credential_unavailable',
      `AWS credentials file ${options.file} has no [${profile}] profile`,
    );
  }
  const required = (key: string): string => {
    const value = section.get(key);
    if (!value) {
      throw new ExtprocError(
        'credential_unavailable',
        `AWS credentials file ${options.file}: [${profile}] has no ${key}`,
      );
    }
    return value;
  };
  const accessKeyId = required('aws_access_key_id');
  const secretAccessKey = required('aws_secret_access_key');
  const sessionToken = section.get('aws_session_token');
  return sessionToken
    ? { accessKeyId, secretAccessKey, sessionToken }
    : { accessKeyId, secretAccessKey };
}

/** Reads and parses an AWS shared-credentials file (default profile). */
export async function loadAwsCredentials(file: string): Promise<AwsCredentials> {
  return parseAwsCredentials(await readFile(file, 'utf8'), { file });
}
