/**
 * Vertex AI Gemini `GenerateContentResponse` → OpenAI chat completion JSON and
 * `chat.completion.chunk` SSE frames.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/gemini_helper.go
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/GenerateContentResponse
 */
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { StreamIntegrity } from '../shared/stream-integrity.js';
import type { Usage } from '../usage.js';
import { openAIUsage, sseData, sseError, type FinishReason } from './shared/chat-response.js';

/** A token count, or 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * Converts `usageMetadata`. Gemini counts thought tokens apart from `candidatesTokenCount`;
 * OpenAI's `completion_tokens` include reasoning, so output = candidates + thoughts.
 */
export function usageFromGemini(value: unknown): Usage | undefined {
  if (!isJsonObject(value)) {
    return undefined;
  }
  const inputTokens = count(value.promptTokenCount);
  const reasoningTokens = count(value.thoughtsTokenCount);
  const outputTokens = count(value.candidatesTokenCount) + reasoningTokens;
  return {
    inputTokens,
    outputTokens,
    totalTokens:
      typeof value.totalTokenCount === 'number'
        ? count(value.totalTokenCount)
        : inputTokens + outputTokens,
    cachedInputTokens: count(value.cachedContentTokenCount),
    reasoningTokens,
  };
}

/**
 * Maps a Gemini `finishReason`: STOP → `stop` (`tool_calls` when the candidate called
 * functions), MAX_TOKENS → `length`, absent → `null` (a stream still running), and every
 * blocking reason (SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, ...) →
 * `content_filter`, as the Go gateway does.
 */
export function finishReasonOf(reason: unknown, hasToolCalls: boolean): FinishReason | null {
  if (
    reason === undefined ||
    reason === null ||
    reason === '' ||
    reason === 'FINISH_REASON_UNSPECIFIED'
  ) {
    return null;
  }
  if (reason === 'STOP') {
    return hasToolCalls ? 'tool_calls' : 'stop';
  }
  return reason === 'MAX_TOKENS' ? 'length' : 'content_filter';
}

/** The OpenAI message fields of one candidate's parts. */
export interface CandidateParts {
  readonly content: string | undefined;
  readonly reasoning: string | undefined;
  /** Base64 thought signature Gemini attached (to send back on the next turn). */
  readonly signature: string | undefined;
  readonly toolCalls: { readonly name: string; readonly arguments: string }[];
}

/** Accumulator for {@link candidateParts}. */
interface PartsAccumulator {
  content: string | undefined;
  reasoning: string | undefined;
  signature: string | undefined;
  toolCalls: { name: string; arguments: string }[];
}

/** Adds one Gemini part to the accumulator. */
function addPart(acc: PartsAccumulator, part: JsonObject): void {
  if (typeof part.thoughtSignature === 'string') {
    acc.signature ??= part.thoughtSignature;
  }
  if (isJsonObject(part.functionCall) && typeof part.functionCall.name === 'string') {
    const args = part.functionCall.args ?? {};
    acc.toolCalls.push({ name: part.functionCall.name, arguments: JSON.stringify(args) });
  } else if (typeof part.text === 'string' && part.thought === true) {
    acc.reasoning = (acc.reasoning ?? '') + part.text;
  } else if (typeof part.text === 'string') {
    acc.content = (acc.content ?? '') + part.text;
  }
}

/** Splits a candidate's parts into answer text, thought text and function calls. */
export function candidateParts(candidate: JsonObject): CandidateParts {
  const acc: PartsAccumulator = {
    content: undefined,
    reasoning: undefined,
    signature: undefined,
    toolCalls: [],
  };
  const parts = isJsonObject(candidate.content) ? candidate.content.parts : undefined;
  for (const part of Array.isArray(parts) ? parts : []) {
    if (isJsonObject(part)) {
      addPart(acc, part);
    }
  }
  return acc;
}

/** OpenAI `logprobs` from a candidate's `logprobsResult`, or `null`. */
function logprobsOf(candidate: JsonObject): JsonObject | null {
  const result = candidate.logprobsResult;
  if (!isJsonObject(result) || !Array.isArray(result.chosenCandidates)) {
    return null;
  }
  const top = Array.isArray(result.topCandidates) ? result.topCandidates : [];
  const content = result.chosenCandidates.map((chosen: unknown, i) => {
    const alternatives: unknown = isJsonObject(top[i]) ? top[i].candidates : undefined;
    return {
      token: isJsonObject(chosen) ? chosen.token : '',
      logprob: isJsonObject(chosen) ? chosen.logProbability : 0,
      top_logprobs: (Array.isArray(alternatives) ? alternatives : []).map((alt: unknown) => ({
        token: isJsonObject(alt) ? alt.token : '',
        logprob: isJsonObject(alt) ? alt.logProbability : 0,
      })),
    };
  });
  return { content };
}

/** Seconds since the epoch of a `createTime` timestamp, or `undefined`. */
export function createdSeconds(createTime: unknown): number | undefined {
  if (typeof createTime !== 'string') {
    return undefined;
  }
  const ms = Date.parse(createTime);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * The candidates of a response. A prompt Gemini blocks (`promptFeedback.blockReason`) comes with
 * none; it becomes one empty candidate finished by `content_filter`, so OpenAI clients still get
 * a choice that says why.
 */
function candidatesOf(json: JsonObject): unknown[] {
  if (Array.isArray(json.candidates) && json.candidates.length > 0) {
    return json.candidates;
  }
  const feedback = json.promptFeedback;
  return isJsonObject(feedback) && typeof feedback.blockReason === 'string'
    ? [{ index: 0, finishReason: feedback.blockReason }]
    : [];
}

/** Fallback identity of one response (Gemini's `responseId`, `modelVersion`, `createTime` win). */
export interface GeminiResponseContext {
  /** Response id when the response has no `responseId`. */
  readonly id: string;
  /** The model sent upstream, when the response has no `modelVersion`. */
  readonly model: string;
  /** `created` (seconds) when the response has no `createTime`. */
  readonly created: number;
}

/** Tool call ids: Gemini has none, so they derive from the (unique) response id and the call's index. */
function toolCallId(responseId: string, index: number): string {
  return `call_${responseId}_${index}`;
}

/** The response's own identity where it states it, else the fallback. */
function identityOf(json: JsonObject, context: GeminiResponseContext): GeminiResponseContext {
  return {
    id:
      typeof json.responseId === 'string' && json.responseId !== '' ? json.responseId : context.id,
    model:
      typeof json.modelVersion === 'string' && json.modelVersion !== ''
        ? json.modelVersion
        : context.model,
    created: createdSeconds(json.createTime) ?? context.created,
  };
}

/** Converts a (non-streamed) `GenerateContentResponse` to an OpenAI `chat.completion`. */
export function fromGenerateContentResponse(
  json: JsonObject,
  context: GeminiResponseContext,
): { body: JsonObject; usage: Usage | undefined; model: string } {
  const identity = identityOf(json, context);
  let toolIndex = 0;
  const candidates = candidatesOf(json);
  const choices = candidates.filter(isJsonObject).map((candidate, i) => {
    const parts = candidateParts(candidate);
    const message: JsonObject = { role: 'assistant', content: parts.content ?? null };
    if (parts.reasoning !== undefined) {
      message.reasoning_content = parts.reasoning;
    }
    if (parts.reasoning !== undefined || parts.signature !== undefined) {
      message.thinking_blocks = [
        { type: 'thinking', thinking: parts.reasoning ?? '', signature: parts.signature },
      ];
    }
    if (parts.toolCalls.length > 0) {
      message.tool_calls = parts.toolCalls.map((call) => ({
        id: toolCallId(identity.id, toolIndex++),
        type: 'function',
        function: call,
      }));
    }
    return {
      index: typeof candidate.index === 'number' ? candidate.index : i,
      message,
      logprobs: logprobsOf(candidate),
      finish_reason: finishReasonOf(candidate.finishReason, parts.toolCalls.length > 0) ?? 'stop',
    };
  });
  const usage = usageFromGemini(json.usageMetadata);
  const body: JsonObject = {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices,
  };
  if (usage !== undefined) {
    body.usage = openAIUsage(usage);
  }
  return { body, usage, model: identity.model };
}

/** Input of {@link GeminiStreamConverter}'s constructor. */
export interface GeminiStreamOptions extends GeminiResponseContext {
  /** The client asked for a usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
}

/**
 * Converts streamed `GenerateContentResponse` frames to OpenAI chunks. Gemini sends whole
 * function calls (never argument fragments), so each becomes one `tool_calls` delta with its own
 * index; usage arrives on (usually every) frame and is emitted once, at the end, when asked for.
 */
export class GeminiStreamConverter {
  readonly #options: GeminiStreamOptions;
  #toolIndex = 0;
  #hasRole = new Set<number>();
  #usage: Usage | undefined = undefined;
  /** Identity from the first frame (all frames of a stream share it). */
  #identity: GeminiResponseContext | undefined = undefined;
  /** A candidate's `finishReason` (finished) or an error frame (failed) seen. */
  readonly integrity = new StreamIntegrity();

  constructor(options: GeminiStreamOptions) {
    this.#options = options;
  }

  /** Latest usage seen. */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The model the stream names (`modelVersion`), else the model sent upstream. */
  get model(): string {
    return this.#identity?.model ?? this.#options.model;
  }

  /** The SSE text for one frame's JSON. */
  convert(json: JsonObject): string {
    if (isJsonObject(json.error)) {
      this.integrity.fail();
      const { message, status, code } = json.error;
      return sseError({
        message: typeof message === 'string' ? message : 'GCP Vertex AI stream error',
        type: typeof status === 'string' ? status : 'server_error',
        ...(typeof code === 'number' ? { code: String(code) } : {}),
      });
    }
    this.#identity ??= identityOf(json, this.#options);
    this.#usage = usageFromGemini(json.usageMetadata) ?? this.#usage;
    const candidates = candidatesOf(json);
    if (candidates.some((c) => isJsonObject(c) && typeof c.finishReason === 'string')) {
      this.integrity.finish();
    }
    const choices = candidates.filter(isJsonObject).map((c, i) => this.#choice(c, i));
    return choices.length === 0 ? '' : sseData({ ...this.#base(), choices });
  }

  /** The final usage chunk (when the client asked for one and usage is known), else `''`. */
  finish(): string {
    if (!this.#options.includeUsage || this.#usage === undefined) {
      return '';
    }
    return sseData({ ...this.#base(), choices: [], usage: openAIUsage(this.#usage) });
  }

  #choice(candidate: JsonObject, position: number): JsonObject {
    const index = typeof candidate.index === 'number' ? candidate.index : position;
    const parts = candidateParts(candidate);
    const delta: JsonObject = {};
    if (!this.#hasRole.has(index)) {
      this.#hasRole.add(index);
      delta.role = 'assistant';
    }
    if (parts.content !== undefined) {
      delta.content = parts.content;
    }
    if (parts.reasoning !== undefined) {
      delta.reasoning_content = parts.reasoning;
    }
    if (parts.signature !== undefined) {
      delta.thinking_blocks = [{ type: 'thinking', signature: parts.signature }];
    }
    if (parts.toolCalls.length > 0) {
      delta.tool_calls = parts.toolCalls.map((call) => {
        const toolIndex = this.#toolIndex++;
        const id = toolCallId(this.#base().id, toolIndex);
        return { index: toolIndex, id, type: 'function', function: call };
      });
    }
    return {
      index,
      delta,
      logprobs: logprobsOf(candidate),
      finish_reason: finishReasonOf(candidate.finishReason, this.#toolIndex > 0),
    };
  }

  #base(): { id: string; object: string; created: number; model: string } {
    const { id, created, model } = this.#identity ?? this.#options;
    return { id, object: 'chat.completion.chunk', created, model };
  }
}
