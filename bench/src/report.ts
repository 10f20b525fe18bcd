/** Turns raw figures into the report: one table (Envoy direct, gateway, ratio, target) and JSON. */
import type { TargetName } from './client.js';
import type { BenchOptions } from './config.js';
import { bodyCases } from './large-bodies.js';
import type { MachineInfo } from './machine.js';
import type { ProfileResult } from './profile-run.js';
import type { DecisionsReport } from './ratelimit.js';
import type { BodyFigures, LoopFigures, TargetFigures } from './run.js';
import { mean, percentile } from './stats.js';
import type { TranslatorFigures } from './translator.js';

/** Units of the table's figures. */
export type Unit = 'ms' | 'req/s' | 'µs' | 'MiB' | 'decisions/s' | 'msgs';

/** What a row is held to; `added-max`: gateway − direct ≤ limit; `ratio-min`: gateway/direct ≥. */
export interface RowTarget {
  readonly kind: 'added-max' | 'ratio-min' | 'value-max' | 'no-failures';
  readonly limit: number;
}

/** One row of the table. */
export interface Row {
  readonly metric: string;
  readonly unit: Unit;
  /** Envoy direct, or the row's baseline; undefined when there is none ("—"). */
  readonly direct: number | undefined;
  /** The gateway, or our service. NaN with `pending` when the figure is not measured yet. */
  readonly gateway: number;
  /** Latencies and costs get an "added" column (gateway − direct). */
  readonly hasAdded: boolean;
  readonly target?: RowTarget | undefined;
  /** Failed requests (large bodies): shown in the cells, and the `no-failures` target. */
  readonly failures?: { readonly direct: number; readonly gateway: number; readonly of: number };
  /** Why the figure is missing (an explicitly pending row; the smoke check accepts it). */
  readonly pending?: string | undefined;
}

/** RSS figures of one process (MiB). */
export interface RssFigures {
  readonly idle: number;
  readonly underLoad: number;
  readonly peak: number;
  readonly afterLoad: number;
}

/** How many samples the figures rest on. */
export interface SampleCounts {
  readonly c1Requests: number;
  readonly loops: Readonly<Record<string, { requests: number; seconds: number }>>;
  readonly streams: number;
  readonly frameGaps: number;
}

/** Everything a run produced, as written to bench/results/*.json. */
export interface BenchReport {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  /** 1-, 5- and 15-minute load averages when the run ended. */
  readonly loadAverageEnd: readonly number[];
  readonly options: Omit<BenchOptions, 'command'>;
  readonly loadGenerator: string;
  readonly rows: readonly Row[];
  /** CPU time per request by process (µs), per phase (`c=1`, `c=16`, ...) and target. */
  readonly cpuPerRequestUs: Readonly<
    Record<string, Readonly<Record<TargetName, Readonly<Record<string, number>>>>>
  >;
  readonly samples: Readonly<Record<TargetName, SampleCounts>>;
  readonly rss: { readonly extproc: RssFigures; readonly limiter: RssFigures | undefined };
  readonly ratelimit: DecisionsReport | undefined;
  readonly translator: TranslatorFigures | undefined;
  readonly errors: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Envoy's ext_proc counters (gateway, measured run). */
  readonly gatewayEnvoyStats: Readonly<Record<string, number>>;
  readonly profile: ProfileResult | undefined;
}

/** The load generators, as documented. */
export const loadGenerator =
  'autocannon 9 in the bench process for non-streamed requests (HTTP/1.1 keep-alive, no pipelining, fixed request counts); the bench own node:http client for streams (TTFT, per-frame gaps)';

/** CPU µs per request by process (and their total) in one loop phase of one target. */
function cpuPerRequest(loop: LoopFigures, target: TargetName): Record<string, number> {
  const requests = Math.max(1, loop.requests);
  const out: Record<string, number> = {};
  let total = 0;
  for (const [role, ms] of Object.entries(loop.cpuMs)) {
    // The extproc idles while Envoy alone is measured: count it only where it works.
    if (role === 'extproc' && target === 'direct') continue;
    out[role] = (1000 * ms) / requests;
    total += out[role];
  }
  out.total = total;
  return out;
}

type Of = (t: TargetFigures) => number;

function both(
  metric: string,
  spec: { unit: Unit; of: Of; target?: RowTarget },
  targets: Readonly<Record<TargetName, TargetFigures>>,
): Row {
  return {
    metric,
    unit: spec.unit,
    direct: spec.of(targets.direct),
    gateway: spec.of(targets.gateway),
    hasAdded: spec.unit !== 'req/s',
    target: spec.target,
  };
}

function latencyRows(targets: Readonly<Record<TargetName, TargetFigures>>): Row[] {
  const ms = (of: Of, target?: RowTarget): { unit: Unit; of: Of; target?: RowTarget } => ({
    unit: 'ms',
    of,
    ...(target ? { target } : {}),
  });
  const c1 = (t: TargetFigures): number[] => t.c1.latencyMs;
  const cpu =
    (role: string, phase: (t: TargetFigures) => LoopFigures | undefined): Of =>
    (t) => {
      const loop = phase(t);
      return loop ? (cpuPerRequest(loop, t.name)[role] ?? Number.NaN) : Number.NaN;
    };
  return [
    both(
      'Non-streaming, c=1: latency p50',
      ms((t) => percentile(c1(t), 50), { kind: 'added-max', limit: 0.5 }),
      targets,
    ),
    both(
      'Non-streaming, c=1: latency p90',
      ms((t) => percentile(c1(t), 90)),
      targets,
    ),
    both(
      'Non-streaming, c=1: latency p99',
      ms((t) => percentile(c1(t), 99), { kind: 'added-max', limit: 1.5 }),
      targets,
    ),
    both(
      'Non-streaming, c=1: CPU per request, all processes',
      { unit: 'µs', of: cpu('total', (t) => t.c1) },
      targets,
    ),
    both(
      'Non-streaming, c=1: CPU per request, Envoy',
      { unit: 'µs', of: cpu('envoy', (t) => t.c1) },
      targets,
    ),
    both(
      'Non-streaming, c=1: CPU per request, extproc',
      { unit: 'µs', of: cpu('extproc', (t) => t.c1) },
      targets,
    ),
  ].map((row) =>
    row.metric.endsWith('extproc') ? { ...row, direct: undefined, hasAdded: false } : row,
  );
}

function loopRows(targets: Readonly<Record<TargetName, TargetFigures>>, c: number): Row[] {
  const loop = (t: TargetFigures): LoopFigures | undefined => t.loops[c];
  const name = `Non-streaming, c=${String(c)}`;
  const cpu =
    (role: string): Of =>
    (t) => {
      const l = loop(t);
      return l ? (cpuPerRequest(l, t.name)[role] ?? Number.NaN) : Number.NaN;
    };
  return [
    both(
      `${name}: throughput`,
      {
        unit: 'req/s',
        of: (t) => {
          const l = loop(t);
          return l ? (1000 * l.requests) / l.elapsedMs : Number.NaN;
        },
        target: { kind: 'ratio-min', limit: 0.6 },
      },
      targets,
    ),
    both(
      `${name}: latency p50`,
      { unit: 'ms', of: (t) => percentile(loop(t)?.latencyMs ?? [], 50) },
      targets,
    ),
    both(`${name}: CPU per request, all processes`, { unit: 'µs', of: cpu('total') }, targets),
    {
      ...both(`${name}: CPU per request, extproc`, { unit: 'µs', of: cpu('extproc') }, targets),
      direct: undefined,
      hasAdded: false,
    },
  ];
}

function streamRows(targets: Readonly<Record<TargetName, TargetFigures>>): Row[] {
  return [
    both(
      'Streaming, c=1: time to first token p50',
      {
        unit: 'ms',
        of: (t) => percentile(t.ttftMs, 50),
        target: { kind: 'added-max', limit: 1 },
      },
      targets,
    ),
    both(
      'Streaming, c=1: time to first token p99',
      { unit: 'ms', of: (t) => percentile(t.ttftMs, 99) },
      targets,
    ),
    both(
      'Streaming, c=1: gap per SSE frame, mean (added = added gap per frame)',
      { unit: 'ms', of: (t) => mean(t.gapMs) },
      targets,
    ),
    both(
      'Streaming, c=1: gap per SSE frame, p99',
      { unit: 'ms', of: (t) => percentile(t.gapMs, 99) },
      targets,
    ),
  ];
}

const noBody: BodyFigures = { bytes: 0, latencyMs: [], sent: 0, failed: Number.NaN };

function sizeText(bytes: number): string {
  const kb = bytes / 1024;
  return kb >= 1024 ? `${(kb / 1024).toFixed(1)} MiB` : `${kb.toFixed(1)} KiB`;
}

function bodyRows(targets: Readonly<Record<TargetName, TargetFigures>>): Row[] {
  return bodyCases.map((bodyCase) => {
    const direct = targets.direct.bodies[bodyCase.name] ?? noBody;
    const gateway = targets.gateway.bodies[bodyCase.name] ?? noBody;
    return {
      metric: `Large body, ${bodyCase.name} messages (${sizeText(gateway.bytes)}): latency p50`,
      unit: 'ms',
      direct: percentile(direct.latencyMs, 50),
      gateway: percentile(gateway.latencyMs, 50),
      hasAdded: true,
      target: { kind: 'no-failures', limit: 0 },
      failures: { direct: direct.failed, gateway: gateway.failed, of: gateway.sent },
    };
  });
}

const pendingRateLimit = 'not run';

function rateLimitRows(report: DecisionsReport | undefined): Row[] {
  const cell = (store: string, c: number): number =>
    report?.cells.find((x) => x.store.includes(store) && x.concurrency === c)?.rate ?? Number.NaN;
  const incr = (c: number): number => report?.redisIncr[String(c)] ?? Number.NaN;
  const row = (metric: string, gateway: number, direct?: number): Row => ({
    metric,
    unit: 'decisions/s',
    direct,
    gateway,
    hasAdded: false,
    pending: report ? undefined : pendingRateLimit,
  });
  return [
    row('Rate limit: limiter in-process (no gRPC), memory store, c=1', cell('in-process', 1)),
    row('Rate limit: RLS over gRPC, memory store, c=1', cell('RLS over gRPC, memory', 1)),
    row('Rate limit: RLS over gRPC, memory store, c=64', cell('RLS over gRPC, memory', 64)),
    row(
      'Rate limit: RLS over gRPC, redis store, c=1 (baseline: redis-benchmark INCR)',
      cell('RLS over gRPC, redis', 1),
      incr(1),
    ),
    row(
      'Rate limit: RLS over gRPC, redis store, c=64 (baseline: redis-benchmark INCR)',
      cell('RLS over gRPC, redis', 64),
      incr(64),
    ),
  ];
}

/** Why the translator rows are pending until packages/translator/bench lands. */
export const translatorPending = 'pending: packages/translator/bench has not landed';

function translatorRows(figures: TranslatorFigures | undefined, reason: string): Row[] {
  const row = (metric: string, of: (f: TranslatorFigures) => number): Row => ({
    metric: `Translator: ${metric}`,
    unit: 'µs',
    direct: undefined,
    gateway: figures ? of(figures) : Number.NaN,
    hasAdded: false,
    pending: figures ? undefined : reason,
  });
  return [
    row('parse the small chat request', (f) => f.parseUs),
    row('chat completions → OpenAI, request', (f) => f.openaiRequestUs),
    row('chat completions → OpenAI, whole response', (f) => f.openaiResponseUs),
    row('chat completions → AWS Bedrock, request', (f) => f.bedrockRequestUs),
    row('chat completions → AWS Bedrock, whole response', (f) => f.bedrockResponseUs),
  ];
}

function rssRows(rss: BenchReport['rss'], maxC: number): Row[] {
  const row = (
    metric: string,
    value: number,
    extra: { target?: RowTarget; pending?: string | undefined } = {},
  ): Row => ({
    metric,
    unit: 'MiB',
    direct: undefined,
    gateway: value,
    hasAdded: false,
    target: extra.target,
    pending: extra.pending,
  });
  const limiter = rss.limiter;
  const limiterPending = limiter ? undefined : pendingRateLimit;
  return [
    row('RSS: extproc idle (started, no request yet)', rss.extproc.idle, {
      target: { kind: 'value-max', limit: 80 },
    }),
    row(`RSS: extproc under load (max during c=${String(maxC)})`, rss.extproc.underLoad),
    row('RSS: extproc peak (max over the run, large bodies included)', rss.extproc.peak),
    row('RSS: extproc after load (idle again, after the rate-limit rows)', rss.extproc.afterLoad),
    row('RSS: limiter idle', limiter?.idle ?? Number.NaN, { pending: limiterPending }),
    row('RSS: limiter under load (max during c=1 and c=64)', limiter?.underLoad ?? Number.NaN, {
      pending: limiterPending,
    }),
    row('RSS: limiter after load (1 s later)', limiter?.afterLoad ?? Number.NaN, {
      pending: limiterPending,
    }),
  ];
}

/** Inputs of {@link buildReport}. */
export interface ReportInput {
  readonly date: Date;
  readonly machine: MachineInfo;
  readonly options: BenchOptions;
  readonly targets: Readonly<Record<TargetName, TargetFigures>>;
  readonly rss: BenchReport['rss'];
  readonly ratelimit: DecisionsReport | undefined;
  readonly translator: TranslatorFigures | undefined;
  readonly translatorReason: string;
  readonly profile: ProfileResult | undefined;
  readonly gatewayEnvoyStats: Readonly<Record<string, number>>;
  readonly loadAverageEnd: readonly number[];
}

function messagesRow(input: ReportInput): Row {
  const stats = input.gatewayEnvoyStats;
  const sent =
    (stats['http.ai.ext_proc.stream_msgs_sent'] ?? 0) +
    (stats['cluster.bench-backend.ext_proc.stream_msgs_sent'] ?? 0);
  const lane = input.targets.gateway.lane.sent;
  return {
    metric: 'Gateway: ext_proc messages Envoy sent per request (both filters, all phases)',
    unit: 'msgs',
    direct: undefined,
    gateway: sent / Math.max(1, lane.json + lane.streams),
    hasAdded: false,
  };
}

function errorsOf(counter: { entries(): [string, number][] }): Record<string, number> {
  return Object.fromEntries(counter.entries());
}

function samplesOf(t: TargetFigures): SampleCounts {
  return {
    c1Requests: t.c1.latencyMs.length,
    loops: Object.fromEntries(
      Object.entries(t.loops).map(([c, l]) => [
        c,
        { requests: l.requests, seconds: l.elapsedMs / 1000 },
      ]),
    ),
    streams: t.ttftMs.length,
    frameGaps: t.gapMs.length,
  };
}

/** Assembles the report of a run. */
export function buildReport(input: ReportInput): BenchReport {
  const { targets, options } = input;
  const maxC = Math.max(...options.concurrencies);
  const rows = [
    ...latencyRows(targets),
    ...options.concurrencies.flatMap((c) => loopRows(targets, c)),
    ...streamRows(targets),
    ...bodyRows(targets),
    messagesRow(input),
    ...rateLimitRows(input.ratelimit),
    ...translatorRows(input.translator, input.translatorReason),
    ...rssRows(input.rss, maxC),
  ];
  const cpu: Record<string, Record<TargetName, Record<string, number>>> = {
    'c=1': {
      direct: cpuPerRequest(targets.direct.c1, 'direct'),
      gateway: cpuPerRequest(targets.gateway.c1, 'gateway'),
    },
  };
  for (const c of options.concurrencies) {
    const direct = targets.direct.loops[c];
    const gateway = targets.gateway.loops[c];
    if (direct && gateway)
      cpu[`c=${String(c)}`] = {
        direct: cpuPerRequest(direct, 'direct'),
        gateway: cpuPerRequest(gateway, 'gateway'),
      };
  }
  const { command, ...rest } = options;
  return {
    date: input.date.toISOString(),
    command,
    machine: input.machine,
    loadAverageEnd: input.loadAverageEnd,
    options: rest,
    loadGenerator,
    rows,
    cpuPerRequestUs: cpu,
    samples: { direct: samplesOf(targets.direct), gateway: samplesOf(targets.gateway) },
    rss: input.rss,
    ratelimit: input.ratelimit,
    translator: input.translator,
    errors: {
      direct: errorsOf(targets.direct.lane.errors),
      gateway: errorsOf(targets.gateway.lane.errors),
      ...(input.profile ? { profiled: errorsOf(input.profile.errors) } : {}),
    },
    gatewayEnvoyStats: input.gatewayEnvoyStats,
    profile: input.profile,
  };
}

/** Total failures across every lane of a report. */
export function errorTotal(report: BenchReport): number {
  let total = 0;
  for (const kinds of Object.values(report.errors))
    for (const count of Object.values(kinds)) total += count;
  return total;
}

function format(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ms') return value.toFixed(3);
  if (unit === 'MiB' || unit === 'msgs') return value.toFixed(1);
  if (unit === 'µs' && value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

function signed(value: number, unit: Unit): string {
  const text = format(Math.abs(value), unit);
  return value < 0 ? `−${text}` : `+${text}`;
}

function isMet(row: Row, target: RowTarget): boolean {
  const direct = row.direct ?? Number.NaN;
  switch (target.kind) {
    case 'added-max':
      return row.gateway - direct <= target.limit;
    case 'ratio-min':
      return row.gateway / direct >= target.limit;
    case 'value-max':
      return row.gateway < target.limit;
    case 'no-failures':
      return row.failures?.direct === 0 && row.failures.gateway === 0;
  }
}

/** `met`, `missed`, or undefined when the row has no target (or no figure yet). */
export function verdict(row: Row): 'met' | 'missed' | undefined {
  const { target } = row;
  if (!target || row.pending !== undefined) return undefined;
  return isMet(row, target) ? 'met' : 'missed';
}

function targetText(target: RowTarget | undefined): string {
  if (!target) return '';
  switch (target.kind) {
    case 'added-max':
      return `added ≤ ${String(target.limit)} ms`;
    case 'ratio-min':
      return `ratio ≥ ${target.limit.toFixed(2)}`;
    case 'value-max':
      return `< ${String(target.limit)} MiB`;
    case 'no-failures':
      return 'all 200, both paths';
  }
}

function cells(row: Row): string[] {
  if (row.pending !== undefined) return ['—', row.pending, '—', '—'];
  const failed = (n: number): string =>
    row.failures ? ` (${String(n)}/${String(row.failures.of)} failed)` : '';
  const direct =
    row.direct === undefined
      ? '—'
      : `${format(row.direct, row.unit)}${failed(row.failures?.direct ?? 0)}`;
  const gateway = `${format(row.gateway, row.unit)}${failed(row.failures?.gateway ?? 0)}`;
  const ratio =
    row.direct !== undefined && row.direct > 0 ? `${(row.gateway / row.direct).toFixed(2)}×` : '—';
  const added =
    row.hasAdded && row.direct !== undefined ? signed(row.gateway - row.direct, row.unit) : '—';
  return [direct, gateway, ratio, added];
}

/** The one results table (markdown). */
export function resultsTable(rows: readonly Row[]): string {
  const lines = [
    '| Figure | Envoy direct (or baseline) | Gateway (or ours) | Ratio | Added | Target |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const judged = verdict(row);
    const target = row.target ? `${targetText(row.target)}${judged ? `: **${judged}**` : ''}` : '';
    lines.push(`| ${row.metric} (${row.unit}) | ${[...cells(row), target].join(' | ')} |`);
  }
  return lines.join('\n');
}

function loadText(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(' / ');
}

function runLine(report: BenchReport): string {
  const m = report.machine;
  const o = report.options;
  const tree =
    m.uncommitted.length === 0
      ? ''
      : ` plus uncommitted changes in ${m.uncommitted.map((path) => `\`${path}\``).join(', ')}`;
  const shape = [
    `extproc from \`${o.extprocFrom}\`${o.extprocs > 1 ? `, ${String(o.extprocs)} processes on one socket (node:cluster)` : ', one process'}`,
    `Envoy \`--concurrency ${String(o.envoyConcurrency)}\` for both`,
    `fake backend think time ${String(o.latencyMs)} ms`,
    ...(o.nice === 0 ? [] : [`every bench process at nice ${String(o.nice)}`]),
  ].join('; ');
  return [
    `Run ${report.date} with \`${report.command}\` at commit ${m.commit}${tree}.`,
    `Machine: ${String(m.nproc)} CPUs (${m.cpuModel}), ${String(m.memoryGiB)} GiB RAM, Linux ${m.kernel}; ` +
      `Node ${m.node}; Envoy ${m.envoy}. Load average (1/5/15 min) ${loadText(m.loadAverages)} at start, ` +
      `${loadText(report.loadAverageEnd)} at the end. Shape: ${shape}.`,
  ].join('\n\n');
}

function samplesLine(report: BenchReport): string {
  const s = report.samples.gateway;
  const o = report.options;
  const loops = Object.entries(s.loops)
    .map(
      ([c, l]) =>
        `c=${c}: ${l.requests.toLocaleString('en-US')} requests in ${l.seconds.toFixed(1)} s`,
    )
    .join(', ');
  return (
    `Samples through the gateway (Envoy direct alike): ${String(s.c1Requests)} non-streamed requests at c=1 after ${String(o.warmup)} warm-up; ` +
    `${loops}; ${String(s.streams)} streams of ${String(o.frames)} frames ${String(o.frameGapMs)} ms apart at c=1 ` +
    `(${String(s.frameGaps)} gaps); ${String(o.bodyRequests)} requests per large body; each phase in ${String(o.rounds)} slices alternating the targets; ` +
    `rate limit ${String(o.rlsSeconds)} s per row.`
  );
}

function errorsSection(report: BenchReport): string {
  const errors = Object.entries(report.errors).flatMap(([lane, kinds]) =>
    Object.entries(kinds).map(([kind, count]) => `${lane}: ${kind} × ${String(count)}`),
  );
  if (errors.length === 0)
    return 'Errors: none (every response a 200 with the expected body, large bodies included; every stream ended with `[DONE]` and no usage-only frame; backend and access-log cross-checks passed).';
  return `Errors:\n\n${errors.map((e) => `- ${e}`).join('\n')}`;
}

function targetsLine(rows: readonly Row[]): string {
  const judged = rows.filter((row) => verdict(row) !== undefined);
  const missed = judged.filter((row) => verdict(row) === 'missed');
  const pending = rows.filter((row) => row.pending !== undefined);
  return (
    `Targets: ${String(judged.length - missed.length)} of ${String(judged.length)} met` +
    (missed.length > 0 ? ` (missed: ${missed.map((row) => row.metric).join('; ')})` : '') +
    (pending.length > 0
      ? `. Pending rows: ${String(pending.length)} (${pending[0]?.pending ?? ''}).`
      : '.')
  );
}

/** The generated results section of docs/benchmarks.md and the console. */
export function resultsMarkdown(report: BenchReport): string {
  return [
    runLine(report),
    samplesLine(report),
    resultsTable(report.rows),
    targetsLine(report.rows),
    errorsSection(report),
  ].join('\n\n');
}
