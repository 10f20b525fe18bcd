import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { stringify } from 'yaml';

import { isTestkitError } from './errors.js';
import { findBinary } from './find-binary.js';
import { getFreePort } from './get-free-port.js';
import { writeKubeCredentials, type KubeCredentials } from './kube-certs.js';
import {
  kubeRequest,
  type KubeRequestOptions,
  type KubeResponse,
  type KubeTarget,
} from './kube-request.js';
import { spawnManaged, type ManagedProcess } from './spawn-managed.js';
import { removeTempDir, tempDir } from './temp-dir.js';

/** Options for {@link startKubeApiServer}. */
export interface StartKubeApiServerOptions {
  /** Name in logs and errors; the processes are `<name>-etcd` and `<name>-apiserver` (default `kube`). */
  readonly name?: string;
  /** How long each of etcd and kube-apiserver may take to become ready (default 120 s). */
  readonly timeoutMs?: number;
  /** `--authorization-mode` (default `RBAC`; the admin token is in `system:masters` either way). */
  readonly authorizationMode?: 'RBAC' | 'AlwaysAllow';
  /** Further kube-apiserver flags, e.g. `['--feature-gates=…']`; later flags win. */
  readonly extraApiServerArgs?: readonly string[];
  /** Further etcd flags. */
  readonly extraEtcdArgs?: readonly string[];
}

/** A running etcd + kube-apiserver pair started by {@link startKubeApiServer}. */
export interface KubeApiServer extends KubeTarget {
  /** Name in logs and errors. */
  readonly name: string;
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** Admin bearer token (user `admin`, group `system:masters`). */
  readonly token: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly caPem: string;
  /** A kubeconfig (server, CA data, token; context `aigw-test`) for `@kubernetes/client-node` or kubectl. */
  readonly kubeconfigPath: string;
  /** `http://127.0.0.1:<port>` of the etcd behind it. */
  readonly etcdUrl: string;
  /** Process ids, e.g. to check that nothing outlives `stop()`. */
  readonly pids: { readonly etcd: number; readonly apiServer: number };
  /** Both processes' output so far (bounded tails), kube-apiserver first. */
  logs(): string;
  /** {@link kubeRequest} against this server as admin. */
  request(path: string, options?: KubeRequestOptions): Promise<KubeResponse>;
  /** Stops kube-apiserver, then etcd, and removes all their files; idempotent. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const maxAttempts = 3;
const defaultTimeoutMs = 120_000;

/**
 * Starts a throwaway control plane: etcd (ephemeral client and peer ports, its own data dir, no
 * fsync) and kube-apiserver (ephemeral secure port on 127.0.0.1, a serving certificate from a
 * one-day CA, static-token admin, service-account keys), waits until `/readyz` answers 200, and
 * writes a kubeconfig. The binaries come from {@link findBinary} (`KUBE_APISERVER_BIN` / `ETCD_BIN`,
 * `.tools/bin` from `scripts/bootstrap.sh`, or `PATH`). Retries on fresh ports when another
 * process took a chosen one first.
 *
 * @throws TestkitError `binary-not-found`, `process-exited` or `timeout`, with the log tail.
 */
export async function startKubeApiServer(
  options: StartKubeApiServerOptions = {},
): Promise<KubeApiServer> {
  const binaries = { apiServer: findBinary('kube-apiserver'), etcd: findBinary('etcd') };
  const name = options.name ?? 'kube';
  const dir = tempDir(name);
  const procs: ManagedProcess[] = [];
  const stopAllOf = async (): Promise<void> => {
    // kube-apiserver first: stopping etcd under it only produces a burst of retry noise.
    for (const proc of procs.slice().reverse()) {
      await proc.stop();
    }
    await removeTempDir(dir);
  };
  try {
    const credentials = await writeKubeCredentials(await made(join(dir, 'certs')));
    // A fresh data dir per attempt: an etcd that lost the race for its port may have begun one.
    const etcd = await withPortRetry((attempt) =>
      startEtcd(binaries.etcd, { dir: join(dir, `etcd-${String(attempt)}`), name, options }),
    );
    procs.push(etcd.proc);
    const apiServer = await withPortRetry(() =>
      startApiServer(binaries.apiServer, { credentials, etcdUrl: etcd.url, name, options }),
    );
    procs.push(apiServer.proc);
    const target = { url: apiServer.url, token: credentials.token, caPem: credentials.caPem };
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(target), { mode: 0o600 });
    let stopping: Promise<void> | undefined;
    return {
      name,
      ...target,
      kubeconfigPath,
      etcdUrl: etcd.url,
      pids: { etcd: etcd.proc.pid, apiServer: apiServer.proc.pid },
      logs: () => `${labelled(apiServer.proc)}\n${labelled(etcd.proc)}`,
      request: (path, requestOptions) => kubeRequest(target, path, requestOptions),
      stop: () => (stopping ??= stopAllOf()),
    };
  } catch (err) {
    await stopAllOf();
    throw err;
  }
}

/**
 * The kubeconfig for `target`: one cluster, one token user, one context `aigw-test` (namespace
 * `default`), with the CA inlined so the file stands alone.
 */
export function kubeconfigYaml(target: KubeTarget): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'aigw-test',
        cluster: {
          server: target.url,
          'certificate-authority-data': Buffer.from(target.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: 'admin', user: { token: target.token } }],
    contexts: [
      {
        name: 'aigw-test',
        context: { cluster: 'aigw-test', user: 'admin', namespace: 'default' },
      },
    ],
    'current-context': 'aigw-test',
    preferences: {},
  });
}

interface Started {
  readonly proc: ManagedProcess;
  readonly url: string;
}

interface StartContext {
  readonly name: string;
  readonly options: StartKubeApiServerOptions;
}

async function startEtcd(binary: string, at: StartContext & { dir: string }): Promise<Started> {
  const [clientPort, peerPort] = [await getFreePort(), await getFreePort()];
  const url = `http://${host}:${String(clientPort)}`;
  const peerUrl = `http://${host}:${String(peerPort)}`;
  const member = 'aigw-test';
  const proc = await spawnManaged(
    binary,
    [
      `--name=${member}`,
      `--data-dir=${at.dir}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${member}=${peerUrl}`,
      // Test data is thrown away: skipping fsync makes writes an order of magnitude faster.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
      ...(at.options.extraEtcdArgs ?? []),
    ],
    { name: `${at.name}-etcd` },
  );
  await proc.untilReady(async () => isEtcdHealthy(url), {
    timeoutMs: at.options.timeoutMs ?? defaultTimeoutMs,
    intervalMs: 100,
    description: 'etcd /health to report true',
  });
  return { proc, url };
}

async function isEtcdHealthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { health?: unknown };
  return res.ok && body.health === 'true';
}

async function startApiServer(
  binary: string,
  at: StartContext & { credentials: KubeCredentials; etcdUrl: string },
): Promise<Started> {
  const port = await getFreePort();
  const url = `https://${host}:${String(port)}`;
  const proc = await spawnManaged(binary, apiServerArgs({ ...at, port, url }), {
    name: `${at.name}-apiserver`,
  });
  const target = { url, token: at.credentials.token, caPem: at.credentials.caPem };
  await proc.untilReady(
    async () => (await kubeRequest(target, '/readyz', { timeoutMs: 5_000 })).status === 200,
    {
      timeoutMs: at.options.timeoutMs ?? defaultTimeoutMs,
      intervalMs: 250,
      description: 'kube-apiserver /readyz to return 200',
    },
  );
  return { proc, url };
}

function apiServerArgs(
  at: StartContext & { credentials: KubeCredentials; etcdUrl: string; port: number; url: string },
): string[] {
  const c = at.credentials;
  return [
    `--etcd-servers=${at.etcdUrl}`,
    `--bind-address=${host}`,
    `--advertise-address=${host}`,
    `--secure-port=${String(at.port)}`,
    `--cert-dir=${dirname(c.certFile)}`,
    `--tls-cert-file=${c.certFile}`,
    `--tls-private-key-file=${c.keyFile}`,
    `--token-auth-file=${c.tokenFile}`,
    `--authorization-mode=${at.options.authorizationMode ?? 'RBAC'}`,
    `--service-account-issuer=${at.url}/`,
    `--service-account-key-file=${c.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${c.serviceAccountPrivateKeyFile}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    // No controller-manager runs, so nothing would create the token a ServiceAccount-admitted pod
    // waits for; envtest disables the plugin for the same reason.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    // Flow control and profiling cost CPU and start-up time and test nothing of ours.
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    ...(at.options.extraApiServerArgs ?? []),
  ];
}

async function withPortRetry(start: (attempt: number) => Promise<Started>): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      if (attempt >= maxAttempts || !isPortClash(err)) {
        throw err;
      }
    }
  }
}

function isPortClash(err: unknown): boolean {
  return (
    isTestkitError(err) &&
    err.code === 'process-exited' &&
    /address already in use/i.test(err.message)
  );
}

async function made(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

function labelled(proc: ManagedProcess): string {
  return `=== ${proc.name} ===\n${proc.logs()}`;
}
