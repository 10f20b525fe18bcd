/**
 * Micro-benchmark timing: warm up, size a batch to a target duration, then time several rounds of
 * that batch with `process.hrtime.bigint()` and keep the median round. No thresholds: figures are
 * printed, never asserted.
 */

/** How long and how often to measure. */
export interface TimingPlan {
  /** Target duration of one round, in milliseconds. */
  readonly roundMs: number;
  /** Rounds timed (the median is reported). */
  readonly rounds: number;
  /** Rounds run first and discarded (JIT warm-up). */
  readonly warmupRounds: number;
  /**
   * Collect garbage before each timed round (when node runs with `--expose-gc`), so one round
   * does not pay for the previous one's garbage. A full collection costs milliseconds with the
   * workloads in memory, so quick runs skip it.
   */
  readonly collectGarbage: boolean;
}

/** One figure: nanoseconds per operation over the timed rounds. */
export interface Measurement {
  /** Median of the rounds' per-operation means, in nanoseconds. */
  readonly medianNs: number;
  /** Fastest round's per-operation mean, in nanoseconds. */
  readonly minNs: number;
  /** Slowest round's per-operation mean, in nanoseconds. */
  readonly maxNs: number;
  /** Operations per round. */
  readonly iterations: number;
  /** Rounds timed. */
  readonly rounds: number;
}

/**
 * A benchmarked operation: `prepare` builds the state one run needs (not timed, e.g. a fresh
 * translator that has seen its request), `run` is what is timed.
 */
export interface Operation<T> {
  readonly prepare: () => T;
  readonly run: (state: T) => number;
}

/** Sink for results, so no run can be optimised away. */
let sink = 0;

/** The accumulated sink (read it so the runs stay observable). */
export function sinkValue(): number {
  return sink;
}

/** Collects garbage between rounds when node runs with `--expose-gc`, so one round's garbage is not another's pause. */
function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
  }
}

/** Nanoseconds per operation over one batch of `n` runs. */
function timeBatch<T>(operation: Operation<T>, n: number, shouldCollect = false): number {
  const states: T[] = [];
  for (let i = 0; i < n; i++) {
    states.push(operation.prepare());
  }
  if (shouldCollect) {
    collect();
  }
  const start = process.hrtime.bigint();
  for (const state of states) {
    sink += operation.run(state);
  }
  const elapsed = process.hrtime.bigint() - start;
  return Number(elapsed) / n;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Upper bound on the runs of one batch (bounds the memory `prepare` holds at once). */
const maxBatch = 20_000;

/** Measures `operation` according to `plan`. */
export function measure<T>(operation: Operation<T>, plan: TimingPlan): Measurement {
  // Calibrate on a few single runs (the first ones also start the JIT).
  let estimate = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    estimate = Math.min(estimate, timeBatch(operation, 1));
  }
  const iterations = Math.max(
    1,
    Math.min(maxBatch, Math.ceil((plan.roundMs * 1e6) / Math.max(estimate, 1))),
  );
  for (let i = 0; i < plan.warmupRounds; i++) {
    timeBatch(operation, iterations);
  }
  const perRound: number[] = [];
  for (let i = 0; i < plan.rounds; i++) {
    perRound.push(timeBatch(operation, iterations, plan.collectGarbage));
  }
  return {
    medianNs: median(perRound),
    minNs: Math.min(...perRound),
    maxNs: Math.max(...perRound),
    iterations,
    rounds: plan.rounds,
  };
}
