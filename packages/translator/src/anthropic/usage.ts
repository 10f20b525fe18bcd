/**
 * Token usage from Anthropic responses and streams.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_usage.go
 */
import { isJsonObject } from '../shared/json.js';
import type { Usage } from '../usage.js';

/** A count when `value` is a finite non-negative number, else `undefined` (absent). */
function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Accumulates Anthropic usage: `message_start` carries the input side, `message_delta` the
 * cumulative output (and sometimes corrected input and cache counts). Counts are cumulative, so
 * each present field replaces the previous value (never adds), as upstream does.
 */
export class AnthropicUsageTracker {
  #input: number | undefined = undefined;
  #cacheRead = 0;
  #cacheCreation = 0;
  #output = 0;
  #thinking = 0;
  #hasUsage = false;

  /** Applies an Anthropic `usage` object (any of its fields may be absent). */
  add(usage: unknown): void {
    if (!isJsonObject(usage)) {
      return;
    }
    this.#hasUsage = true;
    this.#input = countOf(usage.input_tokens) ?? this.#input;
    this.#cacheRead = countOf(usage.cache_read_input_tokens) ?? this.#cacheRead;
    this.#cacheCreation = countOf(usage.cache_creation_input_tokens) ?? this.#cacheCreation;
    this.#output = countOf(usage.output_tokens) ?? this.#output;
    const details = usage.output_tokens_details;
    if (isJsonObject(details)) {
      this.#thinking = countOf(details.thinking_tokens) ?? this.#thinking;
    }
  }

  /** Prompt tokens in OpenAI terms: uncached + cache reads + cache writes. */
  get promptTokens(): number {
    return (this.#input ?? 0) + this.#cacheRead + this.#cacheCreation;
  }

  /** Output tokens so far. */
  get outputTokens(): number {
    return this.#output;
  }

  /** Cache-read tokens. */
  get cacheReadTokens(): number {
    return this.#cacheRead;
  }

  /** Cache-write tokens. */
  get cacheCreationTokens(): number {
    return this.#cacheCreation;
  }

  /** Thinking tokens, when the provider reports them. */
  get thinkingTokens(): number {
    return this.#thinking;
  }

  /** The gateway's {@link Usage}, or `undefined` before any usage was seen. */
  toUsage(): Usage | undefined {
    if (!this.#hasUsage) {
      return undefined;
    }
    const inputTokens = this.promptTokens;
    return {
      inputTokens,
      outputTokens: this.#output,
      totalTokens: inputTokens + this.#output,
      cachedInputTokens: this.#cacheRead,
      ...(this.#cacheCreation > 0 ? { cacheCreationInputTokens: this.#cacheCreation } : {}),
      reasoningTokens: this.#thinking,
    };
  }

  /** The OpenAI wire `usage` object for these counts. */
  toOpenAI(): Record<string, unknown> {
    const prompt = this.promptTokens;
    return {
      prompt_tokens: prompt,
      completion_tokens: this.#output,
      total_tokens: prompt + this.#output,
      prompt_tokens_details: { cached_tokens: this.#cacheRead },
      completion_tokens_details: { reasoning_tokens: this.#thinking },
    };
  }
}
