import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerProcessMetrics } from './process-metrics.js';

/** The value of an unlabelled sample in exposition text. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} not in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

describe('the extproc process metrics (computed at scrape time)', () => {
  it('reports RSS, heap, start time, event-loop lag and a CPU counter that only grows', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry, 'x_');
    const first = await registry.metrics();
    expect(sample(first, 'x_process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(sample(first, 'x_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sample(first, 'x_process_start_time_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
    expect(sample(first, 'x_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(first).toContain('# TYPE x_process_cpu_seconds_total counter');
    const cpuBefore = sample(first, 'x_process_cpu_seconds_total');
    // Burn some CPU, then scrape again: the counter reports the process's total, increased.
    const until = process.cpuUsage().user + 30_000;
    while (process.cpuUsage().user < until) Math.sqrt(Math.random());
    const cpuAfter = sample(await registry.metrics(), 'x_process_cpu_seconds_total');
    expect(cpuAfter).toBeGreaterThan(cpuBefore);
  });
});
