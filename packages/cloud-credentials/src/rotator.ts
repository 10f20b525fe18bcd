import { systemClock, type Clock } from './clock.js';
import { CredentialError, describeError, isCredentialError } from './errors.js';
import { preRotationWindowMs } from './policy.js';

/** What the rotator logs to: a pino logger fits. It never receives a credential. */
export interface RotatorLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Options of {@link createRotator}. */
export interface RotatorOptions<C extends { readonly expiresAt: Date }> {
  /** What the credential is for, in logs (e.g. `default/my-policy`). */
  readonly name: string;
  /** The kind of credential, in logs (e.g. `gcp-service-account-key`). */
  readonly kind: string;
  /** Obtains a fresh credential, e.g. `(signal) => exchangeFor(policy, read, { signal })`. */
  readonly exchange: (signal: AbortSignal) => Promise<C>;
  /** Puts it where it is read (a file, a Secret). A failure is retried like an exchange's. */
  readonly sink: (credential: C) => Promise<void> | void;
  readonly clock?: Clock;
  readonly log?: RotatorLog;
  /** Refresh this long before expiry (default 5 minutes, upstream's window). */
  readonly preRotationWindowMs?: number;
  /** Backoff after failures: first delay (default 1 s), doubled up to the cap (default 1 min). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
}

/** A running refresh loop. */
export interface Rotator<C> {
  /** Starts the first exchange now. Idempotent. */
  start(): void;
  /** The last credential written, if any. */
  readonly current: C | undefined;
  /** Why the last attempt failed; cleared by a success (what a status condition shows). */
  readonly lastError: CredentialError | undefined;
  /** Consecutive failures so far. */
  readonly failures: number;
  /** When the next attempt is scheduled, if one is. */
  readonly nextAttemptAt: Date | undefined;
  /**
   * The first credential written. Rejects with the first failure's error when `failFast` (the
   * loop keeps retrying regardless), or once the rotator is stopped without one.
   */
  ready(options?: { failFast?: boolean }): Promise<C>;
  /** Settles once no attempt is running (tests: after advancing the clock). */
  idle(): Promise<void>;
  /** Replaces the credential now (its inputs changed), whatever its expiry. */
  rotateNow(): Promise<void>;
  /** Cancels the timer and any running exchange; nothing is written afterwards. */
  stop(): Promise<void>;
}

/** The smallest delay before a refresh: a credential shorter-lived than the window is not hammered. */
const minRefreshMs = 1_000;

/**
 * Creates a refresh loop for one credential: exchange, write with `sink`, then exchange again
 * `preRotationWindowMs` before the credential expires (half its remaining life when it lives less
 * than that). Failures — of the exchange or the sink, or a credential already expired — are
 * retried after 1 s, 2 s, 4 s … up to 1 minute (upstream requeues after 1 minute), and kept in
 * {@link Rotator.lastError}. Logs name the credential, its kind and expiry times and a scrubbed
 * error message; never a credential.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/controller/backend_security_policy.go
 */
export function createRotator<C extends { readonly expiresAt: Date }>(
  options: RotatorOptions<C>,
): Rotator<C> {
  return new RefreshLoop(options);
}

class RefreshLoop<C extends { readonly expiresAt: Date }> implements Rotator<C> {
  readonly #options: RotatorOptions<C>;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  #started = false;
  #stopped = false;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #current: C | undefined;
  #lastError: CredentialError | undefined;
  #failures = 0;
  #nextAttemptAt: Date | undefined;
  readonly #waiters = new Set<{
    resolve: (c: C) => void;
    reject: (err: Error) => void;
    failFast: boolean;
  }>();

  constructor(options: RotatorOptions<C>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get current(): C | undefined {
    return this.#current;
  }

  get lastError(): CredentialError | undefined {
    return this.#lastError;
  }

  get failures(): number {
    return this.#failures;
  }

  get nextAttemptAt(): Date | undefined {
    return this.#nextAttemptAt;
  }

  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#attempt();
  }

  ready(options: { failFast?: boolean } = {}): Promise<C> {
    if (this.#current !== undefined) return Promise.resolve(this.#current);
    if (options.failFast === true && this.#lastError) return Promise.reject(this.#lastError);
    if (this.#stopped) return Promise.reject(new Error('rotator stopped'));
    return new Promise((resolve, reject) => {
      this.#waiters.add({ resolve, reject, failFast: options.failFast === true });
    });
  }

  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async rotateNow(): Promise<void> {
    if (this.#stopped) return;
    this.#started = true;
    await this.idle();
    this.#attempt();
    await this.idle();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clearTimer();
    this.#abort.abort();
    for (const waiter of this.#waiters) waiter.reject(new Error('rotator stopped'));
    this.#waiters.clear();
    await this.idle();
  }

  /** A method, not the field: the flag changes while an exchange is awaited. */
  #isStopped(): boolean {
    return this.#stopped;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#nextAttemptAt = undefined;
  }

  #schedule(delayMs: number): void {
    this.#clearTimer();
    if (this.#stopped) return;
    const ms = Math.max(0, delayMs);
    this.#nextAttemptAt = new Date(this.#clock.now() + ms);
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#attempt();
    }, ms);
  }

  #attempt(): void {
    if (this.#stopped || this.#running) return;
    this.#clearTimer();
    const run = this.#once().finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    this.#running = run;
  }

  async #once(): Promise<void> {
    const { name, kind } = this.#options;
    let credential: C;
    try {
      credential = await this.#options.exchange(this.#abort.signal);
      if (this.#stopped) return;
      if (credential.expiresAt.getTime() <= this.#clock.now()) {
        throw new CredentialError(
          'expired',
          `the credential received expired at ${credential.expiresAt.toISOString()}`,
        );
      }
    } catch (err) {
      this.#failed(toCredentialError(err, 'internal'));
      return;
    }
    try {
      await this.#options.sink(credential);
    } catch (err) {
      this.#failed(toCredentialError(err, 'sink-failed'));
      return;
    }
    if (this.#isStopped()) return;
    this.#current = credential;
    this.#lastError = undefined;
    this.#failures = 0;
    this.#schedule(this.#refreshDelay(credential.expiresAt));
    this.#options.log?.info(
      {
        credential: name,
        kind,
        expiresAt: credential.expiresAt.toISOString(),
        refreshAt: this.#nextAttemptAt?.toISOString(),
      },
      'credential refreshed',
    );
    for (const waiter of this.#waiters) waiter.resolve(credential);
    this.#waiters.clear();
  }

  #refreshDelay(expiresAt: Date): number {
    const window = this.#options.preRotationWindowMs ?? preRotationWindowMs;
    const remaining = expiresAt.getTime() - this.#clock.now();
    const delay = remaining - window;
    return delay >= minRefreshMs ? delay : Math.max(minRefreshMs, Math.floor(remaining / 2));
  }

  #failed(error: CredentialError): void {
    if (this.#stopped) return;
    this.#failures += 1;
    this.#lastError = error;
    const initial = this.#options.retry?.initialMs ?? 1_000;
    const max = this.#options.retry?.maxMs ?? 60_000;
    const delay = Math.min(max, initial * 2 ** Math.min(this.#failures - 1, 30));
    this.#schedule(delay);
    this.#options.log?.warn(
      {
        credential: this.#options.name,
        kind: this.#options.kind,
        code: error.code,
        error: error.message,
        failures: this.#failures,
        retryInMs: delay,
        currentExpiresAt: this.#current?.expiresAt.toISOString(),
      },
      'credential refresh failed',
    );
    for (const waiter of this.#waiters) {
      if (!waiter.failFast) continue;
      waiter.reject(error);
      this.#waiters.delete(waiter);
    }
  }
}

function toCredentialError(err: unknown, code: 'internal' | 'sink-failed'): CredentialError {
  if (isCredentialError(err) && code !== 'sink-failed') return err;
  return new CredentialError(code, describeError(err));
}
