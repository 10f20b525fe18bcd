import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendAuth } from '@aigw/filterapi';
import { removeTempDir, tempDir } from '@aigw/testkit';
import { AwsRequestSigner } from './aws-signer.js';
import {
  credentialFiles,
  credentialHeaderNames,
  loadCredentialHeader,
  loadRequestSigner,
  signedRequestHeaderNames,
} from './credentials.js';

const secret = 'sk-unit-secret-0123456789';

describe('backend credentials', () => {
  let dir: string;
  let keyFile: string;

  beforeAll(() => {
    dir = tempDir('creds');
    keyFile = join(dir, 'key');
    // Secrets mounted from Kubernetes or written by `echo` end with a newline; it is not part of
    // the key.
    writeFileSync(keyFile, `  ${secret}\n\n`);
  });

  afterAll(async () => {
    await removeTempDir(dir);
  });

  const cases: {
    kind: string;
    auth: (file: string) => BackendAuth;
    name: string;
    value: string;
  }[] = [
    {
      kind: 'apiKey',
      auth: (file) => ({ apiKey: { file } }),
      name: 'authorization',
      value: `Bearer ${secret}`,
    },
    {
      kind: 'azureApiKey',
      auth: (file) => ({ azureApiKey: { file } }),
      name: 'api-key',
      value: secret,
    },
    {
      kind: 'anthropicApiKey',
      auth: (file) => ({ anthropicApiKey: { file } }),
      name: 'x-api-key',
      value: secret,
    },
    {
      kind: 'azure token file',
      auth: (tokenFile) => ({ azure: { tokenFile } }),
      name: 'authorization',
      value: `Bearer ${secret}`,
    },
    {
      kind: 'gcp token file',
      auth: (tokenFile) => ({ gcp: { tokenFile, region: 'us-east5', projectName: 'p' } }),
      name: 'authorization',
      value: `Bearer ${secret}`,
    },
  ];

  it.each(cases)('$kind becomes $name, trimmed', async ({ auth, name, value }) => {
    expect(await loadCredentialHeader(auth(keyFile))).toEqual({ name, value });
  });

  it.each(cases)('$kind names its file for watching', ({ auth }) => {
    expect(credentialFiles(auth(keyFile))).toEqual([keyFile]);
  });

  it('sets nothing and watches nothing without auth', async () => {
    expect(await loadCredentialHeader(undefined)).toBeUndefined();
    expect(credentialFiles(undefined)).toEqual([]);
  });

  it('watches the AWS credentials file', () => {
    const credentialsFile = join(dir, 'aws');
    expect(credentialFiles({ aws: { credentialsFile, region: 'us-east-1' } })).toEqual([
      credentialsFile,
    ]);
  });

  describe('AWS SigV4', () => {
    const awsSecret = 'aws-unit-secret-abcdefghijklmnop';

    it('gives no fixed header but a signer for the region, service bedrock', async () => {
      const credentialsFile = join(dir, 'aws');
      writeFileSync(
        credentialsFile,
        `[default]\naws_access_key_id = AKIAUNIT\naws_secret_access_key = ${awsSecret}\n`,
      );
      const auth = { aws: { credentialsFile, region: 'eu-central-1' } };
      expect(await loadCredentialHeader(auth)).toBeUndefined();
      const signer = await loadRequestSigner(auth);
      expect(signer).toBeInstanceOf(AwsRequestSigner);
      expect(signer?.toJSON()).toEqual({ region: 'eu-central-1', service: 'bedrock' });
      const headers = Object.fromEntries(
        (await signer?.sign({
          method: 'POST',
          host: 'bedrock-runtime.eu-central-1.amazonaws.com',
          path: '/model/m/converse',
          body: new Uint8Array([123, 125]),
        })) ?? [],
      );
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAUNIT\/\d{8}\/eu-central-1\/bedrock\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
      expect(JSON.stringify(headers)).not.toContain(awsSecret);
    });

    it('gives no signer for the other kinds', async () => {
      expect(await loadRequestSigner({ apiKey: { file: keyFile } })).toBeUndefined();
      expect(await loadRequestSigner(undefined)).toBeUndefined();
    });

    it('rejects an incomplete credentials file, naming the file but no secret', async () => {
      const credentialsFile = join(dir, 'aws-incomplete');
      writeFileSync(credentialsFile, `[default]\naws_secret_access_key = ${awsSecret}\n`);
      const error = await loadRequestSigner({ aws: { credentialsFile, region: 'us-east-1' } }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(credentialsFile);
      expect((error as Error).message).not.toContain(awsSecret);
    });

    it('strips a client credential and any client SigV4 header from a signed request', () => {
      expect(signedRequestHeaderNames).toEqual([
        'authorization',
        'api-key',
        'x-api-key',
        'x-goog-api-key',
        'x-amz-date',
        'x-amz-security-token',
        'x-amz-content-sha256',
      ]);
    });
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t\n'],
  ])('rejects an %s file, naming the file', async (_, content) => {
    const file = join(dir, 'empty');
    writeFileSync(file, content);
    await expect(loadCredentialHeader({ apiKey: { file } })).rejects.toThrow(
      `credential file ${file} is empty`,
    );
  });

  it('rejects a missing file with the file system error, not a secret', async () => {
    const file = join(dir, 'missing');
    const error = await loadCredentialHeader({ apiKey: { file } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('names every header a client could smuggle a credential in', () => {
    for (const { name } of cases) expect(credentialHeaderNames).toContain(name);
    expect(credentialHeaderNames).toEqual([
      'authorization',
      'api-key',
      'x-api-key',
      'x-goog-api-key',
    ]);
  });
});
