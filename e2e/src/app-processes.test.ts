import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  findRepoRoot,
  getFreePort,
  spawnManaged,
  tempDir,
  useHarness,
  writeKubeCredentials,
  type ManagedProcess,
} from '@aigw/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcServing } from './support/grpc-health.js';

/**
 * Every app as a real process, started the way `bin.ts` is deployed (through `tsx`, so no build is
 * needed): a bad flag exits 2 with one line before anything listens; a good start answers its
 * health check; SIGTERM drains and exits 0.
 */
const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the e2e tests inside the repository');
  })();
const tsx = fileURLToPath(import.meta.resolve('tsx'));

function spawnApp(app: string, args: readonly string[]): Promise<ManagedProcess> {
  const bin = join(root, 'apps', app, 'src', 'bin.ts');
  return spawnManaged(
    process.execPath,
    ['--import', tsx, '--conditions=@aigw/source', bin, ...args],
    {
      name: app,
      cwd: root,
    },
  );
}

const harness = useHarness();
const running: ManagedProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((proc) => proc.stop()));
});

async function httpReady(port: number): Promise<boolean> {
  const [live, ready] = await Promise.all(
    ['/healthz', '/readyz'].map((path) => fetch(`http://127.0.0.1:${String(port)}${path}`)),
  );
  return live?.status === 200 && ready?.status === 200;
}

/** GET over HTTPS trusting only `ca`: the status code. */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function httpsReady(port: number, ca: string): Promise<boolean> {
  const base = `https://127.0.0.1:${String(port)}`;
  const codes = await Promise.all(['/healthz', '/readyz'].map((p) => httpsStatus(base + p, ca)));
  return codes.every((code) => code === 200);
}

interface AppCase {
  readonly app: string;
  readonly badArgs: readonly string[];
  readonly badMessage: RegExp;
  readonly start: () => Promise<{ args: string[]; probe: () => Promise<boolean> }>;
}

const grpcApp = (app: string, flag = '--address'): AppCase => ({
  app,
  badArgs: [flag, 'abc'],
  badMessage: new RegExp(
    `^aigw-${app}: invalid configuration: --address \\(\\w+\\): expected unix:/`,
  ),
  start: async () => {
    const port = await getFreePort();
    return {
      args: [flag, `127.0.0.1:${String(port)}`],
      probe: () => grpcServing(`127.0.0.1:${String(port)}`),
    };
  },
});

const httpApp = (app: string, flag: string): AppCase => ({
  app,
  badArgs: [flag, 'abc'],
  badMessage: new RegExp(
    `^aigw-${app}: invalid configuration: ${flag} \\(\\w+\\): expected a port number, got "abc"$`,
  ),
  start: async () => {
    const port = await getFreePort();
    return { args: [flag, String(port), '--host', '127.0.0.1'], probe: () => httpReady(port) };
  },
});

const cases: readonly AppCase[] = [
  {
    ...grpcApp('extproc'),
    start: () => {
      const dir = tempDir('extproc-bin');
      const socket = join(dir, 'extproc.sock');
      writeFileSync(join(dir, 'config.yaml'), 'version: v1\n');
      return Promise.resolve({
        args: ['--address', `unix:${socket}`, '--config', join(dir, 'config.yaml')],
        probe: () => grpcServing(`unix:${socket}`),
      });
    },
  },
  grpcApp('ratelimit'),
  {
    // Without route files it reads AIGatewayRoutes from the API server.
    ...grpcApp('extension-server'),
    start: async () => {
      const kube = await harness.kube();
      const port = await getFreePort();
      return {
        args: ['--address', `127.0.0.1:${String(port)}`, '--kubeconfig', kube.kubeconfigPath],
        probe: () => grpcServing(`127.0.0.1:${String(port)}`),
      };
    },
  },
  {
    // The controller watches a real API server: it is ready once its informers synced.
    ...httpApp('controller', '--health-port'),
    start: async () => {
      const kube = await harness.kube();
      const port = await getFreePort();
      return {
        args: [
          '--health-port',
          String(port),
          '--host',
          '127.0.0.1',
          '--kubeconfig',
          kube.kubeconfigPath,
        ],
        probe: () => httpReady(port),
      };
    },
  },
  {
    // HTTPS with a certificate from files, reading routes from the API server.
    ...httpApp('webhook', '--port'),
    start: async () => {
      const kube = await harness.kube();
      const dir = tempDir('webhook-bin');
      const certDir = join(dir, 'tls');
      mkdirSync(certDir);
      mkdirSync(join(dir, 'issued'));
      const issued = await writeKubeCredentials(join(dir, 'issued'));
      copyFileSync(issued.certFile, join(certDir, 'tls.crt'));
      copyFileSync(issued.keyFile, join(certDir, 'tls.key'));
      const port = await getFreePort();
      return {
        args: [
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--cert-dir',
          certDir,
          '--kubeconfig',
          kube.kubeconfigPath,
        ],
        probe: () => httpsReady(port, issued.caPem),
      };
    },
  },
];

describe.each(cases)('apps/$app as a process', ({ app, badArgs, badMessage, start }) => {
  it('exits 2 with a one-line explanation on a bad flag', async () => {
    const proc = await spawnApp(app, badArgs);
    running.push(proc);
    const status = await proc.exited;
    expect(status.code).toBe(2);
    const output = proc
      .logTail()
      .split('\n')
      .filter((line) => line && !line.startsWith('[testkit]'));
    expect(output).toHaveLength(1);
    expect(output[0]).toMatch(badMessage);
  });

  it('serves its health check, then drains and exits 0 on SIGTERM', async () => {
    const { args, probe } = await start();
    const proc = await spawnApp(app, [...args, '--log-level', 'warn']);
    running.push(proc);
    await proc.untilReady(async () => (await probe()) || undefined, {
      timeoutMs: 20_000,
      description: `${app} health`,
    });
    await proc.stop();
    expect(proc.exitStatus()).toEqual({ code: 0, signal: null });
  });
});

describe('apps/aigw as a process', () => {
  async function aigw(args: readonly string[]): Promise<{ code: number | null; lines: string[] }> {
    const proc = await spawnApp('aigw', args);
    running.push(proc);
    const status = await proc.exited;
    const lines = proc
      .logTail()
      .split('\n')
      .filter((line) => line && !line.startsWith('[testkit]'));
    return { code: status.code, lines };
  }

  it('prints its version', async () => {
    const { code, lines } = await aigw(['version']);
    expect(code).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/^aigw \d+\.\d+\.\d+$/)]);
  });

  it('rejects a bad port with one line and exit code 2', async () => {
    const { code, lines } = await aigw(['run', '--port', 'abc']);
    expect(code).toBe(2);
    expect(lines).toEqual(['aigw run: --port (AIGW_PORT): expected a port number, got "abc"']);
  });

  it('names a missing file with one line and exit code 1, before starting anything', async () => {
    const { code, lines } = await aigw(['run', '/nonexistent/aigw.yaml']);
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain('/nonexistent/aigw.yaml');
    expect(lines.some((line) => line.startsWith('[envoy]'))).toBe(false);
  });
});
