/** Turns raw figures into the report: one table with ratios, JSON, and the profile summary. */
import type { TargetName } from './client.js';
import type { BenchOptions } from './config.js';
import type { MachineInfo } from './machine.js';
import type { ProfileResult } from './profile-run.js';
import type { ProfileRow } from './profile-summary.js';
import type { TargetFigures } from './run.js';
import { mean, percentile } from './stats.js';

/** One row of the results table. */
export interface Figure {
  readonly metric: string;
  readonly unit: 'ms' | 'req/s' | 'µs';
  readonly direct: number;
  readonly gateway: number;
  /** Latencies and costs get an "added" column (gateway − direct); throughput does not. */
  readonly hasAdded: boolean;
}

/** How many samples each figure rests on. */
export interface SampleCounts {
  readonly c1Requests: number;
  readonly loopRequests: number;
  readonly loopSeconds: number;
  readonly streams: number;
  readonly frameGaps: number;
}

/** Everything a run produced, as written to bench/results/*.json. */
export interface BenchReport {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly options: Omit<BenchOptions, 'command'>;
  readonly loadGenerator: string;
  readonly figures: readonly Figure[];
  /** CPU time per request during the throughput phase, by process (µs). */
  readonly cpuPerRequestUs: Readonly<
    Record<'c1' | 'loop', Readonly<Record<TargetName, Readonly<Record<string, number>>>>>
  >;
  readonly samples: Readonly<Record<TargetName, SampleCounts>>;
  readonly aim: {
    readonly addedP50Ms: number;
    readonly addedP99Ms: number;
    readonly isMet: boolean;
  };
  readonly errors: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Envoy's ext_proc stream and extproc connection counters (gateway, measured run). */
  readonly gatewayEnvoyStats: Readonly<Record<string, number>>;
  readonly profile: ProfileResult | undefined;
}

/** The load generator, as documented. */
export const loadGenerator =
  'hand-written HTTP/1.1 keep-alive client on node:http (one Agent per target), in the bench process';

/** CPU µs per request by process (and their total) in one phase of one target. */
function cpuPerRequest(target: TargetFigures, phase: 'c1' | 'loop'): Record<string, number> {
  const requests = Math.max(1, phase === 'c1' ? target.latencyMs.length : target.loop.requests);
  const out: Record<string, number> = {};
  let total = 0;
  for (const [role, ms] of Object.entries(target.cpuMs[phase])) {
    // The extproc idles while Envoy alone is measured: count it only where it works.
    if (role === 'extproc' && target.lane.target.name === 'direct') continue;
    out[role] = (1000 * ms) / requests;
    total += out[role];
  }
  out.total = total;
  return out;
}

function figure(
  metric: string,
  values: { unit: Figure['unit']; of: (t: TargetFigures) => number },
  targets: Readonly<Record<TargetName, TargetFigures>>,
): Figure {
  return {
    metric,
    unit: values.unit,
    direct: values.of(targets.direct),
    gateway: values.of(targets.gateway),
    hasAdded: values.unit !== 'req/s',
  };
}

/** The rows of the results table. */
export function figuresOf(
  targets: Readonly<Record<TargetName, TargetFigures>>,
  options: BenchOptions,
): Figure[] {
  const c = `c=${String(options.concurrency)}`;
  const ms = (of: (t: TargetFigures) => number): { unit: 'ms'; of: typeof of } => ({
    unit: 'ms',
    of,
  });
  return [
    figure(
      'Non-streaming, c=1: latency p50',
      ms((t) => percentile(t.latencyMs, 50)),
      targets,
    ),
    figure(
      'Non-streaming, c=1: latency p90',
      ms((t) => percentile(t.latencyMs, 90)),
      targets,
    ),
    figure(
      'Non-streaming, c=1: latency p99',
      ms((t) => percentile(t.latencyMs, 99)),
      targets,
    ),
    figure(
      'Non-streaming, c=1: CPU per request, all processes',
      { unit: 'µs', of: (t) => cpuPerRequest(t, 'c1').total ?? Number.NaN },
      targets,
    ),
    figure(
      `Non-streaming, ${c}: throughput`,
      { unit: 'req/s', of: (t) => (1000 * t.loop.requests) / t.loop.elapsedMs },
      targets,
    ),
    figure(
      `Non-streaming, ${c}: latency p50`,
      ms((t) => percentile(t.loop.latencyMs, 50)),
      targets,
    ),
    figure(
      `Non-streaming, ${c}: latency p99`,
      ms((t) => percentile(t.loop.latencyMs, 99)),
      targets,
    ),
    figure(
      `Non-streaming, ${c}: CPU per request, all processes`,
      { unit: 'µs', of: (t) => cpuPerRequest(t, 'loop').total ?? Number.NaN },
      targets,
    ),
    figure(
      'Streaming, c=1: time to first token p50',
      ms((t) => percentile(t.ttftMs, 50)),
      targets,
    ),
    figure(
      'Streaming, c=1: time to first token p99',
      ms((t) => percentile(t.ttftMs, 99)),
      targets,
    ),
    figure(
      'Streaming, c=1: per-frame gap mean',
      ms((t) => mean(t.gapMs)),
      targets,
    ),
    figure(
      'Streaming, c=1: per-frame gap p99',
      ms((t) => percentile(t.gapMs, 99)),
      targets,
    ),
    figure(
      'Streaming, c=1: whole stream p50',
      ms((t) => percentile(t.streamMs, 50)),
      targets,
    ),
  ];
}

function errorsOf(counter: { entries(): [string, number][] }): Record<string, number> {
  return Object.fromEntries(counter.entries());
}

/** Assembles the report of a run. */
export function buildReport(run: {
  readonly date: Date;
  readonly machine: MachineInfo;
  readonly options: BenchOptions;
  readonly targets: Readonly<Record<TargetName, TargetFigures>>;
  readonly profile: ProfileResult | undefined;
  readonly gatewayEnvoyStats: Readonly<Record<string, number>>;
}): BenchReport {
  const { targets, options } = run;
  const figures = figuresOf(targets, options);
  const added = (metric: string): number => {
    const f = figures.find((candidate) => candidate.metric === metric);
    return f ? f.gateway - f.direct : Number.NaN;
  };
  const addedP50 = added('Non-streaming, c=1: latency p50');
  const addedP99 = added('Non-streaming, c=1: latency p99');
  const sampleCounts = (t: TargetFigures): SampleCounts => ({
    c1Requests: t.latencyMs.length,
    loopRequests: t.loop.requests,
    loopSeconds: t.loop.elapsedMs / 1000,
    streams: t.ttftMs.length,
    frameGaps: t.gapMs.length,
  });
  const { command, ...rest } = options;
  return {
    date: run.date.toISOString(),
    command,
    machine: run.machine,
    options: rest,
    loadGenerator,
    figures,
    cpuPerRequestUs: {
      c1: {
        direct: cpuPerRequest(targets.direct, 'c1'),
        gateway: cpuPerRequest(targets.gateway, 'c1'),
      },
      loop: {
        direct: cpuPerRequest(targets.direct, 'loop'),
        gateway: cpuPerRequest(targets.gateway, 'loop'),
      },
    },
    samples: { direct: sampleCounts(targets.direct), gateway: sampleCounts(targets.gateway) },
    aim: {
      addedP50Ms: addedP50,
      addedP99Ms: addedP99,
      isMet: addedP50 <= 0.5 && addedP99 <= 1.5,
    },
    errors: {
      direct: errorsOf(targets.direct.lane.errors),
      gateway: errorsOf(targets.gateway.lane.errors),
      ...(run.profile ? { profiled: errorsOf(run.profile.errors) } : {}),
    },
    gatewayEnvoyStats: run.gatewayEnvoyStats,
    profile: run.profile,
  };
}

/** Total failures across every lane of a report. */
export function errorTotal(report: BenchReport): number {
  let total = 0;
  for (const kinds of Object.values(report.errors))
    for (const count of Object.values(kinds)) total += count;
  return total;
}

function format(value: number, unit: Figure['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ms') return value.toFixed(3);
  return Math.round(value).toLocaleString('en-US');
}

function signed(value: number, unit: Figure['unit']): string {
  const text = format(Math.abs(value), unit);
  return value < 0 ? `−${text}` : `+${text}`;
}

/** The results table (markdown). */
export function resultsTable(figures: readonly Figure[]): string {
  const lines = [
    '| Metric | Envoy direct | Gateway (Envoy + extproc) | Ratio (gateway/direct) | Added (gateway − direct) |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const f of figures) {
    const ratio = f.direct > 0 ? `${(f.gateway / f.direct).toFixed(2)}×` : 'n/a';
    const added = f.hasAdded ? signed(f.gateway - f.direct, f.unit) : '—';
    const cells = [format(f.direct, f.unit), format(f.gateway, f.unit), ratio, added];
    lines.push(`| ${f.metric} (${f.unit}) | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** CPU per request by process (markdown). */
export function cpuTable(cpu: BenchReport['cpuPerRequestUs'], concurrency: number): string {
  const roles = ['envoy', 'extproc', 'backend', 'client', 'total'];
  const c = `c=${String(concurrency)}`;
  const lines = [
    `| CPU per non-streamed request (µs), by process | c=1 direct | c=1 gateway | ${c} direct | ${c} gateway |`,
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  const cell = (value: number | undefined): string =>
    value === undefined ? '—' : format(value, 'µs');
  for (const role of roles) {
    const cells = [cpu.c1.direct, cpu.c1.gateway, cpu.loop.direct, cpu.loop.gateway].map((t) =>
      cell(t[role]),
    );
    lines.push(`| ${role} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function rowTable(title: string, rows: readonly ProfileRow[], withCategory: boolean): string {
  const head = withCategory
    ? [`| ${title} | package | ms | % of busy |`, '| --- | --- | ---: | ---: |']
    : [`| ${title} | ms | % of busy |`, '| --- | ---: | ---: |'];
  const body = rows.map((row) => {
    const name = row.name.replaceAll('|', '\\|');
    const cells = [row.ms.toFixed(0), row.pctBusy.toFixed(1)];
    return withCategory
      ? `| \`${name}\` | ${row.category} | ${cells.join(' | ')} |`
      : `| ${name} | ${cells.join(' | ')} |`;
  });
  return [...head, ...body].join('\n');
}

/** One table: each group's share of the extproc's busy time, one column per profiled phase. */
function groupTable(profile: ProfileResult): string {
  const phases = profile.phases;
  const perRequest = phases.map((phase) =>
    phase.requests > 0 ? ((1000 * phase.summary.busyMs) / phase.requests).toFixed(0) : '—',
  );
  const lines = [
    `| Share of extproc CPU | ${phases.map((phase) => phase.name).join(' | ')} |`,
    `| --- |${phases.map(() => ' ---: |').join('')}`,
  ];
  const names = phases[0]?.summary.byGroup.map((row) => row.name) ?? [];
  for (const [index, name] of names.entries()) {
    const cells = phases.map(
      (phase) => `${(phase.summary.byGroup[index]?.pctBusy ?? 0).toFixed(1)}%`,
    );
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  lines.push(`| **Extproc CPU per request (µs, profiler on)** | ${perRequest.join(' | ')} |`);
  return lines.join('\n');
}

/** The profile summary (markdown), one section per profiled phase. */
export function profileMarkdown(profile: ProfileResult): string {
  const parts: string[] = [
    groupTable(profile),
    `Raw profile: \`${profile.file}\` (git-ignored; open it in Chrome DevTools or speedscope).`,
  ];
  for (const phase of profile.phases) {
    const s = phase.summary;
    const perRequest =
      phase.requests > 0
        ? ` → **${((1000 * s.busyMs) / phase.requests).toFixed(0)} µs of extproc CPU per request**`
        : '';
    const perFrame =
      phase.frames > 0 ? `, ${((1000 * s.busyMs) / phase.frames).toFixed(0)} µs per SSE frame` : '';
    parts.push(
      `#### Profiled phase: ${phase.name}\n\n` +
        `${(s.wallMs / 1000).toFixed(1)} s window` +
        (phase.requests > 0 ? `, ${phase.requests.toLocaleString('en-US')} requests` : '') +
        `${phase.frames > 0 ? ` (${phase.frames.toLocaleString('en-US')} frames)` : ''}. ` +
        `Extproc busy ${(s.busyMs / 1000).toFixed(2)} s (${((100 * s.busyMs) / s.wallMs).toFixed(0)}% of one core)` +
        `${perRequest}${perFrame}; ` +
        `garbage collection ${((100 * s.gcMs) / Math.max(1, s.busyMs)).toFixed(1)}% of busy.`,
      rowTable('Self time by package', s.byCategory.slice(0, 10), false),
      rowTable('Top functions by self time', s.topSelf.slice(0, 12), true),
      rowTable(
        'Our functions (`@aigw/*`) by total time (self + callees)',
        s.topTotalOwn.slice(0, 8),
        true,
      ),
    );
  }
  return parts.join('\n\n');
}

function runLine(report: BenchReport): string {
  const m = report.machine;
  const o = report.options;
  const tree =
    m.uncommitted.length === 0
      ? ''
      : ` plus uncommitted changes in ${m.uncommitted.map((path) => `\`${path}\``).join(', ')}`;
  const variant = o.isGracefulClose
    ? 'Variant: the gateway Envoy runs with `envoy.reloadable_features.ext_proc_graceful_grpc_close: true`.'
    : 'Gateway Envoy as in `e2e/src/support/gateway-bootstrap.ts` (graceful ext_proc stream close on: `envoy.reloadable_features.ext_proc_graceful_grpc_close`).';
  return [
    `Run ${report.date} with \`${report.command}\` at commit ${m.commit}${tree}.`,
    `Machine: ${String(m.nproc)} CPUs (${m.cpuModel}), ${String(m.memoryGiB)} GiB RAM, Linux ${m.kernel}, ` +
      `load average ${m.loadAverage.toFixed(2)} at start; Node ${m.node}; Envoy ${m.envoy} ` +
      `(\`--concurrency 1\` for both Envoys); extproc run from \`${o.extprocFrom}\` as its own process` +
      `${o.nice === 0 ? '' : `; every bench process at nice ${String(o.nice)}`}. ${variant}`,
  ].join('\n\n');
}

function samplesLine(report: BenchReport): string {
  const s = report.samples.gateway;
  const o = report.options;
  return (
    `Samples per target: ${String(s.c1Requests)} non-streamed requests at c=1 after ${String(o.warmup)} warm-up; ` +
    `${String(o.durationS)} s at c=${String(o.concurrency)} (${String(s.loopRequests)} requests through the gateway); ` +
    `${String(s.streams)} streams of ${String(o.frames)} frames ${String(o.frameGapMs)} ms apart at c=1 ` +
    `(${String(s.frameGaps)} gaps); each phase in ${String(o.rounds)} slices alternating the targets.`
  );
}

function errorsSection(report: BenchReport): string {
  const errors = Object.entries(report.errors).flatMap(([lane, kinds]) =>
    Object.entries(kinds).map(([kind, count]) => `${lane}: ${kind} × ${String(count)}`),
  );
  if (errors.length === 0)
    return 'Errors: none (every response 200 with the expected body; every stream ended with `[DONE]` and no usage-only frame; backend and access-log cross-checks passed).';
  const stats = report.gatewayEnvoyStats;
  const lost = stats['cluster.extproc.upstream_cx_destroy_remote_with_active_rq'] ?? 0;
  const failed =
    (stats['http.ai.ext_proc.streams_failed'] ?? 0) +
    (stats['cluster.bench-backend.ext_proc.streams_failed'] ?? 0);
  const envoy = `Gateway Envoy (measured run): ${String(failed)} ext_proc streams failed; the extproc closed ${String(lost)} of its ${String(stats['cluster.extproc.upstream_cx_total'] ?? 0)} connections from Envoy with requests in flight.`;
  return `Errors:\n\n${errors.map((e) => `- ${e}`).join('\n')}\n\n${envoy}`;
}

/** The generated results section of docs/benchmarks.md and the console. */
export function resultsMarkdown(report: BenchReport): string {
  const verdict = (value: number, limit: number): string =>
    `${value.toFixed(3)} ms (aim ≤ ${String(limit)} ms: ${value <= limit ? 'met' : 'missed'})`;
  return [
    runLine(report),
    samplesLine(report),
    resultsTable(report.figures),
    cpuTable(report.cpuPerRequestUs, report.options.concurrency),
    `Added latency, non-streaming, c=1: p50 ${verdict(report.aim.addedP50Ms, 0.5)}, p99 ${verdict(report.aim.addedP99Ms, 1.5)}.`,
    errorsSection(report),
  ].join('\n\n');
}
