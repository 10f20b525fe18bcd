import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FakeClock,
  LogRecorder,
  fakeServiceAccount,
  startFakeGoogle,
  type FakeGoogle,
  type FakeServiceAccount,
} from '@aigw/cloud-credentials/testing';
import { CredentialRotations, RotationStartError, type CredentialRotation } from './rotation.js';

describe('CredentialRotations (GCP service-account keys against a fake Google)', () => {
  let google: FakeGoogle;
  let account: FakeServiceAccount;
  let other: FakeServiceAccount;
  let dir: string;
  let clock: FakeClock;
  let log: LogRecorder;
  let rotations: CredentialRotations;

  beforeAll(async () => {
    account = fakeServiceAccount({ project: 'proj', name: 'gateway' });
    other = fakeServiceAccount({ project: 'proj', name: 'unknown' });
    google = await startFakeGoogle({ serviceAccounts: [account], expiresIn: 3599 });
  });
  afterAll(async () => {
    await google.close();
  });
  const start = async (): Promise<void> => {
    dir = await mkdtemp(join(tmpdir(), 'aigw-rotation-'));
    clock = new FakeClock();
    log = new LogRecorder();
    rotations = new CredentialRotations({
      log,
      clock,
      exchange: { endpoints: { gcpOAuthToken: `${google.url}/token` } },
    });
  };
  afterEach(async () => {
    await rotations.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const rotation = (name: string, keyJson: string): CredentialRotation => ({
    policy: {
      namespace: 'default',
      name,
      file: 'in.yaml',
      spec: {
        type: 'GCPCredentials',
        targetRefs: [],
        gcpCredentials: {
          projectName: 'proj',
          region: 'us-east5',
          credentialsFile: { secretRef: { name: `${name}-key` } },
        },
      },
    },
    kind: 'gcp-service-account-key',
    path: join(dir, 'credentials', `default.${name}.token`),
    secretRefs: [
      {
        field: 'spec.gcpCredentials.credentialsFile.secretRef',
        namespace: 'default',
        name: `${name}-key`,
        key: 'service_account.json',
      },
    ],
    secrets: { [`default/${name}-key`]: { 'service_account.json': keyJson } },
  });

  it('writes the first token before sync resolves, then refreshes it 5 minutes before expiry', async () => {
    await start();
    const vertex = rotation('vertex', account.keyJson);
    await rotations.sync([vertex]);
    const first = await readFile(vertex.path, 'utf8');
    expect(google.issued.isValid(first)).toBe(true);
    expect(rotations.paths).toEqual([vertex.path]);

    clock.advance((3599 - 300 + 1) * 1000);
    await rotations.idle();
    const second = await readFile(vertex.path, 'utf8');
    expect(second).not.toBe(first);
    expect(google.issued.isValid(second)).toBe(true);
    expect(log.lines.join('\n')).not.toContain(first);
  });

  it('keeps an unchanged rotation running (no new exchange) and replaces a changed one', async () => {
    await start();
    const vertex = rotation('vertex', account.keyJson);
    await rotations.sync([vertex]);
    const issued = google.issued.all().length;
    await rotations.sync([{ ...vertex, policy: { ...vertex.policy, file: 'moved.yaml' } }]);
    expect(google.issued.all().length).toBe(issued);

    const renamed = fakeServiceAccount({ project: 'proj', name: 'gateway' });
    // A changed Secret is a new rotation: its first exchange must succeed before it is taken on.
    await expect(rotations.sync([rotation('vertex', renamed.keyJson)])).rejects.toThrow(
      RotationStartError,
    );
    expect(await readFile(vertex.path, 'utf8')).toBe(google.issued.all().at(-1));
    expect(rotations.paths).toEqual([vertex.path]);
  });

  it('fails with the file, the policy and the reason, never the key, and changes nothing', async () => {
    await start();
    const refused = rotation('refused', other.keyJson);
    const err = await rotations.sync([refused]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RotationStartError);
    const problems = (err as RotationStartError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^in\.yaml: BackendSecurityPolicy default\/refused: /);
    expect(problems[0]).toContain('account not found');
    const privateKey = (JSON.parse(other.keyJson) as { private_key: string }).private_key;
    expect(problems.join('\n')).not.toContain(privateKey.split('\n')[1]);
    expect(rotations.paths).toEqual([]);
    await expect(readFile(refused.path, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stops the rotations no longer wanted', async () => {
    await start();
    const a = rotation('a', account.keyJson);
    const b = rotation('b', account.keyJson);
    await rotations.sync([a, b]);
    await rotations.sync([b]);
    expect(rotations.paths).toEqual([b.path]);
    const issued = google.issued.all().length;
    clock.advance(3600 * 1000);
    await rotations.idle();
    expect(google.issued.all().length).toBe(issued + 1);
  });
});
