/**
 * One benchmark run: the fake backend, the extproc and two Envoys as child processes; the load
 * generators (autocannon for non-streamed requests, our own client for streams) run in this
 * process. Every phase alternates between the two Envoys in slices, so load from elsewhere on the
 * machine falls on both alike.
 */
import { join } from 'node:path';
import { tempDir, type EnvoyProcess } from '@aigw/testkit';
import { benchGatewayBootstrap, directBootstrap } from './bootstraps.js';
import { cannon, type CannonResult } from './cannon.js';
import { createTarget, type TargetName } from './client.js';
import type { BenchOptions } from './config.js';
import { cpuMeter, type CpuRoles } from './cpu.js';
import { bodyCases, largeChatRequest } from './large-bodies.js';
import { benchWorkload, createLane, sequential, streamOnce, type Lane } from './load.js';
import {
  startBenchEnvoy,
  startExtProcs,
  startFakeBackend,
  writeFilterConfig,
  type FakeBackend,
} from './processes.js';
import type { RssSampler } from './rss.js';

/** A closed-loop phase's figures. */
export interface LoopFigures {
  requests: number;
  elapsedMs: number;
  latencyMs: number[];
  cpuMs: Record<string, number>;
}

/** Latency and failures of one large-body case. */
export interface BodyFigures {
  readonly bytes: number;
  readonly latencyMs: number[];
  /** Requests sent, and those that failed (not a 200 with the expected body). */
  sent: number;
  failed: number;
}

/** Raw figures of one target. */
export interface TargetFigures {
  readonly name: TargetName;
  readonly lane: Lane;
  readonly port: number;
  /** Non-streamed, concurrency 1. */
  readonly c1: LoopFigures;
  /** Non-streamed closed loops by concurrency. */
  readonly loops: Record<number, LoopFigures>;
  /** Requests/s each loop reached in its warm-up: sizes the measured slices. */
  readonly warmRate: Record<number, number>;
  /** Streamed, concurrency 1. */
  readonly ttftMs: number[];
  readonly gapMs: number[];
  readonly streamMs: number[];
  readonly bodies: Record<string, BodyFigures>;
}

/** The processes of a run. */
export interface Stack {
  readonly dir: string;
  readonly fake: FakeBackend;
  readonly configPath: string;
  readonly envoys: Readonly<Record<TargetName, EnvoyProcess>>;
  /** Every extproc process (with --extprocs N behind node:cluster: the primary and workers). */
  readonly extprocPids: () => number[];
  readonly extprocSocket: string;
  readonly stopGateway: () => Promise<void>;
}

/** Starts the fake backend, the extproc(s) and both Envoys. */
export async function startStack(options: BenchOptions): Promise<Stack> {
  const dir = tempDir('bench');
  const fake = await startFakeBackend(options);
  const configPath = writeFilterConfig(dir);
  const socket = join(dir, 'extproc.sock');
  const extproc = await startExtProcs({
    socket,
    configPath,
    from: options.extprocFrom,
    name: 'extproc',
    count: options.extprocs,
  });
  const direct = await startBenchEnvoy(
    'envoy-direct',
    directBootstrap({ backend: fake, accessLogPath: join(dir, 'access-direct.log') }),
    options.envoyConcurrency,
  );
  const gateway = await startBenchEnvoy(
    'envoy-gateway',
    benchGatewayBootstrap({
      backend: fake,
      accessLogPath: join(dir, 'access-gateway.log'),
      extprocSocket: socket,
    }),
    options.envoyConcurrency,
  );
  return {
    dir,
    fake,
    configPath,
    envoys: { direct, gateway },
    extprocPids: extproc.pids,
    extprocSocket: socket,
    stopGateway: async () => {
      await gateway.stop();
      await extproc.stop();
    },
  };
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
  const roles: Record<string, number | 'self'> = {
    envoy: stack.envoys[name].pid,
    backend: stack.fake.process.pid,
    client: 'self',
  };
  for (const [index, pid] of stack.extprocPids().entries()) roles[`extproc.${String(index)}`] = pid;
  return roles;
}

function addCpu(into: Record<string, number>, used: Readonly<Record<string, number>>): void {
  for (const [role, ms] of Object.entries(used)) {
    // The extproc processes are summed into one role.
    const key = role.startsWith('extproc.') ? 'extproc' : role;
    into[key] = (into[key] ?? 0) + ms;
  }
}

function newLoop(): LoopFigures {
  return { requests: 0, elapsedMs: 0, latencyMs: [], cpuMs: {} };
}

/** Counts a cannon run: its requests for the cross-checks, its failures as errors. */
function account(target: TargetFigures, result: CannonResult): void {
  target.lane.sent.json += result.completed;
  for (const [kind, count] of Object.entries(result.errors))
    for (let i = 0; i < count; i++) target.lane.errors.add(`json: ${kind}`);
}

interface Context {
  readonly stack: Stack;
  readonly options: BenchOptions;
  readonly jsonBody: Buffer;
  readonly expectBody: string;
}

/** One metered autocannon slice into `into`. */
async function slice(
  target: TargetFigures,
  context: Context,
  shape: { connections: number; amount: number; into: LoopFigures },
): Promise<void> {
  const meter = cpuMeter(cpuRoles(context.stack, target.name));
  const result = await cannon({
    port: target.port,
    body: context.jsonBody,
    expectBody: context.expectBody,
    connections: shape.connections,
    amount: shape.amount,
  });
  addCpu(shape.into.cpuMs, meter());
  account(target, result);
  shape.into.requests += result.completed;
  shape.into.elapsedMs += result.elapsedMs;
  shape.into.latencyMs.push(...result.latencyMs);
}

/** Warms one target (JIT, connection pools, the extproc's caches) and sizes its loop slices. */
async function warm(target: TargetFigures, context: Context): Promise<void> {
  const { options } = context;
  const scratch = newLoop();
  await slice(target, context, { connections: 1, amount: options.warmup, into: scratch });
  for (const connections of options.concurrencies) {
    const probe = newLoop();
    const amount = connections * (options.mode === 'smoke' ? 4 : 25);
    await slice(target, context, { connections, amount, into: probe });
    target.warmRate[connections] = (1000 * probe.requests) / Math.max(1, probe.elapsedMs);
  }
  await sequential(options.streamWarmup, () => streamOnce(target.lane));
}

async function measureBodies(figures: readonly TargetFigures[], context: Context): Promise<void> {
  for (const bodyCase of bodyCases) {
    const body = largeChatRequest(bodyCase);
    for (const target of figures) {
      const result = await cannon({
        port: target.port,
        body,
        expectBody: context.expectBody,
        connections: 1,
        amount: context.options.bodyRequests,
      });
      account(target, result);
      const failed = Object.values(result.errors).reduce((sum, count) => sum + count, 0);
      target.bodies[bodyCase.name] = {
        bytes: body.byteLength,
        latencyMs: result.latencyMs,
        sent: context.options.bodyRequests,
        failed: failed + Math.max(0, context.options.bodyRequests - result.completed),
      };
    }
  }
}

async function targetFigures(
  stack: Stack,
  name: TargetName,
  frames: number,
): Promise<TargetFigures> {
  const port = await stack.envoys[name].listenerPort('ingress');
  return {
    name,
    lane: createLane(createTarget(name, port), benchWorkload(frames)),
    port,
    c1: newLoop(),
    loops: {},
    warmRate: {},
    ttftMs: [],
    gapMs: [],
    streamMs: [],
    bodies: {},
  };
}

/**
 * Runs every measured phase against both targets: c=1, each throughput concurrency, streams,
 * large bodies. `observers.rss` is told which phase runs, for the under-load memory figure.
 */
export async function measure(
  stack: Stack,
  options: BenchOptions,
  observers: { readonly rss: RssSampler; readonly progress: (message: string) => void },
): Promise<Record<TargetName, TargetFigures>> {
  const phase = (name: string): void => {
    observers.rss.phase(name);
    observers.progress(`phase: ${name}`);
  };
  const workload = benchWorkload(options.frames);
  const context: Context = {
    stack,
    options,
    jsonBody: workload.jsonBody,
    expectBody: workload.expectedBody,
  };
  const direct = await targetFigures(stack, 'direct', options.frames);
  const gateway = await targetFigures(stack, 'gateway', options.frames);
  const figures = [direct, gateway];
  phase('warm-up');
  for (const target of figures) await warm(target, context);
  const { rounds } = options;
  phase('c=1');
  await inRounds(figures, rounds, async (target, round) => {
    const amount = share(options.requests, rounds, round);
    await slice(target, context, { connections: 1, amount, into: target.c1 });
  });
  for (const connections of options.concurrencies) {
    phase(`c=${String(connections)}`);
    await inRounds(figures, rounds, async (target) => {
      const into = (target.loops[connections] ??= newLoop());
      const rate = target.warmRate[connections] ?? 100;
      const amount = Math.max(connections * 2, Math.round((rate * options.durationS) / rounds));
      await slice(target, context, { connections, amount, into });
    });
  }
  phase('streams');
  await inRounds(figures, rounds, async (target, round) => {
    const count = share(options.streams, rounds, round);
    for (const result of await sequential(count, () => streamOnce(target.lane))) {
      target.ttftMs.push(result.ttftMs);
      target.gapMs.push(...result.gapsMs);
      target.streamMs.push(result.totalMs);
    }
  });
  phase('large bodies');
  await measureBodies(figures, context);
  phase('after');
  return { direct, gateway };
}
