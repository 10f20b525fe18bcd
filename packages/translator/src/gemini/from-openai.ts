/**
 * OpenAI chat completions responses → Gemini `GenerateContentResponse` JSON, and OpenAI
 * `chat.completion.chunk` SSE → Gemini `streamGenerateContent?alt=sse` frames.
 *
 * Finish reasons: `stop` and `tool_calls` → `STOP` (Gemini has no tool-call reason: a candidate
 * with `functionCall` parts), `length` → `MAX_TOKENS`, `content_filter` → `SAFETY`. Usage: Gemini
 * counts thoughts apart, so `candidatesTokenCount` = completion − reasoning tokens and
 * `thoughtsTokenCount` = reasoning tokens; cached prompt tokens → `cachedContentTokenCount`.
 * Reasoning text (`reasoning_content`, as OpenAI-compatible servers send it) → `thought` parts.
 * Function calls carry the OpenAI call id as `functionCall.id` (Gemini clients send it back on
 * the `functionResponse`). Gemini streams whole function calls, so argument deltas are gathered
 * and sent with the last frame, which also carries the finish reason and the usage.
 *
 * @see https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
 */
import { MalformedResponseError } from '../errors.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { usageFromOpenAI } from '../shared/openai-usage.js';
import { noteOpenAIChunk, StreamIntegrity } from '../shared/stream-integrity.js';
import type { Usage } from '../usage.js';
import { geminiStreamErrorFrame } from './error.js';

/** An OpenAI finish reason as Gemini's. */
export function geminiFinishReason(reason: unknown): string | undefined {
  switch (reason) {
    case 'stop':
    case 'tool_calls':
    case 'function_call':
      return 'STOP';
    case 'length':
      return 'MAX_TOKENS';
    case 'content_filter':
      return 'SAFETY';
    case undefined:
    case null:
      return undefined;
    default:
      return 'OTHER';
  }
}

/** Gemini `usageMetadata` for a {@link Usage}. */
export function geminiUsageMetadata(usage: Usage): JsonObject {
  const thoughts = Math.min(usage.reasoningTokens, usage.outputTokens);
  return {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: usage.outputTokens - thoughts,
    totalTokenCount: usage.totalTokens,
    ...(usage.cachedInputTokens > 0 ? { cachedContentTokenCount: usage.cachedInputTokens } : {}),
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
}

/** One Gemini SSE frame (Google separates frames with CRLF CRLF). */
export function geminiSseFrame(value: unknown): string {
  return `data: ${JSON.stringify(value)}\r\n\r\n`;
}

/** Tool-call arguments (JSON text) as an object. */
function argsOf(text: unknown, name: string): JsonObject {
  if (typeof text !== 'string' || text.trim() === '') return {};
  const args = parseJsonObject(text);
  if (args === undefined) {
    throw new MalformedResponseError(
      `OpenAI tool call "${name}" has arguments that are not a JSON object`,
    );
  }
  return args;
}

/** A function call part. */
function functionCallPart(call: {
  readonly id: string;
  readonly name: string;
  readonly arguments: unknown;
}): JsonObject {
  return {
    functionCall: { id: call.id, name: call.name, args: argsOf(call.arguments, call.name) },
  };
}

/** The reasoning text of a message or delta (`reasoning_content`, or `reasoning`). */
function reasoningOf(message: JsonObject): string | undefined {
  const text = message.reasoning_content ?? message.reasoning;
  return typeof text === 'string' && text !== '' ? text : undefined;
}

function messagePart(message: JsonObject): JsonObject[] {
  const parts: JsonObject[] = [];
  const reasoning = reasoningOf(message);
  if (reasoning !== undefined) parts.push({ text: reasoning, thought: true });
  if (typeof message.content === 'string' && message.content !== '') {
    parts.push({ text: message.content });
  }
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isJsonObject) : [];
  calls.forEach((call, i) => {
    const fn = isJsonObject(call.function) ? call.function : {};
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_${i}`;
    const name = typeof fn.name === 'string' ? fn.name : '';
    parts.push(functionCallPart({ id, name, arguments: fn.arguments }));
  });
  return parts.length === 0 ? [{ text: '' }] : parts;
}

/** Input of {@link geminiResponseFromOpenAI}. */
export interface GeminiResponseContext {
  /** The model sent upstream, when the response names none. */
  readonly model: string;
}

/** Converts a whole OpenAI chat completion; `usage` is the gateway's view of its usage. */
export function geminiResponseFromOpenAI(
  json: JsonObject,
  context: GeminiResponseContext,
): { readonly body: JsonObject; readonly usage: Usage | undefined; readonly model: string } {
  if (!Array.isArray(json.choices)) {
    throw new MalformedResponseError('OpenAI chat completion has no "choices" array');
  }
  const candidates = json.choices.filter(isJsonObject).map((choice, i) => {
    const message = isJsonObject(choice.message) ? choice.message : {};
    const finishReason = geminiFinishReason(choice.finish_reason);
    return {
      content: { role: 'model', parts: messagePart(message) },
      ...(finishReason === undefined ? {} : { finishReason }),
      index: typeof choice.index === 'number' ? choice.index : i,
    };
  });
  const usage = usageFromOpenAI(json.usage);
  const model = typeof json.model === 'string' && json.model !== '' ? json.model : context.model;
  const body: JsonObject = {
    candidates,
    ...(usage === undefined ? {} : { usageMetadata: geminiUsageMetadata(usage) }),
    modelVersion: model,
    ...(typeof json.id === 'string' ? { responseId: json.id } : {}),
  };
  return { body, usage, model };
}

/** A tool call being streamed: its id and name, and its argument text so far. */
interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Converts an OpenAI chat stream to Gemini SSE, frame by frame: {@link data} for each `data:`
 * payload, {@link end} at the end of the body.
 */
export class OpenAIToGeminiStream {
  readonly #model: string;
  #responseModel: string | undefined = undefined;
  #responseId: string | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #finishReason: string | undefined = undefined;
  readonly #calls = new Map<number, PendingCall>();
  #isFinalSent = false;
  /** A `finish_reason` (finished) or an error (failed) seen. */
  readonly integrity = new StreamIntegrity();

  constructor(model: string) {
    this.#model = model;
  }

  /** Usage reported so far. */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The model the provider names, once known. */
  get responseModel(): string | undefined {
    return this.#responseModel;
  }

  /** The Gemini text for one `data:` payload (`[DONE]` included), `json` when already parsed. */
  data(payload: string, json: JsonObject | undefined = parseJsonObject(payload)): string {
    if (payload.trim() === '[DONE]') {
      this.integrity.finish();
      return this.#final();
    }
    if (json === undefined) return '';
    noteOpenAIChunk(this.integrity, json);
    if (isJsonObject(json.error)) return this.#error(json.error);
    this.#identify(json);
    const choice = Array.isArray(json.choices) ? json.choices.find(isJsonObject) : undefined;
    if (choice === undefined) return '';
    this.#finishReason = geminiFinishReason(choice.finish_reason) ?? this.#finishReason;
    const delta = isJsonObject(choice.delta) ? choice.delta : {};
    this.#gather(delta);
    return this.#deltaFrame(delta);
  }

  /** The model, response id and usage a chunk names. */
  #identify(json: JsonObject): void {
    if (typeof json.model === 'string' && json.model !== '') this.#responseModel = json.model;
    if (typeof json.id === 'string') this.#responseId ??= json.id;
    this.#usage = usageFromOpenAI(json.usage) ?? this.#usage;
  }

  /** A frame for a delta's reasoning and text, or `''`. */
  #deltaFrame(delta: JsonObject): string {
    const parts: JsonObject[] = [];
    const reasoning = reasoningOf(delta);
    if (reasoning !== undefined) parts.push({ text: reasoning, thought: true });
    if (typeof delta.content === 'string' && delta.content !== '') {
      parts.push({ text: delta.content });
    }
    return parts.length === 0 ? '' : geminiSseFrame(this.#frame(parts, false));
  }

  /** At the end of the body: the last frame if still due, or the truncation error. */
  end(): string {
    if (this.integrity.isOpen) return this.integrity.end('gemini');
    return this.integrity.state === 'finished' ? this.#final() : '';
  }

  #gather(delta: JsonObject): void {
    const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls.filter(isJsonObject) : [];
    for (const call of calls) {
      const index = typeof call.index === 'number' ? call.index : this.#calls.size;
      const fn = isJsonObject(call.function) ? call.function : {};
      const pending = this.#calls.get(index) ?? { id: '', name: '', arguments: '' };
      if (typeof call.id === 'string' && call.id !== '') pending.id = call.id;
      if (typeof fn.name === 'string') pending.name += fn.name;
      if (typeof fn.arguments === 'string') pending.arguments += fn.arguments;
      this.#calls.set(index, pending);
    }
  }

  #error(error: JsonObject): string {
    const code = Number(error.code);
    const status = Number.isInteger(code) && code >= 400 && code < 600 ? code : 500;
    const message = typeof error.message === 'string' ? error.message : 'provider stream error';
    return geminiStreamErrorFrame({ status, message });
  }

  /** The last frame: gathered function calls, the finish reason and the usage (once). */
  #final(): string {
    if (this.#isFinalSent) return '';
    this.#isFinalSent = true;
    const parts = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) =>
        functionCallPart({ ...call, id: call.id === '' ? `call_${index}` : call.id }),
      );
    return geminiSseFrame(this.#frame(parts.length === 0 ? [{ text: '' }] : parts, true));
  }

  #frame(parts: JsonObject[], isLast: boolean): JsonObject {
    const candidate: JsonObject = { content: { role: 'model', parts }, index: 0 };
    if (isLast) candidate.finishReason = this.#finishReason ?? 'STOP';
    return {
      candidates: [candidate],
      ...(isLast && this.#usage !== undefined
        ? { usageMetadata: geminiUsageMetadata(this.#usage) }
        : {}),
      modelVersion: this.#responseModel ?? this.#model,
      ...(this.#responseId === undefined ? {} : { responseId: this.#responseId }),
    };
  }
}
