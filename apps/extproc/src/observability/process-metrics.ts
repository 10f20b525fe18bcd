import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The extproc's process metrics, the ones the dashboard reads, computed at scrape time only:
 * resident memory, CPU seconds, heap in use, start time and the event loop's p99 lag. Not
 * prom-client's `collectDefaultMetrics`, whose garbage-collection observer runs on every
 * collection — at c=16 that is many a second, and `pnpm bench --observability` measured the
 * extproc's CPU per request 6–7% higher with it than without (docs/observability.md, Cost).
 */
export function registerProcessMetrics(registry: Registry, prefix: string): void {
  const registers = [registry];
  new Gauge({
    name: `${prefix}process_resident_memory_bytes`,
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  let reportedCpuSeconds = 0;
  new Counter({
    name: `${prefix}process_cpu_seconds_total`,
    help: 'Total user and system CPU time spent in seconds.',
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      const seconds = (user + system) / 1e6;
      this.inc(Math.max(0, seconds - reportedCpuSeconds));
      reportedCpuSeconds = Math.max(reportedCpuSeconds, seconds);
    },
  });
  new Gauge({
    name: `${prefix}nodejs_heap_size_used_bytes`,
    help: 'Process heap size used from Node.js in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: `${prefix}process_start_time_seconds`,
    help: 'Start time of the process since unix epoch in seconds.',
    registers,
  }).set(Math.floor(Date.now() / 1000 - process.uptime()));
  // A native histogram sampled every 10 ms (prom-client's default precision), read and reset at
  // each scrape: the p99 lag since the previous one.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  new Gauge({
    name: `${prefix}nodejs_eventloop_lag_p99_seconds`,
    help: 'The 99th percentile of the event loop lag since the previous scrape, in seconds.',
    registers,
    collect() {
      this.set(lag.count > 0 ? lag.percentile(99) / 1e9 : 0);
      lag.reset();
    },
  });
}
