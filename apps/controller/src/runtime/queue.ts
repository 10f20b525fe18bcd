import { systemClock, type Clock, type Timer } from './clock.js';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';

/** Completions in one turn of the event loop before the queue yields to timers and I/O. */
const maxBurst = 64;
/** What a handler asks of the queue after processing a key. */
export interface HandlerResult {
  readonly requeueAfterMs?: number | undefined;
}

/** Processes one key; a thrown error re-queues the key with backoff. */
export type QueueHandler = (key: string) => Promise<HandlerResult>;

/** How one processing of a key ended (for metrics and logs). */
export type QueueOutcome = 'success' | 'error' | 'requeue_after';

/** One processing of a key, as told to {@link QueueObserver.processed}. */
export interface ProcessedEvent {
  readonly key: string;
  readonly outcome: QueueOutcome;
  readonly durationMs: number;
  /** What the handler threw (outcome `error`). */
  readonly error?: unknown;
}

/** Observes the queue; every callback is optional. */
export interface QueueObserver {
  /** After every change of depth (keys waiting to be processed, not counting delayed ones). */
  depth?(depth: number): void;
  /** A key entered the queue. */
  added?(key: string): void;
  /** A key was re-queued after an error (with the delay chosen). */
  retried?(key: string, delayMs: number): void;
  /** A key was processed; `durationMs` is the handler's time. */
  processed?(event: ProcessedEvent): void;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  readonly handler: QueueHandler;
  /** Keys processed at the same time. Default 1. */
  readonly concurrency?: number;
  readonly clock?: Clock;
  readonly rateLimiter?: RateLimiterOptions;
  readonly observer?: QueueObserver;
}

/**
 * A de-duplicating, rate-limited work queue with bounded concurrency, after client-go's
 * `workqueue`: a key added while it waits is one item; a key added while it is being processed is
 * processed once more afterwards (never twice at the same time); an error re-queues the key after
 * a per-key exponential backoff; `requeueAfterMs` schedules the key again (the earliest schedule
 * wins). `shutdown()` stops handing out keys and resolves once in-flight handlers have finished.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** Reconciles completed in this turn of the event loop (see pumpAfterReconcile). */
  private burst = 0;
  private burstResetScheduled = false;
  private readonly waiting = new Map<string, { readonly at: number; readonly timer: Timer }>();
  private readonly limiter: RateLimiter;
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly idleWaiters: (() => void)[] = [];
  private isShuttingDown = false;

  constructor(private readonly options: WorkQueueOptions) {
    this.clock = options.clock ?? systemClock;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.limiter = new RateLimiter(this.clock, options.rateLimiter);
  }

  /** Keys waiting to be processed (delayed keys not counted). */
  get depth(): number {
    return this.queue.length;
  }

  /** Keys being processed now. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Failures counted for `key` since it last succeeded. */
  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /** Whether `key` is scheduled for later. */
  isWaiting(key: string): boolean {
    return this.waiting.has(key);
  }

  /** Queues `key` now. */
  add(key: string): void {
    if (this.isShuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.options.observer?.added?.(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.changed();
  }

  /** Queues `key` after `delayMs`; if already scheduled earlier, the earlier time stays. */
  addAfter(key: string, delayMs: number): void {
    if (this.isShuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const current = this.waiting.get(key);
    if (current && current.at <= at) return;
    current?.timer.cancel();
    const timer = this.clock.setTimer(delayMs, () => {
      this.waiting.delete(key);
      this.add(key);
    });
    this.waiting.set(key, { at, timer });
  }

  /** Queues `key` after its backoff delay (counting one more failure). */
  addRateLimited(key: string): number {
    const delay = this.limiter.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets `key`'s backoff. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** Resolves when nothing is queued or in flight (keys scheduled for later do not count). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops: no key is added or handed out any more, scheduled keys are dropped, and the promise
   * resolves when the handlers in flight have returned.
   */
  async shutdown(): Promise<void> {
    this.isShuttingDown = true;
    for (const { timer } of this.waiting.values()) timer.cancel();
    this.waiting.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.options.observer?.depth?.(0);
    await this.whenIdle();
  }

  /** Nothing queued or in flight (keys scheduled for later do not count). */
  private isIdle(): boolean {
    return this.queue.length === 0 && this.processing.size === 0;
  }

  private changed(): void {
    this.options.observer?.depth?.(this.queue.length);
    this.pump();
  }

  private pump(): void {
    while (!this.isShuttingDown && this.processing.size < this.concurrency) {
      const key = this.queue.shift();
      if (key === undefined) break;
      this.dirty.delete(key);
      this.processing.add(key);
      this.options.observer?.depth?.(this.queue.length);
      void this.run(key);
    }
    if (this.isIdle() || (this.isShuttingDown && this.processing.size === 0)) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async run(key: string): Promise<void> {
    const started = performance.now();
    let outcome: QueueOutcome = 'success';
    let error: unknown;
    try {
      const result = await this.options.handler(key);
      if (result.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
        outcome = 'requeue_after';
        this.limiter.forget(key);
        this.done(key);
        this.addAfter(key, result.requeueAfterMs);
      } else {
        this.limiter.forget(key);
        this.done(key);
      }
    } catch (err) {
      outcome = 'error';
      error = err;
      this.done(key);
      const delay = this.isShuttingDown ? 0 : this.addRateLimited(key);
      if (!this.isShuttingDown) this.options.observer?.retried?.(key, delay);
    }
    this.options.observer?.processed?.({
      key,
      outcome,
      durationMs: performance.now() - started,
      error,
    });
    this.pumpAfterReconcile();
  }

  /**
   * Reconciles that finish without I/O (everything from the cache) and queue each other would
   * chain promise callbacks forever and starve timers, I/O and the HTTP server. So after a burst
   * of completions within one turn of the event loop, the next reconcile waits for the next turn.
   */
  private pumpAfterReconcile(): void {
    this.burst += 1;
    if (!this.burstResetScheduled) {
      this.burstResetScheduled = true;
      setImmediate(() => {
        this.burst = 0;
        this.burstResetScheduled = false;
      });
    }
    if (this.burst <= maxBurst) {
      this.pump();
      return;
    }
    setImmediate(() => {
      this.pump();
    });
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.isShuttingDown) {
      this.queue.push(key);
      this.options.observer?.depth?.(this.queue.length);
    }
  }
}
