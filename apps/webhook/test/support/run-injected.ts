/**
 * Runs an injected container as a process on this machine, the way the kubelet would: its
 * volumes materialised as files (Secrets and a minted service-account token written out, the
 * emptyDir a directory), its command from the image contract (docs/webhook.md: the entrypoint
 * runs apps/extproc/dist/bin.js), its args and env as stored.
 *
 * Mount paths become directories under a temp dir, and the args that name them are rewritten to
 * match. The service-account volume, which a kubelet mounts at the fixed in-cluster path, is
 * passed as `AIGW_SERVICE_ACCOUNT_DIR` (`@aigw/kube-config`'s override), the one variable this
 * adds to the container's env besides the kubelet's `KUBERNETES_SERVICE_HOST`/`_PORT`. A pod
 * has a network namespace of its own and this process shares the machine's, so each container
 * port is mapped to a free host port and the `--admin-port` arg naming it is rewritten.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getFreePort, spawnManaged, type KubeApiServer, type ManagedProcess } from '@aigw/testkit';
import { kubeOk, repoPath } from './webhook-kit.js';

type Json = Record<string, unknown>;

/** A container as stored (the fields used here). */
export interface StoredContainer {
  readonly name: string;
  readonly args?: string[];
  readonly command?: string[];
  readonly env?: { name: string; value?: string }[];
  readonly volumeMounts?: { name: string; mountPath: string }[];
  readonly ports?: { name?: string; containerPort: number }[];
  readonly readinessProbe?: {
    httpGet?: { path?: string; port: number | string; scheme?: string };
    timeoutSeconds?: number;
  };
}

/** A projected volume source (the kinds the webhook injects). */
interface ProjectedSource {
  readonly secret?: { name: string; items: { key: string; path: string }[]; optional?: boolean };
  readonly configMap?: { name: string; items: { key: string; path: string }[] };
  readonly serviceAccountToken?: { path: string; expirationSeconds?: number };
  readonly downwardAPI?: { items: { path: string; fieldRef: { fieldPath: string } }[] };
}

/** The pod the container belongs to. */
export interface PodContext {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly volumes: readonly (Json & { name: string })[];
}

const serviceAccountPath = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A materialised container: host paths of its mounts and a rewrite of pod paths. */
export interface Materialised {
  /** Pod path → host path (longest prefix first). */
  readonly rewrite: (value: string) => string;
  readonly hostPathOf: (mountPath: string) => string;
}

function write(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

interface SourceTarget {
  readonly kube: KubeApiServer;
  readonly pod: PodContext;
  readonly dir: string;
}

async function writeSecretSource(
  at: SourceTarget,
  secret: NonNullable<ProjectedSource['secret']>,
): Promise<void> {
  const res = await at.kube.request(
    `/api/v1/namespaces/${at.pod.namespace}/secrets/${secret.name}`,
  );
  if (res.status === 404 && secret.optional) return;
  const data = ((res.json() as Json)['data'] ?? {}) as Record<string, string>;
  for (const item of secret.items)
    write(join(at.dir, item.path), Buffer.from(data[item.key] ?? '', 'base64'));
}

async function writeConfigMapSource(
  at: SourceTarget,
  cm: NonNullable<ProjectedSource['configMap']>,
): Promise<void> {
  const found = await kubeOk(
    at.kube,
    `/api/v1/namespaces/${at.pod.namespace}/configmaps/${cm.name}`,
  );
  const data = (found['data'] ?? {}) as Record<string, string>;
  for (const item of cm.items) write(join(at.dir, item.path), data[item.key] ?? '');
}

/** Mints a token for the pod's ServiceAccount with the TokenRequest API, as the kubelet does. */
async function writeTokenSource(
  at: SourceTarget,
  token: NonNullable<ProjectedSource['serviceAccountToken']>,
): Promise<void> {
  const minted = await kubeOk(
    at.kube,
    `/api/v1/namespaces/${at.pod.namespace}/serviceaccounts/${at.pod.serviceAccountName}/token`,
    {
      method: 'POST',
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: token.expirationSeconds ?? 3600 },
      },
    },
  );
  write(join(at.dir, token.path), String((minted['status'] as Json)['token']));
}

/** What the kubelet would write for one projected source, read from the API server as admin. */
async function writeSource(at: SourceTarget, source: ProjectedSource): Promise<void> {
  if (source.secret) await writeSecretSource(at, source.secret);
  if (source.configMap) await writeConfigMapSource(at, source.configMap);
  if (source.serviceAccountToken) await writeTokenSource(at, source.serviceAccountToken);
  for (const item of source.downwardAPI?.items ?? []) {
    if (item.fieldRef.fieldPath !== 'metadata.namespace') {
      throw new Error(`unsupported fieldRef ${item.fieldRef.fieldPath}`);
    }
    write(join(at.dir, item.path), at.pod.namespace);
  }
}

/** Writes every volume the container mounts under `root` (emptyDir, projected). */
export async function materialise(options: {
  readonly kube: KubeApiServer;
  readonly pod: PodContext;
  readonly container: StoredContainer;
  readonly root: string;
}): Promise<Materialised> {
  const { kube, pod, container, root } = options;
  const hostPaths = new Map<string, string>();
  for (const [i, mount] of (container.volumeMounts ?? []).entries()) {
    const volume = pod.volumes.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`volume ${mount.name} is mounted but not defined`);
    const dir = join(root, `v${String(i)}`);
    mkdirSync(dir, { recursive: true });
    const projected = volume['projected'] as { sources: ProjectedSource[] } | undefined;
    if (projected) {
      for (const source of projected.sources) await writeSource({ kube, pod, dir }, source);
    } else if (volume['emptyDir'] === undefined) {
      throw new Error(`volume ${mount.name}: only emptyDir and projected volumes are materialised`);
    }
    hostPaths.set(mount.mountPath, dir);
  }
  const byLength = [...hostPaths.keys()].sort((a, b) => b.length - a.length);
  const hostPathOf = (mountPath: string): string => {
    const host = hostPaths.get(mountPath);
    if (host === undefined) throw new Error(`nothing is mounted at ${mountPath}`);
    return host;
  };
  const rewrite = (value: string): string => {
    for (const path of byLength) {
      const at = value.indexOf(path);
      if (at >= 0)
        return `${value.slice(0, at)}${hostPathOf(path)}${value.slice(at + path.length)}`;
    }
    return value;
  };
  return { rewrite, hostPathOf };
}

/** The image contract: the entrypoint runs the extproc's built `dist/bin.js`. */
export const extprocEntrypoint = [process.execPath, repoPath('apps/extproc/dist/bin.js')];

/** A container running as a process. */
export interface RunningContainer {
  readonly proc: ManagedProcess;
  /** The host port a container port (number or name) is mapped to. */
  readonly hostPortOf: (port: number | string) => number;
}

/** A free host port for each container port. */
async function mapPorts(container: StoredContainer): Promise<RunningContainer['hostPortOf']> {
  const ports = new Map<number, number>();
  for (const p of container.ports ?? []) ports.set(p.containerPort, await getFreePort());
  return (port) => {
    const containerPort =
      typeof port === 'number'
        ? port
        : container.ports?.find((p) => p.name === port)?.containerPort;
    const host = containerPort === undefined ? undefined : ports.get(containerPort);
    if (host === undefined) {
      throw new Error(`${container.name} declares no container port ${String(port)}`);
    }
    return host;
  };
}

/**
 * Starts the container's process: entrypoint + rewritten args (mount paths, the admin port), its
 * env plus what the kubelet adds (`KUBERNETES_SERVICE_HOST`/`_PORT` of the API server) and
 * `AIGW_SERVICE_ACCOUNT_DIR`, the host directory of its service-account volume.
 */
export async function runContainer(options: {
  readonly kube: KubeApiServer;
  readonly container: StoredContainer;
  readonly mounts: Materialised;
}): Promise<RunningContainer> {
  const { container, mounts } = options;
  const hostPortOf = await mapPorts(container);
  const api = new URL(options.kube.url);
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: api.hostname,
    KUBERNETES_SERVICE_PORT: api.port,
    // The test runner's own, if any, must not leak in: the container has none.
    KUBECONFIG: '',
  };
  for (const e of container.env ?? []) env[e.name] = mounts.rewrite(e.value ?? '');
  // A kubelet mounts this volume at the in-cluster path; a process is told where it is instead.
  env['AIGW_SERVICE_ACCOUNT_DIR'] = mounts.hostPathOf(serviceAccountPath);
  const rewriteArg = (arg: string): string => {
    const port = /^--admin-port=(\d+)$/.exec(arg)?.[1];
    return port === undefined
      ? mounts.rewrite(arg)
      : `--admin-port=${String(hostPortOf(Number(port)))}`;
  };
  const command = [
    ...(container.command ?? extprocEntrypoint),
    ...(container.args ?? []).map(rewriteArg),
  ];
  const [program = '', ...args] = command;
  const proc = await spawnManaged(program, args, {
    name: container.name,
    env,
    logLimit: 2_000_000,
  });
  return { proc, hostPortOf };
}

/**
 * Runs the container's readiness probe once, as the kubelet does: an `httpGet` on the (mapped)
 * port within `timeoutSeconds`; ready on a status from 200 to 399.
 */
export async function probeReadiness(
  container: StoredContainer,
  running: RunningContainer,
): Promise<boolean> {
  const probe = container.readinessProbe;
  const get = probe?.httpGet;
  if (!get) throw new Error(`${container.name} has no httpGet readiness probe`);
  const scheme = (get.scheme ?? 'HTTP').toLowerCase();
  const url = `${scheme}://127.0.0.1:${String(running.hostPortOf(get.port))}${get.path ?? '/'}`;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000),
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 400;
  } catch {
    return false; // not listening yet, or too slow: a failed probe
  }
}
