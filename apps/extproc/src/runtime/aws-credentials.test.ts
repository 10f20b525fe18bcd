import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDir, tempDir } from '@aigw/testkit';
import { loadAwsCredentials, parseAwsCredentials } from './aws-credentials.js';

const file = '/etc/aws/credentials';

describe('AWS shared-credentials file', () => {
  it('reads the default profile, ignoring other profiles, comments and spacing', () => {
    const text = [
      '# written by the controller',
      '[other]',
      'aws_access_key_id = AKIAOTHER',
      'aws_secret_access_key = other-secret',
      '',
      '[ default ]',
      '  AWS_ACCESS_KEY_ID=AKIADEFAULT  ',
      '; a comment',
      'aws_secret_access_key = s3cr3t/with=equals',
      'region = us-east-1',
    ].join('\r\n');
    expect(parseAwsCredentials(text, { file })).toEqual({
      accessKeyId: 'AKIADEFAULT',
      secretAccessKey: 's3cr3t/with=equals',
    });
  });

  it('keeps the session token of temporary credentials', () => {
    const text =
      '[default]\naws_access_key_id=ASIA1\naws_secret_access_key=k\naws_session_token=tok==\n';
    expect(parseAwsCredentials(text, { file })).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'k',
      sessionToken: 'tok==',
    });
  });

  it('reads a named profile when asked', () => {
    const text = '[prod]\naws_access_key_id=AKIAPROD\naws_secret_access_key=p\n';
    expect(parseAwsCredentials(text, { file, profile: 'prod' }).accessKeyId).toBe('AKIAPROD');
  });

  it.each([
    ['no default profile', '[other]\naws_access_key_id=A\n', `${file} has no [default] profile`],
    [
      'no access key id',
      '[default]\naws_secret_access_key=topsecret\n',
      `${file}: [default] has no aws_access_key_id`,
    ],
    [
      'an empty secret',
      '[default]\naws_access_key_id=AKIA\naws_secret_access_key=\n',
      `${file}: [default] has no aws_secret_access_key`,
    ],
  ])('rejects a file with %s, naming the file and key but no value', (_, text, message) => {
    let error: unknown;
    try {
      parseAwsCredentials(text, { file });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('topsecret');
    expect((error as Error).message).not.toContain('AKIA\n');
  });

  describe('from disk', () => {
    let dir: string;
    beforeAll(() => {
      dir = tempDir('aws-creds');
    });
    afterAll(async () => {
      await removeTempDir(dir);
    });

    it('loads the file', async () => {
      const path = join(dir, 'credentials');
      writeFileSync(path, '[default]\naws_access_key_id = AKIAX\naws_secret_access_key = y\n');
      expect(await loadAwsCredentials(path)).toEqual({
        accessKeyId: 'AKIAX',
        secretAccessKey: 'y',
      });
    });
  });
});
