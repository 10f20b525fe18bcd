/**
 * The profiled run: a fresh extproc under `node --cpu-prof` behind a fresh gateway Envoy, loaded
 * (by our own client) non-streamed at concurrency 1, then at the lowest throughput concurrency
 * (non-streamed, then streamed). Its latencies are not reported (the profiler slows the extproc down); the profile
 * is summarised per phase by sample time, since the profiler and `process.hrtime` share the
 * monotonic clock.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchGatewayBootstrap } from './bootstraps.js';
import { createTarget } from './client.js';
import type { BenchOptions } from './config.js';
import {
  benchWorkload,
  closedLoop,
  createLane,
  jsonOnce,
  sequential,
  streamOnce,
  type ErrorCounter,
  type Lane,
} from './load.js';
import { repoRoot, startBenchEnvoy, startExtProc } from './processes.js';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './profile-summary.js';
import type { Stack } from './run.js';

/** One profiled phase. */
export interface ProfiledPhase {
  readonly name: string;
  readonly requests: number;
  /** SSE content frames delivered (streamed phase). */
  readonly frames: number;
  readonly summary: ProfileSummary;
}

/** What the profiled run produced. */
export interface ProfileResult {
  /** Where the raw profile was kept (repository-relative; git-ignored). */
  readonly file: string;
  readonly phases: readonly ProfiledPhase[];
  readonly errors: ErrorCounter;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Window {
  readonly name: string;
  readonly fromUs: number;
  readonly toUs: number;
  readonly requests: number;
  readonly frames: number;
}

/** Warms the profiled gateway: JIT, connection pools, the extproc's caches. */
async function warm(lane: Lane, options: BenchOptions, concurrency: number): Promise<void> {
  await sequential(options.warmup, () => jsonOnce(lane));
  await closedLoop({ concurrency, durationMs: 1_000 }, () => jsonOnce(lane));
  await sequential(options.streamWarmup, () => streamOnce(lane));
}

async function loadWindows(
  lane: Lane,
  options: BenchOptions & { readonly concurrency: number },
): Promise<Window[]> {
  const durationMs = options.profileDurationS * 1000;
  const c = String(options.concurrency);
  const windows: Window[] = [];
  const phases = [
    { name: 'non-streaming, c=1', concurrency: 1, isStream: false },
    { name: `non-streaming, c=${c}`, concurrency: options.concurrency, isStream: false },
    { name: `streaming, c=${c}`, concurrency: options.concurrency, isStream: true },
  ];
  for (const phase of phases) {
    const fromUs = nowUs();
    const shape = { concurrency: phase.concurrency, durationMs };
    const loop = phase.isStream
      ? await closedLoop(shape, () => streamOnce(lane))
      : await closedLoop(shape, () => jsonOnce(lane));
    const frames = phase.isStream ? loop.results.length * options.frames : 0;
    windows.push({ name: phase.name, fromUs, toUs: nowUs(), requests: loop.requests, frames });
  }
  return windows;
}

function keepProfile(dir: string, stamp: string): { profile: CpuProfile; file: string } {
  const name = readdirSync(dir).find((file) => file.endsWith('.cpuprofile'));
  if (name === undefined) throw new Error(`the profiled extproc wrote no .cpuprofile to ${dir}`);
  const keptDir = join(repoRoot, 'bench', 'results', 'profiles');
  mkdirSync(keptDir, { recursive: true });
  const file = join('bench', 'results', 'profiles', `extproc-${stamp}.cpuprofile`);
  copyFileSync(join(dir, name), join(repoRoot, file));
  return { profile: JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile, file };
}

/** Runs the profiled extproc and summarises its profile per phase. */
export async function runProfile(
  stack: Stack,
  options: BenchOptions & { readonly stamp: string },
): Promise<ProfileResult> {
  const cpuProfDir = join(stack.dir, 'cpuprof');
  const socket = join(stack.dir, 'extproc-prof.sock');
  const extproc = await startExtProc({
    socket,
    configPath: stack.configPath,
    from: options.extprocFrom,
    cpuProfDir,
    name: 'extproc-profiled',
  });
  const envoy = await startBenchEnvoy(
    'envoy-gateway-profiled',
    benchGatewayBootstrap({
      backend: stack.fake,
      accessLogPath: join(stack.dir, 'access-profiled.log'),
      extprocSocket: socket,
    }),
    options.envoyConcurrency,
  );
  const port = await envoy.listenerPort('ingress');
  const lane = createLane(createTarget('gateway', port), benchWorkload(options.frames));
  // The profiled loops run at the lowest throughput concurrency (16 by default).
  const concurrency = Math.min(...options.concurrencies);
  await warm(lane, options, concurrency);
  const windows = await loadWindows(lane, { ...options, concurrency });
  await envoy.stop();
  // SIGTERM: the extproc closes gracefully and exits, which is when Node writes the profile.
  await extproc.stop();
  const { profile, file } = keepProfile(cpuProfDir, options.stamp);
  const phases = windows.map((window) => ({
    name: window.name,
    requests: window.requests,
    frames: window.frames,
    summary: summariseProfile(profile, { window, top: 15 }),
  }));
  return { file, phases, errors: lane.errors };
}
