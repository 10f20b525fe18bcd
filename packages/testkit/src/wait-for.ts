import { setTimeout as delay } from 'node:timers/promises';

import { TestkitError } from './errors.js';

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message, e.g. `'admin /ready to return 200'`. */
  readonly description?: string;
  /** Stops waiting (rejecting with the signal's reason) when aborted. */
  readonly signal?: AbortSignal;
}

/** What a {@link waitFor} probe returns: a value when done, or `false`/`null`/`undefined` to retry. */
export type ProbeResult<T> = T | false | null | undefined;

/**
 * Calls `probe` until it yields a value other than `false`, `null` or `undefined`, and resolves
 * with that value. A probe that throws counts as "not yet"; its last error is named on timeout.
 *
 * @throws TestkitError `timeout` when the deadline passes.
 */
export async function waitFor<T>(
  probe: () => ProbeResult<T> | Promise<ProbeResult<T>>,
  options: WaitForOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, description = 'condition', signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await probe();
      if (isDone(value)) {
        return value;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw timeoutError({ description, timeoutMs, lastError });
    }
    // An abort cuts the pause short; the check at the top of the loop then rejects with its reason.
    await delay(intervalMs, undefined, signal === undefined ? {} : { signal }).catch(
      () => undefined,
    );
  }
}

function isDone<T>(value: ProbeResult<T>): value is T {
  return value !== false && value !== null && value !== undefined;
}

function timeoutError(what: {
  description: string;
  timeoutMs: number;
  lastError: unknown;
}): TestkitError {
  const last = what.lastError instanceof Error ? `; last error: ${what.lastError.message}` : '';
  return new TestkitError(
    'timeout',
    `timed out after ${String(what.timeoutMs)} ms waiting for ${what.description}${last}`,
    what.lastError === undefined ? {} : { cause: what.lastError },
  );
}
