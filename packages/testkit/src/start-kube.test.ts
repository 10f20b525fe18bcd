import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { findBinary } from './find-binary.js';
import { kubeconfigYaml } from './start-kube.js';

describe('kubeconfigYaml', () => {
  const target = {
    url: 'https://127.0.0.1:6443',
    token: 't0ken',
    caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  };

  it('loads into @kubernetes/client-node with server, inlined CA, token and context', () => {
    const config = new KubeConfig();
    config.loadFromString(kubeconfigYaml(target));
    expect(config.getCurrentContext()).toBe('aigw-test');
    expect(config.getCurrentCluster()).toMatchObject({
      server: target.url,
      caData: Buffer.from(target.caPem).toString('base64'),
    });
    expect(config.getCurrentUser()).toMatchObject({ name: 'admin', token: 't0ken' });
    expect(config.getContextObject('aigw-test')?.namespace).toBe('default');
  });
});

describe('findBinary for the control plane', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each([
    ['kube-apiserver', 'KUBE_APISERVER_BIN'],
    ['etcd', 'ETCD_BIN'],
  ] as const)('%s honours %s first', (name, variable) => {
    vi.stubEnv(variable, process.execPath);
    expect(findBinary(name)).toBe(process.execPath);
  });

  it('names the variable and the bootstrap script when an override is wrong', () => {
    vi.stubEnv('ETCD_BIN', '/nonexistent/etcd');
    expect(() => findBinary('etcd')).toThrow(/ETCD_BIN=\/nonexistent\/etcd is not an executable/);
  });
});
