import { setTimeout as delay } from 'node:timers/promises';

/** Why a readiness wait gave up. */
export class ReadinessError extends Error {
  override readonly name = 'ReadinessError';
  readonly code: 'timeout' | 'exited' | 'aborted';

  constructor(code: ReadinessError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Options of {@link waitReady}. */
export interface WaitReadyOptions {
  /** What is awaited, for messages: `'envoy admin /ready'`. */
  readonly description: string;
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Pause between probes (default 100 ms). */
  readonly intervalMs?: number;
  /** Settles with a reason when the process being waited for has died: waiting is pointless. */
  readonly exited?: Promise<string>;
  /** Stops waiting (e.g. Ctrl-C during start-up). */
  readonly signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns true. A probe that throws counts as "not yet" and its last error
 * is named when the wait fails.
 *
 * @throws ReadinessError `exited` as soon as `exited` settles, `timeout` after `timeoutMs`,
 * `aborted` when `signal` fires.
 */
export async function waitReady(
  probe: () => Promise<boolean>,
  options: WaitReadyOptions,
): Promise<void> {
  const { description, timeoutMs = 30_000, intervalMs = 100 } = options;
  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort(new ReadinessError('aborted', `stopped waiting for ${description}`));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  void options.exited?.then((reason) => {
    stop.abort(new ReadinessError('exited', `${reason} before ${description}`));
  });
  try {
    await poll(probe, { description, timeoutMs, intervalMs, signal: stop.signal });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

async function poll(
  probe: () => Promise<boolean>,
  options: { description: string; timeoutMs: number; intervalMs: number; signal: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal.throwIfAborted();
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    options.signal.throwIfAborted();
    if (Date.now() >= deadline) {
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new ReadinessError(
        'timeout',
        `timed out after ${String(options.timeoutMs)} ms waiting for ${options.description}${last}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await delay(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
