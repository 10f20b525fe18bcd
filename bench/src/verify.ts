/**
 * Cross-checks after the measured phases, counted as errors of the target concerned: every
 * request reached the backend; the gateway asked the backend for usage on every stream (the client
 * never did); Envoy logged a 200 for every request and, through the gateway, the exact token counts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@aigw/testkit';
import { benchBackendName } from './bootstraps.js';
import type { TargetName } from './client.js';
import { benchUsage } from './payloads.js';
import type { Stack, TargetFigures } from './run.js';

interface AccessLogLine {
  readonly status?: number;
  readonly input?: number;
  readonly output?: number;
  readonly backend?: string;
  readonly cost?: number;
}

function readAccessLog(path: string): AccessLogLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AccessLogLine);
}

function isRecordedByGateway(line: AccessLogLine): boolean {
  const { prompt, completion } = benchUsage;
  return (
    line.status === 200 &&
    line.input === prompt &&
    line.output === completion &&
    line.backend === benchBackendName &&
    line.cost === prompt + completion * 4
  );
}

const gatewayStatNames = [
  'http.ai.ext_proc.streams_started',
  'http.ai.ext_proc.streams_failed',
  'http.ai.ext_proc.stream_msgs_sent',
  'cluster.bench-backend.ext_proc.streams_started',
  'cluster.bench-backend.ext_proc.streams_failed',
  'cluster.bench-backend.ext_proc.stream_msgs_sent',
  'cluster.extproc.upstream_cx_total',
  'cluster.extproc.upstream_cx_destroy_remote_with_active_rq',
];

/** Envoy's own view of the ext_proc streams and of its connections to the extproc. */
export async function gatewayEnvoyStats(stack: Stack): Promise<Record<string, number>> {
  const stats = await stack.envoys.gateway.stats(
    'ext_proc\\.(streams_|stream_msgs_sent)|^cluster\\.extproc\\.upstream_cx_',
  );
  return Object.fromEntries(gatewayStatNames.map((name) => [name, stats[name] ?? 0]));
}

async function checkAccessLog(stack: Stack, target: TargetFigures): Promise<void> {
  const name: TargetName = target.name;
  const expected = target.lane.sent.json + target.lane.sent.streams;
  const path = join(stack.dir, `access-${name}.log`);
  const lines = await waitFor(
    () => {
      const read = readAccessLog(path);
      return read.length >= expected ? read : undefined;
    },
    { timeoutMs: 5_000, intervalMs: 200, description: `${name} access log` },
  ).catch(() => readAccessLog(path));
  const bad =
    name === 'gateway'
      ? lines.filter((line) => !isRecordedByGateway(line)).length
      : lines.filter((line) => line.status !== 200).length;
  if (lines.length !== expected)
    target.lane.errors.add(
      `verify: ${String(lines.length)} access log lines, expected ${String(expected)}`,
    );
  if (bad > 0)
    target.lane.errors.add(
      `verify: ${String(bad)} access log lines without 200${name === 'gateway' ? ' and exact token counts' : ''}`,
    );
}

/** Runs the cross-checks; failures become errors of the target concerned. */
export async function verify(
  stack: Stack,
  figures: Readonly<Record<TargetName, TargetFigures>>,
): Promise<void> {
  const { direct, gateway } = figures;
  const stats = await stack.fake.stats();
  const sentJson = direct.lane.sent.json + gateway.lane.sent.json;
  if (stats.json !== sentJson)
    gateway.lane.errors.add(
      `verify: backend saw ${String(stats.json)} JSON requests, sent ${String(sentJson)}`,
    );
  if (stats.streamsWithUsage !== gateway.lane.sent.streams)
    gateway.lane.errors.add(
      `verify: include_usage injected on ${String(stats.streamsWithUsage)} of ${String(gateway.lane.sent.streams)} streams`,
    );
  for (const target of [direct, gateway]) await checkAccessLog(stack, target);
}
