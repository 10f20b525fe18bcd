import type { Clock, RotatorLog } from '../../src/index.js';

/** A clock whose time moves only when the test says so; timers fire in due order. */
export class FakeClock implements Clock {
  #now: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 0;

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing the timers that fall due. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.#timers]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at);
      const first = due[0];
      if (!first) break;
      this.#timers.delete(first[0]);
      this.#now = first[1].at;
      first[1].fn();
    }
    this.#now = end;
  }

  /** Timers not fired yet. */
  pending(): number {
    return this.#timers.size;
  }
}

/** A rotator log that keeps every line as JSON text, to search for what must not be there. */
export class LogRecorder implements RotatorLog {
  readonly lines: string[] = [];
  info(fields: object, message: string): void {
    this.lines.push(JSON.stringify({ level: 'info', message, ...fields }));
  }
  warn(fields: object, message: string): void {
    this.lines.push(JSON.stringify({ level: 'warn', message, ...fields }));
  }
}
