/**
 * `pnpm bench --soak [--minutes 30]`: keeps the gateway (non-streamed requests through autocannon
 * plus a trickle of streams) and the rate limiter (its own bench in soak mode, a child process)
 * under steady load, prints one line per minute with both processes' resident memory, and ends
 * with start / max / end / slope per process. Not part of any test: it takes half an hour.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@aigw/testkit';
import { cannon } from './cannon.js';
import type { BenchOptions } from './config.js';
import { benchWorkload, closedLoop, createLane, streamOnce } from './load.js';
import { machineInfo } from './machine.js';
import { spawnDecisions } from './ratelimit.js';
import { rssMb } from './rss.js';
import { startStack } from './run.js';
import { createTarget } from './client.js';
import { updateBenchmarksDoc, writeResultsJson } from './write.js';

/** One soak line. */
export interface SoakSample {
  readonly minute: number;
  readonly extprocMb: number;
  readonly limiterMb: number;
  readonly requests: number;
  readonly streams: number;
  readonly decisions: number;
  readonly failed: number;
}

/** start / max / end / slope of one process's RSS over the soak. */
export interface SoakSummary {
  readonly startMb: number;
  readonly maxMb: number;
  readonly endMb: number;
  /** Least-squares slope over every sample after the first period (warm-up), MiB per minute. */
  readonly slopeMbPerMin: number;
  /** Slope × soak length within 10% of the start value (or 5 MiB, whichever is larger). */
  readonly isFlat: boolean;
}

/** Least-squares slope of y over x; NaN for fewer than two points. */
export function slope(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/** Summarises one column of the samples (the first sample, taken before load, is the start). */
export function summarise(
  samples: readonly SoakSample[],
  of: (s: SoakSample) => number,
): SoakSummary {
  const values = samples.map(of);
  const startMb = values[0] ?? Number.NaN;
  const endMb = values.at(-1) ?? Number.NaN;
  const minutes = samples.at(-1)?.minute ?? 0;
  const warm = samples.slice(2).map((s) => [s.minute, of(s)] as const);
  const slopeMbPerMin = slope(warm);
  const base = values[1] ?? startMb;
  return {
    startMb,
    maxMb: Math.max(...values),
    endMb,
    slopeMbPerMin,
    isFlat: Math.abs(slopeMbPerMin * minutes) <= Math.max(5, base * 0.1),
  };
}

/** One line of the limiter soak child: its RSS, and what it did since its previous line. */
interface LimiterLine {
  readonly rssMb: number;
  readonly decisions: number;
  readonly errors: number;
}

/** Reads the limiter child's JSON lines as they come. */
class LimiterLog {
  readonly #file: string;
  #consumed = 0;

  constructor(file: string) {
    this.#file = file;
  }

  #lines(): LimiterLine[] {
    if (!existsSync(this.#file)) return [];
    const text = readFileSync(this.#file, 'utf8').trim();
    return text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as LimiterLine);
  }

  /** The latest RSS reading, NaN before the first line. */
  latestRssMb(): number {
    return this.#lines().at(-1)?.rssMb ?? Number.NaN;
  }

  /** The latest RSS, and the decisions and errors of every line since the previous call. */
  next(): LimiterLine {
    const lines = this.#lines();
    const fresh = lines.slice(this.#consumed);
    this.#consumed = lines.length;
    return {
      rssMb: lines.at(-1)?.rssMb ?? Number.NaN,
      decisions: fresh.reduce((sum, line) => sum + line.decisions, 0),
      errors: fresh.reduce((sum, line) => sum + line.errors, 0),
    };
  }
}

async function period(state: {
  rate: number;
  sampleS: number;
  port: number;
}): Promise<{ requests: number; streams: number; failed: number }> {
  const workload = benchWorkload(20);
  const lane = createLane(createTarget('gateway', state.port), workload);
  const amount = Math.max(64, Math.round(state.rate * state.sampleS));
  const [json, streams] = await Promise.all([
    cannon({
      port: state.port,
      body: workload.jsonBody,
      expectBody: workload.expectedBody,
      connections: 16,
      amount,
    }),
    closedLoop({ concurrency: 2, durationMs: state.sampleS * 1000 }, () => streamOnce(lane)),
  ]);
  state.rate = (1000 * json.completed) / Math.max(1, json.elapsedMs);
  const failed = Object.values(json.errors).reduce((s, n) => s + n, 0) + lane.errors.total;
  return { requests: json.completed, streams: streams.results.length, failed };
}

function line(sample: SoakSample): string {
  return (
    `${sample.minute.toFixed(1).padStart(5)} min: extproc ${sample.extprocMb.toFixed(1)} MiB, ` +
    `limiter ${sample.limiterMb.toFixed(1)} MiB; gateway ${sample.requests.toLocaleString('en-US')} requests + ` +
    `${sample.streams.toLocaleString('en-US')} streams, limiter ${sample.decisions.toLocaleString('en-US')} decisions; ` +
    `${String(sample.failed)} failed`
  );
}

function summaryText(name: string, s: SoakSummary): string {
  return (
    `| ${name} | ${s.startMb.toFixed(1)} | ${s.maxMb.toFixed(1)} | ${s.endMb.toFixed(1)} | ` +
    `${s.slopeMbPerMin >= 0 ? '+' : '−'}${Math.abs(s.slopeMbPerMin).toFixed(3)} | ${s.isFlat ? 'yes' : '**no**'} |`
  );
}

/** Runs the soak; returns the exit code (1 when a request failed). */
export async function runSoak(
  options: BenchOptions,
  progress: (m: string) => void,
): Promise<number> {
  const date = new Date();
  const machine = machineInfo();
  const stack = await startStack(options);
  const limiterFile = join(stack.dir, 'limiter-soak.jsonl');
  const minutes = options.soakMinutes;
  const sampleS = options.sampleS;
  await spawnDecisions(
    [
      ...['--soak-minutes', String(minutes + 1), '--sample-seconds', String(Math.min(sampleS, 10))],
      ...['--json-out', limiterFile],
    ],
    'ratelimit-soak',
  );
  // Start counting once the limiter runs (its first line is its idle reading).
  const limiterLog = new LimiterLog(limiterFile);
  await waitFor(() => (Number.isFinite(limiterLog.latestRssMb()) ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 200,
    description: 'the limiter soak child',
  });
  const pid = stack.extprocPids();
  const extprocMb = (): number => pid.reduce((s, p) => s + (rssMb(p) ?? 0), 0);
  const state = { rate: 200, sampleS, port: await stack.envoys.gateway.listenerPort('ingress') };
  progress(`soak: ${String(minutes)} min, one line per ${String(sampleS)} s`);
  const samples: SoakSample[] = [];
  const push = (sample: SoakSample): void => {
    samples.push(sample);
    progress(line(sample));
  };
  const first = limiterLog.next();
  push({
    minute: 0,
    extprocMb: extprocMb(),
    limiterMb: first.rssMb,
    requests: 0,
    streams: 0,
    decisions: 0,
    failed: 0,
  });
  const periods = Math.max(1, Math.round((minutes * 60) / sampleS));
  const loadStart = performance.now();
  for (let i = 1; i <= periods; i++) {
    const done = await period(state);
    const limiter = limiterLog.next();
    push({
      minute: (performance.now() - loadStart) / 60_000,
      extprocMb: extprocMb(),
      limiterMb: limiter.rssMb,
      requests: done.requests,
      streams: done.streams,
      decisions: limiter.decisions,
      failed: done.failed + limiter.errors,
    });
  }
  const extproc = summarise(samples, (s) => s.extprocMb);
  const limiter = summarise(samples, (s) => s.limiterMb);
  const failed = samples.reduce((s, x) => s + x.failed, 0);
  const text = [
    `Soak ${date.toISOString()} with \`${options.command}\` at commit ${machine.commit}: ${String(minutes)} min; ` +
      `load average ${machine.loadAverages.map((l) => l.toFixed(2)).join(' / ')} at start. Load: autocannon, 16 connections, non-streamed, ` +
      'plus 2 streams at a time, through the gateway; the limiter under 16 concurrent ShouldRateLimit callers (memory store).\n',
    '| RSS (MiB) | start (before load) | max | end | slope (MiB/min, after the first period) | flat |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ].join('\n');
  const table = `${text}\n${summaryText('extproc', extproc)}\n${summaryText('limiter', limiter)}`;
  const lines = `\`\`\`\n${samples.map(line).join('\n')}\n\`\`\``;
  const body = `${table}\n\nFailed requests: ${String(failed)}.\n\n${lines}`;
  process.stdout.write(`${body}\n`);
  if (options.shouldWrite) {
    const file = writeResultsJson(
      {
        date: date.toISOString(),
        command: options.command,
        machine,
        samples,
        extproc,
        limiter,
        failed,
      },
      `soak-${date.toISOString().slice(0, 10)}`,
    );
    updateBenchmarksDoc([{ name: 'soak-results', body }]);
    progress(`wrote ${file} and docs/benchmarks.md`);
  }
  return failed > 0 ? 1 : 0;
}
