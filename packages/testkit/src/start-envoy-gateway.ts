import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { stringify } from 'yaml';

import { TestkitError } from './errors.js';
import { findBinary } from './find-binary.js';
import { findRepoRoot } from './find-repo-root.js';
import { spawnManaged, type ManagedProcess } from './spawn-managed.js';
import { removeTempDir, tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';
import { isExecutableFile, which } from './which.js';

const run = promisify(execFile);

/** Envoy Gateway's xDS server port (not configurable). */
export const xdsPort = 18000;

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => {
      resolve(false);
    });
  });
}

/**
 * The Envoy version Envoy Gateway v1.8 asks func-e for (its default image `distroless-v1.38.1`):
 * our Envoy binary is linked at func-e's path for it, so nothing is downloaded.
 */
export const envoyGatewayEnvoyVersion = '1.38.1';

/** Options for {@link startEnvoyGateway}. */
export interface StartEnvoyGatewayOptions {
  /** The directory the File provider watches (Gateway, HTTPRoutes, Backends, … as YAML). */
  readonly resourcesDir: string;
  /** Where Envoy Gateway calls the extension server (`extensionManager.service.fqdn`). */
  readonly extensionServer: { readonly host: string; readonly port: number };
  /** Extra `extensionManager` fields, e.g. `{ failOpen: true }`. */
  readonly extensionManager?: Readonly<Record<string, unknown>>;
  /** Name in logs and errors (default `envoy-gateway`). */
  readonly name?: string;
  /** Envoy Gateway's log level (default `info`). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** A running Envoy Gateway (File provider, Host infrastructure) started by {@link startEnvoyGateway}. */
export interface EnvoyGatewayProcess {
  readonly name: string;
  readonly pid: number;
  /** Its temp dir (config, certs, func-e homes); removed on stop. */
  readonly dir: string;
  /** Envoy Gateway's output, including the Envoy it runs (func-e passes Envoy's output through). */
  logs(): string;
  /**
   * The admin URL of the Envoy that Envoy Gateway started (ephemeral port, read from func-e's
   * `admin-address.txt`), once it answers `/ready`.
   */
  envoyAdminUrl(options?: { timeoutMs?: number }): Promise<string>;
  /** Stops Envoy Gateway (which stops its Envoy), kills an Envoy left behind, removes the dir. */
  stop(): Promise<void>;
}

/**
 * Locates envoy-gateway: `ENVOY_GATEWAY_BIN`, then `.tools/bin/envoy-gateway` (built by
 * `scripts/bootstrap.sh --test`), then `PATH`.
 *
 * @throws TestkitError `binary-not-found`.
 */
export function findEnvoyGateway(): string {
  const fromEnv = process.env.ENVOY_GATEWAY_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutableFile(fromEnv)) {
      throw new TestkitError(
        'binary-not-found',
        `ENVOY_GATEWAY_BIN=${fromEnv} is not an executable file`,
      );
    }
    return fromEnv;
  }
  const root = findRepoRoot();
  const cached = root === undefined ? undefined : join(root, '.tools', 'bin', 'envoy-gateway');
  const found = cached !== undefined && isExecutableFile(cached) ? cached : which('envoy-gateway');
  if (found === undefined) {
    throw new TestkitError(
      'binary-not-found',
      'envoy-gateway not found: set ENVOY_GATEWAY_BIN, or run `bash scripts/bootstrap.sh --test` (builds it into .tools/bin)',
    );
  }
  return found;
}

/**
 * The `extensionManager` of an EnvoyGateway config calling our extension server with every
 * resource, on the hooks it implements (shared by the File/Host and Kubernetes set-ups).
 */
export function extensionManagerConfig(
  server: { readonly host: string; readonly port: number },
  extra: Readonly<Record<string, unknown>> = {},
): object {
  return {
    hooks: {
      xdsTranslator: {
        translation: {
          listener: { includeAll: true },
          route: { includeAll: true },
          cluster: { includeAll: true },
          secret: { includeAll: true },
        },
        post: ['Translation', 'Cluster', 'Route', 'Endpoints'],
      },
    },
    service: { fqdn: { hostname: server.host, port: server.port } },
    ...extra,
  };
}

/** The EnvoyGateway config: File resources, Host infrastructure in `dir`, our extension server. */
function gatewayConfig(options: StartEnvoyGatewayOptions, dir: string): object {
  const home = (name: string): string => join(dir, name);
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'EnvoyGateway',
    gateway: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
    logging: { level: { default: options.logLevel ?? 'info' } },
    provider: {
      type: 'Custom',
      custom: {
        resource: { type: 'File', file: { paths: [options.resourcesDir] } },
        infrastructure: {
          type: 'Host',
          host: {
            configHome: home('config'),
            dataHome: home('data'),
            stateHome: home('state'),
            runtimeDir: home('run'),
          },
        },
      },
    },
    extensionApis: { enableBackend: true },
    extensionManager: extensionManagerConfig(options.extensionServer, options.extensionManager),
  };
}

/** Pids of processes whose command line mentions `dir` (the Envoy func-e started for us). */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return join(entry.parentPath, entry.name);
  }
  return undefined;
}

/**
 * Starts a real Envoy Gateway without Kubernetes or Docker: `certgen --local`, then `server` with
 * the File provider on `resourcesDir` and the Host infrastructure, whose func-e finds our Envoy at
 * `<dataHome>/envoy-versions/1.38.1/bin/envoy`. Resolves once Envoy Gateway runs; the Envoy it
 * starts appears when a Gateway is translated ({@link EnvoyGatewayProcess.envoyAdminUrl}). Its
 * xDS (18000), admin (19000) and metrics (19001) ports are fixed: one instance per machine.
 *
 * Give the GatewayClass an EnvoyProxy with `extraArgs: [--disable-hot-restart]`: Host-mode Envoy
 * otherwise takes hot-restart base id 0, which other Envoys on the machine may hold.
 */
export async function startEnvoyGateway(
  options: StartEnvoyGatewayOptions,
): Promise<EnvoyGatewayProcess> {
  const name = options.name ?? 'envoy-gateway';
  const binary = findEnvoyGateway();
  const dir = tempDir('eg');
  let proc: ManagedProcess;
  try {
    const envoyDir = join(dir, 'data', 'envoy-versions', envoyGatewayEnvoyVersion, 'bin');
    mkdirSync(envoyDir, { recursive: true });
    symlinkSync(findBinary('envoy'), join(envoyDir, 'envoy'));
    await run(binary, ['certgen', '--local', '--config-home', join(dir, 'config')]);
    const configPath = join(dir, 'envoy-gateway.yaml');
    await writeFile(configPath, stringify(gatewayConfig(options, dir)));
    proc = await spawnManaged(binary, ['server', '--config-path', configPath], {
      name,
      cwd: dir,
      onStopped: async () => {
        // An Envoy func-e left behind (Envoy Gateway was killed): kill it and let it exit before
        // the directory goes, or it may write into it again.
        const left = processesUnder(dir);
        for (const pid of left) process.kill(pid, 'SIGKILL');
        await waitFor(() => left.every((pid) => !existsSync(`/proc/${String(pid)}`)), {
          timeoutMs: 10_000,
          description: `the Envoy of ${name} to exit`,
        }).catch(() => undefined);
        await removeTempDir(dir);
      },
    });
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  const envoyAdminUrl = async (wait: { timeoutMs?: number } = {}): Promise<string> => {
    let url: string | undefined;
    await proc.untilReady(
      async () => {
        const file = url === undefined ? findFile(dir, 'admin-address.txt') : undefined;
        if (file !== undefined) {
          const address = readFileSync(file, 'utf8').trim();
          if (address !== '') url = `http://${address}`;
        }
        if (url === undefined) return false;
        const response = await fetch(new URL('/ready', url), {
          signal: AbortSignal.timeout(2_000),
        });
        await response.body?.cancel();
        return response.status === 200;
      },
      {
        timeoutMs: wait.timeoutMs ?? 60_000,
        intervalMs: 200,
        description: 'the Envoy of Envoy Gateway to be ready',
      },
    );
    return url ?? '';
  };
  // Ready when the xDS server (the fixed port 18000) accepts connections.
  await proc.untilReady(() => accepts(xdsPort), {
    timeoutMs: 60_000,
    intervalMs: 100,
    description: `Envoy Gateway's xDS server on 127.0.0.1:${String(xdsPort)}`,
  });
  return {
    name,
    pid: proc.pid,
    dir,
    logs: () => proc.logs(),
    envoyAdminUrl,
    stop: () => proc.stop(),
  };
}
