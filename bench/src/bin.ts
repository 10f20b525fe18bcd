/**
 * `pnpm bench`: the extproc's added latency and throughput against Envoy alone, printed as one
 * markdown table (stdout; progress goes to stderr). See `--help` and docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { setPriority } from 'node:os';
import { stopAll } from '@aigw/testkit';
import { parseOptions, usage, UsageError, type BenchOptions } from './config.js';
import { machineInfo } from './machine.js';
import { repoRoot } from './processes.js';
import { runProfile } from './profile-run.js';
import {
  buildReport,
  errorTotal,
  profileMarkdown,
  resultsMarkdown,
  type BenchReport,
} from './report.js';
import { gatewayEnvoyStats, measure, startStack, verify } from './run.js';
import { updateBenchmarksDoc, writeResultsJson } from './write.js';

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Builds what the extproc child loads: its dist (default), or only @aigw/proto (sources mode). */
function build(options: BenchOptions): void {
  const filter = options.extprocFrom === 'dist' ? '@aigw/extproc' : '@aigw/proto';
  progress(`building ${filter} (turbo, cached)`);
  execFileSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', `--filter=${filter}`, '--output-logs=errors-only'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

async function run(options: BenchOptions): Promise<BenchReport> {
  const date = new Date();
  // A variant gets its own result file and its own blocks in docs/benchmarks.md.
  const variant = options.isGracefulClose ? '-graceful-close' : '';
  const stamp = `${date.toISOString().slice(0, 10)}${variant}`;
  build(options);
  // Set before any child is spawned: children (and the threads they start) inherit it.
  if (options.nice !== 0) setPriority(options.nice);
  const machine = machineInfo();
  progress(
    `starting the fake backend, the extproc and two Envoys (load average ${machine.loadAverage.toFixed(2)})`,
  );
  const stack = await startStack(options);
  progress('warming up, then measuring (phases alternate direct / gateway)');
  const targets = await measure(stack, options);
  await verify(stack, targets);
  const envoyStats = await gatewayEnvoyStats(stack);
  await stack.stopGateway();
  let profile;
  if (options.shouldProfile) {
    progress('profiling a fresh extproc under node --cpu-prof');
    profile = await runProfile(stack, { ...options, stamp });
  }
  const report = buildReport({
    date,
    machine,
    options,
    targets,
    profile,
    gatewayEnvoyStats: envoyStats,
  });
  const results = resultsMarkdown(report);
  const profileText = profile ? profileMarkdown(profile) : undefined;
  process.stdout.write(`${results}\n\n${profileText ?? ''}\n`);
  if (options.shouldWrite) {
    const file = writeResultsJson(report, `extproc-${stamp}`);
    const blocks = [{ name: `extproc-results${variant}`, body: results }];
    if (profileText !== undefined)
      blocks.push({ name: `extproc-profile${variant}`, body: profileText });
    updateBenchmarksDoc(blocks);
    progress(`wrote ${file} and docs/benchmarks.md`);
  }
  return report;
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
    const report = await run(options);
    const errors = errorTotal(report);
    if (errors > 0) progress(`${String(errors)} failed requests or checks (listed above)`);
    return errors > 0 ? 1 : 0;
  } finally {
    await stopAll();
  }
}

process.exitCode = await main(process.argv.slice(2));
