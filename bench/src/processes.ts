import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { FilterConfigInput } from '@aigw/filterapi';
import {
  findRepoRoot,
  getFreePort,
  spawnManaged,
  startEnvoy,
  type EnvoyProcess,
  type ManagedProcess,
} from '@aigw/testkit';
import { benchBackendName, benchCluster } from './bootstraps.js';
import { benchModel } from './payloads.js';

/** The monorepo root (bench is run from anywhere inside it). */
export const repoRoot: string = findRepoRoot() ?? process.cwd();
const benchDir = join(repoRoot, 'bench');

/** Counters of the fake backend (`GET /stats`). */
export interface FakeStats {
  readonly json: number;
  readonly streams: number;
  readonly streamsWithUsage: number;
  readonly badRequests: number;
  /** Requests by the bearer key they carried (each gateway forwards with its own key). */
  readonly byKey: Readonly<Record<string, number>>;
}

/** The fake backend child process. */
export interface FakeBackend {
  readonly host: string;
  readonly port: number;
  readonly process: ManagedProcess;
  stats(): Promise<FakeStats>;
}

/** Starts `src/fake-backend.ts` as its own Node process and waits until it answers. */
export async function startFakeBackend(options: {
  readonly frames: number;
  readonly frameGapMs: number;
  readonly latencyMs: number;
}): Promise<FakeBackend> {
  const port = await getFreePort();
  const args = ['--import', 'tsx', 'src/fake-backend.ts', '--port', String(port)];
  args.push('--frames', String(options.frames), '--frame-gap-ms', String(options.frameGapMs));
  args.push('--latency-ms', String(options.latencyMs));
  const proc = await spawnManaged(process.execPath, args, { name: 'fake-backend', cwd: benchDir });
  const url = `http://127.0.0.1:${String(port)}`;
  await proc.untilReady(
    async () => {
      const response = await fetch(`${url}/healthz`);
      await response.body?.cancel();
      return response.ok;
    },
    { timeoutMs: 15_000, description: 'fake backend /healthz' },
  );
  return {
    host: '127.0.0.1',
    port,
    process: proc,
    stats: async () => (await (await fetch(`${url}/stats`)).json()) as FakeStats,
  };
}

/** Writes the extproc's filter config (one OpenAI backend with an API key) into `dir`. */
export function writeFilterConfig(dir: string): string {
  const keyPath = join(dir, 'api-key');
  writeFileSync(keyPath, 'sk-bench-000000000000000000000000\n');
  const config: FilterConfigInput = {
    version: 'v1',
    backends: [
      {
        name: benchBackendName,
        schema: { name: 'OpenAI', prefix: 'v1' },
        auth: { apiKey: { file: keyPath } },
      },
    ],
    routes: { rules: [{ models: [benchModel], cluster: benchCluster }] },
    llmRequestCosts: [
      { metadataKey: 'weighted_cost', type: 'CEL', cel: 'input_tokens + output_tokens * 4u' },
    ],
  };
  const path = join(dir, 'filter-config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** How the extproc child is run. */
export interface ExtProcLaunch {
  readonly socket: string;
  readonly configPath: string;
  /** `dist`: compiled output, as deployed; `source`: TypeScript through tsx. */
  readonly from: 'dist' | 'source';
  /** When set, the child runs under `node --cpu-prof` and writes its profile here on exit. */
  readonly cpuProfDir?: string | undefined;
  readonly name: string;
  /**
   * Processes sharing the socket (default 1). Above 1, `src/extproc-cluster.ts` forks that many
   * extprocs with node:cluster; see there why they share one socket.
   */
  readonly count?: number;
  /** More extproc flags (e.g. `--admin-port`), after the bench's own. */
  readonly extraFlags?: readonly string[];
  /** More environment for the child (e.g. the `OTEL_*` variables). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The extproc's Node flags, the ones `aigw run` (apps/aigw/src/run/children.ts) and the webhook's
 * sidecar (NODE_OPTIONS) give it, so that the bench measures what users run (docs/performance.md,
 * Memory). With --extprocs N, node:cluster passes them on to the workers (execArgv).
 */
const extprocNodeFlags = ['--max-semi-space-size=1'];

function extProcCommand(launch: ExtProcLaunch): { args: string[]; cwd: string } {
  const nodeFlags = [
    ...extprocNodeFlags,
    ...(launch.cpuProfDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', launch.cpuProfDir, '--cpu-prof-interval', '250']),
  ];
  const flags = ['--address', `unix:${launch.socket}`, '--config', launch.configPath];
  flags.push('--log-level', 'warn', ...(launch.extraFlags ?? []));
  const appDir = join(repoRoot, 'apps', 'extproc');
  if ((launch.count ?? 1) > 1) {
    if (launch.from === 'source') throw new Error('--extprocs above 1 needs --extproc dist');
    const wrapper = join(benchDir, 'src', 'extproc-cluster.ts');
    return { args: [...nodeFlags, wrapper, ...flags], cwd: appDir };
  }
  if (launch.from === 'source') {
    const tsx = ['--import', 'tsx', '--conditions=@aigw/source'];
    return { args: [...tsx, ...nodeFlags, 'src/bin.ts', ...flags], cwd: appDir };
  }
  const bin = join(appDir, 'dist', 'bin.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` first`);
  return { args: [...nodeFlags, bin, ...flags], cwd: appDir };
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Starts the extproc as a child process and waits until its socket accepts connections. */
export async function startExtProc(launch: ExtProcLaunch): Promise<ManagedProcess> {
  const { args, cwd } = extProcCommand(launch);
  const count = launch.count ?? 1;
  const env: Record<string, string> = {
    ...launch.env,
    ...(count > 1
      ? {
          AIGW_BENCH_EXTPROCS: String(count),
          AIGW_BENCH_EXTPROC_BIN: join(repoRoot, 'apps', 'extproc', 'dist', 'bin.js'),
        }
      : {}),
  };
  const proc = await spawnManaged(process.execPath, args, { name: launch.name, cwd, env });
  await proc.untilReady(
    async () =>
      (await canConnect(launch.socket)) && (count === 1 || childPids(proc.pid).length >= count),
    { timeoutMs: 30_000, description: 'extproc socket' },
  );
  // With several workers, give the last ones time to take their share of the socket.
  if (count > 1) await new Promise((resolve) => setTimeout(resolve, 1_000));
  return proc;
}

/** The extproc process(es): the pids to meter (a cluster's primary and its workers). */
export interface ExtProcs {
  readonly pids: () => number[];
  readonly stop: () => Promise<void>;
}

/** {@link startExtProc}, returning every pid of the launch. */
export async function startExtProcs(launch: ExtProcLaunch): Promise<ExtProcs> {
  const proc = await startExtProc(launch);
  let pids: number[] | undefined;
  return {
    pids: () => (pids ??= [proc.pid, ...childPids(proc.pid)]),
    stop: () => proc.stop(),
  };
}

/** Direct children of `pid` (from `/proc/<pid>/stat`'s ppid field; empty off Linux). */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/**
 * Starts an Envoy with `concurrency` worker threads (default 1: on a 2-core machine the client,
 * the backend and the extproc need the other core) and a 1 s access-log flush.
 */
export function startBenchEnvoy(
  name: string,
  bootstrap: object,
  concurrency = 1,
): Promise<EnvoyProcess> {
  return startEnvoy({
    name,
    bootstrap,
    concurrency,
    logLevel: 'warn',
    extraArgs: ['--file-flush-interval-msec', '1000'],
  });
}
