import { basename, join } from 'node:path';

import { testkitEnv } from '../config.js';
import { TestkitError } from '../errors.js';
import { which } from '../which.js';
import { fieldValue, resourceValue } from './downward.js';
import type { ImageProgram } from './images.js';
import type { KubeClient } from './kube-client.js';
import type { Container, DataObject, EnvVar, KeySelector, Pod } from './types.js';
import { serviceAccountMountPath } from './volumes.js';

/** How one container starts as a local process. */
export interface LaunchPlan {
  /** Program and arguments, with `$(VAR)` expanded and mount paths rewritten. */
  readonly argv: readonly string[];
  /** The whole environment (nothing is inherited from the test process but `PATH`). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/** What {@link planLaunch} needs. */
export interface LaunchContext {
  readonly pod: Pod;
  readonly container: Container;
  readonly client: KubeClient;
  readonly program: ImageProgram;
  /** The pod's directory (the default working directory and `HOME`). */
  readonly podDir: string;
  /** Volume name → materialised directory. */
  readonly volumeDirs: ReadonlyMap<string, string>;
  /** The automounted service-account directory, when the pod gets one. */
  readonly serviceAccountDir: string | undefined;
  /** The API server as in-cluster clients find it (`KUBERNETES_SERVICE_HOST`/`_PORT`). */
  readonly apiServer: { readonly host: string; readonly port: string };
  /** The pod's IP for `status.podIP`/`hostIP` fields (default 127.0.0.1). */
  readonly podIp?: string;
  /**
   * The container runs in its own mount namespace with its volumes at their `mountPath`s: paths
   * stay as written (a rewritten Unix socket path could exceed the 107 bytes a socket allows).
   */
  readonly isMountNamespaced?: boolean;
}

/**
 * Resolves a container into a process: the image's stand-in program (or `command[0]` mapped by
 * base name), `args`, the environment of `env`/`envFrom` (Secret and ConfigMap keys, downward API
 * fields; `$(VAR)` expanded as the kubelet does) plus `KUBERNETES_SERVICE_HOST`/`_PORT` and
 * `AIGW_SERVICE_ACCOUNT_DIR`, and every mount path that appears in the arguments, the environment
 * or `workingDir` replaced by the directory the volume was materialised in.
 *
 * @throws TestkitError `kube-error` for a missing non-optional Secret/ConfigMap key,
 *   `spawn-failed` when `command[0]` is not a known program or on PATH.
 */
export async function planLaunch(ctx: LaunchContext): Promise<LaunchPlan> {
  const { container, program } = ctx;
  const mounts = ctx.isMountNamespaced === true ? [] : mountMap(ctx);
  const rewrite = (value: string): string => rewritePaths(value, mounts);
  const env = await containerEnv(ctx);
  const expand = (value: string): string => rewrite(expandVars(value, env));
  let argv: string[];
  if (container.command !== undefined && container.command.length > 0) {
    const [first = '', ...rest] = container.command.map(expand);
    argv = [resolveProgram(first, program), ...rest, ...(container.args ?? []).map(expand)];
  } else {
    argv = [...program.entrypoint, ...(container.args ?? program.defaultArgs ?? []).map(expand)];
  }
  const rewrittenEnv = Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, rewrite(value)]),
  );
  const cwd =
    container.workingDir === undefined
      ? (program.cwd ?? ctx.podDir)
      : rewrite(container.workingDir);
  return { argv, env: rewrittenEnv, cwd };
}

/** Mount path → local path, longest first (so `/a/b` wins over `/a`). */
function mountMap(ctx: LaunchContext): [string, string][] {
  const mounts = new Map<string, string>();
  for (const mount of ctx.container.volumeMounts ?? []) {
    const dir = ctx.volumeDirs.get(mount.name);
    if (dir !== undefined) {
      mounts.set(
        trimSlash(mount.mountPath),
        mount.subPath === undefined ? dir : join(dir, mount.subPath),
      );
    }
  }
  if (ctx.serviceAccountDir !== undefined && !mounts.has(serviceAccountMountPath)) {
    mounts.set(serviceAccountMountPath, ctx.serviceAccountDir);
  }
  return [...mounts].sort(([a], [b]) => b.length - a.length);
}

/**
 * Replaces each mount path in `value` that stands as a whole path or a path prefix (starting at
 * the beginning or after a separator — space, `,` `:` `;` `=` or a quote — and followed by `/`,
 * the end or a separator) with its local directory.
 */
export function rewritePaths(
  value: string,
  mounts: readonly (readonly [string, string])[],
): string {
  let out = value;
  for (const [from, to] of mounts) {
    const pattern = new RegExp(`(?<=^|[\\s,:;="'])${escapeRegExp(from)}(?=$|[/\\s,:;="'])`, 'g');
    out = out.replace(pattern, () => to);
  }
  return out;
}

/** Kubelet's `$(VAR)` expansion: defined names are replaced, `$$` escapes, the rest stays. */
export function expandVars(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(
    /\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g,
    (whole, name: string | undefined) => {
      if (name === undefined) {
        return '$';
      }
      return env[name] ?? whole;
    },
  );
}

async function containerEnv(ctx: LaunchContext): Promise<Record<string, string>> {
  const { pod, container } = ctx;
  const env: Record<string, string> = {
    PATH: testkitEnv().path,
    HOME: ctx.podDir,
    HOSTNAME: pod.metadata.name,
    KUBERNETES_SERVICE_HOST: ctx.apiServer.host,
    KUBERNETES_SERVICE_PORT: ctx.apiServer.port,
    KUBERNETES_SERVICE_PORT_HTTPS: ctx.apiServer.port,
  };
  Object.assign(env, await envFromSources(ctx));
  for (const variable of container.env ?? []) {
    const value = await envValue(ctx, variable, env);
    if (value !== undefined) {
      env[variable.name] = value;
    }
  }
  const saDir = serviceAccountDirFor(ctx);
  if (saDir !== undefined) {
    env['AIGW_SERVICE_ACCOUNT_DIR'] = saDir;
  }
  return env;
}

async function envFromSources(ctx: LaunchContext): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const source of ctx.container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef === undefined ? 'secrets' : 'configmaps';
    const data = await readData(ctx, { kind, name: ref?.name ?? '', optional: ref?.optional });
    for (const [key, value] of data) {
      env[`${source.prefix ?? ''}${key}`] = value;
    }
  }
  return env;
}

function serviceAccountDirFor(ctx: LaunchContext): string | undefined {
  const mount = ctx.container.volumeMounts?.find(
    (m) => trimSlash(m.mountPath) === serviceAccountMountPath,
  );
  if (mount === undefined) {
    return ctx.serviceAccountDir;
  }
  const dir = ctx.volumeDirs.get(mount.name);
  return dir === undefined || mount.subPath === undefined ? dir : join(dir, mount.subPath);
}

async function envValue(
  ctx: LaunchContext,
  variable: EnvVar,
  env: Readonly<Record<string, string>>,
): Promise<string | undefined> {
  const from = variable.valueFrom;
  if (from === undefined) {
    return expandVars(variable.value ?? '', env);
  }
  if (from.fieldRef !== undefined) {
    return fieldValue(ctx.pod, from.fieldRef.fieldPath, ctx.podIp);
  }
  if (from.resourceFieldRef !== undefined) {
    return resourceValue(ctx.pod, from.resourceFieldRef, ctx.container);
  }
  return keyValue(ctx, variable);
}

async function keyValue(ctx: LaunchContext, variable: EnvVar): Promise<string | undefined> {
  const from = variable.valueFrom;
  const ref: KeySelector | undefined = from?.secretKeyRef ?? from?.configMapKeyRef;
  if (ref === undefined) {
    return undefined;
  }
  const kind = from?.secretKeyRef === undefined ? 'configmaps' : 'secrets';
  const data = await readData(ctx, { kind, name: ref.name ?? '', optional: ref.optional });
  const value = data.get(ref.key);
  if (value === undefined && ref.optional !== true) {
    throw new TestkitError(
      'kube-error',
      `env ${variable.name}: key ${ref.key} not found in ${kind === 'secrets' ? 'secret' : 'configmap'} ${ref.name ?? ''}`,
    );
  }
  return value;
}

async function readData(
  ctx: LaunchContext,
  ref: { kind: 'secrets' | 'configmaps'; name: string; optional: boolean | undefined },
): Promise<Map<string, string>> {
  const namespace = ctx.pod.metadata.namespace ?? 'default';
  const object = await ctx.client.get<DataObject>(
    `/api/v1/namespaces/${namespace}/${ref.kind}/${ref.name}`,
  );
  if (object === undefined) {
    if (ref.optional === true) {
      return new Map();
    }
    throw new TestkitError(
      'kube-error',
      `${ref.kind === 'secrets' ? 'secret' : 'configmap'} "${ref.name}" not found`,
    );
  }
  const decode = (value: string): string =>
    ref.kind === 'secrets' ? Buffer.from(value, 'base64').toString('utf8') : value;
  return new Map(Object.entries(object.data ?? {}).map(([key, value]) => [key, decode(value)]));
}

function resolveProgram(command: string, program: ImageProgram): string {
  const mapped = program.programs?.[basename(command)];
  if (mapped !== undefined) {
    return mapped;
  }
  const found = which(command);
  if (found === undefined) {
    throw new TestkitError(
      'spawn-failed',
      `command ${command} is neither a program the image rule maps nor on PATH`,
    );
  }
  return found;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
