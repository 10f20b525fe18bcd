import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { WorkQueue, type HandlerResult } from './queue.js';
import { RateLimiter } from './rate-limiter.js';

/** A handler whose calls wait until the test settles them. */
function controllable() {
  const calls: { key: string; settle: (result: HandlerResult | Error) => void }[] = [];
  const handler = (key: string): Promise<HandlerResult> =>
    new Promise((resolve, reject) => {
      calls.push({
        key,
        settle: (r) => {
          if (r instanceof Error) reject(r);
          else resolve(r);
        },
      });
    });
  return { calls, handler };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WorkQueue', () => {
  it('de-duplicates a key added while it waits', async () => {
    const { calls, handler } = controllable();
    const queue = new WorkQueue({ handler, concurrency: 1, clock: new FakeClock() });
    queue.add('a');
    queue.add('b');
    queue.add('b');
    queue.add('b');
    expect(calls.map((c) => c.key)).toEqual(['a']);
    expect(queue.depth).toBe(1);
    calls[0]?.settle({});
    await tick();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b']);
    calls[1]?.settle({});
    await queue.whenIdle();
    expect(calls).toHaveLength(2);
  });

  it('processes a key added during its processing once more afterwards, never concurrently', async () => {
    const { calls, handler } = controllable();
    const queue = new WorkQueue({ handler, concurrency: 4, clock: new FakeClock() });
    queue.add('a');
    queue.add('a'); // while processing: marked dirty
    queue.add('a'); // still one re-run
    expect(calls).toHaveLength(1);
    calls[0]?.settle({});
    await tick();
    expect(calls.map((c) => c.key)).toEqual(['a', 'a']);
    calls[1]?.settle({});
    await queue.whenIdle();
    expect(calls).toHaveLength(2);
  });

  it('bounds concurrency', async () => {
    const { calls, handler } = controllable();
    const queue = new WorkQueue({ handler, concurrency: 2, clock: new FakeClock() });
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    expect(queue.inFlight).toBe(2);
    expect(queue.depth).toBe(2);
    calls[0]?.settle({});
    await tick();
    expect(calls.map((c) => c.key)).toEqual(['a', 'b', 'c']);
  });

  it('retries a failing key with per-key exponential backoff, reset by a success', async () => {
    const clock = new FakeClock();
    const { calls, handler } = controllable();
    const delays: number[] = [];
    const queue = new WorkQueue({
      handler,
      clock,
      observer: { retried: (_key, delay) => delays.push(delay) },
    });
    queue.add('a');
    for (let i = 0; i < 4; i++) {
      calls[i]?.settle(new Error('boom'));
      await tick();
      expect(calls).toHaveLength(i + 1); // not yet: waiting for the backoff
      clock.advance(delays[i] ?? 0);
      await tick();
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(queue.retries('a')).toBe(4);
    calls[4]?.settle({});
    await queue.whenIdle();
    expect(queue.retries('a')).toBe(0);
  });

  it('requeues after requeueAfterMs, keeping the earliest schedule', async () => {
    const clock = new FakeClock();
    const { calls, handler } = controllable();
    const queue = new WorkQueue({ handler, clock });
    queue.add('a');
    calls[0]?.settle({ requeueAfterMs: 1_000 });
    await tick();
    expect(queue.isWaiting('a')).toBe(true);
    queue.addAfter('a', 5_000); // later: ignored
    queue.addAfter('a', 300); // earlier: wins
    clock.advance(299);
    expect(calls).toHaveLength(1);
    clock.advance(1);
    expect(calls).toHaveLength(2);
    expect(queue.isWaiting('a')).toBe(false);
  });

  it('shutdown drops queued and delayed keys and resolves after the in-flight handler returns', async () => {
    const clock = new FakeClock();
    const { calls, handler } = controllable();
    const queue = new WorkQueue({ handler, clock });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 100);
    let isStopped = false;
    const stopping = queue.shutdown().then(() => {
      isStopped = true;
    });
    await tick();
    expect(isStopped).toBe(false);
    queue.add('d');
    calls[0]?.settle({});
    await stopping;
    clock.advance(1_000);
    expect(calls.map((c) => c.key)).toEqual(['a']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('RateLimiter', () => {
  it('caps the per-key delay at 1000 s', () => {
    const limiter = new RateLimiter(new FakeClock(), { qps: 1e9, burst: 1e9 });
    let delay = 0;
    for (let i = 0; i < 40; i++) delay = limiter.when('k');
    expect(delay).toBe(1_000_000);
  });

  it('limits the overall retry rate with a token bucket (10 qps, burst 100)', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(clock);
    const delays = Array.from({ length: 102 }, (_, i) => limiter.when(`key-${String(i)}`));
    expect(delays.slice(0, 100).every((d) => d === 5)).toBe(true);
    expect(delays[100]).toBe(100);
    expect(delays[101]).toBe(200);
    clock.advance(1_000);
    expect(limiter.when('fresh')).toBe(5);
  });
});

describe('WorkQueue and the event loop', () => {
  it('lets timers run while reconciles that do no I/O keep queueing each other', async () => {
    const cycles = 5_000;
    let handled = 0;
    const queue = new WorkQueue({
      concurrency: 1,
      handler: (key) => {
        handled += 1;
        // A cycle (each key queues the other) that resolves without any I/O; bounded, so that a
        // starved event loop shows as a failed assertion, not a hung test.
        if (handled < cycles) queue.add(key === 'a' ? 'b' : 'a');
        return Promise.resolve({});
      },
    });
    const handledWhenTimerFired = new Promise<number>((resolve) => {
      setTimeout(() => {
        resolve(handled);
      }, 0);
    });
    queue.add('a');
    // The timer fires between reconciles, long before the cycle ends.
    expect(await handledWhenTimerFired).toBeLessThan(cycles);
    await queue.shutdown();
  });
});
