import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { TestkitError } from '../errors.js';
import { writeAtomicDir, type VolumeFile } from './atomic-dir.js';
import { fieldValue, resourceValue } from './downward.js';
import type { KubeClient } from './kube-client.js';
import type {
  DataObject,
  DownwardApiFile,
  KeyToPath,
  Pod,
  Volume,
  VolumeProjection,
} from './types.js';

/** Where the in-cluster client libraries look for the pod's service-account files. */
export const serviceAccountMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What a pod's volumes need from outside: the API, the pod's directory, the cluster CA. */
export interface VolumeContext {
  readonly pod: Pod;
  readonly client: KubeClient;
  /** The pod's directory; volumes go to `<dir>/volumes/<name>`. */
  readonly dir: string;
  /** PEM of the API server's CA, written as `ca.crt` of the automounted token directory. */
  readonly caPem: string;
  /** The pod's IP for `status.podIP`/`hostIP` downward files (default 127.0.0.1). */
  readonly podIp?: string;
}

interface CachedToken {
  readonly token: string;
  readonly refreshAtMs: number;
}

/**
 * Materialises a pod's volumes as directories and keeps them current: call {@link sync} again to
 * pick up changed Secrets and ConfigMaps (rewritten atomically, as a kubelet does) and to refresh
 * service-account tokens that passed 80 % of their lifetime.
 */
export class PodVolumes {
  readonly #ctx: VolumeContext;
  readonly #digests = new Map<string, string>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #dirs = new Map<string, string>();

  constructor(ctx: VolumeContext) {
    this.#ctx = ctx;
  }

  /** Volume name → its directory (or file, for a hostPath), once {@link sync} has run. */
  get dirs(): ReadonlyMap<string, string> {
    return this.#dirs;
  }

  /**
   * Writes every volume, and the automounted service-account directory when `automount` is set.
   *
   * @throws TestkitError `kube-error` for a missing non-optional Secret or ConfigMap, a failed
   *   TokenRequest; `invalid-argument` for a volume type the agent does not run.
   */
  async sync(automount: boolean): Promise<void> {
    for (const volume of this.#ctx.pod.spec.volumes ?? []) {
      this.#dirs.set(volume.name, await this.#syncVolume(volume));
    }
    if (automount) {
      const dir = join(this.#ctx.dir, 'serviceaccount');
      await this.#write(dir, await this.#serviceAccountFiles());
    }
  }

  /** The automounted service-account directory (token, ca.crt, namespace). */
  get serviceAccountDir(): string {
    return join(this.#ctx.dir, 'serviceaccount');
  }

  async #syncVolume(volume: Volume): Promise<string> {
    if (volume.hostPath !== undefined) {
      return volume.hostPath.path;
    }
    const dir = join(this.#ctx.dir, 'volumes', volume.name);
    if (volume.emptyDir !== undefined) {
      await mkdir(dir, { recursive: true });
      return dir;
    }
    const files = await this.#filesOf(volume);
    await this.#write(dir, files);
    return dir;
  }

  async #filesOf(volume: Volume): Promise<Map<string, VolumeFile>> {
    const files = new Map<string, VolumeFile>();
    const { secret, configMap, projected, downwardAPI } = volume;
    if (secret !== undefined) {
      const source = { ...secret, name: secret.secretName };
      await this.#addData(files, { kind: 'secrets', source, mode: secret.defaultMode });
    } else if (configMap !== undefined) {
      await this.#addData(files, {
        kind: 'configmaps',
        source: configMap,
        mode: configMap.defaultMode,
      });
    } else if (downwardAPI !== undefined) {
      this.#addDownward(files, downwardAPI.items ?? [], downwardAPI.defaultMode);
    } else if (projected !== undefined) {
      for (const source of projected.sources ?? []) {
        await this.#addProjection(files, source, projected.defaultMode);
      }
    } else {
      throw new TestkitError(
        'invalid-argument',
        `volume ${volume.name}: only emptyDir, hostPath, secret, configMap, projected and downwardAPI volumes run on the test node`,
      );
    }
    return files;
  }

  async #addProjection(
    files: Map<string, VolumeFile>,
    source: VolumeProjection,
    mode: number | undefined,
  ): Promise<void> {
    if (source.secret !== undefined) {
      await this.#addData(files, { kind: 'secrets', source: source.secret, mode });
    } else if (source.configMap !== undefined) {
      await this.#addData(files, { kind: 'configmaps', source: source.configMap, mode });
    } else if (source.downwardAPI !== undefined) {
      this.#addDownward(files, source.downwardAPI.items ?? [], mode);
    } else if (source.serviceAccountToken !== undefined) {
      const { path, audience, expirationSeconds } = source.serviceAccountToken;
      const token = await this.#token(audience, expirationSeconds);
      files.set(path, { data: Buffer.from(token), mode: mode ?? 0o600 });
    }
  }

  async #addData(
    files: Map<string, VolumeFile>,
    from: {
      kind: 'secrets' | 'configmaps';
      source: { name?: string | undefined; items?: readonly KeyToPath[]; optional?: boolean };
      mode: number | undefined;
    },
  ): Promise<void> {
    const { kind, source } = from;
    const namespace = this.#ctx.pod.metadata.namespace ?? 'default';
    const object = await this.#ctx.client.get<DataObject>(
      `/api/v1/namespaces/${namespace}/${kind}/${source.name ?? ''}`,
    );
    if (object === undefined) {
      if (source.optional === true) {
        return;
      }
      throw new TestkitError(
        'kube-error',
        `${kind === 'secrets' ? 'secret' : 'configmap'} "${source.name ?? ''}" not found`,
      );
    }
    addItems(files, { data: dataOf(object, kind), source, mode: from.mode });
  }

  #addDownward(
    files: Map<string, VolumeFile>,
    items: readonly DownwardApiFile[],
    mode: number | undefined,
  ): void {
    const pod = this.#ctx.pod;
    for (const item of items) {
      const value =
        item.fieldRef === undefined
          ? item.resourceFieldRef === undefined
            ? ''
            : resourceValue(pod, item.resourceFieldRef)
          : fieldValue(pod, item.fieldRef.fieldPath, this.#ctx.podIp);
      files.set(item.path, { data: Buffer.from(value), mode: item.mode ?? mode ?? 0o644 });
    }
  }

  async #serviceAccountFiles(): Promise<Map<string, VolumeFile>> {
    const token = await this.#token(undefined, undefined);
    return new Map<string, VolumeFile>([
      ['token', { data: Buffer.from(token), mode: 0o600 }],
      ['ca.crt', { data: Buffer.from(this.#ctx.caPem) }],
      ['namespace', { data: Buffer.from(this.#ctx.pod.metadata.namespace ?? 'default') }],
    ]);
  }

  /** A token for the pod's ServiceAccount, bound to the pod, from the TokenRequest API. */
  async #token(
    audience: string | undefined,
    expirationSeconds: number | undefined,
  ): Promise<string> {
    const key = `${audience ?? ''}/${String(expirationSeconds ?? '')}`;
    const cached = this.#tokens.get(key);
    if (cached !== undefined && Date.now() < cached.refreshAtMs) {
      return cached.token;
    }
    const { metadata, spec } = this.#ctx.pod;
    const seconds = Math.max(expirationSeconds ?? 3600, 600);
    // Without the ServiceAccount admission plugin (the harness disables it) an unset name stays
    // unset, and the API refuses to bind a token of `default` to such a pod: mint it unbound.
    const account = spec.serviceAccountName ?? 'default';
    const boundObjectRef =
      spec.serviceAccountName === undefined
        ? undefined
        : { apiVersion: 'v1', kind: 'Pod', name: metadata.name, uid: metadata.uid };
    const answer = await this.#ctx.client.send<{ status: { token: string } }>(
      `/api/v1/namespaces/${metadata.namespace ?? 'default'}/serviceaccounts/${account}/token`,
      {
        method: 'POST',
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            ...(audience === undefined ? {} : { audiences: [audience] }),
            expirationSeconds: seconds,
            ...(boundObjectRef === undefined ? {} : { boundObjectRef }),
          },
        },
      },
    );
    const token = answer.status.token;
    this.#tokens.set(key, { token, refreshAtMs: Date.now() + seconds * 800 });
    return token;
  }

  async #write(dir: string, files: ReadonlyMap<string, VolumeFile>): Promise<void> {
    const { digest } = await writeAtomicDir(dir, files, this.#digests.get(dir));
    this.#digests.set(dir, digest);
  }
}

function addItems(
  files: Map<string, VolumeFile>,
  from: {
    data: ReadonlyMap<string, Buffer>;
    source: { name?: string | undefined; items?: readonly KeyToPath[]; optional?: boolean };
    mode: number | undefined;
  },
): void {
  const { data, source } = from;
  const items: readonly KeyToPath[] =
    source.items ?? [...data.keys()].map((key) => ({ key, path: key }));
  for (const item of items) {
    const value = data.get(item.key);
    if (value !== undefined) {
      files.set(item.path, { data: value, mode: item.mode ?? from.mode ?? 0o644 });
    } else if (source.optional !== true) {
      throw new TestkitError('kube-error', `key ${item.key} not found in ${source.name ?? ''}`);
    }
  }
}

function dataOf(object: DataObject, kind: 'secrets' | 'configmaps'): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(object.data ?? {})) {
    data.set(key, kind === 'secrets' ? Buffer.from(value, 'base64') : Buffer.from(value));
  }
  for (const [key, value] of Object.entries(object.binaryData ?? {})) {
    data.set(key, Buffer.from(value, 'base64'));
  }
  return data;
}
