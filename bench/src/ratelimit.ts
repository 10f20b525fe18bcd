/**
 * The rate-limit rows: apps/ratelimit's own bench (`bench/decisions.ts`) run as a child process
 * with `--json-out`, so the service is measured exactly as `pnpm --filter @aigw/ratelimit bench`
 * measures it, and this package needs neither its gRPC client nor its protos.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnManaged, type ManagedProcess } from '@aigw/testkit';
import { repoRoot } from './processes.js';

/** One row of the ratelimit bench. */
export interface DecisionsCell {
  readonly store: string;
  readonly concurrency: number;
  /** Decisions per second. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

/** Limiter RSS (MiB). */
export interface LimiterRss {
  readonly idle: number;
  readonly underLoad: number;
  readonly afterLoad: number;
}

/** What the ratelimit bench writes with `--json-out`. */
export interface DecisionsReport {
  readonly seconds: number;
  readonly cells: readonly DecisionsCell[];
  /** redis-benchmark INCR requests/s by client count ("1", "64"). */
  readonly redisIncr: Readonly<Record<string, number>>;
  readonly rss: Readonly<Record<string, LimiterRss>>;
}

const appDir = join(repoRoot, 'apps', 'ratelimit');

/** Starts the ratelimit bench as a child (the service from `dist`, built by the caller). */
export function spawnDecisions(args: readonly string[], name: string): Promise<ManagedProcess> {
  const script = ['--import', 'tsx', '--conditions=@aigw/source', 'bench/decisions.ts'];
  return spawnManaged(process.execPath, [...script, '--from', 'dist', ...args], {
    name,
    cwd: appDir,
  });
}

/** Runs the ratelimit bench's table mode for `seconds` per row and returns its figures. */
export async function runDecisions(options: {
  readonly seconds: number;
  readonly dir: string;
  readonly redisRequests: number;
}): Promise<DecisionsReport> {
  const out = join(options.dir, 'ratelimit.json');
  const child = await spawnDecisions(
    [
      ...['--seconds', String(options.seconds), '--json-out', out],
      ...['--redis-requests', String(options.redisRequests)],
    ],
    'ratelimit-bench',
  );
  const status = await child.exited;
  if (status.code !== 0)
    throw new Error(`the ratelimit bench failed (${JSON.stringify(status)}):\n${child.logTail()}`);
  return JSON.parse(readFileSync(out, 'utf8')) as DecisionsReport;
}
