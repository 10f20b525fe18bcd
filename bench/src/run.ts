/**
 * One benchmark run: the fake backend, the extproc and two Envoys as child processes; the load
 * generator is this process. Every phase alternates between the two Envoys in slices, so load
 * from elsewhere on the machine falls on both alike.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor, type EnvoyProcess } from '@aigw/testkit';
import { benchBackendName, benchGatewayBootstrap, directBootstrap } from './bootstraps.js';
import { createTarget, type TargetName } from './client.js';
import type { BenchOptions } from './config.js';
import { cpuMeter, type CpuRoles } from './cpu.js';
import {
  benchWorkload,
  closedLoop,
  createLane,
  jsonOnce,
  sequential,
  streamOnce,
  type Lane,
} from './load.js';
import { benchUsage } from './payloads.js';
import {
  startBenchEnvoy,
  startExtProc,
  startFakeBackend,
  writeFilterConfig,
  type FakeBackend,
} from './processes.js';

/** Raw figures of one target. */
export interface TargetFigures {
  readonly lane: Lane;
  /** Non-streamed, concurrency 1. */
  readonly latencyMs: number[];
  /** Non-streamed closed loop at the configured concurrency. */
  readonly loop: { requests: number; elapsedMs: number; latencyMs: number[] };
  /** CPU milliseconds each process used during the c=1 phase and during the closed loop. */
  readonly cpuMs: { readonly c1: Record<string, number>; readonly loop: Record<string, number> };
  /** Streamed, concurrency 1. */
  readonly ttftMs: number[];
  readonly gapMs: number[];
  readonly streamMs: number[];
}

/** The processes of a run. */
export interface Stack {
  readonly dir: string;
  readonly fake: FakeBackend;
  readonly configPath: string;
  readonly envoys: Readonly<Record<TargetName, EnvoyProcess>>;
  readonly extprocPid: number;
  readonly stopGateway: () => Promise<void>;
}

/** Starts the fake backend, the extproc and both Envoys. */
export async function startStack(options: BenchOptions): Promise<Stack> {
  const dir = tempDir('bench');
  const fake = await startFakeBackend({ frames: options.frames, frameGapMs: options.frameGapMs });
  const configPath = writeFilterConfig(dir);
  const socket = join(dir, 'extproc.sock');
  const extproc = await startExtProc({
    socket,
    configPath,
    from: options.extprocFrom,
    name: 'extproc',
  });
  const direct = await startBenchEnvoy(
    'envoy-direct',
    directBootstrap({ backend: fake, accessLogPath: join(dir, 'access-direct.log') }),
  );
  const gateway = await startBenchEnvoy(
    'envoy-gateway',
    benchGatewayBootstrap({
      backend: fake,
      accessLogPath: join(dir, 'access-gateway.log'),
      extprocSocket: socket,
      isGracefulClose: options.isGracefulClose,
    }),
  );
  return {
    dir,
    fake,
    configPath,
    envoys: { direct, gateway },
    extprocPid: extproc.pid,
    stopGateway: async () => {
      await gateway.stop();
      await extproc.stop();
    },
  };
}

/** Warms one lane: JIT, connection pools, the extproc's caches. */
export async function warm(lane: Lane, options: BenchOptions): Promise<void> {
  await sequential(options.warmup, () => jsonOnce(lane));
  const durationMs = options.isQuick ? 500 : 1_000;
  await closedLoop({ concurrency: options.concurrency, durationMs }, () => jsonOnce(lane));
  await sequential(options.streamWarmup, () => streamOnce(lane));
}

/** The share of `total` that slice `round` of `rounds` gets. */
function share(total: number, rounds: number, round: number): number {
  return Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);
}

async function inRounds(
  figures: readonly TargetFigures[],
  rounds: number,
  run: (target: TargetFigures, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? figures : [...figures].reverse();
    for (const target of order) await run(target, round);
  }
}

function cpuRoles(stack: Stack, name: TargetName): CpuRoles {
  return {
    envoy: stack.envoys[name].pid,
    extproc: stack.extprocPid,
    backend: stack.fake.process.pid,
    client: 'self',
  };
}

function addCpu(into: Record<string, number>, used: Readonly<Record<string, number>>): void {
  for (const [role, ms] of Object.entries(used)) into[role] = (into[role] ?? 0) + ms;
}

async function measureLoop(
  target: TargetFigures,
  context: { stack: Stack; options: BenchOptions },
): Promise<void> {
  const { options } = context;
  const durationMs = (options.durationS * 1000) / options.rounds;
  const meter = cpuMeter(cpuRoles(context.stack, target.lane.target.name));
  const loop = await closedLoop({ concurrency: options.concurrency, durationMs }, () =>
    jsonOnce(target.lane),
  );
  addCpu(target.cpuMs.loop, meter());
  target.loop.requests += loop.requests;
  target.loop.elapsedMs += loop.elapsedMs;
  target.loop.latencyMs.push(...loop.results);
}

/** Runs every measured phase against both targets. */
export async function measure(
  stack: Stack,
  options: BenchOptions,
): Promise<Record<TargetName, TargetFigures>> {
  const workload = benchWorkload(options.frames);
  const figures: TargetFigures[] = [];
  for (const name of ['direct', 'gateway'] as const) {
    const port = await stack.envoys[name].listenerPort('ingress');
    const lane = createLane(createTarget(name, port), workload);
    const loop = { requests: 0, elapsedMs: 0, latencyMs: [] };
    const cpuMs = { c1: {}, loop: {} };
    figures.push({ lane, latencyMs: [], loop, cpuMs, ttftMs: [], gapMs: [], streamMs: [] });
    await warm(lane, options);
  }
  const { rounds } = options;
  await inRounds(figures, rounds, async (target, round) => {
    const count = share(options.requests, rounds, round);
    const meter = cpuMeter(cpuRoles(stack, target.lane.target.name));
    target.latencyMs.push(...(await sequential(count, () => jsonOnce(target.lane))));
    addCpu(target.cpuMs.c1, meter());
  });
  await inRounds(figures, rounds, (target) => measureLoop(target, { stack, options }));
  await inRounds(figures, rounds, async (target, round) => {
    const count = share(options.streams, rounds, round);
    for (const result of await sequential(count, () => streamOnce(target.lane))) {
      target.ttftMs.push(result.ttftMs);
      target.gapMs.push(...result.gapsMs);
      target.streamMs.push(result.totalMs);
    }
  });
  const [direct, gateway] = figures;
  if (!direct || !gateway) throw new Error('unreachable: two targets');
  return { direct, gateway };
}

interface AccessLogLine {
  readonly status?: number;
  readonly input?: number;
  readonly output?: number;
  readonly backend?: string;
  readonly cost?: number;
}

function readAccessLog(path: string): AccessLogLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AccessLogLine);
}

function isRecordedByGateway(line: AccessLogLine): boolean {
  const { prompt, completion } = benchUsage;
  return (
    line.status === 200 &&
    line.input === prompt &&
    line.output === completion &&
    line.backend === benchBackendName &&
    line.cost === prompt + completion * 4
  );
}

const gatewayStatNames = [
  'http.ai.ext_proc.streams_started',
  'http.ai.ext_proc.streams_failed',
  'cluster.bench-backend.ext_proc.streams_started',
  'cluster.bench-backend.ext_proc.streams_failed',
  'cluster.extproc.upstream_cx_total',
  'cluster.extproc.upstream_cx_destroy_remote_with_active_rq',
];

/** Envoy's own view of the ext_proc streams and of its connections to the extproc. */
export async function gatewayEnvoyStats(stack: Stack): Promise<Record<string, number>> {
  const stats = await stack.envoys.gateway.stats(
    'ext_proc\\.streams_|^cluster\\.extproc\\.upstream_cx_',
  );
  return Object.fromEntries(gatewayStatNames.map((name) => [name, stats[name] ?? 0]));
}

/**
 * Cross-checks after the run, counted as errors of the target concerned: every request reached
 * the backend; the gateway asked the backend for usage on every stream (the client never did);
 * Envoy logged a 200 for every request and, through the gateway, the exact token counts.
 */
export async function verify(
  stack: Stack,
  figures: Readonly<Record<TargetName, TargetFigures>>,
): Promise<void> {
  const { direct, gateway } = figures;
  const stats = await stack.fake.stats();
  const sentJson = direct.lane.sent.json + gateway.lane.sent.json;
  if (stats.json !== sentJson)
    gateway.lane.errors.add(
      `verify: backend saw ${String(stats.json)} JSON requests, sent ${String(sentJson)}`,
    );
  if (stats.streamsWithUsage !== gateway.lane.sent.streams)
    gateway.lane.errors.add(
      `verify: include_usage injected on ${String(stats.streamsWithUsage)} of ${String(gateway.lane.sent.streams)} streams`,
    );
  for (const target of [direct, gateway]) {
    const name = target.lane.target.name;
    const expected = target.lane.sent.json + target.lane.sent.streams;
    const path = join(stack.dir, `access-${name}.log`);
    const lines = await waitFor(
      () => {
        const read = readAccessLog(path);
        return read.length >= expected ? read : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 200, description: `${name} access log` },
    ).catch(() => readAccessLog(path));
    const bad =
      name === 'gateway'
        ? lines.filter((line) => !isRecordedByGateway(line)).length
        : lines.filter((line) => line.status !== 200).length;
    if (lines.length !== expected)
      target.lane.errors.add(
        `verify: ${String(lines.length)} access log lines, expected ${String(expected)}`,
      );
    if (bad > 0)
      target.lane.errors.add(
        `verify: ${String(bad)} access log lines without 200${name === 'gateway' ? ' and exact token counts' : ''}`,
      );
  }
}
