import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** What {@link IdleReclaim} reads and does; the process's own by default (tests inject theirs). */
export interface IdleReclaimDeps {
  /** Resident set size in bytes (`process.memoryUsage.rss`). */
  readonly rss: () => number;
  /** Event-loop utilisation since `previous` (`performance.eventLoopUtilization`). */
  readonly utilization: (previous?: EventLoopUtilization) => EventLoopUtilization;
  /** A full garbage collection. */
  readonly gc: () => void;
}

/** When {@link IdleReclaim} collects. */
export interface IdleReclaimOptions {
  /** Collect only when the RSS is this many bytes above the RSS at {@link IdleReclaim.start}. */
  readonly growthBytes: number;
  /** Idle means an event-loop utilisation below this over one check interval (0..1). */
  readonly idleUtilization: number;
}

/**
 * Gives memory back after a burst. V8 collects when JavaScript allocates, so once a burst of large
 * bodies (a 14 MiB request body is that body several times over: gRPC frames, the message, its
 * string, the parsed JSON) is over and the process idles, the garbage and the ArrayBuffers the
 * burst left stay resident for good: no allocation, no collection. {@link check}, called
 * periodically, runs one full collection when the process has been idle for a whole interval
 * and its RSS is well above its idle size, and none again until it has been busy. Under load
 * (or with a small RSS) it does nothing; a request that arrives during the collection waits for
 * it (~50 ms with a 20 MiB live heap, measured; docs/performance.md, Memory).
 */
export class IdleReclaim {
  readonly #deps: IdleReclaimDeps;
  readonly #options: IdleReclaimOptions;
  #baseline = 0;
  #last: EventLoopUtilization | undefined;
  #collected = false;

  constructor(deps: IdleReclaimDeps, options: IdleReclaimOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /** Takes the current RSS as the idle size and starts measuring utilisation. */
  start(): void {
    this.#baseline = this.#deps.rss();
    this.#last = this.#deps.utilization();
  }

  /** One check (e.g. every 5 s): `true` when it collected. */
  check(): boolean {
    const now = this.#deps.utilization();
    const busy =
      this.#last === undefined ||
      this.#deps.utilization(this.#last).utilization >= this.#options.idleUtilization;
    this.#last = now;
    if (busy) {
      this.#collected = false;
      return false;
    }
    if (this.#collected || this.#deps.rss() - this.#baseline < this.#options.growthBytes) {
      return false;
    }
    this.#deps.gc();
    this.#collected = true;
    return true;
  }
}

/** The process's own {@link IdleReclaimDeps}, given a `gc` function. */
export function processReclaimDeps(gc: () => void): IdleReclaimDeps {
  return {
    rss: () => process.memoryUsage.rss(),
    utilization: (previous) => performance.eventLoopUtilization(previous),
    gc,
  };
}
