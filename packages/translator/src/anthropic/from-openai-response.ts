/**
 * OpenAI chat completion → Anthropic message (Anthropic ingress, OpenAI backend), whole and
 * streamed.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_openai.go
 */
import { usageFromOpenAI } from '../shared/openai-usage.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';
import type { Usage } from '../usage.js';

/** OpenAI `finish_reason` → Anthropic `stop_reason`. */
export function anthropicStopReason(finishReason: unknown): string {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/**
 * Gateway usage as an Anthropic `usage` object: Anthropic's `input_tokens` excludes cache reads
 * and writes, which it reports apart.
 */
export function anthropicUsageOf(usage: Usage | undefined): JsonObject {
  const input = usage?.inputTokens ?? 0;
  const cached = usage?.cachedInputTokens ?? 0;
  const created = usage?.cacheCreationInputTokens ?? 0;
  return {
    input_tokens: Math.max(input - cached - created, 0),
    cache_creation_input_tokens: created,
    cache_read_input_tokens: cached,
    output_tokens: usage?.outputTokens ?? 0,
  };
}

/** Tool call `arguments` text as an `input` object (`{}` when it is not a JSON object). */
export function toolInput(args: unknown): JsonObject {
  if (typeof args !== 'string' || args.trim() === '') {
    return {};
  }
  try {
    const value: unknown = JSON.parse(args);
    return isJsonObject(value) ? value : {};
  } catch {
    return {};
  }
}

/** The content blocks of an OpenAI assistant message. */
function contentBlocks(message: JsonObject): JsonObject[] {
  const blocks: JsonObject[] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') {
    blocks.push({ type: 'thinking', thinking: reasoning, signature: '' });
  }
  if (typeof message.content === 'string' && message.content !== '') {
    blocks.push({ type: 'text', text: message.content });
  }
  if (typeof message.refusal === 'string' && message.refusal !== '') {
    blocks.push({ type: 'text', text: message.refusal });
  }
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  for (const call of calls) {
    if (isJsonObject(call) && isJsonObject(call.function)) {
      const fn = call.function;
      blocks.push({ type: 'tool_use', id: call.id, name: fn.name, input: toolInput(fn.arguments) });
    }
  }
  return blocks;
}

/** Converts a parsed OpenAI chat completion to an Anthropic message and the gateway usage. */
export function anthropicMessageFromOpenAI(
  completion: JsonObject,
  model: string,
): { readonly json: JsonObject; readonly usage: Usage | undefined } {
  const choice: unknown = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
  const message = isJsonObject(choice) && isJsonObject(choice.message) ? choice.message : {};
  const usage = usageFromOpenAI(completion.usage);
  const json: JsonObject = {
    id: completion.id,
    type: 'message',
    role: 'assistant',
    model: typeof completion.model === 'string' ? completion.model : model,
    content: contentBlocks(message),
    stop_reason: anthropicStopReason(isJsonObject(choice) ? choice.finish_reason : undefined),
    stop_sequence: null,
    usage: anthropicUsageOf(usage),
  };
  return { json, usage };
}
