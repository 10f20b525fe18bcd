/**
 * `pnpm bench --observability`: what the extproc's GenAI metrics and request spans cost, as three
 * gateways in one alternating run that differ only in the extproc's observability:
 *
 * - **off**: no `--admin-port`, no `OTEL_*` variable (the default: nothing recorded);
 * - **Prometheus, not scraped**: `--admin-port`, recording, `/metrics` read only at the end;
 * - **Prometheus**: `--admin-port`, its `/metrics` scraped every second as a Prometheus would;
 * - **Prometheus + OTLP metrics**: the same, plus the `OTEL_*` variables pointing at the
 *   OpenTelemetry Collector of the tests (`@aigw/testkit` `startOtelCollector`: OTLP receiver, file
 *   exporter) over OTLP/HTTP, traces off (`OTEL_TRACES_EXPORTER=none`);
 * - **Prometheus + OTLP metrics + traces**: the same with traces on;
 * - **off again**: a second gateway exactly like the first, whose distance from it is the run's
 *   own noise (an A/A comparison), against which the others' ratios are read.
 *
 * Each gateway is its own extproc process and its own Envoy (the suite's gateway bootstrap, the
 * same Envoy flags) in front of the same fake provider, driven by the same client; every phase
 * alternates the three in `--rounds` slices (order reversed every other slice). After the run the
 * bench checks that each sink recorded what it was sent: the Prometheus request count, and the
 * collector's metric exports and spans.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import {
  getFreePort,
  isTestkitError,
  startOtelCollector,
  tempDir,
  waitFor,
  type OtelCollector,
} from '@aigw/testkit';
import { benchGatewayBootstrap } from './bootstraps.js';
import { cannon } from './cannon.js';
import { createTarget } from './client.js';
import type { BenchOptions } from './config.js';
import { cpuMeter } from './cpu.js';
import { benchWorkload, createLane, sequential, streamOnce, type Lane } from './load.js';
import { machineInfo, type MachineInfo } from './machine.js';
import {
  startBenchEnvoy,
  startExtProcs,
  startFakeBackend,
  writeFilterConfig,
  type FakeBackend,
} from './processes.js';
import { received, type Received } from './otlp-file.js';
import { measureRecordCost, type RecordCost } from './record-cost.js';
import { rssMb } from './rss.js';
import { mean, percentile } from './stats.js';

/** The columns, in table order. */
export type ObservabilityColumnName =
  'off' | 'off-again' | 'prometheus-unscraped' | 'prometheus' | 'otlp-metrics' | 'otlp';

const labels: Readonly<Record<ObservabilityColumnName, string>> = {
  off: 'off',
  'off-again': 'off again (A/A)',
  'prometheus-unscraped': 'Prometheus, not scraped',
  prometheus: 'Prometheus',
  'otlp-metrics': 'Prometheus + OTLP metrics',
  otlp: 'Prometheus + OTLP metrics + traces',
};

/** The OTLP columns, which send to the collector (told apart by their `service.name`). */
const otlpColumns: readonly ObservabilityColumnName[] = ['otlp-metrics', 'otlp'];

/** How often the Prometheus columns are scraped, and the OTLP metrics and spans exported. */
const intervalMs = 1_000;

/** A metered closed loop (or sequence of streams). */
interface Loop {
  requests: number;
  elapsedMs: number;
  latencyMs: number[];
  /** The extproc process's CPU over the loop's slices. */
  cpuMs: number;
  /** Extproc CPU µs per request of each slice, in order (slice i of every column: round i). */
  readonly sliceUs: number[];
}

/** Scrapes of one column's `/metrics` during the run. */
interface Scrapes {
  count: number;
  failures: number;
  bytes: number;
  readonly ms: number[];
}

/** One column's figures. */
export interface ObservabilityFigures {
  readonly name: ObservabilityColumnName;
  readonly label: string;
  readonly lane: Lane;
  readonly c1: Loop;
  readonly loop: Loop;
  /** Streamed, concurrency 1: `latencyMs` holds the times to first token. */
  readonly streams: Loop;
  readonly scrapes: Scrapes | undefined;
  /** The extproc's RSS at the end of the load. */
  rssMb: number;
}

interface Column {
  readonly figures: ObservabilityFigures;
  readonly port: number;
  readonly extprocPid: number;
  readonly adminUrl: string | undefined;
  readonly stop: () => Promise<void>;
}

/** The OTLP columns' sink: the collector and its file exporter's output, or why it is missing. */
type Sink = { collector: OtelCollector } | { missing: string };

/** What a run measured and checked. */
export interface ObservabilityReport {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly loadAverageEnd: readonly number[];
  readonly rounds: number;
  readonly concurrency: number;
  readonly columns: readonly ObservabilityFigures[];
  /** Why the OTLP column is missing, if it is. */
  readonly otlpMissing: string | undefined;
  /** The collector's own CPU per request sent to the OTLP columns (µs). */
  readonly collectorCpuUs: number | undefined;
  /** Each sink's check: what it recorded against what was sent. */
  readonly checks: readonly { readonly ok: boolean; readonly text: string }[];
  readonly errors: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Recording one request into the Prometheus metrics, measured in-process after the run. */
  readonly recordCost: RecordCost;
}

function newLoop(): Loop {
  return { requests: 0, elapsedMs: 0, latencyMs: [], cpuMs: 0, sliceUs: [] };
}

function serviceName(name: ObservabilityColumnName): string {
  return `aigw-extproc-bench-${name}`;
}

/** The standard OTEL variables of an OTLP column: OTLP/HTTP (protobuf), traces only in `otlp`. */
function otlpEnv(collector: OtelCollector, name: ObservabilityColumnName): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_METRIC_EXPORT_INTERVAL: String(intervalMs),
    OTEL_SERVICE_NAME: serviceName(name),
    ...(name === 'otlp' ? { OTEL_BSP_SCHEDULE_DELAY: String(intervalMs) } : {}),
    ...(name === 'otlp-metrics' ? { OTEL_TRACES_EXPORTER: 'none' } : {}),
  };
}

async function startSink(dir: string): Promise<Sink> {
  try {
    return { collector: await startOtelCollector({ dir }) };
  } catch (err) {
    if (isTestkitError(err) && err.code === 'binary-not-found') return { missing: err.message };
    throw err;
  }
}

async function metricsAnswer(url: string): Promise<boolean> {
  const response = await fetch(`${url}/metrics`);
  await response.body?.cancel();
  return response.ok;
}

async function startColumn(
  name: ObservabilityColumnName,
  shared: { dir: string; fake: FakeBackend; configPath: string; sink: Sink },
  options: BenchOptions,
): Promise<Column> {
  const { dir, fake, configPath, sink } = shared;
  const socket = join(dir, `extproc-${name}.sock`);
  const adminPort = name === 'off' || name === 'off-again' ? undefined : await getFreePort();
  const extraFlags =
    adminPort === undefined ? [] : ['--admin-port', String(adminPort), '--admin-host', '127.0.0.1'];
  const env =
    otlpColumns.includes(name) && 'collector' in sink ? otlpEnv(sink.collector, name) : {};
  const extproc = await startExtProcs({
    socket,
    configPath,
    from: options.extprocFrom,
    name: `extproc-${name}`,
    extraFlags,
    env,
  });
  const bootstrap = benchGatewayBootstrap({
    backend: fake,
    accessLogPath: join(dir, `access-${name}.log`),
    extprocSocket: socket,
  });
  const envoy = await startBenchEnvoy(`envoy-${name}`, bootstrap, options.envoyConcurrency);
  const port = await envoy.listenerPort('ingress');
  const adminUrl = adminPort === undefined ? undefined : `http://127.0.0.1:${String(adminPort)}`;
  if (adminUrl !== undefined)
    await waitFor(() => metricsAnswer(adminUrl), {
      timeoutMs: 30_000,
      description: `extproc-${name} GET /metrics`,
    });
  const [pid] = extproc.pids();
  if (pid === undefined) throw new Error(`extproc-${name} has no pid`);
  return {
    figures: {
      name,
      label: labels[name],
      lane: createLane(createTarget(name, port), benchWorkload(options.frames)),
      c1: newLoop(),
      loop: newLoop(),
      streams: newLoop(),
      scrapes:
        adminUrl === undefined || name === 'prometheus-unscraped'
          ? undefined
          : { count: 0, failures: 0, bytes: 0, ms: [] },
      rssMb: 0,
    },
    port,
    extprocPid: pid,
    adminUrl,
    stop: async () => {
      await envoy.stop();
      await extproc.stop();
    },
  };
}

/** Scrapes every Prometheus column every second until the returned function is called. */
function startScraping(cols: readonly Column[]): () => void {
  const timers = cols.flatMap((col) => {
    const { adminUrl } = col;
    const scrapes = col.figures.scrapes;
    if (adminUrl === undefined || scrapes === undefined) return [];
    let isBusy = false;
    const scrape = async (): Promise<void> => {
      const start = performance.now();
      try {
        const response = await fetch(`${adminUrl}/metrics`);
        const text = await response.text();
        if (!response.ok) throw new Error(`status ${String(response.status)}`);
        scrapes.count++;
        scrapes.bytes += Buffer.byteLength(text);
        scrapes.ms.push(performance.now() - start);
      } catch {
        scrapes.failures++;
      }
    };
    return [
      setInterval(() => {
        if (isBusy) return;
        isBusy = true;
        void scrape().finally(() => {
          isBusy = false;
        });
      }, intervalMs),
    ];
  });
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}

async function inRounds(
  cols: readonly Column[],
  rounds: number,
  run: (col: Column, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? cols : [...cols].reverse();
    for (const col of order) await run(col, round);
  }
}

/** The share of `total` that slice `round` of `rounds` gets. */
function share(total: number, rounds: number, round: number): number {
  return Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);
}

/** One metered autocannon slice into `into`. */
async function slice(
  col: Column,
  shape: { connections: number; amount: number },
  into: Loop,
): Promise<void> {
  const { lane } = col.figures;
  const meter = cpuMeter({ extproc: col.extprocPid });
  const result = await cannon({
    port: col.port,
    body: lane.workload.jsonBody,
    expectBody: lane.workload.expectedBody,
    ...shape,
  });
  const cpuMs = meter().extproc ?? 0;
  into.cpuMs += cpuMs;
  into.sliceUs.push((1000 * cpuMs) / Math.max(1, result.completed));
  lane.sent.json += result.completed;
  for (const [kind, count] of Object.entries(result.errors))
    for (let i = 0; i < count; i++) lane.errors.add(`json: ${kind}`);
  into.requests += result.completed;
  into.elapsedMs += result.elapsedMs;
  into.latencyMs.push(...result.latencyMs);
}

/** `count` metered streams at concurrency 1 into `col`'s stream figures. */
async function streamSlice(col: Column, count: number): Promise<void> {
  const into = col.figures.streams;
  const meter = cpuMeter({ extproc: col.extprocPid });
  const start = performance.now();
  const results = await sequential(count, () => streamOnce(col.figures.lane));
  const cpuMs = meter().extproc ?? 0;
  into.cpuMs += cpuMs;
  into.sliceUs.push((1000 * cpuMs) / Math.max(1, count));
  into.elapsedMs += performance.now() - start;
  into.requests += count;
  into.latencyMs.push(...results.map((result) => result.ttftMs));
}

/** Warms every column and returns the requests/s each reached in a short probe at `c`. */
async function warm(
  cols: readonly Column[],
  options: BenchOptions,
  c: number,
): Promise<Map<Column, number>> {
  const rates = new Map<Column, number>();
  for (const col of cols) {
    await slice(col, { connections: 1, amount: options.warmup }, newLoop());
    const probe = newLoop();
    await slice(col, { connections: c, amount: c * (options.mode === 'smoke' ? 4 : 25) }, probe);
    rates.set(col, (1000 * probe.requests) / Math.max(1, probe.elapsedMs));
    await sequential(options.streamWarmup, () => streamOnce(col.figures.lane));
  }
  return rates;
}

async function phases(
  cols: readonly Column[],
  options: BenchOptions,
  context: { c: number; progress: (message: string) => void },
): Promise<void> {
  const { c, progress } = context;
  const { rounds } = options;
  progress('observability: warm-up');
  const rates = await warm(cols, options, c);
  progress('observability: c=1');
  await inRounds(cols, rounds, async (col, round) => {
    const amount = share(options.requests, rounds, round);
    await slice(col, { connections: 1, amount }, col.figures.c1);
  });
  progress(`observability: c=${String(c)}`);
  await inRounds(cols, rounds, async (col) => {
    const rate = rates.get(col) ?? 100;
    const amount = Math.max(c * 2, Math.round((rate * options.durationS) / rounds));
    await slice(col, { connections: c, amount }, col.figures.loop);
  });
  progress('observability: streams');
  await inRounds(cols, rounds, async (col, round) => {
    await streamSlice(col, share(options.streams, rounds, round));
  });
}

/** The sum of every `gen_ai_server_request_duration_seconds_count` series of a scrape. */
export function requestCount(text: string): number {
  let total = 0;
  for (const match of text.matchAll(
    /^gen_ai_server_request_duration_seconds_count(?:\{[^}]*\})? (\S+)$/gm,
  ))
    total += Number(match[1]);
  return total;
}

function sentOf(figures: ObservabilityFigures): number {
  return figures.lane.sent.json + figures.lane.sent.streams;
}

type Check = { ok: boolean; text: string };

/** Waits (10 s at most) for a Prometheus column's request count to reach what it was sent. */
async function prometheusCheck(col: Column): Promise<Check> {
  const sent = sentOf(col.figures);
  let seen = Number.NaN;
  try {
    await waitFor(
      async () => {
        seen = requestCount(await (await fetch(`${col.adminUrl ?? ''}/metrics`)).text());
        return seen === sent;
      },
      { timeoutMs: 10_000, description: `${col.figures.label}: the request count` },
    );
  } catch {
    // Reported below with the last count seen.
  }
  return {
    ok: seen === sent,
    text: `${col.figures.label}: \`gen_ai_server_request_duration_seconds_count\` ${String(seen)}, requests sent ${String(sent)}`,
  };
}

/**
 * After an OTLP column's extproc has stopped (a graceful stop exports what is pending): waits
 * (15 s at most) for the collector to hold its request count and, with traces on, one request
 * span and one attempt span per request sent (none with traces off).
 */
async function otlpCheck(collector: OtelCollector, figures: ObservabilityFigures): Promise<Check> {
  const sent = sentOf(figures);
  const service = serviceName(figures.name);
  const spans = figures.name === 'otlp' ? sent : 0;
  let got: Received = received(collector.exports(), service);
  const isComplete = (r: Received): boolean =>
    r.requestCount === sent && r.serverSpans === spans && r.clientSpans === spans;
  try {
    await waitFor(
      () => {
        got = received(collector.exports(), service);
        return isComplete(got);
      },
      { timeoutMs: 15_000, intervalMs: 250, description: 'the collector to hold every request' },
    );
  } catch {
    // Reported below with what arrived.
  }
  return {
    ok: isComplete(got),
    text:
      `${figures.label}: the collector received ${String(got.metricExports)} metric exports (last ` +
      `\`gen_ai.server.request.duration\` count ${String(got.requestCount)}) and ${String(got.spanExports)} ` +
      `span exports (${String(got.serverSpans)} request spans, ${String(got.clientSpans)} attempt spans), requests sent ${String(sent)}`,
  };
}

/** The fake provider saw every request the columns sent, and no other. */
async function providerCheck(fake: FakeBackend, cols: readonly Column[]): Promise<Check> {
  const stats = await fake.stats();
  const json = cols.reduce((sum, col) => sum + col.figures.lane.sent.json, 0);
  const streams = cols.reduce((sum, col) => sum + col.figures.lane.sent.streams, 0);
  return {
    ok: stats.json === json && stats.streams === streams,
    text: `the fake provider answered ${String(stats.json)} JSON requests and ${String(stats.streams)} streams; sent ${String(json)} and ${String(streams)}`,
  };
}

async function verifyAll(
  cols: readonly Column[],
  context: { fake: FakeBackend; sink: Sink },
): Promise<Check[]> {
  const checks: Check[] = [];
  for (const col of cols) if (col.adminUrl !== undefined) checks.push(await prometheusCheck(col));
  checks.push(await providerCheck(context.fake, cols));
  for (const col of cols) await col.stop();
  if (!('collector' in context.sink)) return checks;
  for (const col of cols)
    if (otlpColumns.includes(col.figures.name))
      checks.push(await otlpCheck(context.sink.collector, col.figures));
  return checks;
}

/**
 * Runs the phases with the Prometheus columns scraped meanwhile; returns the collector's CPU
 * milliseconds over them (undefined without a collector).
 */
async function measureColumns(
  cols: readonly Column[],
  context: { options: BenchOptions; c: number; sink: Sink; progress: (message: string) => void },
): Promise<number | undefined> {
  const { sink } = context;
  const collectorCpu =
    'collector' in sink ? cpuMeter({ collector: sink.collector.proc.pid }) : undefined;
  const stopScraping = startScraping(cols);
  try {
    await phases(cols, context.options, context);
  } finally {
    stopScraping();
  }
  return collectorCpu?.().collector;
}

/**
 * Starts the fake provider, the collector and the three gateways, runs the phases, checks every
 * sink, and stops what it started.
 */
export async function measureObservability(
  options: BenchOptions,
  progress: (message: string) => void,
): Promise<ObservabilityReport> {
  const date = new Date();
  const machine = machineInfo();
  const dir = tempDir('bench-observability');
  const fake = await startFakeBackend(options);
  const configPath = writeFilterConfig(dir);
  const sink = await startSink(dir);
  const cols: Column[] = [];
  try {
    const names: ObservabilityColumnName[] =
      'collector' in sink
        ? ['off', 'prometheus-unscraped', 'prometheus', 'otlp-metrics', 'otlp', 'off-again']
        : ['off', 'prometheus-unscraped', 'prometheus', 'off-again'];
    if ('missing' in sink) progress(`observability: no OTLP column: ${sink.missing}`);
    progress(`observability: starting ${String(names.length)} extprocs and Envoys`);
    for (const name of names)
      cols.push(await startColumn(name, { dir, fake, configPath, sink }, options));
    const c = options.concurrencies[0] ?? 16;
    const collectorMs = await measureColumns(cols, { options, c, sink, progress });
    for (const col of cols) col.figures.rssMb = rssMb(col.extprocPid) ?? Number.NaN;
    progress('observability: checking what each sink recorded');
    const checks = await verifyAll(cols, { fake, sink });
    progress('observability: measuring the cost of recording one request in-process');
    const recordCost = await measureRecordCost();
    const otlpSent = cols
      .filter((col) => otlpColumns.includes(col.figures.name))
      .reduce((sum, col) => sum + sentOf(col.figures), 0);
    return {
      date: date.toISOString(),
      command: options.command,
      machine,
      loadAverageEnd: loadavg(),
      rounds: options.rounds,
      concurrency: c,
      columns: cols.map((col) => col.figures),
      otlpMissing: 'missing' in sink ? sink.missing : undefined,
      collectorCpuUs:
        collectorMs === undefined ? undefined : (1000 * collectorMs) / Math.max(1, otlpSent),
      checks,
      recordCost,
      errors: Object.fromEntries(
        cols.map((col) => [
          col.figures.name,
          Object.fromEntries(col.figures.lane.errors.entries()),
        ]),
      ),
    };
  } finally {
    for (const col of cols) await col.stop();
    if ('collector' in sink) await sink.collector.stop();
    await fake.process.stop();
  }
}

type Cell = (f: ObservabilityFigures) => number;

const perRequestUs =
  (of: (f: ObservabilityFigures) => Loop): Cell =>
  (f) =>
    (1000 * of(f).cpuMs) / Math.max(1, of(f).requests);

const rows: readonly { label: string; unit: string; of: Cell }[] = [
  { label: 'c=1: latency p50', unit: 'ms', of: (f) => percentile(f.c1.latencyMs, 50) },
  { label: 'c=1: latency p99', unit: 'ms', of: (f) => percentile(f.c1.latencyMs, 99) },
  { label: 'c=1: extproc CPU per request', unit: 'µs', of: perRequestUs((f) => f.c1) },
  {
    label: 'c=N: throughput',
    unit: 'req/s',
    of: (f) => (1000 * f.loop.requests) / Math.max(1, f.loop.elapsedMs),
  },
  { label: 'c=N: latency p50', unit: 'ms', of: (f) => percentile(f.loop.latencyMs, 50) },
  { label: 'c=N: latency p99', unit: 'ms', of: (f) => percentile(f.loop.latencyMs, 99) },
  { label: 'c=N: extproc CPU per request', unit: 'µs', of: perRequestUs((f) => f.loop) },
  { label: 'streamed c=1: TTFT p50', unit: 'ms', of: (f) => percentile(f.streams.latencyMs, 50) },
  { label: 'streamed c=1: TTFT p99', unit: 'ms', of: (f) => percentile(f.streams.latencyMs, 99) },
  { label: 'streamed c=1: extproc CPU per stream', unit: 'µs', of: perRequestUs((f) => f.streams) },
  { label: 'extproc RSS at the end of the load', unit: 'MiB', of: (f) => f.rssMb },
];

function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ms') return value.toFixed(3);
  if (unit === 'MiB') return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

function ratio(value: number, base: number): string {
  const r = value / base;
  return Number.isFinite(r) ? `${r.toFixed(3)}×` : '—';
}

/**
 * The median (and range) over rounds of `f`'s CPU per request over `off`'s in the same round: the
 * two slices ran seconds apart, so load that comes and goes on the machine falls on both.
 */
function paired(f: Loop, off: Loop): { median: number; min: number; max: number } {
  const ratios = f.sliceUs.map((us, i) => us / (off.sliceUs[i] ?? Number.NaN));
  const finite = ratios.filter((r) => Number.isFinite(r));
  return {
    median: percentile(finite, 50),
    min: Math.min(...finite),
    max: Math.max(...finite),
  };
}

function pairedText(f: Loop, off: Loop): string {
  const p = paired(f, off);
  return `${p.median.toFixed(3)}× (${p.min.toFixed(2)}–${p.max.toFixed(2)})`;
}

function goalLine(report: ObservabilityReport): string {
  const cols = report.columns;
  const off = cols.find((f) => f.name === 'off');
  if (!off) return '';
  const c = String(report.concurrency);
  const describe = (f: ObservabilityFigures): string =>
    `${pairedText(f.c1, off.c1)} at c=1, ${pairedText(f.loop, off.loop)} at c=${c}, ${pairedText(f.streams, off.streams)} streamed`;
  const parts = cols
    .filter((f) => f.name !== 'off')
    .map((f) => {
      if (f.name === 'off-again') return `${f.label} (the run's noise): ${describe(f)}`;
      const isMet = paired(f.c1, off.c1).median <= 1.05 && paired(f.loop, off.loop).median <= 1.05;
      const traces = f.name === 'otlp' ? ', traces being beyond the goal' : '';
      return `${f.label}: ${describe(f)} → ${isMet ? '**met**' : '**missed**'}${traces}`;
    });
  return [
    recordCostLine(report, off),
    `Goal (issue 9/10): extproc CPU per request with metrics on ≤ 1.05× off. Each column's CPU per request over off's in the same round, median over the ${String(report.rounds)} rounds (lowest–highest round), judged on c=1 and c=${c}:`,
    parts.map((part) => `- ${part}`).join('\n'),
  ].join('\n\n');
}

/**
 * The in-process figure beside the end-to-end one: what `record()` costs against off's CPU per
 * request at c=N, which the columns' ratios cannot resolve below the run's noise (the A/A column).
 */
function recordCostLine(report: ObservabilityReport, off: ObservabilityFigures): string {
  const { prometheusUs, otlpUs, requests, repeats } = report.recordCost;
  const offUs = perRequestUs((f) => f.loop)(off);
  const part = (name: string, us: number): string => {
    const share = (100 * us) / offUs;
    return `${name} ${us.toFixed(2)} µs (${share.toFixed(1)}%${share <= 5 ? ', **met**' : ', **missed**'})`;
  };
  return `Recording one request into the GenAI metrics, measured in the bench's process after the run on the extproc's own sinks (median of ${String(repeats)} runs of ${requests.toLocaleString('en-US')} requests, half streamed), as a share of off's ${fmt(offUs, 'µs')} µs of extproc CPU per request at c=${String(report.concurrency)}: ${part('Prometheus', prometheusUs)}; ${part('OTLP (OpenTelemetry SDK)', otlpUs)}. The end-to-end ratios below include the scrapes and exports and the run's noise (the A/A column).`;
}

function scrapeLine(report: ObservabilityReport): string {
  const parts = report.columns.flatMap((f) => {
    const s = f.scrapes;
    if (!s) return [];
    const kb = s.count === 0 ? Number.NaN : s.bytes / s.count / 1024;
    return [
      `${f.label}: ${String(s.count)} scrapes (${kb.toFixed(1)} KiB each, ${mean(s.ms).toFixed(2)} ms mean, ${fmt(percentile(s.ms, 99), 'ms')} ms p99), ${String(s.failures)} failed`,
    ];
  });
  return `Scrapes of \`/metrics\` every ${String(intervalMs / 1000)} s through the whole run (their CPU counts in the figures above): ${parts.join('; ')}.`;
}

/** The block of docs/benchmarks.md (markdown). */
export function observabilityMarkdown(report: ObservabilityReport): string {
  const cols = report.columns;
  const off = cols.find((f) => f.name === 'off');
  const others = cols.filter((f) => f.name !== 'off');
  const header = ['Figure', ...cols.map((f) => f.label), ...others.map((f) => `${f.label} / off`)];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| --- | ${header
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  const c = String(report.concurrency);
  for (const row of rows) {
    const values = cols.map((f) => fmt(row.of(f), row.unit));
    const ratios = others.map((f) => (off ? ratio(row.of(f), row.of(off)) : '—'));
    lines.push(
      `| ${row.label.replace('c=N', `c=${c}`)} (${row.unit}) | ${[...values, ...ratios].join(' | ')} |`,
    );
  }
  const load = (values: readonly number[]): string => values.map((v) => v.toFixed(2)).join(' / ');
  const errors = Object.entries(report.errors).flatMap(([col, kinds]) =>
    Object.entries(kinds).map(([kind, count]) => `${col}: ${kind} × ${String(count)}`),
  );
  const collector =
    report.collectorCpuUs === undefined
      ? `No OTLP column: ${report.otlpMissing ?? 'no collector'} (build it with \`bash scripts/build-otelcol.sh\`).`
      : `The collector's own CPU (its process, not in the figures above): ${fmt(report.collectorCpuUs, 'µs')} µs per request of the OTLP columns.`;
  return [
    `Run ${report.date} with \`${report.command}\` at commit ${report.machine.commit}; load average ${load(report.machine.loadAverages)} at start, ${load(report.loadAverageEnd)} at the end; each phase in ${String(report.rounds)} slices alternating the columns.`,
    lines.join('\n'),
    goalLine(report),
    scrapeLine(report),
    collector,
    `Checks: ${report.checks.map((check) => `${check.ok ? 'ok' : '**FAILED**'}: ${check.text}`).join('; ')}.`,
    errors.length === 0 ? 'Errors: none.' : `Errors:\n\n${errors.map((e) => `- ${e}`).join('\n')}`,
  ].join('\n\n');
}

/**
 * The report for bench/results: the table's figures by column and the per-slice CPU, without the
 * raw latencies (`--out` keeps those).
 */
export function observabilitySummary(report: ObservabilityReport): object {
  return {
    ...report,
    columns: report.columns.map((f) => ({
      name: f.name,
      label: f.label,
      figures: Object.fromEntries(rows.map((row) => [`${row.label} (${row.unit})`, row.of(f)])),
      sliceUs: { c1: f.c1.sliceUs, loop: f.loop.sliceUs, streams: f.streams.sliceUs },
      sent: f.lane.sent,
      scrapes: f.scrapes && { ...f.scrapes, ms: undefined, meanMs: mean(f.scrapes.ms) },
    })),
  };
}

/** Failed requests and failed checks. */
export function observabilityProblems(report: ObservabilityReport): number {
  let total = report.checks.filter((check) => !check.ok).length;
  for (const kinds of Object.values(report.errors))
    for (const count of Object.values(kinds)) total += count;
  return total;
}
