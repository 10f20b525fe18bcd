import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isKubeConfigError } from './errors.js';
import { firstKubeconfigPath, loadKubeConfig } from './load-kube-config.js';

let dir: string;
let saDir: string;
let home: string;

/** Writes a kubeconfig whose server names it, so the test sees which file was chosen. */
function kubeconfigAt(path: string, host: string): string {
  writeFileSync(
    path,
    stringify({
      clusters: [{ name: 'c', cluster: { server: `https://${host}:6443` } }],
      contexts: [{ name: 'x', context: { cluster: 'c', namespace: host } }],
      'current-context': 'x',
    }),
  );
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kube-load-'));
  saDir = join(dir, 'sa');
  home = join(dir, 'home');
  mkdirSync(saDir);
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(saDir, 'token'), 't');
  writeFileSync(join(saDir, 'ca.crt'), 'CA');
  kubeconfigAt(join(dir, 'explicit'), 'explicit');
  kubeconfigAt(join(dir, 'from-env'), 'from-env');
  kubeconfigAt(join(home, '.kube', 'config'), 'home');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const inPod = { KUBERNETES_SERVICE_HOST: 'in-cluster', KUBERNETES_SERVICE_PORT: '443' };

interface Row {
  readonly title: string;
  readonly path?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly server: string;
}

describe('loadKubeConfig', () => {
  it.each<Row>([
    {
      title: 'the explicit path over everything',
      path: 'explicit',
      env: { ...inPod, KUBECONFIG: 'from-env' },
      server: 'https://explicit:6443',
    },
    {
      title: 'the first non-empty KUBECONFIG entry over the pod',
      env: { ...inPod, KUBECONFIG: '::from-env:explicit' },
      server: 'https://from-env:6443',
    },
    {
      title: 'the pod over ~/.kube/config',
      env: { ...inPod, KUBECONFIG: ' : ' },
      server: 'https://in-cluster:443',
    },
    { title: '~/.kube/config last', env: {}, server: 'https://home:6443' },
  ])('takes $title', ({ path, env, server }) => {
    const withDir = (value: string | undefined): string | undefined =>
      value
        ?.split(':')
        .map((entry) => (entry.trim() === '' ? entry : join(dir, entry)))
        .join(':');
    const config = loadKubeConfig({
      path: path === undefined ? undefined : join(dir, path),
      env: { ...env, KUBECONFIG: withDir(env['KUBECONFIG']) },
      homeDir: home,
      serviceAccountDir: saDir,
    });
    expect(config.server).toBe(server);
  });

  it('fails with no-config, naming where it looked, when there is nothing', () => {
    rmSync(join(home, '.kube', 'config'));
    let err: unknown;
    try {
      loadKubeConfig({ env: {}, homeDir: home, serviceAccountDir: saDir });
    } catch (e) {
      err = e;
    }
    expect(isKubeConfigError(err) && err.code).toBe('no-config');
    expect(String(err)).toContain(join(home, '.kube', 'config'));
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    [' : ', undefined],
    ['/a', '/a'],
    [':/a:/b', '/a'],
  ])('firstKubeconfigPath(%j) is %j', (value, expected) => {
    expect(firstKubeconfigPath(value)).toBe(expected);
  });
});
