import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  findBinary,
  startKubeApiServer,
  stopAll,
  tempDir,
  withLogsOnFailure,
  type KubeApiServer,
} from '../src/index.js';

const run = promisify(execFile);
const startTimeoutMs = 180_000;

withLogsOnFailure();
afterAll(() => stopAll());

describe('kubectl from scripts/build-kube.sh', () => {
  let kube: KubeApiServer;
  const kubectl = (...args: string[]): Promise<{ stdout: string }> =>
    run(findBinary('kubectl'), ['--kubeconfig', kube.kubeconfigPath, ...args], {
      timeout: 60_000,
    });

  beforeAll(async () => {
    kube = await startKubeApiServer({ name: 'kubectl', timeoutMs: startTimeoutMs });
  }, startTimeoutMs + 10_000);

  it('reports the same version as the API server', async () => {
    const { stdout } = await kubectl('version', '--output=json');
    const versions = JSON.parse(stdout) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(versions.clientVersion.gitVersion).toBe(versions.serverVersion.gitVersion);
  });

  it('applies a kustomization with a server-side dry run, then for real', async () => {
    const dir = join(tempDir('kustomize'), 'base');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'kustomization.yaml'),
      'namespace: default\nnamePrefix: k-\nconfigMapGenerator:\n  - name: settings\n    literals: [mode=test]\n    options: { disableNameSuffixHash: true }\n',
    );
    const dry = await kubectl('apply', '-k', dir, '--dry-run=server', '--server-side');
    expect(dry.stdout).toMatch(/configmap\/k-settings serverside-applied \(server dry run\)/);
    expect((await kube.request('/api/v1/namespaces/default/configmaps/k-settings')).status).toBe(
      404,
    );
    await kubectl('apply', '-k', dir, '--server-side');
    const stored = (await kube.request('/api/v1/namespaces/default/configmaps/k-settings')).json();
    expect(stored).toMatchObject({ data: { mode: 'test' } });
  });
});
