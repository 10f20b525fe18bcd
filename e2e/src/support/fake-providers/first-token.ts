import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { UpstreamHandler } from '@aigw/testkit';
import { anthropicError, anthropicSse } from './anthropic-wire.js';
import { jsonBody, sseHeaders } from './http.js';

/**
 * A streaming fake provider for the first-token gate: each request takes the next script from a
 * queue and answers a 200 SSE stream in its wire format (OpenAI chat completions or Anthropic
 * messages) that fails — or not — before or after its first token.
 */

/** How one streamed answer goes. */
export type StreamScript =
  /** A complete answer. */
  | 'ok'
  /** The provider's error event first. */
  | 'error-first'
  /** The preamble (OpenAI's role chunk, Anthropic's `message_start`), then a clean end. */
  | 'cut-before-token'
  /** The preamble, then the connection is reset. */
  | 'reset-before-token'
  /** The preamble, then nothing until Envoy goes away. */
  | 'stall-before-token'
  /**
   * The preamble, then the whole answer only after {@link slowFirstTokenMs} (a model thinking
   * past the gate's limit).
   */
  | 'slow-first-token'
  /** The preamble and two text deltas, then a clean end (stream integrity: an error frame). */
  | 'cut-after-token'
  /** The preamble and the first text delta, then the rest only once {@link FirstTokenProvider.release}d. */
  | 'held-after-token';

/** How long `slow-first-token` thinks: past the extproc's default gate limit (5 s). */
export const slowFirstTokenMs = 6_000;

/** The text of a complete answer, and what comes before a cut after the first token. */
export const firstTokenText = { complete: 'Hello from the gate test', firstDelta: 'Hello' };

const pieces = ['Hello', ' from', ' the', ' gate', ' test'];

export type FirstTokenWire = 'openai' | 'anthropic';

/** One request the provider answered. */
export interface FirstTokenHit {
  readonly script: StreamScript;
  readonly model: string;
  readonly stream: boolean;
  /** Resolved once the provider has ended its answer (cleanly, by reset or because Envoy left). */
  readonly finished: Promise<void>;
  isFinished: boolean;
}

export interface FirstTokenProvider {
  readonly handler: UpstreamHandler;
  push(...scripts: StreamScript[]): void;
  readonly hits: FirstTokenHit[];
  /** Lets the current `held-after-token` answer send the rest. */
  release(): void;
}

interface Frames {
  readonly preamble: string[];
  readonly deltas: string[];
  readonly end: string[];
  readonly error: string;
}

function openAIFrames(model: string): Frames {
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-gate',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;
  return {
    preamble: [chunk({ role: 'assistant', content: '' })],
    deltas: pieces.map((content) => chunk({ content })),
    end: [
      chunk({}, 'stop'),
      `data: ${JSON.stringify({
        id: 'chatcmpl-gate',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model,
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
      })}\n\n`,
      'data: [DONE]\n\n',
    ],
    error: `data: ${JSON.stringify({ error: { message: 'upstream overloaded', type: 'server_error', param: null, code: null } })}\n\n`,
  };
}

function anthropicFrames(model: string): Frames {
  const [start, ...rest] = anthropicSse([
    {
      type: 'message_start',
      message: {
        id: 'msg_gate',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 9, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    ...pieces.map((text) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    },
    { type: 'message_stop' },
  ]);
  return {
    preamble: [start!, rest[0]!, rest[1]!],
    deltas: rest.slice(2, 2 + pieces.length),
    end: rest.slice(2 + pieces.length),
    error: anthropicSse([
      anthropicError('overloaded_error', 'upstream overloaded') as Record<string, unknown>,
    ])[0]!,
  };
}

async function write(res: ServerResponse, frames: readonly string[]): Promise<void> {
  for (const frame of frames) {
    if (res.destroyed) return;
    res.write(frame);
    await delay(2);
  }
}

/** Waits until the client (Envoy) went away. */
function gone(res: ServerResponse): Promise<void> {
  return res.destroyed ? Promise.resolve() : new Promise((resolve) => res.once('close', resolve));
}

/** A promise and its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Plays `script` on `res` (the 200 and its headers are sent already). */
async function play(
  res: ServerResponse,
  script: StreamScript,
  context: { frames: Frames; held: () => Promise<void> },
): Promise<void> {
  const { frames } = context;
  switch (script) {
    case 'ok':
      await write(res, [...frames.preamble, ...frames.deltas, ...frames.end]);
      res.end();
      return;
    case 'error-first':
      res.end(frames.error);
      return;
    case 'cut-before-token':
      await write(res, frames.preamble);
      res.end();
      return;
    case 'reset-before-token':
      await write(res, frames.preamble);
      res.write('', () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
      return;
    case 'stall-before-token':
      await write(res, frames.preamble);
      await gone(res);
      return;
    case 'slow-first-token':
      await write(res, frames.preamble);
      await Promise.race([
        new Promise((resolve) => setTimeout(resolve, slowFirstTokenMs)),
        gone(res),
      ]);
      await write(res, [...frames.deltas, ...frames.end]);
      res.end();
      return;
    case 'cut-after-token':
      await write(res, [...frames.preamble, ...frames.deltas.slice(0, 2)]);
      res.end();
      return;
    case 'held-after-token':
      await write(res, [...frames.preamble, ...frames.deltas.slice(0, 1)]);
      await Promise.race([context.held(), gone(res)]);
      await write(res, [...frames.deltas.slice(1), ...frames.end]);
      res.end();
  }
}

/** A scripted streaming provider; pass `handler` to `harness.upstream()`. */
export function firstTokenProvider(wire: FirstTokenWire): FirstTokenProvider {
  const queue: StreamScript[] = [];
  const hits: FirstTokenHit[] = [];
  // The release of the one `held-after-token` answer in progress (or of the next one).
  let gate = deferred();
  const held = async (): Promise<void> => {
    await gate.promise;
    gate = deferred();
  };
  const handler: UpstreamHandler = async (req, res) => {
    const body = jsonBody(req.body);
    const script = queue.shift() ?? 'ok';
    const model = typeof body?.model === 'string' ? body.model : '';
    const done = deferred();
    const hit: FirstTokenHit = {
      script,
      model,
      stream: body?.stream === true,
      finished: done.promise,
      isFinished: false,
    };
    hits.push(hit);
    res.once('close', () => {
      hit.isFinished = true;
      done.resolve();
    });
    res.writeHead(200, sseHeaders);
    res.flushHeaders();
    const frames = wire === 'openai' ? openAIFrames(model) : anthropicFrames(model);
    await play(res, script, { frames, held });
  };
  return {
    handler,
    push: (...scripts) => queue.push(...scripts),
    hits,
    release: () => {
      gate.resolve();
    },
  };
}
