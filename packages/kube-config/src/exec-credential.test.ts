import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isKubeConfigError, type KubeConfigError } from './errors.js';
import type { KubeConfig } from './kube-config.js';
import { loadKubeConfigFile } from './kubeconfig-file.js';

// The plugin is a tiny Node script: it counts its runs in a file, echoes what client-go's
// contract hands it (KUBERNETES_EXEC_INFO, the exec env) and prints the ExecCredential the test
// describes in PLUGIN_MODE.
const plugin = `#!/usr/bin/env node
const fs = require('node:fs');
const env = process.env;
const runs = Number(fs.existsSync(env.RUNS_FILE) ? fs.readFileSync(env.RUNS_FILE, 'utf8') : '0') + 1;
fs.writeFileSync(env.RUNS_FILE, String(runs));
fs.writeFileSync(env.RUNS_FILE + '.info', env.KUBERNETES_EXEC_INFO ?? '');
const apiVersion = env.PLUGIN_API_VERSION;
const out = (status) => process.stdout.write(JSON.stringify({ apiVersion, kind: 'ExecCredential', status }));
switch (env.PLUGIN_MODE) {
  case 'token':
    out({ token: env.TOKEN_PREFIX + '-' + runs, expirationTimestamp: env.EXPIRES || undefined });
    break;
  case 'cert':
    out({ clientCertificateData: 'CERT-' + runs, clientKeyData: 'KEY-' + runs });
    break;
  case 'fail':
    process.stdout.write('{"status":{"token":"leaked-on-failure"}}');
    process.stderr.write('login required: run "cloud auth login"\\n');
    process.exit(3);
  case 'garbage':
    process.stdout.write('token=secret-in-garbage');
    break;
  case 'wrong-version':
    process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1alpha1', kind: 'ExecCredential', status: { token: 't' } }));
    break;
  case 'hang':
    setInterval(() => {}, 1000);
    break;
}
`;

const v1 = 'client.authentication.k8s.io/v1';
const v1beta1 = 'client.authentication.k8s.io/v1beta1';

let dir: string;
let runsFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kube-exec-'));
  runsFile = join(dir, 'runs');
  writeFileSync(join(dir, 'plugin.cjs'), plugin);
  chmodSync(join(dir, 'plugin.cjs'), 0o755);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const runs = (): number => Number(readFileSync(runsFile, 'utf8'));

/** A kubeconfig whose user runs the plugin with `exec` overrides and `env` entries. */
function load(
  options: {
    readonly mode: string;
    readonly apiVersion?: string;
    readonly env?: Record<string, string>;
    readonly exec?: Record<string, unknown>;
    readonly now?: () => number;
    readonly execTimeoutMs?: number;
  } = { mode: 'token' },
): KubeConfig {
  const apiVersion = options.apiVersion ?? v1;
  const env = {
    RUNS_FILE: runsFile,
    PLUGIN_MODE: options.mode,
    PLUGIN_API_VERSION: apiVersion,
    TOKEN_PREFIX: 'tok',
    ...options.env,
  };
  const path = join(dir, 'config');
  writeFileSync(
    path,
    stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://kube.example:6443' } }],
      users: [
        {
          name: 'u',
          user: {
            exec: {
              apiVersion,
              command: process.execPath,
              args: [join(dir, 'plugin.cjs')],
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              ...options.exec,
            },
          },
        },
      ],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return loadKubeConfigFile(path, {
    env: { PATH: process.env['PATH'] },
    ...(options.now ? { now: options.now } : {}),
    ...(options.execTimeoutMs ? { execTimeoutMs: options.execTimeoutMs } : {}),
  });
}

async function execError(config: KubeConfig): Promise<KubeConfigError> {
  const err: unknown = await config.requestOptions().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (isKubeConfigError(err)) return err;
  throw new Error(`expected a KubeConfigError, got ${String(err)}`);
}

describe('exec credential plugins', () => {
  it('runs the plugin with its env and KUBERNETES_EXEC_INFO, and caches the token until it expires', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const config = load({
      mode: 'token',
      env: { EXPIRES: '2030-01-01T00:10:00Z' },
      exec: { provideClusterInfo: true },
      now: () => now,
    });
    expect(config.authKind).toBe('exec');
    expect((await config.requestOptions()).headers).toEqual({ authorization: 'Bearer tok-1' });
    expect(JSON.parse(readFileSync(`${runsFile}.info`, 'utf8'))).toEqual({
      apiVersion: v1,
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://kube.example:6443' } },
    });
    now += 9 * 60_000;
    expect((await config.requestOptions()).headers).toEqual({ authorization: 'Bearer tok-1' });
    expect(runs()).toBe(1);
    now += 60_000;
    expect((await config.requestOptions()).headers).toEqual({ authorization: 'Bearer tok-2' });
    expect(runs()).toBe(2);
  });

  it('keeps a credential without expirationTimestamp, and concurrent requests share one run', async () => {
    const config = load({ mode: 'token' });
    const all = await Promise.all([1, 2, 3].map(() => config.requestOptions()));
    expect(all.map((options) => options.headers['authorization'])).toEqual([
      'Bearer tok-1',
      'Bearer tok-1',
      'Bearer tok-1',
    ]);
    await config.requestOptions();
    expect(runs()).toBe(1);
  });

  it('takes a client certificate from a v1beta1 plugin', async () => {
    const config = load({ mode: 'cert', apiVersion: v1beta1 });
    const options = await config.requestOptions();
    expect(options).toMatchObject({ headers: {}, cert: 'CERT-1', key: 'KEY-1' });
  });

  it('resolves a relative command with a slash against the kubeconfig directory', async () => {
    const config = load({ mode: 'token', exec: { command: './plugin.cjs', args: [] } });
    expect((await config.requestOptions()).headers['authorization']).toBe('Bearer tok-1');
  });

  it('reports a failing plugin with its exit code and stderr, never its stdout', async () => {
    const err = await execError(load({ mode: 'fail' }));
    expect(err.code).toBe('exec-failed');
    expect(err.message).toContain('exit code 3');
    expect(err.message).toContain('login required');
    expect(err.message).toContain('users["u"].user.exec');
    expect(err.message).not.toContain('leaked-on-failure');
  });

  it('runs a failed plugin again on the next request', async () => {
    const config = load({ mode: 'fail' });
    await execError(config);
    await execError(config);
    expect(runs()).toBe(2);
  });

  it('reports output that is not an ExecCredential without quoting it', async () => {
    const err = await execError(load({ mode: 'garbage' }));
    expect(err.message).toContain('printed no JSON ExecCredential');
    expect(err.message).not.toContain('secret-in-garbage');
    expect(err.cause).toBeUndefined();
  });

  it('rejects an answer in another apiVersion', async () => {
    const err = await execError(load({ mode: 'wrong-version' }));
    expect(err.message).toContain(
      `answered with apiVersion client.authentication.k8s.io/v1alpha1, not ${v1}`,
    );
  });

  it('names the install hint when the command does not exist', async () => {
    const err = await execError(
      load({
        mode: 'token',
        exec: { command: 'aigw-no-such-plugin', installHint: 'install it with: brew install x' },
      }),
    );
    expect(err.code).toBe('exec-failed');
    expect(err.message).toContain('could not be started (ENOENT); install it with: brew install x');
  });

  it('stops a plugin that runs past the timeout', async () => {
    const err = await execError(load({ mode: 'hang', execTimeoutMs: 200 }));
    expect(err.message).toContain('timed out after 200 ms');
  });
});
