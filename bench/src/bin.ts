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
import { repoRoot } from './processes.js';
import { profileMarkdown } from './profile-report.js';
import { runProfile } from './profile-run.js';
import { runDecisions, type DecisionsReport } from './ratelimit.js';
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
async function rateLimitRows(stack: Stack, options: BenchOptions): Promise<DecisionsReport> {
  progress(`rate-limit bench (${String(options.rlsSeconds)} s per row, child process)`);
  return runDecisions({
    seconds: options.rlsSeconds,
    dir: stack.dir,
    redisRequests: options.mode === 'full' ? 100_000 : 5_000,
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

async function measureAll(options: BenchOptions): Promise<BenchReport> {
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
  const ratelimit = await rateLimitRows(stack, options);
  const afterLoad = sumRss();
  await verify(stack, targets);
  const envoyStats = await gatewayEnvoyStats(stack);
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
  return buildReport({
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
}

function writeOutputs(report: BenchReport, texts: { results: string; profile?: string }): void {
  const { options } = report;
  const variant = options.latencyMs > 0 ? `-latency-${String(options.latencyMs)}ms` : '';
  const file = writeResultsJson(report, `suite-${report.date.slice(0, 10)}${variant}`);
  const blocks = [{ name: `suite-results${variant}`, body: texts.results }];
  if (texts.profile !== undefined)
    blocks.push({ name: `suite-profile${variant}`, body: texts.profile });
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

async function run(options: BenchOptions): Promise<number> {
  build(options);
  // Set before any child is spawned: children (and the threads they start) inherit it.
  if (options.nice !== 0) setPriority(options.nice);
  if (options.mode === 'soak') return runSoak(options, progress);
  const report = await measureAll(options);
  const results = resultsMarkdown(report);
  const profile = report.profile ? profileMarkdown(report.profile) : undefined;
  process.stdout.write(`${results}\n\n${profile ?? ''}\n`);
  if (options.shouldWrite) writeOutputs(report, { results, ...(profile ? { profile } : {}) });
  if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  return exitCode(report);
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
