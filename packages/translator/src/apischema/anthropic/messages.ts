/**
 * Anthropic Messages API wire types: only the parts the translators read or write. Bodies are
 * handled as parsed JSON (`unknown` narrowed by guards); these names document the shapes.
 *
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://github.com/envoyproxy/ai-gateway/tree/main/internal/apischema/anthropic
 */

/** Why the model stopped (`stop_reason`). */
export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/** The `usage` object of a message (and, partially, of `message_delta` events). */
export interface AnthropicUsage {
  /** Uncached prompt tokens (cache reads and writes are counted separately). */
  readonly input_tokens?: number;
  /** Generated tokens (cumulative in `message_delta`). */
  readonly output_tokens?: number;
  /** Prompt tokens read from the prompt cache. */
  readonly cache_read_input_tokens?: number | null;
  /** Prompt tokens written to the prompt cache. */
  readonly cache_creation_input_tokens?: number | null;
}

/** The streaming event types, in the order a stream sends them. */
export type AnthropicStreamEventType =
  | 'message_start'
  | 'content_block_start'
  | 'content_block_delta'
  | 'content_block_stop'
  | 'message_delta'
  | 'message_stop'
  | 'ping'
  | 'error';

/** The `anthropic_version` Vertex AI requires in the body (rawPredict / streamRawPredict). */
export const vertexAnthropicVersion = 'vertex-2023-10-16';

/** The `anthropic_version` Bedrock InvokeModel requires in the body for Claude models. */
export const bedrockAnthropicVersion = 'bedrock-2023-05-31';

/** The `anthropic-version` header value of the native API the gateway speaks. */
export const anthropicApiVersion = '2023-06-01';
