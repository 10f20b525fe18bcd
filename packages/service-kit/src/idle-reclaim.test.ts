import type { EventLoopUtilization } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { IdleReclaim, processReclaimDeps } from './idle-reclaim.js';

const mib = 1024 * 1024;

/** A process whose RSS and busy share the test sets; counts the collections. */
function fakeProcess() {
  const state = { rss: 80 * mib, active: 0, idle: 0, collections: 0 };
  const at = (): EventLoopUtilization => ({
    active: state.active,
    idle: state.idle,
    utilization: 0,
  });
  const reclaim = new IdleReclaim(
    {
      rss: () => state.rss,
      utilization: (previous) => {
        const now = at();
        if (previous === undefined) return now;
        const active = now.active - previous.active;
        const idle = now.idle - previous.idle;
        return { active, idle, utilization: active / (active + idle) };
      },
      gc: () => {
        state.collections++;
        state.rss -= 100 * mib;
      },
    },
    { growthBytes: 32 * mib, idleUtilization: 0.02 },
  );
  /** One check interval of 5 s with `busyMs` of it spent running. */
  const interval = (busyMs: number): boolean => {
    state.active += busyMs;
    state.idle += 5_000 - busyMs;
    return reclaim.check();
  };
  return { state, reclaim, interval };
}

describe('IdleReclaim', () => {
  it('collects once when the process idles well above its idle size, again only after work', () => {
    const { state, reclaim, interval } = fakeProcess();
    reclaim.start();
    state.rss = 220 * mib;
    expect(interval(2_000)).toBe(false); // busy: never during load
    expect(interval(10)).toBe(true); // idle a whole interval, 140 MiB above: one collection
    expect(state.collections).toBe(1);
    state.rss = 200 * mib; // what the OS did not take back
    expect(interval(0)).toBe(false); // still idle: not again
    expect(interval(1_000)).toBe(false); // busy again
    expect(interval(0)).toBe(true); // idle again, still high: once more
    expect(state.collections).toBe(2);
  });

  it('leaves a process near its idle size alone', () => {
    const { state, reclaim, interval } = fakeProcess();
    reclaim.start();
    state.rss += 31 * mib;
    expect(interval(0)).toBe(false);
    expect(interval(500)).toBe(false);
    expect(interval(0)).toBe(false);
    expect(state.collections).toBe(0);
  });

  it('reads the real process', () => {
    let collections = 0;
    const deps = processReclaimDeps(() => {
      collections++;
    });
    expect(deps.rss()).toBeGreaterThan(0);
    const first = deps.utilization();
    expect(deps.utilization(first).utilization).toBeGreaterThanOrEqual(0);
    deps.gc();
    expect(collections).toBe(1);
  });
});
