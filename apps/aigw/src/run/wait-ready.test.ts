import { describe, expect, it } from 'vitest';
import { ReadinessError, waitReady } from './wait-ready.js';

describe('waitReady', () => {
  it('resolves once the probe returns true, treating throws as "not yet"', async () => {
    let calls = 0;
    await waitReady(
      () => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('ECONNREFUSED'));
        return Promise.resolve(calls >= 3);
      },
      { description: 'x', intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it('times out naming what it waited for and the last error', async () => {
    const wait = waitReady(() => Promise.reject(new Error('ECONNREFUSED')), {
      description: 'envoy admin /ready',
      timeoutMs: 30,
      intervalMs: 5,
    });
    await expect(wait).rejects.toThrow(
      /timed out after 30 ms waiting for envoy admin \/ready \(last error: ECONNREFUSED\)/,
    );
    await expect(wait).rejects.toMatchObject({ code: 'timeout' });
  });

  it('gives up at once when the process exits', async () => {
    const started = Date.now();
    const wait = waitReady(() => Promise.resolve(false), {
      description: 'the extproc to report SERVING',
      timeoutMs: 10_000,
      intervalMs: 5,
      exited: Promise.resolve('extproc exited with code 1'),
    });
    await expect(wait).rejects.toThrow(
      'extproc exited with code 1 before the extproc to report SERVING',
    );
    await expect(wait).rejects.toBeInstanceOf(ReadinessError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops when aborted', async () => {
    const abort = new AbortController();
    const wait = waitReady(() => Promise.resolve(false), {
      description: 'x',
      intervalMs: 5,
      signal: abort.signal,
    });
    setTimeout(() => {
      abort.abort();
    }, 20);
    await expect(wait).rejects.toMatchObject({ code: 'aborted' });
  });

  it('does not call the probe again after it succeeded', async () => {
    let calls = 0;
    await waitReady(
      () => {
        calls += 1;
        return Promise.resolve(true);
      },
      { description: 'x', intervalMs: 1 },
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
  });
});
