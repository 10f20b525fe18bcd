/**
 * `pnpm bench`: the gateway against Envoy alone, plus the rate limiter, the translator and memory,
 * printed as one markdown table (stdout; progress goes to stderr). `--smoke` checks that every
 * figure is produced; `--soak` watches memory over time. See `--help` and docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg, setPriority } from 'node:os';
import { stopAll } from '@aigw/testkit';
import { parseOptions, usage, UsageError, type BenchOptions } from './config.js';
import { machineInfo } from './machine.js';
import {
  measureObservability,
  observabilityMarkdown,
  observabilityProblems,
  observabilitySummary,
} from './observability.js';
import { repoRoot } from './processes.js';
import { profileMarkdown } from './profile-report.js';
import { runProfile } from './profile-run.js';
import { peerBins, type PeerBins } from './peer-bins.js';
import {
  installPeers,
  measurePeers,
  peersMarkdown,
  ratelimitVersion,
  type PeersReport,
} from './peers.js';
import { limiterPeerMarkdown, runDecisions, type DecisionsReport } from './ratelimit.js';
import {
  buildReport,
  errorTotal,
  resultsMarkdown,
  translatorPending,
  type BenchReport,
  type RssFigures,
} from './report.js';
import { RssSampler, rssMb } from './rss.js';
import { measure, startStack, type Stack } from './run.js';
import { smokeProblems } from './smoke.js';
import { runSoak } from './soak.js';
import { translatorFigures, type TranslatorFigures } from './translator.js';
import { gatewayEnvoyStats, verify } from './verify.js';
import { updateBenchmarksDoc, writeResultsJson } from './write.js';

const startedAt = performance.now();

function progress(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(5);
  process.stderr.write(`[bench ${seconds} s] ${message}\n`);
}

/** Builds what the children load: the extproc's and the limiter's dist (turbo, cached). */
function build(options: BenchOptions): void {
  const filters =
    options.extprocFrom === 'dist'
      ? ['--filter=@aigw/extproc', '--filter=@aigw/ratelimit']
      : ['--filter=@aigw/proto', '--filter=@aigw/ratelimit'];
  progress(`building ${filters.map((f) => f.slice(9)).join(', ')} (turbo, cached)`);
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The rate-limit rows: the ratelimit bench as a child process (throws if it fails). */
async function rateLimitRows(
  stack: Stack,
  options: BenchOptions,
  bins: PeerBins | undefined,
): Promise<DecisionsReport> {
  progress(`rate-limit bench (${String(options.rlsSeconds)} s per row, child process)`);
  return runDecisions({
    seconds: options.rlsSeconds,
    dir: stack.dir,
    redisRequests: options.mode === 'full' ? 100_000 : 5_000,
    peerBin: bins?.ratelimit,
  });
}

async function translatorRows(
  options: BenchOptions,
): Promise<{ figures: TranslatorFigures | undefined; reason: string }> {
  try {
    const figures = await translatorFigures({ quick: options.mode !== 'full' });
    return { figures, reason: translatorPending };
  } catch (err) {
    return {
      figures: undefined,
      reason: `failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

async function measureAll(
  options: BenchOptions,
  bins: PeerBins | undefined,
): Promise<{ report: BenchReport; peers: PeersReport | undefined }> {
  const date = new Date();
  const machine = machineInfo();
  progress(
    `starting the fake backend, the extproc and two Envoys (load average ${machine.loadAverage.toFixed(2)})`,
  );
  const stack = await startStack(options);
  const pids = (): Record<string, number> =>
    Object.fromEntries(stack.extprocPids().map((pid, i) => [`extproc.${String(i)}`, pid]));
  const sumRss = (): number => stack.extprocPids().reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0);
  const idle = sumRss();
  const sampler = new RssSampler(pids());
  progress('warming up, then measuring (phases alternate direct / gateway)');
  const targets = await measure(stack, options, { rss: sampler, progress });
  sampler.stop();
  const ratelimit = await rateLimitRows(stack, options, bins);
  const afterLoad = sumRss();
  await verify(stack, targets);
  const envoyStats = await gatewayEnvoyStats(stack);
  // After the cross-checks: the peers phase sends more requests through the same provider.
  const peers = bins ? await measurePeers(stack, options, { bins, progress }) : undefined;
  const maxC = Math.max(...options.concurrencies);
  const sumOf = (of: (role: string) => number): number =>
    Object.keys(pids()).reduce((sum, role) => sum + of(role), 0);
  const extprocRss: RssFigures = {
    idle,
    underLoad: sumOf((role) => sampler.max(role, `c=${String(maxC)}`)),
    peak: sumOf((role) => sampler.peak(role)),
    afterLoad,
  };
  await stack.stopGateway();
  progress('translator bench (packages/translator/bench, if it has landed)');
  const translator = await translatorRows(options);
  let profile;
  if (options.shouldProfile) {
    progress('profiling a fresh extproc under node --cpu-prof');
    profile = await runProfile(stack, { ...options, stamp: date.toISOString().slice(0, 10) });
  }
  const memory = ratelimit.rss.memory;
  const report = buildReport({
    date,
    machine,
    options,
    targets,
    rss: {
      extproc: extprocRss,
      limiter: memory ? { ...memory, peak: memory.underLoad } : undefined,
    },
    ratelimit,
    translator: translator.figures,
    translatorReason: translator.reason,
    profile,
    gatewayEnvoyStats: envoyStats,
    loadAverageEnd: loadavg(),
  });
  return { report, peers };
}

/** The peers section: gateways, then the limiter (markdown). */
function peersSection(report: BenchReport, peers: PeersReport, bins: PeerBins): string {
  const limiter = report.ratelimit?.peer;
  return [
    `Run ${report.date} with \`${report.command}\` at commit ${report.machine.commit}; load average ${report.machine.loadAverages.map((v) => v.toFixed(2)).join(' / ')} at start, ${report.loadAverageEnd.map((v) => v.toFixed(2)).join(' / ')} at the end.`,
    peersMarkdown(peers),
    limiter
      ? limiterPeerMarkdown(limiter, {
          seconds: report.options.rlsSeconds,
          version: ratelimitVersion(bins.ratelimit),
        })
      : '',
  ].join('\n\n');
}

function writeOutputs(
  report: BenchReport,
  texts: { results: string; profile: string | undefined; peers: string | undefined },
): void {
  const { options } = report;
  const variant = options.latencyMs > 0 ? `-latency-${String(options.latencyMs)}ms` : '';
  const file = writeResultsJson(report, `suite-${report.date.slice(0, 10)}${variant}`);
  const blocks = [{ name: `suite-results${variant}`, body: texts.results }];
  if (texts.profile !== undefined)
    blocks.push({ name: `suite-profile${variant}`, body: texts.profile });
  if (texts.peers !== undefined) blocks.push({ name: `suite-peers${variant}`, body: texts.peers });
  updateBenchmarksDoc(blocks);
  progress(`wrote ${file} and docs/benchmarks.md`);
}

/** The exit code: smoke runs require every figure; every run requires zero failures. */
function exitCode(report: BenchReport): number {
  if (report.options.mode === 'smoke') {
    const problems = smokeProblems(report);
    for (const problem of problems) progress(`smoke: ${problem}`);
    progress(problems.length === 0 ? 'smoke: every figure produced' : 'smoke: FAILED');
    return problems.length === 0 ? 0 : 1;
  }
  const errors = errorTotal(report);
  if (errors > 0) progress(`${String(errors)} failed requests or checks (listed above)`);
  return errors > 0 ? 1 : 0;
}

/** Failed peer requests and checks, plus limiter decision mismatches. */
function peerErrorTotal(report: BenchReport, peers: PeersReport | undefined): number {
  if (!peers) return 0;
  let total = report.ratelimit?.peer?.sequence.mismatches ?? 0;
  for (const kinds of Object.values(peers.errors))
    for (const count of Object.values(kinds)) total += count;
  return total;
}

/** Prints the tables; writes docs/benchmarks.md and bench/results (`--write`) and `--out`. */
function output(report: BenchReport, peers: { report: PeersReport; bins: PeerBins } | undefined) {
  const { options } = report;
  const results = resultsMarkdown(report);
  const profile = report.profile ? profileMarkdown(report.profile) : undefined;
  const peersText = peers ? peersSection(report, peers.report, peers.bins) : undefined;
  process.stdout.write(`${results}\n\n${profile ?? ''}\n\n${peersText ?? ''}\n`);
  if (options.shouldWrite) writeOutputs(report, { results, profile, peers: peersText });
  if (options.out !== undefined)
    writeFileSync(options.out, `${JSON.stringify({ ...report, peers: peers?.report }, null, 2)}\n`);
}

/** `--observability`: the three columns on their own, printed and (`--write`) written. */
async function runObservability(options: BenchOptions): Promise<number> {
  const otelVars = Object.keys(process.env).filter((key) => key.startsWith('OTEL_'));
  if (otelVars.length > 0) {
    progress(
      `unset ${otelVars.join(', ')}: the extprocs would inherit them ("off" would not be off)`,
    );
    return 2;
  }
  const report = await measureObservability(options, progress);
  const text = observabilityMarkdown(report);
  process.stdout.write(`${text}\n`);
  if (options.shouldWrite) {
    const name = `observability-${report.date.slice(0, 10)}`;
    const file = writeResultsJson(observabilitySummary(report), name);
    updateBenchmarksDoc([{ name: 'suite-observability', body: text }]);
    progress(`wrote ${file} and docs/benchmarks.md`);
  }
  if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  const problems = observabilityProblems(report);
  if (problems > 0) progress(`observability: ${String(problems)} failed requests or checks`);
  return problems > 0 ? 1 : 0;
}

async function run(options: BenchOptions): Promise<number> {
  build(options);
  // Set before any child is spawned: children (and the threads they start) inherit it.
  if (options.nice !== 0) setPriority(options.nice);
  if (options.mode === 'soak') return runSoak(options, progress);
  if (options.observability) return runObservability(options);
  // The peers' paths: PORTKEY_GATEWAY_BIN, LITELLM_BIN, ENVOY_RATELIMIT_BIN, else .tools/peers.
  const bins = options.peers ? peerBins(repoRoot, process.env) : undefined;
  if (bins) installPeers(progress);
  const { report, peers } = await measureAll(options, bins);
  output(report, peers && bins ? { report: peers, bins } : undefined);
  const peerErrors = peerErrorTotal(report, peers);
  if (peerErrors > 0)
    progress(`peers: ${String(peerErrors)} failed requests, checks or mismatches`);
  return Math.max(exitCode(report), peerErrors > 0 ? 1 : 0);
}

async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv[0] === '--' ? argv.slice(1) : argv);
  } catch (err) {
    const message =
      err instanceof UsageError || err instanceof TypeError ? err.message : String(err);
    process.stderr.write(`bench: ${message}\n\n${usage}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  try {
    return await run(options);
  } finally {
    await stopAll();
  }
}

process.exitCode = await main(process.argv.slice(2));
