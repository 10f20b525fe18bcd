import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  findBinary,
  findRepoRoot,
  kubeRequest,
  startKubeApiServer,
  stopAll,
  withLogsOnFailure,
  type KubeApiServer,
} from '../src/index.js';

// Starting kube-apiserver takes 10–60 s on a busy two-core machine; one server serves the file.
const startTimeoutMs = 180_000;

withLogsOnFailure();
afterAll(() => stopAll());

/** The version `scripts/build-kube.sh` pins, e.g. `v1.36.3`. */
function pinnedKubeVersion(): string {
  const script = readFileSync(join(findRepoRoot() ?? '.', 'scripts', 'build-kube.sh'), 'utf8');
  const match = /KUBE_VERSION=\$\{AIGW_KUBE_VERSION:-(v[\d.]+)\}/.exec(script);
  if (match?.[1] === undefined) {
    throw new Error('scripts/build-kube.sh no longer pins KUBE_VERSION the way this test reads it');
  }
  return match[1];
}

describe('startKubeApiServer', () => {
  let kube: KubeApiServer;

  beforeAll(async () => {
    kube = await startKubeApiServer({ timeoutMs: startTimeoutMs });
  }, startTimeoutMs + 10_000);

  it('reports the version the binary was built with, major and minor included', async () => {
    const binary = findBinary('kube-apiserver');
    const fromBinary = /Kubernetes (v\S+)/.exec(
      execFileSync(binary, ['--version'], { encoding: 'utf8' }),
    )?.[1];
    const res = await kube.request('/version');
    expect(res.status).toBe(200);
    const version = res.json() as { gitVersion: string; major: string; minor: string };
    expect(version.gitVersion).toBe(fromBinary);
    const [, minor] = /^v1\.(\d+)\.\d+$/.exec(version.gitVersion) ?? [];
    expect(version).toMatchObject({ major: '1', minor });
    expect(Number(minor)).toBeGreaterThanOrEqual(34);
    if (binary === join(findRepoRoot() ?? '.', '.tools', 'bin', 'kube-apiserver')) {
      expect(version.gitVersion).toBe(pinnedKubeVersion());
    }
  });

  it('writes a kubeconfig that @kubernetes/client-node can create and read objects with', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kube.kubeconfigPath);
    expect(config.getCurrentCluster()?.server).toBe(kube.url);
    // The generic client takes plain objects (the typed CoreV1Api wants its model classes).
    const objects = KubernetesObjectApi.makeApiClient(config);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'testkit' } });
    await objects.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'greeting', namespace: 'testkit', labels: { app: 'aigw' } },
      data: { hello: 'wörld' },
    });
    const core = config.makeApiClient(CoreV1Api);
    const read = await core.readNamespacedConfigMap({ name: 'greeting', namespace: 'testkit' });
    expect(read.data).toEqual({ hello: 'wörld' });
    expect(read.metadata?.labels).toEqual({ app: 'aigw' });
    const list = await core.listNamespacedConfigMap({
      namespace: 'testkit',
      labelSelector: 'app=aigw',
    });
    expect(list.items.map((item) => item.metadata?.name)).toEqual(['greeting']);
  });

  it('authenticates only the admin token and trusts only its own CA', async () => {
    const anonymous = await kubeRequest({ ...kube, token: 'wrong' }, '/api/v1/namespaces');
    expect(anonymous.status).toBe(401);
    await expect(
      kubeRequest({ ...kube, caPem: '' }, '/version', { timeoutMs: 5_000 }),
    ).rejects.toThrow(/self.signed|unable to (get|verify)|certificate/i);
  });

  it('stops etcd and kube-apiserver and removes their files', async () => {
    await kube.stop();
    for (const pid of [kube.pids.apiServer, kube.pids.etcd]) {
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    }
    expect(existsSync(kube.kubeconfigPath)).toBe(false);
    await kube.stop(); // idempotent
  });
});
