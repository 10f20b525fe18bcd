import { describe, expect, it } from 'vitest';

import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('resolves with the first value that is not false, null or undefined', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls < 3 ? false : calls), { intervalMs: 1 });
    expect(value).toBe(3);
  });

  it('treats a throwing probe as not ready and names its last error on timeout', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 30, intervalMs: 5, description: 'the thing' },
      ),
    ).rejects.toThrow(
      /timed out after 30 ms waiting for the thing; last error: connection refused/,
    );
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const waiting = waitFor(() => false, { intervalMs: 5, signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
