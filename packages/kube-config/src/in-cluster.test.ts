import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKubeConfigError } from './errors.js';
import {
  isInCluster,
  loadInClusterConfig,
  resolveServiceAccountDir,
  serviceAccountDir,
} from './in-cluster.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kube-sa-'));
  writeFileSync(join(dir, 'token'), 'sa-token-1\n');
  writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
  writeFileSync(join(dir, 'namespace'), 'envoy-gateway-system');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

describe('in-cluster configuration', () => {
  it('uses the service host and port, the mounted CA, token and namespace', async () => {
    const config = loadInClusterConfig({ env, dir });
    expect(config.server).toBe('https://10.96.0.1:443');
    expect(config.namespace).toBe('envoy-gateway-system');
    expect(config.source).toBe('in-cluster');
    expect(await config.requestOptions()).toEqual({
      headers: { authorization: 'Bearer sa-token-1' },
      ca: 'CA PEM',
      rejectUnauthorized: true,
    });
  });

  it('picks up the rotated token after a minute', async () => {
    let now = 0;
    const config = loadInClusterConfig({ env, dir, now: () => now });
    expect((await config.requestOptions()).headers['authorization']).toBe('Bearer sa-token-1');
    writeFileSync(join(dir, 'token'), 'sa-token-2');
    now += 60_000;
    expect((await config.requestOptions()).headers['authorization']).toBe('Bearer sa-token-2');
  });

  it('brackets an IPv6 host, defaults the port to 443 and allows no namespace file', () => {
    rmSync(join(dir, 'namespace'));
    const config = loadInClusterConfig({ host: 'fd00::1', port: undefined, env: {}, dir });
    expect(config.server).toBe('https://[fd00::1]:443');
    expect(config.namespace).toBeUndefined();
  });

  it('is not in a cluster without KUBERNETES_SERVICE_HOST', () => {
    expect(isInCluster({ env: {}, dir })).toBe(false);
    expect(isInCluster({ env, dir })).toBe(true);
    let err: unknown;
    try {
      loadInClusterConfig({ env: {}, dir });
    } catch (e) {
      err = e;
    }
    expect(isKubeConfigError(err) && err.code).toBe('no-config');
  });

  it('reads the directory AIGW_SERVICE_ACCOUNT_DIR names, for a container run as a process', async () => {
    const moved = { ...env, AIGW_SERVICE_ACCOUNT_DIR: dir };
    expect(isInCluster({ env: moved })).toBe(true);
    const config = loadInClusterConfig({ env: moved });
    expect(config.namespace).toBe('envoy-gateway-system');
    expect((await config.requestOptions()).headers['authorization']).toBe('Bearer sa-token-1');
  });

  it.each([
    { given: undefined, fromEnv: undefined, expected: serviceAccountDir },
    { given: undefined, fromEnv: '', expected: serviceAccountDir },
    { given: undefined, fromEnv: '/tmp/sa', expected: '/tmp/sa' },
    { given: '/opt/sa', fromEnv: '/tmp/sa', expected: '/opt/sa' },
  ])(
    'resolves the directory $expected (option $given, AIGW_SERVICE_ACCOUNT_DIR $fromEnv)',
    ({ given, fromEnv, expected }) => {
      expect(
        resolveServiceAccountDir({ env: { AIGW_SERVICE_ACCOUNT_DIR: fromEnv }, dir: given }),
      ).toBe(expected);
    },
  );

  it('names the moved directory when its token is missing', () => {
    rmSync(join(dir, 'token'));
    let err: unknown;
    try {
      loadInClusterConfig({ env: { ...env, AIGW_SERVICE_ACCOUNT_DIR: dir } });
    } catch (e) {
      err = e;
    }
    expect(isKubeConfigError(err) && err.file).toBe(join(dir, 'token'));
  });

  it.each(['token', 'ca.crt'])('fails with unreadable when %s is missing', (file) => {
    rmSync(join(dir, file));
    let err: unknown;
    try {
      loadInClusterConfig({ env, dir });
    } catch (e) {
      err = e;
    }
    expect(isKubeConfigError(err) && err.code).toBe('unreadable');
    expect(isKubeConfigError(err) && err.file).toBe(join(dir, file));
  });
});
