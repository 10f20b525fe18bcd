import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { adminRequest, parseListenerPorts, parseStats, type AdminMethod } from './envoy-admin.js';
import { TestkitError } from './errors.js';
import { findBinary } from './find-binary.js';
import { spawnManaged, type ExitStatus, type ManagedProcess } from './spawn-managed.js';
import { removeTempDir, tempDir } from './temp-dir.js';

/** Options for {@link startEnvoy}. */
export interface StartEnvoyOptions {
  /**
   * The Envoy v3 bootstrap as a plain object. Unless it sets `admin.address`, the harness binds
   * the admin API to 127.0.0.1 on an ephemeral port. Listeners may use `port_value: 0`.
   */
  readonly bootstrap: object;
  /** Envoy `-l` log level (default `info`). */
  readonly logLevel?: string;
  /** Envoy `--component-log-level`, e.g. `'ext_proc:debug,http:debug'`. */
  readonly componentLogLevel?: string;
  /** Name in logs and errors (default `envoy`). */
  readonly name?: string;
  /** How long to wait for admin `/ready` (default 20 s). */
  readonly timeoutMs?: number;
  /** Worker threads (`--concurrency`, default 1). */
  readonly concurrency?: number;
  /** Further command-line arguments, appended last. */
  readonly extraArgs?: readonly string[];
  /** Extra environment variables for the Envoy process. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running Envoy started by {@link startEnvoy}. */
export interface EnvoyProcess {
  /** Name in logs and errors. */
  readonly name: string;
  /** The Envoy process id. */
  readonly pid: number;
  /** Base URL of the admin API, e.g. `http://127.0.0.1:40123`. */
  readonly adminUrl: string;
  /** Path of the bootstrap file Envoy was started with. */
  readonly configPath: string;
  /** The instance's temp dir (removed on stop); a good place for Unix sockets. */
  readonly dir: string;
  /** Settles when Envoy has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Envoy's combined stdout/stderr so far (bounded tail). */
  logs(): string;
  /** Calls an admin endpoint, e.g. `admin('/config_dump')`, and returns the body. */
  admin(path: string, method?: AdminMethod): Promise<string>;
  /** The TCP port the listener called `name` is bound to (resolves `port_value: 0`). */
  listenerPort(name: string): Promise<number>;
  /** `http://127.0.0.1:<port>` for the listener called `name`. */
  listenerUrl(name: string): Promise<string>;
  /** Counters and gauges from admin `/stats`, optionally narrowed by a regex `filter`. */
  stats(filter?: string): Promise<Record<string, number>>;
  /** Stops Envoy (SIGTERM, then SIGKILL) and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a real Envoy from `options.bootstrap` and resolves once admin `/ready` answers 200
 * (`LIVE`). Runs with `--disable-hot-restart`, so parallel instances never clash over shared
 * memory or base ids.
 *
 * @throws TestkitError `process-exited` (e.g. an invalid bootstrap) or `timeout`; the message
 * ends with the tail of Envoy's log.
 */
export async function startEnvoy(options: StartEnvoyOptions): Promise<EnvoyProcess> {
  const name = options.name ?? 'envoy';
  const binary = findBinary('envoy');
  const dir = tempDir(name);
  const configPath = join(dir, 'envoy.yaml');
  const addressPath = join(dir, 'admin-address');
  let proc: ManagedProcess;
  try {
    await writeFile(configPath, stringify(withAdminAddress(options.bootstrap)));
    proc = await spawnManaged(binary, envoyArgs(options, { configPath, addressPath }), {
      name,
      cwd: dir,
      ...(options.env === undefined ? {} : { env: options.env }),
      onStopped: () => removeTempDir(dir),
    });
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  const adminUrl = await waitForAdmin(proc, {
    addressPath,
    timeoutMs: options.timeoutMs ?? 20_000,
  });
  return envoyHandle(proc, { adminUrl, configPath, dir });
}

function envoyArgs(
  options: StartEnvoyOptions,
  paths: { configPath: string; addressPath: string },
): string[] {
  const args = [
    ...['-c', paths.configPath, '--admin-address-path', paths.addressPath],
    ...['--disable-hot-restart', '--concurrency', String(options.concurrency ?? 1)],
    ...['-l', options.logLevel ?? 'info'],
  ];
  if (options.componentLogLevel !== undefined) {
    args.push('--component-log-level', options.componentLogLevel);
  }
  return [...args, ...(options.extraArgs ?? [])];
}

function withAdminAddress(bootstrap: object): object {
  const admin: unknown = (bootstrap as { admin?: unknown }).admin;
  const adminObject = typeof admin === 'object' && admin !== null ? admin : {};
  if ('address' in adminObject) {
    return bootstrap;
  }
  const address = { socket_address: { address: '127.0.0.1', port_value: 0 } };
  return { ...bootstrap, admin: { ...adminObject, address } };
}

async function waitForAdmin(
  proc: ManagedProcess,
  target: { addressPath: string; timeoutMs: number },
): Promise<string> {
  let adminUrl: string | undefined;
  await proc.untilReady(
    async () => {
      // Envoy writes the file once the admin listener is bound; it stays empty until then.
      adminUrl ??= await readAdminUrl(target.addressPath);
      return adminUrl !== undefined && (await isLive(adminUrl));
    },
    { timeoutMs: target.timeoutMs, intervalMs: 50, description: 'admin /ready to return 200' },
  );
  if (adminUrl === undefined) {
    throw new TestkitError('admin-error', `${proc.name}: admin address unknown after readiness`);
  }
  return adminUrl;
}

async function readAdminUrl(addressPath: string): Promise<string | undefined> {
  try {
    const address = (await readFile(addressPath, 'utf8')).trim();
    return address === '' ? undefined : `http://${address}`;
  } catch {
    return undefined;
  }
}

async function isLive(adminUrl: string): Promise<boolean> {
  const response = await fetch(new URL('/ready', adminUrl), { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.status === 200;
}

function envoyHandle(
  proc: ManagedProcess,
  where: { adminUrl: string; configPath: string; dir: string },
): EnvoyProcess {
  const admin = (path: string, method?: AdminMethod): Promise<string> =>
    adminRequest(where.adminUrl, path, method);
  const listenerPort = async (name: string): Promise<number> =>
    portOf(name, parseListenerPorts(JSON.parse(await admin('/listeners?format=json'))));
  return {
    name: proc.name,
    pid: proc.pid,
    ...where,
    exited: proc.exited,
    logs: () => proc.logs(),
    admin,
    listenerPort,
    listenerUrl: async (name) => `http://127.0.0.1:${String(await listenerPort(name))}`,
    stats: async (filter) => {
      const query = filter === undefined ? '' : `&filter=${encodeURIComponent(filter)}`;
      return parseStats(JSON.parse(await admin(`/stats?format=json${query}`)));
    },
    stop: () => proc.stop(),
  };
}

function portOf(name: string, ports: Map<string, number | undefined>): number {
  const port = ports.get(name);
  if (port === undefined) {
    const known = [...ports.keys()].join(', ');
    throw new TestkitError(
      'listener-not-found',
      `Envoy has no TCP listener named ${JSON.stringify(name)} (listeners: ${known || 'none'})`,
    );
  }
  return port;
}
