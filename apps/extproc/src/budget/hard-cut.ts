import type { TokenReservation } from '@aigw/filterapi';
import {
  geminiStreamErrorFrame,
  type Dialect,
  type ResponseBodyResult,
  type Translator,
  type Usage,
} from '@aigw/translator';
import { leadingInteger } from '../processor/ratelimit-headers.js';
import type { RequestContext } from '../processor/request-context.js';
import { estimateTokens } from './estimate.js';

/**
 * Hard budgets (docs/budgets.md "Hard budgets: cutting a stream"): a streamed 2xx response whose
 * tokens pass what the budget had left when it was admitted is cut — the rest of the stream is
 * replaced by one error event in the client's dialect, and the usage charged when the stream ends
 * is what the client was served.
 */

type HardTokenLimit = NonNullable<TokenReservation['hardLimits']>[number];

/** The `error.code` (OpenAI) of the event that ends a cut stream. */
export const budgetExceededCode = 'token_budget_exceeded';

/** What the client is told when its stream is cut. */
export const budgetExceededMessage =
  "the response was cut: it used up the gateway's token budget (the rest was not served)";

/** The quota policies of Envoy's `x-ratelimit-limit: 1000, 1000;w=3600, 50;w=60` as `tokens;w`. */
function quotaPolicies(limitHeader: string): Set<string> {
  const policies = new Set<string>();
  for (const part of limitHeader.split(',').slice(1)) {
    const match = /^\s*(\d+)\s*;\s*w=(\d+)/.exec(part);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      policies.add(`${match[1]};${match[2]}`);
    }
  }
  return policies;
}

/** Input of {@link hardAllowance}. */
export interface AllowanceInput {
  /** The response headers as the router level got them (Envoy's draft rate-limit headers). */
  readonly headers: ReadonlyMap<string, string>;
  /** The filter config's hard limits. */
  readonly hardLimits: readonly HardTokenLimit[];
  /** The request's token estimate, the reservation of a reserving limit. */
  readonly reservedTokens: number;
}

/**
 * The tokens a request may use before its stream is cut, or undefined when no hard limit applies
 * to it. Envoy's draft headers report the descriptor closest to its limit (`x-ratelimit-limit`'s
 * first number; `x-ratelimit-remaining` its remaining) and list every descriptor of the request
 * as `<tokens>;w=<seconds>`. A hard limit applies when it is in that list; the allowance is then
 * the smallest remaining (whichever limit it belongs to: cutting there keeps every hard limit
 * within its budget), plus the request's own reservation when the closest limit is a hard limit
 * that reserves (its remaining was counted after the reservation).
 */
export function hardAllowance(input: AllowanceInput): number | undefined {
  const { headers, hardLimits } = input;
  const limitHeader = headers.get('x-ratelimit-limit');
  const remaining = leadingInteger(headers.get('x-ratelimit-remaining'));
  if (hardLimits.length === 0 || limitHeader === undefined || remaining === undefined) {
    return undefined;
  }
  const closest = leadingInteger(limitHeader);
  const policies = quotaPolicies(limitHeader);
  const applying = hardLimits.filter((limit) =>
    policies.has(`${String(limit.tokens)};${String(limit.windowSeconds)}`),
  );
  if (applying.length === 0) return undefined;
  const reserved = applying.some((limit) => limit.reserves && limit.tokens === closest);
  return remaining + (reserved ? input.reservedTokens : 0);
}

/** The client dialects whose streams can be cut. */
type CutDialect = 'openai' | 'anthropic' | 'gemini';

/**
 * The event that ends a cut stream, in the client's dialect (the official SDKs raise on it): for
 * Gemini the bare error line `@google/genai` raises on mid-stream (`geminiStreamErrorFrame`).
 */
export function budgetExceededFrame(dialect: CutDialect): string {
  if (dialect === 'gemini') {
    return geminiStreamErrorFrame({
      status: 429,
      message: budgetExceededMessage,
      statusName: 'RESOURCE_EXHAUSTED',
    });
  }
  if (dialect === 'openai') {
    const error = {
      message: budgetExceededMessage,
      type: 'rate_limit_error',
      param: null,
      code: budgetExceededCode,
    };
    return `data: ${JSON.stringify({ error })}\n\n`;
  }
  const event = {
    type: 'error',
    error: { type: 'rate_limit_error', message: budgetExceededMessage },
  };
  return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bytesOf(value: unknown): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;
}

/** The generated text of one OpenAI chat delta: content, reasoning, refusal, tool calls. */
function openAIDeltaBytes(delta: Json): number {
  let bytes =
    bytesOf(delta.content) +
    bytesOf(delta.reasoning_content) +
    bytesOf(delta.reasoning) +
    bytesOf(delta.refusal);
  if (Array.isArray(delta.tool_calls)) {
    for (const call of delta.tool_calls) {
      const fn = isObject(call) ? call.function : undefined;
      if (isObject(fn)) bytes += bytesOf(fn.name) + bytesOf(fn.arguments);
    }
  }
  return bytes;
}

/**
 * The generated text bytes of one OpenAI event: chat `choices[].delta` (content, reasoning,
 * tool-call names and arguments), completions `choices[].text`, Responses API `*.delta`.
 */
function openAIBytes(event: Json): number {
  let bytes = 0;
  if (Array.isArray(event.choices)) {
    for (const choice of event.choices) {
      if (!isObject(choice)) continue;
      bytes += bytesOf(choice.text);
      if (isObject(choice.delta)) bytes += openAIDeltaBytes(choice.delta);
    }
  }
  if (typeof event.type === 'string' && event.type.endsWith('.delta'))
    bytes += bytesOf(event.delta);
  return bytes;
}

/** The generated text bytes of one Anthropic event: text, thinking and tool input deltas. */
function anthropicBytes(event: Json): number {
  if (event.type === 'content_block_delta' && isObject(event.delta)) {
    const delta = event.delta;
    return bytesOf(delta.text) + bytesOf(delta.thinking) + bytesOf(delta.partial_json);
  }
  if (event.type === 'content_block_start' && isObject(event.content_block)) {
    const block = event.content_block;
    return bytesOf(block.text) + bytesOf(block.thinking) + bytesOf(block.name);
  }
  return 0;
}

/** The generated text bytes of one Gemini chunk: its candidates' text and function calls. */
function geminiBytes(event: Json): number {
  if (!Array.isArray(event.candidates)) return 0;
  let bytes = 0;
  for (const candidate of event.candidates) {
    const content = isObject(candidate) ? candidate.content : undefined;
    const parts = isObject(content) && Array.isArray(content.parts) ? content.parts : [];
    for (const part of parts) {
      if (!isObject(part)) continue;
      bytes += bytesOf(part.text);
      if (isObject(part.functionCall)) bytes += bytesOf(JSON.stringify(part.functionCall));
    }
  }
  return bytes;
}

const textBytesOf: Readonly<Record<CutDialect, (event: Json) => number>> = {
  openai: openAIBytes,
  anthropic: anthropicBytes,
  gemini: geminiBytes,
};

/** The `data:` of one SSE frame (its lines joined), undefined when it has none. */
function frameData(frame: string): string | undefined {
  let data: string | undefined;
  for (const line of frame.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line.startsWith('data: ') ? 6 : 5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/** The generated text bytes an SSE frame of the client's dialect carries. */
export function frameTextBytes(dialect: CutDialect, frame: string): number {
  const data = frameData(frame);
  if (data === undefined || !data.startsWith('{')) return 0;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return 0; // not ours to judge: the client's SDK sees the same bytes
  }
  if (!isObject(event)) return 0;
  return textBytesOf[dialect](event);
}

const lf = 0x0a;
const cr = 0x0d;

/**
 * Where each complete SSE frame of `bytes` ends: just past the blank line (LF LF, or CRLF CRLF)
 * that ends it. Bytes, not text: a chunk may end inside a character, never inside a line break.
 */
function frameEnds(bytes: Buffer): number[] {
  const ends: number[] = [];
  for (let i = bytes.indexOf(lf); i !== -1; i = bytes.indexOf(lf, i + 1)) {
    if (bytes[i + 1] === lf) ends.push(i + 2);
    else if (bytes[i + 1] === cr && bytes[i + 2] === lf) ends.push(i + 3);
  }
  return ends;
}

/** Input of {@link HardCut}. */
export interface HardCutOptions {
  readonly dialect: Dialect;
  /** {@link hardAllowance}. */
  readonly allowance: number;
  /** The request's input estimate (estimate.ts), until the provider reports its count. */
  readonly inputTokens: number;
  /** Bytes of generated text per token of the output estimate (filter config; 1 = upper bound). */
  readonly bytesPerToken: number;
}

const empty = new Uint8Array(0);

/** What the router forwards of a chunk after the cut: nothing (the provider's rest is dropped). */
export const droppedChunk: ResponseBodyResult = {
  body: empty,
  usage: undefined,
  responseModel: undefined,
};

/**
 * Counts a streamed response's tokens as they are served and cuts it when they pass the
 * allowance. It works on the bytes the client gets (the translated chunk, else the provider's),
 * frame by frame: a chunk's unfinished last frame is held back until it completes, so a cut lands
 * between events. The count is the input (the provider's count once reported, else the estimate)
 * plus the output: the provider's cumulative count once reported mid-stream, plus the estimate of
 * the text served since (UTF-8 bytes / `bytesPerToken` of each event's text deltas).
 */
export class HardCut {
  readonly #options: HardCutOptions;
  readonly #dialect: CutDialect;
  /** The unfinished last frame of the chunks so far, not forwarded yet. */
  #held: Buffer = Buffer.alloc(0);
  #reportedInput = 0;
  #reportedOutput = 0;
  /** Output estimated from the text served since the provider last reported its output count. */
  #estimatedOutput = 0;
  #isCut = false;

  private constructor(options: HardCutOptions, dialect: CutDialect) {
    this.#options = options;
    this.#dialect = dialect;
  }

  /** A counter for a stream in a dialect that can be cut; undefined for the others. */
  static of(options: HardCutOptions): HardCut | undefined {
    const dialect = options.dialect;
    return dialect === 'cohere' ? undefined : new HardCut(options, dialect);
  }

  /** Whether the stream was cut (the rest of the provider's stream is dropped). */
  get isCut(): boolean {
    return this.#isCut;
  }

  /** The tokens counted as served so far. */
  get servedTokens(): number {
    return this.#input() + this.#output();
  }

  /** The usage charged for what was served: the count above, split into input and output. */
  servedUsage(): Usage {
    const inputTokens = this.#input();
    const outputTokens = this.#output();
    return {
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    };
  }

  #input(): number {
    return this.#reportedInput > 0 ? this.#reportedInput : this.#options.inputTokens;
  }

  #output(): number {
    return this.#reportedOutput + this.#estimatedOutput;
  }

  /**
   * One chunk of the response: `result` is what the translator made of it (`original` the
   * provider's bytes). Returns the result to forward: the frames that fit, holding back an
   * unfinished one; after a cut, the error event once and then nothing, with the served usage.
   */
  chunk(
    result: ResponseBodyResult,
    chunk: { readonly original: Uint8Array; readonly endOfStream: boolean },
  ): ResponseBodyResult {
    if (this.#isCut) return droppedChunk;
    const incoming = result.body ?? chunk.original;
    const wasHolding = this.#held.byteLength > 0;
    const bytes = wasHolding
      ? Buffer.concat([this.#held, incoming])
      : Buffer.from(incoming.buffer, incoming.byteOffset, incoming.byteLength);
    const ends = frameEnds(bytes);
    if (chunk.endOfStream) ends.push(bytes.byteLength);
    let served = 0;
    for (const end of ends) {
      const frame = bytes.toString('utf8', served, end);
      const tokens = Math.ceil(frameTextBytes(this.#dialect, frame) / this.#options.bytesPerToken);
      if (this.servedTokens + tokens > this.#options.allowance) return this.#cut(bytes, served);
      this.#estimatedOutput += tokens;
      served = end;
    }
    this.#held = Buffer.from(bytes.subarray(served));
    this.#noteUsage(result.usage);
    if (this.servedTokens > this.#options.allowance && !chunk.endOfStream) {
      return this.#cut(bytes, served); // the provider's count passed it: cut after this chunk
    }
    const isWhole = !wasHolding && result.body === undefined && served === bytes.byteLength;
    return isWhole ? result : { ...result, body: bytes.subarray(0, served) };
  }

  /** The provider's cumulative usage, when a chunk reports a new count. */
  #noteUsage(usage: Usage | undefined): void {
    if (!usage) return;
    if (usage.inputTokens > 0) this.#reportedInput = usage.inputTokens;
    if (usage.outputTokens !== this.#reportedOutput && usage.outputTokens > 0) {
      this.#reportedOutput = usage.outputTokens;
      this.#estimatedOutput = 0;
    }
  }

  #cut(bytes: Buffer, served: number): ResponseBodyResult {
    this.#isCut = true;
    this.#held = Buffer.alloc(0);
    const frame = Buffer.from(budgetExceededFrame(this.#dialect), 'utf8');
    const body = Buffer.concat([bytes.subarray(0, served), frame]);
    return { body, usage: this.servedUsage(), responseModel: undefined };
  }
}

/**
 * The counter of a streamed 2xx response when a hard limit applies to it (the filter config's
 * `tokenReservation.hardLimits`, the response's draft rate-limit headers) and its client dialect
 * can be cut; undefined otherwise, and then nothing changes on the response path.
 */
export function hardCutFor(
  context: RequestContext,
  headers: ReadonlyMap<string, string>,
): HardCut | undefined {
  const settings = context.runtime.config.tokenReservation;
  const hardLimits = settings?.hardLimits;
  if (!context.isStreaming || !settings || !hardLimits?.length || !context.parsed) return undefined;
  const estimate = estimateTokens(context.parsed, settings);
  const allowance = hardAllowance({ headers, hardLimits, reservedTokens: estimate.totalTokens });
  if (allowance === undefined) return undefined;
  return HardCut.of({
    dialect: context.dialect,
    allowance,
    inputTokens: estimate.inputTokens,
    bytesPerToken: settings.inputBytesPerToken,
  });
}

/**
 * One chunk of a 2xx response through the translator, and through the hard budget's counter when
 * one applies: after a cut the provider's rest is neither translated nor served.
 */
export function translateChunk(
  translator: Translator,
  chunk: { readonly body: Uint8Array; readonly endOfStream: boolean },
  hardCut: HardCut | undefined,
): ResponseBodyResult {
  if (!hardCut) return translator.responseBody(chunk.body, chunk.endOfStream);
  if (hardCut.isCut) return droppedChunk;
  const result = translator.responseBody(chunk.body, chunk.endOfStream);
  return hardCut.chunk(result, { original: chunk.body, endOfStream: chunk.endOfStream });
}
