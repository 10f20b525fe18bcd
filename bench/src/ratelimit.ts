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
  /** Ours (Redis store) against envoyproxy/ratelimit, with `--peers`. */
  readonly peer?: LimiterPeerReport | undefined;
}

/** Decisions/s and latency of one side at one concurrency. */
export interface LimiterSide {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

/** What the ratelimit bench's `--peer-bin` comparison reports. */
export interface LimiterPeerReport {
  readonly cells: readonly {
    readonly concurrency: number;
    readonly ours: LimiterSide;
    readonly theirs: LimiterSide;
  }[];
  readonly rss: { readonly ours: LimiterRss; readonly theirs: LimiterRss };
  readonly sequence: {
    readonly ours: readonly string[];
    readonly theirs: readonly string[];
    readonly mismatches: number;
  };
}

/** The limiter peers table (markdown); `version`: envoyproxy/ratelimit's module version. */
export function limiterPeerMarkdown(
  peer: LimiterPeerReport,
  context: { seconds: number; version: string },
): string {
  const { seconds, version } = context;
  const fmt = (n: number): string =>
    n < 10 ? n.toFixed(3) : Math.round(n).toLocaleString('en-US');
  const mb = (n: number): string => n.toFixed(1);
  return [
    `Limiter: ours (\`--store redis\`) against envoyproxy/ratelimit ${version} (Go module proxy), the same Redis, the same YAML and the same grpc-js client on a Unix socket; ${String(seconds)} s per concurrency per service in 4 alternating slices. OK/OVER_LIMIT sequences on a 3-per-hour descriptor: ours ${peer.sequence.ours.join(',')}; theirs ${peer.sequence.theirs.join(',')} (${String(peer.sequence.mismatches)} mismatches).`,
    [
      '| concurrency | ours decisions/s | envoyproxy/ratelimit decisions/s | ours / theirs | ours p50 / p99 (ms) | theirs p50 / p99 (ms) | p99 ours / theirs |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...peer.cells.map(
        (c) =>
          `| ${String(c.concurrency)} | ${fmt(c.ours.rate)} | ${fmt(c.theirs.rate)} | ${(c.ours.rate / c.theirs.rate).toFixed(2)}× | ${fmt(c.ours.p50)} / ${fmt(c.ours.p99)} | ${fmt(c.theirs.p50)} / ${fmt(c.theirs.p99)} | ${(c.ours.p99 / c.theirs.p99).toFixed(2)}× |`,
      ),
    ].join('\n'),
    [
      '| limiter RSS (MiB) | idle | under load (max) | after load (1 s) |',
      '| --- | ---: | ---: | ---: |',
      `| ours | ${mb(peer.rss.ours.idle)} | ${mb(peer.rss.ours.underLoad)} | ${mb(peer.rss.ours.afterLoad)} |`,
      `| envoyproxy/ratelimit | ${mb(peer.rss.theirs.idle)} | ${mb(peer.rss.theirs.underLoad)} | ${mb(peer.rss.theirs.afterLoad)} |`,
    ].join('\n'),
  ].join('\n\n');
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
  /** Also compare with envoyproxy/ratelimit (this binary). */
  readonly peerBin?: string | undefined;
}): Promise<DecisionsReport> {
  const out = join(options.dir, 'ratelimit.json');
  const child = await spawnDecisions(
    [
      ...['--seconds', String(options.seconds), '--json-out', out],
      ...['--redis-requests', String(options.redisRequests)],
      ...(options.peerBin === undefined ? [] : ['--peer-bin', options.peerBin]),
    ],
    'ratelimit-bench',
  );
  const status = await child.exited;
  if (status.code !== 0)
    throw new Error(`the ratelimit bench failed (${JSON.stringify(status)}):\n${child.logTail()}`);
  return JSON.parse(readFileSync(out, 'utf8')) as DecisionsReport;
}
