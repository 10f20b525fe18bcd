/** A cancellable timer. */
export interface Timer {
  cancel(): void;
}

/** Time as the runtime sees it; injectable so queue and backoff tests need no real waiting. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; the timer never keeps the process alive. */
  setTimer(ms: number, fn: () => void): Timer;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return {
      cancel: () => {
        clearTimeout(handle);
      },
    };
  },
};

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  isCancelled: boolean;
}

/** A clock that moves only when told to ({@link FakeClock.advance}); for tests. */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const entry: Pending = {
      at: this.current + Math.max(0, ms),
      seq: this.seq++,
      fn,
      isCancelled: false,
    };
    this.pending.push(entry);
    return {
      cancel: () => {
        entry.isCancelled = true;
      },
    };
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.pending.filter((p) => !p.isCancelled).length;
  }

  /** Moves time forward, firing due timers in order (timers they set fire too when due). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.isCancelled);
      const next = this.pending
        .filter((p) => p.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }
}
