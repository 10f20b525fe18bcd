import { findBinary } from './find-binary.js';
import { getFreePort } from './get-free-port.js';
import { isTestkitError } from './errors.js';
import { RespClient } from './resp-client.js';
import { socketPath } from './socket-path.js';
import { spawnManaged, type ExitStatus, type ManagedProcess } from './spawn-managed.js';
import { removeTempDir, tempDir } from './temp-dir.js';

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** How long to wait for PING → PONG (default 10 s). */
  readonly timeoutMs?: number;
  /** Name in logs and errors (default `redis`). */
  readonly name?: string;
  /** Further `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  readonly extraArgs?: readonly string[];
}

/** A running Redis started by {@link startRedis}. */
export interface RedisProcess {
  /** Name in logs and errors. */
  readonly name: string;
  /** The redis-server process id. */
  readonly pid: number;
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port Redis listens on. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Unix socket Redis also listens on. */
  readonly socketPath: string;
  /** Settles when Redis has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Redis's output so far (bounded tail). */
  logs(): string;
  /** Opens a new {@link RespClient} to this Redis; the caller closes it. */
  client(): Promise<RespClient>;
  /** Stops Redis (SIGTERM, then SIGKILL) and removes its temp dir; idempotent. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const maxAttempts = 3;

/**
 * Starts a throwaway `redis-server` (no persistence, bound to 127.0.0.1 on a free port plus a
 * Unix socket) and resolves once it answers PING with PONG. Retries on a fresh port when another
 * process took the chosen one first.
 *
 * @throws TestkitError `process-exited` or `timeout`, with the tail of Redis's log.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  const binary = findBinary('redis-server');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (err) {
      if (attempt >= maxAttempts || !isPortClash(err)) {
        throw err;
      }
    }
  }
}

async function startOnce(binary: string, options: StartRedisOptions): Promise<RedisProcess> {
  const name = options.name ?? 'redis';
  const dir = tempDir(name);
  const socket = socketPath('redis.sock', dir);
  let port: number;
  let proc: ManagedProcess;
  try {
    port = await getFreePort();
    proc = await spawnManaged(
      binary,
      redisArgs({ port, dir, socket, extra: options.extraArgs ?? [] }),
      {
        name,
        cwd: dir,
        onStopped: () => removeTempDir(dir),
      },
    );
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  await proc.untilReady(async () => isPong({ host, port }), {
    timeoutMs: options.timeoutMs ?? 10_000,
    description: 'PING to return PONG',
  });
  return redisHandle(proc, { port, socket });
}

function redisArgs(at: {
  port: number;
  dir: string;
  socket: string;
  extra: readonly string[];
}): string[] {
  return [
    ...['--port', String(at.port), '--bind', host, '--dir', at.dir],
    ...['--unixsocket', at.socket, '--unixsocketperm', '700'],
    ...['--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    ...at.extra,
  ];
}

async function isPong(target: { host: string; port: number }): Promise<boolean> {
  const client = await RespClient.connect(target, { timeoutMs: 1_000 });
  try {
    return (await client.command('PING')) === 'PONG';
  } finally {
    await client.close();
  }
}

function redisHandle(proc: ManagedProcess, at: { port: number; socket: string }): RedisProcess {
  return {
    name: proc.name,
    pid: proc.pid,
    host,
    port: at.port,
    url: `redis://${host}:${String(at.port)}`,
    socketPath: at.socket,
    exited: proc.exited,
    logs: () => proc.logs(),
    client: () => RespClient.connect({ host, port: at.port }),
    stop: () => proc.stop(),
  };
}

function isPortClash(err: unknown): boolean {
  return (
    isTestkitError(err) &&
    err.code === 'process-exited' &&
    /address already in use/i.test(err.message)
  );
}
