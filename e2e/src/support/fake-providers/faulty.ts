import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { RecordedRequest, UpstreamHandler } from '@aigw/testkit';
import { anthropicError, anthropicSse } from './anthropic-wire.js';
import { eventStreamEvent, eventStreamMessage } from './eventstream.js';
import { headerOf, jsonBody, sendJson, sseHeaders } from './http.js';

/**
 * A fault-injecting fake provider, driven by the test per request: each request takes the next
 * fault from a queue (or from a `next()` source, e.g. a seeded random one) and answers with it in
 * its wire format — OpenAI chat completions (JSON or SSE) or Anthropic messages (SSE or JSON).
 */

/** What a request gets. */
export type Fault =
  /** A complete answer (JSON or a stream with its terminal event). */
  | 'ok'
  /** 503 with the wire format's error JSON. */
  | '5xx'
  /** 429 with the wire format's rate-limit error JSON and `retry-after: 1`. */
  | '429'
  /** The connection is reset before any response header. */
  | 'reset'
  /** No byte for {@link FaultyProviderOptions.slowMs}, then a complete answer. */
  | 'slow'
  /** A 200 stream cut cleanly (chunked terminator) after two text deltas, before its end. */
  | 'cut'
  /** A 200 stream whose connection is reset after two text deltas. */
  | 'cut-reset'
  /** A 200 stream whose first event is the provider's error event. */
  | 'error-first';

export const allFaults: readonly Fault[] = [
  'ok',
  '5xx',
  '429',
  'reset',
  'slow',
  'cut',
  'cut-reset',
  'error-first',
];

/** The wire format a {@link faultyProvider} speaks. */
export type FaultyWire = 'openai' | 'anthropic' | 'bedrock';

/** The text every complete answer carries, and its pieces before a cut. */
export const faultyText = { complete: 'Hello from a faulty provider', beforeCut: 'Hello from' };

/** One request the provider answered. */
export interface FaultyHit {
  readonly fault: Fault;
  readonly stream: boolean;
  readonly path: string;
  readonly model: string;
  readonly body: Record<string, unknown> | undefined;
  /** The request's `x-test-tag` header (a test's own request id), if any. */
  readonly tag: string | undefined;
}

export interface FaultyProviderOptions {
  readonly wire: FaultyWire;
  /** Usage a complete answer reports (defaults to 10 in, 5 out). */
  readonly usage?: { readonly input: number; readonly output: number };
  /** How long a `slow` first byte takes (default 3,000 ms). */
  readonly slowMs?: number;
  /** The fault of a request when the queue is empty (default: always `ok`). */
  readonly next?: () => Fault;
  /** `retry-after` of a 429, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
}

/** A fault-injecting provider: its handler for `harness.upstream()`, its queue and its tally. */
export interface FaultyProvider {
  readonly handler: UpstreamHandler;
  /** Queues faults for the next requests, in order. */
  push(...faults: Fault[]): void;
  /** Draws the faults of requests the queue does not cover from `source`; returns the undo. */
  setNext(source: () => Fault): () => void;
  /** Every request answered so far, in arrival order. */
  readonly hits: FaultyHit[];
  /** How many requests got each fault. */
  tally(): Record<Fault, number>;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks a fault by weight from `random()` (weights need not sum to 1). */
export function weightedFaults(
  random: () => number,
  weights: Partial<Record<Fault, number>>,
): () => Fault {
  const entries = Object.entries(weights) as [Fault, number][];
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let r = random() * total;
    for (const [fault, weight] of entries) {
      r -= weight;
      if (r < 0) return fault;
    }
    return entries.at(-1)?.[0] ?? 'ok';
  };
}

/** Starts nothing: returns the handler and its controls; pass `handler` to `harness.upstream()`. */
export function faultyProvider(options: FaultyProviderOptions): FaultyProvider {
  const queue: Fault[] = [];
  const hits: FaultyHit[] = [];
  const wire = wires[options.wire];
  const usage = options.usage ?? { input: 10, output: 5 };
  let next = options.next;
  const handler: UpstreamHandler = async (req, res) => {
    const body = jsonBody(req.body);
    const fault = queue.shift() ?? next?.() ?? 'ok';
    const { stream, model } = wire.parse?.(req.url) ?? {
      stream: body?.stream === true,
      model: typeof body?.model === 'string' ? body.model : '',
    };
    const tag = headerOf(req.headers, 'x-test-tag');
    hits.push({ fault, stream, path: req.url, model, body, tag });
    await answer({ req, res, fault, stream, model }, { wire, usage, options });
  };
  return {
    handler,
    push: (...faults) => queue.push(...faults),
    setNext: (source) => {
      const previous = next;
      next = source;
      return () => {
        next = previous;
      };
    },
    hits,
    tally: () => {
      const counts = Object.fromEntries(allFaults.map((f) => [f, 0])) as Record<Fault, number>;
      for (const hit of hits) counts[hit.fault] += 1;
      return counts;
    },
  };
}

interface Exchange {
  readonly req: RecordedRequest;
  readonly res: ServerResponse;
  readonly fault: Fault;
  readonly stream: boolean;
  readonly model: string;
}

interface Wire {
  error(status: 429 | 503): object;
  /** Extra headers of an error answer (Bedrock's `x-amzn-errortype`). */
  errorHeaders?(status: 429 | 503): OutgoingHttpHeaders;
  /** Every frame of a complete stream, and how many of them come before a cut. */
  frames(
    model: string,
    usage: { input: number; output: number },
  ): { all: (string | Buffer)[]; cut: number };
  errorFrame(): string | Buffer;
  json(model: string, usage: { input: number; output: number }): object;
  /** The stream's headers (default SSE). */
  streamHeaders?: OutgoingHttpHeaders;
  /** Whether a request asks for a stream, and its model (default: the JSON body's fields). */
  parse?(path: string): { stream: boolean; model: string };
}

async function answer(
  exchange: Exchange,
  context: { wire: Wire; usage: { input: number; output: number }; options: FaultyProviderOptions },
): Promise<void> {
  const { res, fault, stream, model } = exchange;
  const { wire, usage } = context;
  if (await answeredBeforeBody(exchange, context)) return;
  if (stream) {
    await sendFrames(res, {
      fault,
      ...wire.frames(model, usage),
      errorFrame: wire.errorFrame(),
      headers: wire.streamHeaders ?? sseHeaders,
    });
    return;
  }
  const payload = JSON.stringify(wire.json(model, usage));
  if (fault === 'cut' || fault === 'cut-reset' || fault === 'error-first') {
    // A JSON answer cut short: the headers promise more bytes than come.
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    });
    res.write(payload.slice(0, 20), () => res.socket?.resetAndDestroy());
    return;
  }
  sendJson(res, 200, JSON.parse(payload));
}

/** The faults that end the exchange before a 200 body (or delay it); whether it ended. */
async function answeredBeforeBody(
  exchange: Exchange,
  context: { wire: Wire; options: FaultyProviderOptions },
): Promise<boolean> {
  const { res, fault } = exchange;
  const { options } = context;
  switch (fault) {
    case 'reset':
      // The request was read whole; nothing is answered.
      res.socket?.resetAndDestroy();
      return true;
    case '5xx':
      sendError(res, 503, context);
      return true;
    case '429':
      sendError(res, 429, context);
      return true;
    case 'slow':
      await waitOrGone(res, options.slowMs ?? 3_000);
      return res.destroyed;
    case 'ok':
    case 'cut':
    case 'cut-reset':
    case 'error-first':
      return false;
  }
}

/** The wire format's error answer; a 429 carries `retry-after`. */
function sendError(
  res: ServerResponse,
  status: 429 | 503,
  context: { wire: Wire; options: FaultyProviderOptions },
): void {
  const { wire, options } = context;
  const retryAfter = status === 429 ? String(options.retryAfterSeconds ?? 1) : undefined;
  const headers: OutgoingHttpHeaders = {
    ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
    ...wire.errorHeaders?.(status),
  };
  sendJson(res, { status, headers }, wire.error(status));
}

/** Waits `ms` or until the client (Envoy) went away. */
async function waitOrGone(res: ServerResponse, ms: number): Promise<void> {
  const gone = new AbortController();
  const onClose = (): void => {
    gone.abort();
  };
  res.once('close', onClose);
  try {
    await delay(ms, undefined, { signal: gone.signal });
  } catch {
    // The client went away.
  } finally {
    res.off('close', onClose);
  }
}

async function sendFrames(
  res: ServerResponse,
  frames: {
    fault: Fault;
    all: (string | Buffer)[];
    cut: number;
    errorFrame: string | Buffer;
    headers: OutgoingHttpHeaders;
  },
): Promise<void> {
  res.writeHead(200, frames.headers);
  res.flushHeaders();
  if (frames.fault === 'error-first') {
    res.end(frames.errorFrame);
    return;
  }
  const cutting = frames.fault === 'cut' || frames.fault === 'cut-reset';
  const toSend = cutting ? frames.all.slice(0, frames.cut) : frames.all;
  for (const frame of toSend) {
    if (res.destroyed) return;
    res.write(frame);
    await delay(2);
  }
  if (frames.fault === 'cut-reset') {
    // Reset once the text is on the wire (destroy() would drop unflushed writes).
    res.write('', () => setTimeout(() => res.socket?.resetAndDestroy(), 50));
    return;
  }
  res.end();
}

const pieces = ['Hello', ' from', ' a', ' faulty', ' provider'];

const openAIWire: Wire = {
  error: (status) =>
    status === 429
      ? {
          error: {
            message: 'Rate limit reached for requests',
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
        }
      : {
          error: {
            message: 'The server is overloaded',
            type: 'server_error',
            param: null,
            code: null,
          },
        },
  frames: (model, usage) => {
    const id = 'chatcmpl-faulty';
    const chunk = (delta: object, finish: string | null = null): string =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
    const all = [
      chunk({ role: 'assistant', content: '' }),
      ...pieces.map((content) => chunk({ content })),
      chunk({}, 'stop'),
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model,
        choices: [],
        usage: {
          prompt_tokens: usage.input,
          completion_tokens: usage.output,
          total_tokens: usage.input + usage.output,
        },
      })}\n\n`,
      'data: [DONE]\n\n',
    ];
    return { all, cut: 3 };
  },
  errorFrame: () =>
    `data: ${JSON.stringify({ error: { message: 'upstream overloaded', type: 'server_error', param: null, code: null } })}\n\n`,
  json: (model, usage) => ({
    id: 'chatcmpl-faulty',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: faultyText.complete },
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: usage.input,
      completion_tokens: usage.output,
      total_tokens: usage.input + usage.output,
    },
  }),
};

const anthropicWire: Wire = {
  error: (status) =>
    status === 429
      ? anthropicError('rate_limit_error', 'Number of requests has exceeded your rate limit')
      : anthropicError('overloaded_error', 'Overloaded'),
  frames: (model, usage) => {
    const events: Record<string, unknown>[] = [
      {
        type: 'message_start',
        message: {
          id: 'msg_faulty',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: 1 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ...pieces.map((text) => ({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      })),
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage.output },
      },
      { type: 'message_stop' },
    ];
    return { all: anthropicSse(events), cut: 4 };
  },
  errorFrame: () =>
    anthropicSse([
      anthropicError('overloaded_error', 'upstream overloaded') as Record<string, unknown>,
    ])[0]!,
  json: (model, usage) => ({
    id: 'msg_faulty',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: faultyText.complete }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  }),
};

/** Bedrock Converse / ConverseStream (AWS eventstream), as an AWSBedrock backend is called. */
const bedrockWire: Wire = {
  error: (status) =>
    status === 429
      ? { message: 'Too many requests, please wait before trying again.' }
      : { message: 'The service is unavailable. Try your request again.' },
  errorHeaders: (status) => ({
    'x-amzn-errortype': status === 429 ? 'ThrottlingException' : 'ServiceUnavailableException',
  }),
  parse: (path) => {
    const match = /^\/model\/([^/]+)\/(converse-stream|converse)$/.exec(path.split('?')[0] ?? '');
    return {
      stream: match?.[2] === 'converse-stream',
      model: decodeURIComponent(match?.[1] ?? ''),
    };
  },
  streamHeaders: { 'content-type': 'application/vnd.amazon.eventstream' },
  frames: (_model, usage) => {
    const usageOf = {
      inputTokens: usage.input,
      outputTokens: usage.output,
      totalTokens: usage.input + usage.output,
    };
    const all = [
      eventStreamEvent('messageStart', { role: 'assistant' }),
      ...pieces.map((text) =>
        eventStreamEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
      ),
      eventStreamEvent('contentBlockStop', { contentBlockIndex: 0 }),
      eventStreamEvent('messageStop', { stopReason: 'end_turn' }),
      eventStreamEvent('metadata', { usage: usageOf, metrics: { latencyMs: 42 } }),
    ];
    return { all, cut: 3 };
  },
  errorFrame: () =>
    eventStreamMessage(
      {
        ':exception-type': 'serviceUnavailableException',
        ':content-type': 'application/json',
        ':message-type': 'exception',
      },
      Buffer.from(JSON.stringify({ message: 'upstream overloaded' })),
    ),
  json: (_model, usage) => ({
    output: { message: { role: 'assistant', content: [{ text: faultyText.complete }] } },
    stopReason: 'end_turn',
    usage: {
      inputTokens: usage.input,
      outputTokens: usage.output,
      totalTokens: usage.input + usage.output,
    },
    metrics: { latencyMs: 42 },
  }),
};

const wires: Record<FaultyWire, Wire> = {
  openai: openAIWire,
  anthropic: anthropicWire,
  bedrock: bedrockWire,
};
