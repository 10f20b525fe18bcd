import { existsSync, writeFileSync } from 'node:fs';
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
}): Promise<FakeBackend> {
  const port = await getFreePort();
  const args = ['--import', 'tsx', 'src/fake-backend.ts', '--port', String(port)];
  args.push('--frames', String(options.frames), '--frame-gap-ms', String(options.frameGapMs));
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
}

function extProcCommand(launch: ExtProcLaunch): { args: string[]; cwd: string } {
  const profiling =
    launch.cpuProfDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', launch.cpuProfDir, '--cpu-prof-interval', '250'];
  const flags = ['--address', `unix:${launch.socket}`, '--config', launch.configPath];
  flags.push('--log-level', 'warn');
  const appDir = join(repoRoot, 'apps', 'extproc');
  if (launch.from === 'source') {
    const tsx = ['--import', 'tsx', '--conditions=@aigw/source'];
    return { args: [...tsx, ...profiling, 'src/bin.ts', ...flags], cwd: appDir };
  }
  const bin = join(appDir, 'dist', 'bin.js');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` first`);
  return { args: [...profiling, bin, ...flags], cwd: appDir };
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
  const proc = await spawnManaged(process.execPath, args, { name: launch.name, cwd });
  await proc.untilReady(() => canConnect(launch.socket), {
    timeoutMs: 30_000,
    description: 'extproc socket',
  });
  return proc;
}

/**
 * Starts an Envoy with one worker thread (`--concurrency 1`: on a 2-core machine the client,
 * the backend and the extproc need the other core) and a 1 s access-log flush.
 */
export function startBenchEnvoy(name: string, bootstrap: object): Promise<EnvoyProcess> {
  return startEnvoy({
    name,
    bootstrap,
    concurrency: 1,
    logLevel: 'warn',
    extraArgs: ['--file-flush-interval-msec', '1000'],
  });
}
