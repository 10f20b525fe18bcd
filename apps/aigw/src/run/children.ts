import { formatEndpointPrefixes, type EndpointLayout } from '@aigw/gateway-config';
import type { Logger } from 'pino';
import { describeExit, startChild, type Child } from './child.js';
import { activeClusters, envoyReady, grpcServing, listenerStatus } from './probes.js';
import { waitReady } from './wait-ready.js';

type Env = Readonly<Record<string, string | undefined>>;
type LogLevel = Logger['level'];

/** What the three children need to know. */
export interface ChildContext {
  readonly env: Env;
  /** Where prefixed child output goes. */
  readonly output: (text: string) => void;
  /** pino level and format for the extproc and the rate limiter. */
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  /** Envoy `-l` level. */
  readonly envoyLogLevel: string;
  readonly stateDir: string;
}

const startTimeoutMs = 30_000;

/** How often the extproc checks its filter config and credential files. */
export const extprocPollMs = 100;

/**
 * Node flags of the extproc: a 1 MiB young-generation semi-space instead of Node's default (grown
 * to 16 MiB under load and kept). Measured with `pnpm bench --quick`: RSS under load 229 → 114–145
 * MiB, no visible cost in extproc CPU per request (docs/performance.md, Memory). Before the
 * script, not in NODE_OPTIONS, so that nothing the child starts inherits them.
 */
export const extprocNodeFlags: readonly string[] = ['--max-semi-space-size=1'];

/**
 * Node flags of the rate limiter: a 4 MiB semi-space. Smaller ones cost the Redis path decisions
 * per second (1 MiB: about −35% at c=64); 4 MiB measured level with the default and under load
 * 178–277 → 143–181 MiB (docs/performance.md, Memory).
 */
export const ratelimitNodeFlags: readonly string[] = ['--max-semi-space-size=4'];

/** The extproc as a child: gRPC on the Unix socket, polling the filter config file. */
export function startExtproc(
  context: ChildContext,
  app: { bin: string; socket: string; config: string; endpoints?: EndpointLayout },
): Promise<Child> {
  const endpoints = app.endpoints;
  return startChild({
    name: 'extproc',
    command: process.execPath,
    args: [
      ...extprocNodeFlags,
      app.bin,
      ...[
        '--address',
        `unix:${app.socket}`,
        '--config',
        app.config,
        '--config-poll-ms',
        String(extprocPollMs),
      ],
      ...['--log-level', context.logLevel, '--log-format', context.logFormat],
      ...(endpoints === undefined
        ? []
        : [
            ...['--root-prefix', endpoints.rootPrefix],
            ...['--endpoint-prefixes', formatEndpointPrefixes(endpoints.prefixes)],
          ]),
    ],
    env: context.env,
    cwd: context.stateDir,
    output: context.output,
  });
}

/** How the rate limiter keeps its counters. */
export type RateLimitStore = { kind: 'memory' } | { kind: 'redis'; url: string };

/** The rate limiter as a child: gRPC on 127.0.0.1:`port`, polling the rules directory. */
export function startRateLimit(
  context: ChildContext,
  app: { bin: string; port: number; rulesDir: string; store: RateLimitStore },
): Promise<Child> {
  // The Redis URL may hold a password: pass it in the environment, not in the (world-readable)
  // command line.
  const store = app.store.kind === 'redis' ? { AIGW_RATELIMIT_REDIS_URL: app.store.url } : {};
  return startChild({
    name: 'ratelimit',
    command: process.execPath,
    args: [
      ...ratelimitNodeFlags,
      app.bin,
      ...['--address', `127.0.0.1:${String(app.port)}`, '--config-dir', app.rulesDir],
      ...['--config-poll-ms', '250', '--store', app.store.kind],
      ...['--log-level', context.logLevel, '--log-format', context.logFormat],
    ],
    env: { ...context.env, ...store },
    cwd: context.stateDir,
    output: context.output,
  });
}

/** Envoy as a child, from the bootstrap in the state directory. */
export function startEnvoy(
  context: ChildContext,
  app: { bin: string; bootstrap: string },
): Promise<Child> {
  return startChild({
    name: 'envoy',
    command: app.bin,
    args: [
      // No hot restart: nothing shares Envoy's shared memory, so several gateways can run.
      ...['-c', app.bootstrap, '--disable-hot-restart', '-l', context.envoyLogLevel],
      // Access log lines within a quarter second (Envoy buffers them for 10 s by default).
      ...['--file-flush-interval-msec', '250'],
    ],
    env: context.env,
    cwd: context.stateDir,
    output: context.output,
  });
}

/** Waits for one child to be ready, giving up when any child dies or `signal` fires. */
export interface ReadyContext {
  readonly anyExit: Promise<string>;
  readonly signal: AbortSignal;
}

/** Until the gRPC health service of `target` says SERVING. */
export function grpcReady(target: string, what: string, context: ReadyContext): Promise<void> {
  return waitReady(() => grpcServing(target), {
    description: `${what} to report SERVING`,
    timeoutMs: startTimeoutMs,
    exited: context.anyExit,
    signal: context.signal,
  });
}

/** Until admin `/ready` is 200 and the listener answers HTTP. */
export async function envoyAndListenerReady(
  ports: { admin: number; listen: number },
  context: ReadyContext,
): Promise<void> {
  const options = { timeoutMs: startTimeoutMs, exited: context.anyExit, signal: context.signal };
  await waitReady(() => envoyReady(ports.admin), {
    ...options,
    description: `envoy admin http://127.0.0.1:${String(ports.admin)}/ready to return 200`,
  });
  // The extproc answers GET / with a 404; a 5xx would mean Envoy cannot reach it yet.
  await waitReady(async () => (await listenerStatus(ports.listen)) < 500, {
    ...options,
    description: `the gateway listener on port ${String(ports.listen)} to answer`,
  });
}

/**
 * Until Envoy has every cluster in `names` active (a CDS file update applied), so the extproc is
 * not told to route to a cluster Envoy does not know yet. Gives up quietly after `timeoutMs`.
 */
export async function clustersActive(
  adminPort: number,
  names: readonly string[],
  timeoutMs: number,
): Promise<boolean> {
  try {
    await waitReady(
      async () => {
        const active = await activeClusters(adminPort);
        return names.every((name) => active.has(name));
      },
      { description: 'envoy to apply the clusters', timeoutMs, intervalMs: 20 },
    );
    return true;
  } catch {
    return false;
  }
}

/** Settles with `"<name> exited with code 1"` when the first of `children` exits. */
export function firstExit(children: readonly Child[]): Promise<string> {
  return Promise.race(
    children.map((child) =>
      child.exited.then((status) => `${child.name} exited with ${describeExit(status)}`),
    ),
  );
}
