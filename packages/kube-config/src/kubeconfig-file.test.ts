import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isKubeConfigError, type KubeConfigError } from './errors.js';
import { loadKubeConfigFile } from './kubeconfig-file.js';

const caPem = '-----BEGIN CERTIFICATE-----\nMIIBCA==\n-----END CERTIFICATE-----\n';
const certPem = '-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n';
const keyPem = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END PRIVATE KEY-----\n';
const secretToken = 'sekret-token-7c1f0e2d9b';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A kubeconfig with one context `ctx` joining `cluster` and `user`. */
function kubeconfig(
  cluster: Record<string, unknown>,
  user: Record<string, unknown> | undefined,
  context: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: user === undefined ? [] : [{ name: 'u', user }],
    contexts: [
      { name: 'ctx', context: { cluster: 'c', ...(user ? { user: 'u' } : {}), ...context } },
    ],
    'current-context': 'ctx',
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kube-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(doc: unknown, name = 'config'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === 'string' ? doc : stringify(doc));
  return path;
}

function loadError(path: string): KubeConfigError {
  try {
    loadKubeConfigFile(path);
  } catch (err) {
    if (isKubeConfigError(err)) return err;
    throw err;
  }
  throw new Error('expected a KubeConfigError');
}

describe('loadKubeConfigFile', () => {
  it('loads server, inlined CA, bearer token and the context namespace', async () => {
    const config = loadKubeConfigFile(
      write(
        kubeconfig(
          { server: 'https://10.0.0.1:6443', 'certificate-authority-data': b64(caPem) },
          { token: secretToken },
          { namespace: 'team-a' },
        ),
      ),
    );
    expect(config.server).toBe('https://10.0.0.1:6443');
    expect(config.namespace).toBe('team-a');
    expect(config.authKind).toBe('token');
    expect(await config.requestOptions()).toEqual({
      headers: { authorization: `Bearer ${secretToken}` },
      ca: caPem,
      rejectUnauthorized: true,
    });
  });

  it('resolves relative CA, client certificate, key and token file against the kubeconfig directory', async () => {
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.crt'), caPem);
    writeFileSync(join(dir, 'pki', 'client.crt'), certPem);
    writeFileSync(join(dir, 'pki', 'client.key'), keyPem);
    writeFileSync(join(dir, 'token'), `${secretToken}\n`);
    mkdirSync(join(dir, 'sub'));
    const path = write(
      kubeconfig(
        { server: 'https://kube.example:443', 'certificate-authority': '../pki/ca.crt' },
        {
          'client-certificate': '../pki/client.crt',
          'client-key': join(dir, 'pki', 'client.key'),
          tokenFile: '../token',
        },
      ),
      'sub/config',
    );
    const config = loadKubeConfigFile(path);
    expect(await config.requestOptions()).toEqual({
      headers: { authorization: `Bearer ${secretToken}` },
      ca: caPem,
      cert: certPem,
      key: keyPem,
      rejectUnauthorized: true,
    });
  });

  it('loads client certificate and key data with tls-server-name and no token', async () => {
    const config = loadKubeConfigFile(
      write(
        kubeconfig(
          {
            server: 'https://127.0.0.1:6443',
            'certificate-authority-data': b64(caPem),
            'tls-server-name': 'kubernetes.default.svc',
          },
          { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) },
        ),
      ),
    );
    expect(config.authKind).toBe('client-certificate');
    expect(await config.requestOptions()).toEqual({
      headers: {},
      ca: caPem,
      cert: certPem,
      key: keyPem,
      rejectUnauthorized: true,
      servername: 'kubernetes.default.svc',
    });
  });

  it('sends basic auth and honours insecure-skip-tls-verify', async () => {
    const config = loadKubeConfigFile(
      write(
        kubeconfig(
          { server: 'https://127.0.0.1:6443', 'insecure-skip-tls-verify': true },
          { username: 'admin', password: 'pa55' },
        ),
      ),
    );
    expect(config.insecureSkipTlsVerify).toBe(true);
    expect(await config.requestOptions()).toEqual({
      headers: { authorization: `Basic ${b64('admin:pa55')}` },
      rejectUnauthorized: false,
    });
  });

  it('uses a context other than current-context when asked, without user or namespace', async () => {
    const doc = kubeconfig({ server: 'http://127.0.0.1:8080' }, { token: secretToken });
    (doc['contexts'] as unknown[]).push({ name: 'anonymous', context: { cluster: 'c' } });
    const config = loadKubeConfigFile(write(doc), { context: 'anonymous' });
    expect(config.namespace).toBeUndefined();
    expect(config.authKind).toBe('none');
    expect(await config.requestOptions()).toEqual({ headers: {}, rejectUnauthorized: true });
  });

  it('serialises and inspects without the token', () => {
    const config = loadKubeConfigFile(
      write(kubeconfig({ server: 'https://127.0.0.1:6443' }, { token: secretToken })),
    );
    expect(JSON.stringify(config)).not.toContain(secretToken);
    expect(inspect(config)).not.toContain(secretToken);
    expect(config.toJSON()).toMatchObject({ server: 'https://127.0.0.1:6443', auth: 'token' });
  });

  const server = 'https://127.0.0.1:6443';
  it.each([
    {
      title: 'no current-context',
      doc: { ...kubeconfig({ server }, undefined), 'current-context': '' },
      code: 'invalid',
      field: 'current-context',
    },
    {
      title: 'a current-context with no entry',
      doc: { ...kubeconfig({ server }, undefined), 'current-context': 'gone' },
      code: 'invalid',
      field: 'contexts',
    },
    {
      title: 'a cluster without server',
      doc: kubeconfig({}, undefined),
      code: 'invalid',
      field: 'clusters["c"].cluster.server',
    },
    {
      title: 'a server that is not a URL',
      doc: kubeconfig({ server: 'kube:6443:x' }, undefined),
      code: 'invalid',
      field: 'clusters["c"].cluster.server',
    },
    {
      title: 'a CA file that does not exist',
      doc: kubeconfig({ server, 'certificate-authority': 'missing.crt' }, undefined),
      code: 'unreadable',
      field: 'clusters["c"].cluster.certificate-authority',
    },
    {
      title: 'insecure-skip-tls-verify with a CA',
      doc: kubeconfig(
        { server, 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64(caPem) },
        undefined,
      ),
      code: 'invalid',
      field: 'clusters["c"].cluster.insecure-skip-tls-verify',
    },
    {
      title: 'a token and basic auth together',
      doc: kubeconfig({ server }, { token: secretToken, username: 'a', password: 'b' }),
      code: 'invalid',
      field: 'users["u"].user',
    },
    {
      title: 'a client certificate without key',
      doc: kubeconfig({ server }, { 'client-certificate-data': b64(certPem) }),
      code: 'invalid',
      field: 'users["u"].user.client-key',
    },
    {
      title: 'an auth-provider',
      doc: kubeconfig({ server }, { 'auth-provider': { name: 'oidc' } }),
      code: 'unsupported',
      field: 'users["u"].user.auth-provider',
    },
    {
      title: 'impersonation',
      doc: kubeconfig({ server }, { token: secretToken, as: 'someone' }),
      code: 'unsupported',
      field: 'users["u"].user.as',
    },
    {
      title: 'a proxy-url',
      doc: kubeconfig({ server, 'proxy-url': 'http://proxy:3128' }, undefined),
      code: 'unsupported',
      field: 'clusters["c"].cluster.proxy-url',
    },
    {
      title: 'an exec plugin of apiVersion v1alpha1',
      doc: kubeconfig(
        { server },
        { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'x' } },
      ),
      code: 'unsupported',
      field: 'users["u"].user.exec.apiVersion',
    },
    {
      title: 'an exec plugin without command',
      doc: kubeconfig({ server }, { exec: { apiVersion: 'client.authentication.k8s.io/v1' } }),
      code: 'invalid',
      field: 'users["u"].user.exec.command',
    },
    {
      title: 'a mistyped field',
      doc: kubeconfig({ server }, { token: 42 }),
      code: 'invalid',
      field: 'users["u"].user.token',
    },
  ])('rejects $title with $code naming $field', ({ doc, code, field }) => {
    const path = write(doc);
    const err = loadError(path);
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(err.message).toContain(path);
    expect(err.message).toContain(field);
    expect(err.message).not.toContain(secretToken);
  });

  it('reports a YAML syntax error by line and column, without quoting the line', () => {
    const path = write(`users:\n- name: u\n  user:\n    token: ${secretToken}\n   bad: [\n`);
    const err = loadError(path);
    expect(err.code).toBe('invalid');
    expect(err.message).toMatch(/not valid YAML \(\w+\) at line \d+, column \d+/);
    expect(err.message).not.toContain(secretToken);
    expect(err.cause).toBeUndefined();
  });

  it('reports a missing kubeconfig as unreadable, naming the file', () => {
    const err = loadError(join(dir, 'nope'));
    expect(err.code).toBe('unreadable');
    expect(err.file).toBe(join(dir, 'nope'));
  });
});
