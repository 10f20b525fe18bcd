import { createLogger } from '@aigw/service-kit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exposeGc, startIdleGc } from './idle-gc.js';

const log = createLogger({ name: 'idle-gc-test', level: 'silent', format: 'json' });

describe('idle garbage collection', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects once after each burst of work, only when idle', () => {
    vi.useFakeTimers();
    let activity = 0;
    let busy = false;
    const gc = vi.fn();
    const idle = startIdleGc({ activity: () => activity, isBusy: () => busy, gc, log });
    vi.advanceTimersByTime(10_000);
    expect(gc).not.toHaveBeenCalled(); // no work yet

    activity = 40;
    busy = true;
    vi.advanceTimersByTime(10_000);
    expect(gc).not.toHaveBeenCalled(); // still working

    busy = false;
    vi.advanceTimersByTime(10_000);
    expect(gc).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(30_000);
    expect(gc).toHaveBeenCalledTimes(1); // nothing done since

    activity = 41;
    vi.advanceTimersByTime(10_000);
    expect(gc).toHaveBeenCalledTimes(2);
    idle.stop();
    activity = 50;
    vi.advanceTimersByTime(30_000);
    expect(gc).toHaveBeenCalledTimes(2);
  });

  it('exposes a full collection that frees what is no longer referenced', () => {
    const gc = exposeGc();
    expect(gc).toBeTypeOf('function');
    let garbage: string[] | undefined = Array.from({ length: 200_000 }, (_, i) => `x${String(i)}`);
    expect(garbage.length).toBe(200_000);
    const held = process.memoryUsage().heapUsed;
    garbage = undefined;
    gc?.();
    expect(garbage).toBeUndefined();
    expect(process.memoryUsage().heapUsed).toBeLessThan(held);
  });

  it('gives the pages of what it freed back (heap total, not only heap used)', () => {
    const gc = exposeGc();
    let garbage: object[] | undefined = Array.from({ length: 300_000 }, (_, i) => ({
      i,
      s: `x${String(i)}`,
    }));
    expect(garbage.length).toBe(300_000);
    const total = process.memoryUsage().heapTotal;
    garbage = undefined;
    gc?.();
    expect(garbage).toBeUndefined();
    // ~20 MiB of objects were allocated; their pages are released, not kept for reuse.
    expect(process.memoryUsage().heapTotal).toBeLessThan(total - 10 * 1048576);
  });
});
