/**
 * AWS Bedrock Converse responses and ConverseStream events → OpenAI chat completion JSON and
 * `chat.completion.chunk` SSE frames.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_awsbedrock.go
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
import { MalformedResponseError } from '../errors.js';
import { utf8Decoder } from '../shared/bytes.js';
import type { EventStreamMessage } from '../shared/aws-eventstream.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { StreamIntegrity } from '../shared/stream-integrity.js';
import type { Usage } from '../usage.js';
import { openAIUsage, sseData, sseError, type FinishReason } from './shared/chat-response.js';

/** Identity of the response being built (Bedrock names neither id nor model). */
export interface ResponseIdentity {
  /** The `x-amzn-requestid` response header, else a generated id. */
  readonly id: string;
  /** The model sent upstream (Bedrock runs exactly what it was asked for). */
  readonly model: string;
  /** `created`, in seconds. */
  readonly created: number;
}

const finishReasons: ReadonlyMap<string, FinishReason> = new Map<string, FinishReason>([
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['tool_use', 'tool_calls'],
  ['max_tokens', 'length'],
  ['model_context_window_exceeded', 'length'],
  ['guardrail_intervened', 'content_filter'],
  ['content_filtered', 'content_filter'],
]);

/** Maps a Bedrock `stopReason` to an OpenAI `finish_reason` (unknown or absent → `stop`). */
export function finishReasonOf(stopReason: unknown): FinishReason {
  return (typeof stopReason === 'string' ? finishReasons.get(stopReason) : undefined) ?? 'stop';
}

/** A token count, or 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * Converts Bedrock `TokenUsage`. Bedrock's `inputTokens` excludes cache reads and writes; OpenAI's
 * `prompt_tokens` includes them, so input = inputTokens + cacheRead + cacheWrite, and the total is
 * recomputed over that (as the Go gateway does).
 */
export function usageFromBedrock(value: unknown): Usage | undefined {
  if (!isJsonObject(value)) {
    return undefined;
  }
  const cacheRead = count(value.cacheReadInputTokens);
  const cacheWrite = count(value.cacheWriteInputTokens);
  const inputTokens = count(value.inputTokens) + cacheRead + cacheWrite;
  const outputTokens = count(value.outputTokens);
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    cachedInputTokens: cacheRead,
    ...(cacheWrite > 0 ? { cacheCreationInputTokens: cacheWrite } : {}),
    reasoningTokens: 0,
  };
}

/** OpenAI `usage` JSON for Bedrock usage, keeping cache writes visible. */
function usageJson(value: unknown, usage: Usage): JsonObject {
  const json = openAIUsage(usage);
  if (isJsonObject(value) && typeof value.cacheWriteInputTokens === 'number') {
    json.prompt_tokens_details = {
      cached_tokens: usage.cachedInputTokens,
      cache_creation_tokens: value.cacheWriteInputTokens,
    };
  }
  return json;
}

/** Base64 of bytes Bedrock already sends base64-encoded in JSON (redacted reasoning). */
function base64Field(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The OpenAI message fields collected from Converse content blocks. */
interface MessageParts {
  text: string;
  hasText: boolean;
  reasoning: string;
  thinkingBlocks: JsonObject[];
  toolCalls: JsonObject[];
}

/** Adds one Converse content block to `parts`. */
function addBlock(parts: MessageParts, block: JsonObject): void {
  if (typeof block.text === 'string') {
    parts.text += block.text;
    parts.hasText = true;
  } else if (isJsonObject(block.toolUse)) {
    const { toolUseId, name, input } = block.toolUse;
    parts.toolCalls.push({
      id: toolUseId,
      type: 'function',
      function: { name, arguments: JSON.stringify(input ?? {}) },
    });
  } else if (isJsonObject(block.reasoningContent)) {
    const { reasoningText, redactedContent } = block.reasoningContent;
    if (isJsonObject(reasoningText) && typeof reasoningText.text === 'string') {
      parts.reasoning += reasoningText.text;
      const signature = reasoningText.signature;
      parts.thinkingBlocks.push({ type: 'thinking', thinking: reasoningText.text, signature });
    }
    const data = base64Field(redactedContent);
    if (data !== undefined) {
      parts.thinkingBlocks.push({ type: 'redacted_thinking', data });
    }
  }
}

/** The OpenAI `message` of a Converse `output.message`. */
function messageOf(content: unknown): JsonObject {
  const parts: MessageParts = {
    text: '',
    hasText: false,
    reasoning: '',
    thinkingBlocks: [],
    toolCalls: [],
  };
  for (const block of Array.isArray(content) ? content : []) {
    if (isJsonObject(block)) {
      addBlock(parts, block);
    }
  }
  const message: JsonObject = { role: 'assistant', content: parts.hasText ? parts.text : null };
  if (parts.toolCalls.length > 0) {
    message.tool_calls = parts.toolCalls;
  }
  if (parts.thinkingBlocks.length > 0) {
    message.reasoning_content = parts.reasoning;
    message.thinking_blocks = parts.thinkingBlocks;
  }
  return message;
}

/** Result of {@link fromConverseResponse}. */
export interface ConvertedResponse {
  /** The `chat.completion` object. */
  readonly body: JsonObject;
  /** Usage, when Bedrock reported it. */
  readonly usage: Usage | undefined;
}

/**
 * Converts a Converse response to an OpenAI `chat.completion`. Throws a
 * {@link MalformedResponseError} (502) when the body has no `output` (Bedrock can answer 200 with an
 * error-shaped body).
 */
export function fromConverseResponse(
  json: JsonObject,
  identity: ResponseIdentity,
): ConvertedResponse {
  const output = json.output;
  if (!isJsonObject(output) || !isJsonObject(output.message)) {
    const reason = typeof json.stopReason === 'string' ? json.stopReason : '';
    throw new MalformedResponseError(
      `AWS Bedrock response has no "output" (stopReason "${reason}")`,
    );
  }
  const usage = usageFromBedrock(json.usage);
  const body: JsonObject = {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: messageOf(output.message.content),
        logprobs: null,
        finish_reason: finishReasonOf(json.stopReason),
      },
    ],
  };
  if (usage !== undefined) {
    body.usage = usageJson(json.usage, usage);
  }
  if (isJsonObject(json.serviceTier) && typeof json.serviceTier.type === 'string') {
    body.service_tier = json.serviceTier.type;
  }
  return { body, usage };
}

/** Input of {@link ConverseStreamConverter}'s constructor. */
export interface ConverseStreamOptions extends ResponseIdentity {
  /** The client asked for a usage chunk (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
}

/** The string value of a header. */
function header(message: EventStreamMessage, name: string): string | undefined {
  const value = message.headers.get(name);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Converts ConverseStream events to OpenAI SSE frames, one event at a time. Tool calls get the
 * OpenAI `index` of their order among tool calls; their argument deltas carry the same index.
 */
export class ConverseStreamConverter {
  readonly #options: ConverseStreamOptions;
  /** Content block index → tool call index, for blocks that are tool uses. */
  readonly #toolIndexByBlock = new Map<number, number>();
  #usage: Usage | undefined = undefined;
  /**
   * `messageStop` (finished: it carries the stop reason; the `metadata` after it only usage) or
   * an exception (failed) seen.
   */
  readonly integrity = new StreamIntegrity();

  constructor(options: ConverseStreamOptions) {
    this.#options = options;
  }

  /** Usage from the `metadata` event, once seen. */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The SSE text for one event stream message (`''` for events with nothing to say). */
  convert(message: EventStreamMessage): string {
    const messageType = header(message, ':message-type') ?? 'event';
    const payload = parseJsonObject(utf8Decoder.decode(message.payload)) ?? {};
    if (messageType === 'exception') {
      this.integrity.fail();
      return sseError({
        message: typeof payload.message === 'string' ? payload.message : 'AWS Bedrock stream error',
        type: header(message, ':exception-type') ?? 'exception',
      });
    }
    if (messageType === 'error') {
      this.integrity.fail();
      return sseError({
        message: header(message, ':error-message') ?? 'AWS Bedrock stream error',
        type: header(message, ':error-code') ?? 'error',
      });
    }
    return this.#event(header(message, ':event-type') ?? '', payload);
  }

  #event(eventType: string, payload: JsonObject): string {
    switch (eventType) {
      case 'messageStart':
        return this.#chunk({ role: payload.role ?? 'assistant', content: '' }, null);
      case 'contentBlockStart':
        return this.#blockStart(payload);
      case 'contentBlockDelta':
        return this.#blockDelta(payload);
      case 'messageStop':
        this.integrity.finish();
        return this.#chunk({}, finishReasonOf(payload.stopReason));
      case 'metadata':
        return this.#metadata(payload);
      default:
        // contentBlockStop and events this gateway does not know carry nothing for OpenAI.
        return '';
    }
  }

  #blockStart(payload: JsonObject): string {
    const start = payload.start;
    if (!isJsonObject(start) || !isJsonObject(start.toolUse)) {
      return '';
    }
    const index = this.#toolIndexByBlock.size;
    this.#toolIndexByBlock.set(count(payload.contentBlockIndex), index);
    const { toolUseId, name } = start.toolUse;
    const call = { index, id: toolUseId, type: 'function', function: { name, arguments: '' } };
    return this.#chunk({ tool_calls: [call] }, null);
  }

  #blockDelta(payload: JsonObject): string {
    const delta = payload.delta;
    if (!isJsonObject(delta)) {
      return '';
    }
    if (typeof delta.text === 'string') {
      return this.#chunk({ content: delta.text }, null);
    }
    if (isJsonObject(delta.toolUse) && typeof delta.toolUse.input === 'string') {
      const index = this.#toolIndexByBlock.get(count(payload.contentBlockIndex)) ?? 0;
      return this.#chunk(
        { tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] },
        null,
      );
    }
    if (isJsonObject(delta.reasoningContent)) {
      return this.#reasoningDelta(delta.reasoningContent);
    }
    return '';
  }

  /** Reasoning text → `reasoning_content`; signatures and redacted bytes → `thinking_blocks`. */
  #reasoningDelta(reasoning: JsonObject): string {
    const { text, signature, redactedContent } = reasoning;
    if (typeof text === 'string') {
      return this.#chunk({ reasoning_content: text }, null);
    }
    if (typeof signature === 'string') {
      return this.#chunk({ thinking_blocks: [{ type: 'thinking', signature }] }, null);
    }
    const data = base64Field(redactedContent);
    if (data !== undefined) {
      return this.#chunk({ thinking_blocks: [{ type: 'redacted_thinking', data }] }, null);
    }
    return '';
  }

  #metadata(payload: JsonObject): string {
    const usage = usageFromBedrock(payload.usage);
    if (usage === undefined) {
      return '';
    }
    this.#usage = usage;
    if (!this.#options.includeUsage) {
      return '';
    }
    return sseData({ ...this.#base(), choices: [], usage: usageJson(payload.usage, usage) });
  }

  #base(): JsonObject {
    const { id, created, model } = this.#options;
    return { id, object: 'chat.completion.chunk', created, model };
  }

  #chunk(delta: JsonObject, finishReason: FinishReason | null): string {
    return sseData({
      ...this.#base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    });
  }
}
