import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import { findBinary } from '@aigw/testkit';
import { repoRoot } from './processes.js';

/** Where a run happened: what the figures depend on. */
export interface MachineInfo {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  /** 1-minute load average when the run started (other work on the machine skews figures). */
  readonly loadAverage: number;
  /** 1-, 5- and 15-minute load averages when the run started. */
  readonly loadAverages: readonly number[];
  readonly node: string;
  readonly envoy: string;
  /** The commit measured, and uncommitted changes under apps/extproc and packages/ if any. */
  readonly commit: string;
  readonly uncommitted: readonly string[];
}

function git(args: readonly string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', cwd: repoRoot });
  } catch {
    return '';
  }
}

/** What the extproc runs: the app and the packages it loads at run time. */
const measuredPaths = [
  'apps/extproc/src',
  'packages/translator/src',
  'packages/filterapi/src',
  'packages/service-kit/src',
  'packages/proto/src',
];

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function envoyVersion(): string {
  try {
    const text = execFileSync(findBinary('envoy'), ['--version'], { encoding: 'utf8' });
    return /\/(\d+\.\d+\.\d+)\//.exec(text)?.[1] ?? text.trim();
  } catch {
    return 'unknown';
  }
}

/** Reads the machine's description (Linux `/proc`, `os`, `envoy --version`). */
export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    loadAverage: loadavg()[0] ?? 0,
    loadAverages: loadavg(),
    node: process.version,
    envoy: envoyVersion(),
    commit: git(['rev-parse', '--short', 'HEAD']).trim() || 'unknown',
    uncommitted: git(['status', '--porcelain', '--', ...measuredPaths])
      .split('\n')
      .map((line) => line.slice(3))
      .filter((path) => path !== '' && !path.endsWith('.test.ts') && !path.includes('/testdata/')),
  };
}
