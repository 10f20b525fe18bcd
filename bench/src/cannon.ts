/**
 * Non-streamed load through autocannon: a maintained HTTP/1.1 load generator with keep-alive
 * connections, no pipelining (one request in flight per connection: a closed loop), its own
 * request framing and response parser (cheaper per request than `node:http`), latency histograms
 * via hdr-histogram, and a check of every response body (`expectBody`).
 *
 * Its histograms record whole milliseconds, too coarse for sub-millisecond latencies at
 * concurrency 1, so every response's exact time (autocannon's `process.hrtime` stamp, emitted with
 * its `response` event) is kept here and the percentiles are computed from those.
 */
import autocannon from 'autocannon';

/** One autocannon run against one Envoy listener. */
export interface CannonRun {
  readonly port: number;
  readonly body: Buffer;
  /**
   * Every response must be a 200 with exactly these bytes; undefined: any 200 (the peers re-encode
   * the provider's JSON, so their bytes differ; their forwarding is checked by the provider's key
   * counters instead).
   */
  readonly expectBody: string | undefined;
  /** Extra request headers (a peer's routing config); the client key is always sent. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Connections, each with one request in flight. */
  readonly connections: number;
  /** Requests to complete (spread over the connections); the run ends when all are answered. */
  readonly amount: number;
}

/** What a run measured. */
export interface CannonResult {
  /** Responses received (any status). */
  readonly completed: number;
  /** Latency of every 2xx response, milliseconds. */
  readonly latencyMs: number[];
  readonly elapsedMs: number;
  /** Failures by kind (`status 503`, `body mismatch`, `connection error`, `timeout`). */
  readonly errors: Record<string, number>;
}

const path = '/v1/chat/completions';

function errorsOf(result: autocannon.Result): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    if (code !== '200' && (stat.count ?? 0) > 0) errors[`status ${code}`] = stat.count ?? 0;
  if (result.mismatches > 0) errors['body mismatch'] = result.mismatches;
  const connectionErrors = result.errors - result.timeouts;
  if (connectionErrors > 0) errors['connection error'] = connectionErrors;
  if (result.timeouts > 0) errors.timeout = result.timeouts;
  return errors;
}

/**
 * Runs autocannon with `amount` requests (a fixed count, not a duration: no request is cut off
 * when the run ends, so every request sent is accounted for by the backend and the access log).
 */
export async function cannon(run: CannonRun): Promise<CannonResult> {
  const latencyMs: number[] = [];
  const start = performance.now();
  // autocannon notices the end of a run only at its next sample tick; time the run to its last
  // response instead.
  let lastResponseAt = start;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${String(run.port)}${path}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sk-client-key',
          ...run.headers,
        },
        body: run.body,
        connections: run.connections,
        amount: Math.max(run.amount, run.connections),
        pipelining: 1,
        timeout: 30,
        sampleInt: 50,
        ...(run.expectBody === undefined ? {} : { expectBody: run.expectBody }),
      },
      (err: unknown, done: autocannon.Result) => {
        if (err instanceof Error) reject(err);
        else if (err) reject(new Error('autocannon failed'));
        else resolve(done);
      },
    );
    // autocannon's event signature, four positional arguments.
    // eslint-disable-next-line max-params
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastResponseAt = performance.now();
      if (statusCode >= 200 && statusCode < 300) latencyMs.push(responseTime);
    });
  });
  return {
    completed: result.requests.total,
    latencyMs,
    elapsedMs: lastResponseAt - start,
    errors: errorsOf(result),
  };
}
