/**
 * Builders for OpenAI chat completion responses and stream frames, shared by translators whose
 * backend answers in another schema (Bedrock Converse, Gemini).
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object
 * @see https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 */
import type { Usage } from '../../usage.js';

/** OpenAI `finish_reason` values. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** The stream terminator OpenAI sends after the last chunk. */
export const sseDone = 'data: [DONE]\n\n';

/** One SSE frame carrying `value` as JSON. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** OpenAI wire `usage` for a {@link Usage}. */
export function openAIUsage(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

/**
 * An SSE frame with an OpenAI-style error object, for provider errors in the middle of a
 * stream (the OpenAI SDKs raise an APIError for a `data:` payload with an `error` key).
 */
export function sseError(options: { message: string; type: string; code?: string }): string {
  return sseData({
    error: {
      message: options.message,
      type: options.type,
      param: null,
      code: options.code ?? null,
    },
  });
}

/** Seconds since the epoch, as OpenAI's `created`. */
export function unixSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}
