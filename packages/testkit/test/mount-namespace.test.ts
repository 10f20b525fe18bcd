import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';

import { mountNamespaceScript } from '../src/node-agent/mount-namespace.js';
import { removeAllTempDirs, tempDir } from '../src/temp-dir.js';
import { which } from '../src/which.js';
import { findRepoRoot } from '../src/index.js';

const run = promisify(execFile);
const unshare = which('unshare');
const isRoot = process.getuid?.() === 0;

afterAll(() => removeAllTempDirs());

/** Runs `argv` in the private root the script builds; resolves with its stdout. */
async function inNamespace(
  binds: { source: string; target: string }[],
  argv: string[],
  cwd = '/',
): Promise<string> {
  const dir = tempDir('mntns');
  mkdirSync(join(dir, 'root'));
  const script = join(dir, 'run.sh');
  writeFileSync(script, mountNamespaceScript({ rootDir: join(dir, 'root'), binds, stdioDir: dir }));
  const { stdout } = await run(
    unshare ?? 'unshare',
    ['--mount', '--propagation', 'private', 'sh', script, cwd, ...argv],
    { timeout: 20_000 },
  );
  return stdout;
}

// The node agent and Envoy Gateway's Kubernetes provider run in these private roots; they need
// root (mount namespaces), as the e2e tests that use them do.
describe.skipIf(!isRoot || unshare === undefined)('mountNamespaceScript (run as root)', () => {
  it('shows every host directory, wherever the checkout lives, plus volumes at paths the host lacks', async () => {
    const repo = findRepoRoot();
    expect(repo).toBeDefined();
    const volume = tempDir('mntns-vol');
    writeFileSync(join(volume, 'tls.crt'), 'certificate\n');
    const target = `/aigw-mntns-${String(process.pid)}`;
    const out = await inNamespace(
      [{ source: volume, target }],
      ['sh', '-c', `cat ${target}/tls.crt && test -f pnpm-workspace.yaml && pwd`],
      repo,
    );
    // The checkout (under /work, /check/…, /home/… alike) is visible at its own path: the
    // envoy-gateway binary in .tools/bin must run from a clone anywhere.
    expect(out).toBe(`certificate\n${String(repo)}\n`);
    // Nothing was created on the host's root.
    expect(existsSync(target)).toBe(false);
  });

  it('mounts a file over a host file inside the namespace only, and keeps host symlinks as links', async () => {
    const hosts = join(tempDir('mntns-hosts'), 'hosts');
    writeFileSync(hosts, '10.1.2.3 svc.example\n');
    const hostHosts = readFileSync('/etc/hosts', 'utf8');
    const out = await inNamespace(
      [{ source: hosts, target: '/etc/hosts' }],
      ['sh', '-c', 'cat /etc/hosts && test -f /etc/passwd && readlink /bin || true'],
    );
    expect(out.startsWith('10.1.2.3 svc.example\n')).toBe(true);
    expect(readFileSync('/etc/hosts', 'utf8')).toBe(hostHosts);
  });

  it('passes the environment through and exits with the command’s code', async () => {
    const dir = tempDir('mntns-env');
    mkdirSync(join(dir, 'root'));
    const script = join(dir, 'run.sh');
    writeFileSync(
      script,
      mountNamespaceScript({ rootDir: join(dir, 'root'), binds: [], stdioDir: dir }),
    );
    const failed = run(
      unshare ?? 'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        script,
        '/',
        'sh',
        '-c',
        'echo "$AIGW_X"; exit 7',
      ],
      { env: { ...process.env, AIGW_X: 'through' }, timeout: 20_000 },
    );
    await expect(failed).rejects.toMatchObject({ code: 7, stdout: 'through\n' });
  });
});
