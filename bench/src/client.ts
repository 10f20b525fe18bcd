/**
 * The load generator: a hand-written HTTP/1.1 keep-alive client on `node:http`, so every request
 * is timed from the moment it is written to the moment its last byte (or, streaming, each SSE
 * frame) arrives, and every response is checked.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Which Envoy a request goes to. */
export type TargetName = 'direct' | 'gateway';

/** One Envoy listener (or a peer gateway) with its own connection pool across phases. */
export interface Target {
  readonly name: string;
  readonly port: number;
  readonly agent: Agent;
  /** Extra request headers (a peer's routing config). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Strict checks (our gateway and Envoy direct): exact frame count and no usage-only frame.
   * Peers are checked for a 200, content frames and `[DONE]` only: they re-frame the stream.
   */
  readonly isStrict?: boolean;
}

/** A target with a keep-alive pool of up to `maxSockets` connections. */
export function createTarget(
  name: string,
  port: number,
  extra: Pick<Target, 'headers' | 'isStrict'> = {},
): Target {
  return { name, port, agent: new Agent({ keepAlive: true, maxSockets: 64 }), ...extra };
}

/** What one non-streamed request measured; `error` says why it does not count. */
export interface JsonResult {
  readonly ms: number;
  readonly error: string | undefined;
}

/** What one streamed request measured. */
export interface StreamResult {
  /** Time to the first complete `data:` frame. */
  readonly ttftMs: number;
  /** Gaps between consecutive content frames as the client received them. */
  readonly gapsMs: readonly number[];
  /** Time to the end of the response. */
  readonly totalMs: number;
  readonly error: string | undefined;
}

const path = '/v1/chat/completions';

function send(target: Target, body: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: target.port,
      method: 'POST',
      path,
      agent: target.agent,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.byteLength),
        authorization: 'Bearer sk-client-key',
        ...target.headers,
      },
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end(body);
  });
}

function networkError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return `network error ${code ?? String(err)}`;
}

/** Posts a JSON chat request; the response must be a 200 of exactly `expectedBytes` bytes. */
export async function postJson(
  target: Target,
  body: Buffer,
  expectedBytes: number,
): Promise<JsonResult> {
  const start = performance.now();
  try {
    const res = await send(target, body);
    let bytes = 0;
    for await (const chunk of res) bytes += (chunk as Buffer).byteLength;
    const ms = performance.now() - start;
    if (res.statusCode !== 200) return { ms, error: `status ${String(res.statusCode)}` };
    if (bytes !== expectedBytes)
      return { ms, error: `body of ${String(bytes)} bytes, expected ${String(expectedBytes)}` };
    return { ms, error: undefined };
  } catch (err) {
    return { ms: performance.now() - start, error: networkError(err) };
  }
}

/** Incremental frame splitter for the client side: frames end with a blank line. */
class FrameReader {
  #pending = '';
  readonly stamps: number[] = [];
  isDone = false;
  hasUsageFrame = false;
  afterDone = 0;

  /** Consumes received text; every frame it completes is stamped with `now`. */
  feed(text: string, now: number): void {
    this.#pending += text;
    let end = this.#pending.indexOf('\n\n');
    while (end !== -1) {
      this.#frame(this.#pending.slice(0, end), now);
      this.#pending = this.#pending.slice(end + 2);
      end = this.#pending.indexOf('\n\n');
    }
  }

  #frame(frame: string, now: number): void {
    if (this.isDone) {
      this.afterDone++;
    } else if (frame === 'data: [DONE]') {
      this.isDone = true;
    } else if (frame.includes('"choices":[]')) {
      this.hasUsageFrame = true;
    } else {
      this.stamps.push(now);
    }
  }
}

function streamError(
  reader: FrameReader,
  options: { status: number | undefined; frames: number; isStrict: boolean },
): string | undefined {
  if (options.status !== 200) return `status ${String(options.status)}`;
  if (!reader.isDone) return 'no [DONE]';
  if (reader.afterDone > 0) return 'frames after [DONE]';
  if (!options.isStrict) return reader.stamps.length > 0 ? undefined : 'no content frame';
  if (reader.hasUsageFrame) return 'usage-only frame reached the client';
  if (reader.stamps.length !== options.frames)
    return `${String(reader.stamps.length)} content frames, expected ${String(options.frames)}`;
  return undefined;
}

/** Posts a streaming chat request and times every SSE frame as it arrives. */
export async function postStream(
  target: Target,
  body: Buffer,
  frames: number,
): Promise<StreamResult> {
  const start = performance.now();
  const reader = new FrameReader();
  try {
    const res = await send(target, body);
    res.setEncoding('utf8');
    for await (const text of res) reader.feed(text as string, performance.now());
    const totalMs = performance.now() - start;
    const isStrict = target.isStrict ?? true;
    const error = streamError(reader, { status: res.statusCode, frames, isStrict });
    const gapsMs = reader.stamps.slice(1).map((stamp, i) => stamp - (reader.stamps[i] ?? stamp));
    return { ttftMs: (reader.stamps[0] ?? start) - start, gapsMs, totalMs, error };
  } catch (err) {
    const ms = performance.now() - start;
    return { ttftMs: ms, gapsMs: [], totalMs: ms, error: networkError(err) };
  }
}
