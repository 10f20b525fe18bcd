import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { removeTempDir, startKubeApiServer, tempDir, type KubeApiServer } from '@aigw/testkit';
import { loadKubeConfigFile, type KubeConfig } from '@aigw/kube-config';

// Each way of authenticating, against a real kube-apiserver: a client certificate (signed by a
// client CA the server trusts through --client-ca-file), a token file, and an exec plugin.

/** The HTTP status of GET `path` with the configuration's headers and TLS options. */
async function statusOf(config: KubeConfig, path: string): Promise<number> {
  const { headers, ...tls } = await config.requestOptions();
  return new Promise((resolve, reject) => {
    get(new URL(path, config.server), { ...tls, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('credentials against a real kube-apiserver', { timeout: 60_000 }, () => {
  let dir: string;
  let kube: KubeApiServer;
  let stopKube: (() => Promise<void>) | undefined;

  /** Writes `config/kubeconfig` with the test server's cluster and `user`. */
  function kubeconfig(user: Record<string, unknown>): string {
    const path = join(dir, 'config', 'kubeconfig');
    writeFileSync(
      path,
      stringify({
        clusters: [
          {
            name: 'test',
            cluster: {
              server: kube.url,
              'certificate-authority-data': Buffer.from(kube.caPem).toString('base64'),
            },
          },
        ],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'u', namespace: 'default' } }],
        'current-context': 'test',
      }),
    );
    return path;
  }

  beforeAll(async () => {
    dir = tempDir('kube-config');
    mkdirSync(join(dir, 'config'));
    mkdirSync(join(dir, 'pki'));
    const pki = (name: string): string => join(dir, 'pki', name);
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { stdio: 'pipe' });
    };
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      'req',
      '-x509',
      ...ec,
      '-subj',
      '/CN=test-client-ca',
      '-days',
      '1',
      '-keyout',
      pki('ca.key'),
      '-out',
      pki('ca.crt'),
    );
    openssl(
      'req',
      ...ec,
      '-subj',
      '/CN=alice/O=system:masters',
      '-keyout',
      pki('client.key'),
      '-out',
      pki('client.csr'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      pki('client.csr'),
      '-CA',
      pki('ca.crt'),
      '-CAkey',
      pki('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      pki('client.crt'),
    );
    kube = await startKubeApiServer({
      name: 'kube-config',
      extraApiServerArgs: [`--client-ca-file=${pki('ca.crt')}`],
    });
    stopKube = () => kube.stop();
  }, 180_000);

  afterAll(async () => {
    await stopKube?.();
    await removeTempDir(dir);
  });

  it('authenticates with a client certificate from relative paths', async () => {
    const config = loadKubeConfigFile(
      kubeconfig({ 'client-certificate': '../pki/client.crt', 'client-key': '../pki/client.key' }),
    );
    expect(config.authKind).toBe('client-certificate');
    expect(await statusOf(config, '/api/v1/namespaces/default')).toBe(200);
    // Without the certificate the request is anonymous, which RBAC forbids.
    const anonymous = loadKubeConfigFile(kubeconfig({}));
    expect(await statusOf(anonymous, '/api/v1/namespaces/default')).toBe(403);
  });

  it('authenticates with a token file', async () => {
    writeFileSync(join(dir, 'config', 'token'), `${kube.token}\n`);
    const config = loadKubeConfigFile(kubeconfig({ tokenFile: 'token' }));
    expect(await statusOf(config, '/api/v1/namespaces/default')).toBe(200);
  });

  it('authenticates with the token an exec plugin prints', async () => {
    const plugin = join(dir, 'config', 'plugin.cjs');
    writeFileSync(
      plugin,
      `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: process.env.ADMIN_TOKEN } }));`,
    );
    const config = loadKubeConfigFile(
      kubeconfig({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: [plugin],
          env: [{ name: 'ADMIN_TOKEN', value: kube.token }],
        },
      }),
    );
    expect(await statusOf(config, '/api/v1/namespaces/default')).toBe(200);
  });
});
