/**
 * Runs an injected container as a process on this machine, the way the kubelet would: its
 * volumes materialised as files (Secrets and a minted service-account token written out, the
 * emptyDir a directory), its command from the image contract (docs/webhook.md: the entrypoint
 * runs apps/extproc/dist/bin.js), its args and env as stored.
 *
 * Mount paths become directories under a temp dir, and the args and probe command that name them
 * are rewritten to match — except the service-account directory, which the extproc reads by its
 * fixed path (`@aigw/kube-config`'s in-cluster default, with no flag to move it): the process runs
 * in its own mount namespace (`unshare --user --map-root-user --mount`) where that directory is
 * bind-mounted over an empty tmpfs at /var/run, so nothing outside the test sees it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnManaged, type KubeApiServer, type ManagedProcess } from '@aigw/testkit';
import { kubeOk, repoPath } from './webhook-kit.js';

type Json = Record<string, unknown>;

/** A container as stored (the fields used here). */
export interface StoredContainer {
  readonly name: string;
  readonly args?: string[];
  readonly command?: string[];
  readonly env?: { name: string; value?: string }[];
  readonly volumeMounts?: { name: string; mountPath: string }[];
  readonly readinessProbe?: { exec?: { command: string[] } };
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
      if (path === serviceAccountPath) continue;
      const at = value.indexOf(path);
      if (at >= 0)
        return `${value.slice(0, at)}${hostPathOf(path)}${value.slice(at + path.length)}`;
    }
    return value;
  };
  return { rewrite, hostPathOf };
}

/** Whether this machine lets an unprivileged process make its own user and mount namespaces. */
export function canUnshare(): boolean {
  return spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']).status === 0;
}

/** The image contract: the entrypoint runs the extproc's built `dist/bin.js`. */
export const extprocEntrypoint = [process.execPath, repoPath('apps/extproc/dist/bin.js')];

/**
 * Starts the container's process: entrypoint + rewritten args, its env plus what the kubelet
 * adds (`KUBERNETES_SERVICE_HOST`/`_PORT` of the API server), and its service-account volume at
 * the in-cluster path inside a private mount namespace.
 */
export async function runContainer(options: {
  readonly kube: KubeApiServer;
  readonly container: StoredContainer;
  readonly mounts: Materialised;
}): Promise<ManagedProcess> {
  const { container, mounts } = options;
  const api = new URL(options.kube.url);
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: api.hostname,
    KUBERNETES_SERVICE_PORT: api.port,
    // The test runner's own, if any, must not leak in: the container has none.
    KUBECONFIG: '',
  };
  for (const e of container.env ?? []) env[e.name] = mounts.rewrite(e.value ?? '');
  const command = [
    ...(container.command ?? extprocEntrypoint),
    ...(container.args ?? []).map(mounts.rewrite),
  ];
  const varRun = realpathSync('/var/run');
  const script =
    'set -e; mount -t tmpfs tmpfs "$1"; mkdir -p "$1/secrets/kubernetes.io/serviceaccount"; ' +
    'mount --bind "$2" "$1/secrets/kubernetes.io/serviceaccount"; shift 2; exec "$@"';
  return spawnManaged(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '--mount',
      'sh',
      '-c',
      script,
      'sh',
      varRun,
      mounts.hostPathOf(serviceAccountPath),
      ...command,
    ],
    { name: container.name, env, logLimit: 2_000_000 },
  );
}

/** Runs the container's readiness probe command (exec) once, with paths rewritten; true on exit 0. */
export function runReadinessProbe(container: StoredContainer, mounts: Materialised): boolean {
  const command = container.readinessProbe?.exec?.command;
  if (!command || command.length === 0)
    throw new Error(`${container.name} has no exec readiness probe`);
  const [program, ...args] = command.map(mounts.rewrite);
  // `node` in the image is this Node.
  const result = spawnSync(program === 'node' ? process.execPath : String(program), args, {
    timeout: 10_000,
  });
  return result.status === 0;
}
