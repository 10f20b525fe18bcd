/**
 * Anthropic Messages response → OpenAI chat completion (non-streaming).
 *
 * Thinking blocks are returned as `reasoning_content` (their text) and `thinking_blocks`
 * (`{type, thinking, signature}` / `{type: 'redacted_thinking', data}`), which clients send back
 * on the assistant message so Anthropic can verify the signatures on the next turn.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_gcpanthropic.go
 */
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { AnthropicUsageTracker } from './usage.js';

/** Anthropic `stop_reason` → OpenAI `finish_reason` (upstream's anthropicToOpenAIFinishReason). */
export function openAIFinishReason(stopReason: unknown): string {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn and anything new.
      return 'stop';
  }
}

/** Input of {@link openAIChatFromAnthropic}. */
export interface ChatFromAnthropicOptions {
  /** The model to report when the response names none. */
  readonly model: string;
  /** `created` (Unix seconds). */
  readonly created: number;
}

/** The assistant message fields built from content blocks. */
interface AssistantParts {
  text: string;
  hasText: boolean;
  reasoning: string;
  thinkingBlocks: JsonObject[];
  toolCalls: JsonObject[];
}

/** Adds one content block to the assistant parts. */
function addBlock(parts: AssistantParts, block: JsonObject): void {
  switch (block.type) {
    case 'text':
      parts.text += typeof block.text === 'string' ? block.text : '';
      parts.hasText = true;
      break;
    case 'thinking':
      parts.reasoning += typeof block.thinking === 'string' ? block.thinking : '';
      parts.thinkingBlocks.push({
        type: 'thinking',
        thinking: block.thinking,
        signature: block.signature,
      });
      break;
    case 'redacted_thinking':
      parts.thinkingBlocks.push({ type: 'redacted_thinking', data: block.data });
      break;
    case 'tool_use':
    case 'server_tool_use':
      parts.toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
      break;
    default:
      break;
  }
}

/** The OpenAI `message` of the single choice. */
function assistantMessage(content: unknown): JsonObject {
  const parts: AssistantParts = {
    text: '',
    hasText: false,
    reasoning: '',
    thinkingBlocks: [],
    toolCalls: [],
  };
  if (Array.isArray(content)) {
    for (const block of content) {
      if (isJsonObject(block)) {
        addBlock(parts, block);
      }
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

/** Converts a parsed Anthropic message to an OpenAI `chat.completion` object and its usage. */
export function openAIChatFromAnthropic(
  response: JsonObject,
  options: ChatFromAnthropicOptions,
): { readonly json: JsonObject; readonly usage: AnthropicUsageTracker } {
  const usage = new AnthropicUsageTracker();
  usage.add(response.usage);
  const model = typeof response.model === 'string' ? response.model : options.model;
  const json: JsonObject = {
    id: response.id,
    object: 'chat.completion',
    created: options.created,
    model,
    choices: [
      {
        index: 0,
        message: assistantMessage(response.content),
        logprobs: null,
        finish_reason: openAIFinishReason(response.stop_reason),
      },
    ],
    usage: usage.toOpenAI(),
  };
  return { json, usage };
}
