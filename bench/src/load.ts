/**
 * Our own client's load shapes (streams, and the profiled run): sequential requests (concurrency
 * 1) and a closed loop of N workers.
 */
import { performance } from 'node:perf_hooks';
import { postJson, postStream, type StreamResult, type Target } from './client.js';
import { chatRequest, chatResponse } from './payloads.js';

/** What every request sends and expects. */
export interface Workload {
  readonly jsonBody: Buffer;
  readonly expectedBytes: number;
  /** The whole expected answer (autocannon compares every response with it). */
  readonly expectedBody: string;
  readonly streamBody: Buffer;
  /** Content frames per stream (the fake backend's `--frames`). */
  readonly frames: number;
}

/** The standard workload: the ~200-byte chat request, streamed or not. */
export function benchWorkload(frames: number): Workload {
  return {
    jsonBody: chatRequest({ stream: false }),
    expectedBytes: chatResponse.byteLength,
    expectedBody: chatResponse.toString('utf8'),
    streamBody: chatRequest({ stream: true }),
    frames,
  };
}

/** Failed requests by kind (`json: status 503`, `stream: no [DONE]`, ...). */
export class ErrorCounter {
  readonly #counts = new Map<string, number>();

  /** Counts one failure of `kind`. */
  add(kind: string): void {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
  }

  /** Every kind with its count. */
  entries(): [string, number][] {
    return [...this.#counts.entries()];
  }

  /** All failures. */
  get total(): number {
    let sum = 0;
    for (const count of this.#counts.values()) sum += count;
    return sum;
  }
}

/** A target with the counters its requests and failures go to. */
export interface Lane {
  readonly target: Target;
  readonly workload: Workload;
  readonly errors: ErrorCounter;
  /** Requests sent so far (checked against the backend's and Envoy's own counts). */
  readonly sent: { json: number; streams: number };
}

/** A lane with fresh counters. */
export function createLane(target: Target, workload: Workload): Lane {
  return { target, workload, errors: new ErrorCounter(), sent: { json: 0, streams: 0 } };
}

/** One JSON request; its latency, or undefined (and a counted error) when it failed. */
export async function jsonOnce(lane: Lane): Promise<number | undefined> {
  lane.sent.json++;
  const { ms, error } = await postJson(
    lane.target,
    lane.workload.jsonBody,
    lane.workload.expectedBytes,
  );
  if (error === undefined) return ms;
  lane.errors.add(`json: ${error}`);
  return undefined;
}

/** One streamed request; its timings, or undefined (and a counted error) when it failed. */
export async function streamOnce(lane: Lane): Promise<StreamResult | undefined> {
  lane.sent.streams++;
  const result = await postStream(lane.target, lane.workload.streamBody, lane.workload.frames);
  if (result.error === undefined) return result;
  lane.errors.add(`stream: ${result.error}`);
  return undefined;
}

/** Runs `once` `count` times in a row (concurrency 1) and keeps the defined results. */
export async function sequential<T>(
  count: number,
  once: () => Promise<T | undefined>,
): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) {
    const result = await once();
    if (result !== undefined) results.push(result);
  }
  return results;
}

/** What a closed loop did. */
export interface LoopResult<T> {
  /** Requests completed (failed ones included). */
  readonly requests: number;
  readonly elapsedMs: number;
  readonly results: T[];
}

/**
 * `concurrency` workers each send the next request as soon as the previous one finished, until
 * `durationMs` has passed; requests in flight at the deadline complete and count.
 */
export async function closedLoop<T>(
  shape: { readonly concurrency: number; readonly durationMs: number },
  once: () => Promise<T | undefined>,
): Promise<LoopResult<T>> {
  const start = performance.now();
  const deadline = start + shape.durationMs;
  const results: T[] = [];
  let requests = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const result = await once();
      requests++;
      if (result !== undefined) results.push(result);
    }
  };
  await Promise.all(Array.from({ length: shape.concurrency }, worker));
  return { requests, elapsedMs: performance.now() - start, results };
}
