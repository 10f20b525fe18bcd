/** The Anthropic Messages wire format, shared by Anthropic, Claude on Vertex and on Bedrock. */
import {
  answer,
  argumentPieces,
  arrayOf,
  isObject,
  pieces,
  textOf,
  type Answer,
  type Conversation,
  type FakeTokenUsage,
} from './conversation.js';

/** The id every fake Anthropic tool call carries; a tool result must name it. */
export const anthropicToolUseId = 'toolu_01FakeToolUse0001';

/** Reads a Messages request into a {@link Conversation}; also the tool result's tool_use_id. */
export function anthropicConversation(body: Record<string, unknown>): Conversation & {
  readonly toolResultId: string | undefined;
} {
  let userText = '';
  let toolResult: string | undefined;
  let toolResultId: string | undefined;
  for (const message of arrayOf(body.messages)) {
    if (!isObject(message) || message.role !== 'user') continue;
    const blocks = typeof message.content === 'string' ? [] : arrayOf(message.content);
    const text =
      typeof message.content === 'string'
        ? message.content
        : textOf(blocks.filter((b) => isObject(b) && b.type === 'text'));
    if (text) userText = text;
    for (const block of blocks) {
      if (!isObject(block) || block.type !== 'tool_result') continue;
      toolResult = textOf(block.content);
      toolResultId = typeof block.tool_use_id === 'string' ? block.tool_use_id : '';
    }
  }
  const toolNames = arrayOf(body.tools).flatMap((tool) =>
    isObject(tool) && typeof tool.name === 'string' ? [tool.name] : [],
  );
  return { userText, toolResult, toolResultId, toolNames };
}

/** Why a Messages request is refused (`undefined` when it is fine). */
export function anthropicRequestProblem(body: Record<string, unknown>): string | undefined {
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return 'messages: at least one message is required';
  }
  const conversation = anthropicConversation(body);
  if (conversation.toolResultId !== undefined && conversation.toolResultId !== anthropicToolUseId) {
    return `messages: tool_result block(s) provided for unknown tool_use id ${conversation.toolResultId}`;
  }
  return undefined;
}

/** What renders one answer. */
export interface AnthropicRender {
  readonly answer: Answer;
  readonly model: string;
  readonly usage: FakeTokenUsage;
}

/** Renders the model's answer for a request body. */
export function anthropicRender(
  body: Record<string, unknown>,
  options: { readonly model: string; readonly usage: FakeTokenUsage },
): AnthropicRender {
  return { answer: answer(anthropicConversation(body)), ...options };
}

function contentBlock(a: Answer): object {
  return a.kind === 'text'
    ? { type: 'text', text: a.text }
    : { type: 'tool_use', id: anthropicToolUseId, name: a.name, input: a.arguments };
}

const stopReason = (a: Answer): string => (a.kind === 'text' ? 'end_turn' : 'tool_use');

/** The non-streaming Messages response. */
export function anthropicMessage(render: AnthropicRender): object {
  return {
    id: 'msg_01FakeMessage0001',
    type: 'message',
    role: 'assistant',
    model: render.model,
    content: [contentBlock(render.answer)],
    stop_reason: stopReason(render.answer),
    stop_sequence: null,
    usage: { input_tokens: render.usage.input, output_tokens: render.usage.output },
  };
}

/** The streamed events (each an object with its `type`), in order. */
export function anthropicEvents(render: AnthropicRender): Record<string, unknown>[] {
  const a = render.answer;
  const start =
    a.kind === 'text'
      ? { type: 'text', text: '' }
      : { type: 'tool_use', id: anthropicToolUseId, name: a.name, input: {} };
  const deltas =
    a.kind === 'text'
      ? pieces(a.text, 6).map((text) => ({ type: 'text_delta', text }))
      : argumentPieces(a.arguments).map((partial) => ({
          type: 'input_json_delta',
          partial_json: partial,
        }));
  return [
    {
      type: 'message_start',
      message: {
        ...anthropicMessage(render),
        content: [],
        stop_reason: null,
        usage: { input_tokens: render.usage.input, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: start },
    { type: 'ping' },
    ...deltas.map((delta) => ({ type: 'content_block_delta', index: 0, delta })),
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: stopReason(a), stop_sequence: null },
      usage: { output_tokens: render.usage.output },
    },
    { type: 'message_stop' },
  ];
}

/** Events as SSE frames, `event:` line included, as Anthropic and Vertex send them. */
export function anthropicSse(events: readonly Record<string, unknown>[]): string[] {
  return events.map((event) => `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
}

/** An Anthropic error body. */
export function anthropicError(type: string, message: string): object {
  return { type: 'error', error: { type, message } };
}

/**
 * The fake tokenizer of `count_tokens` (Anthropic, Vertex `count-tokens:rawPredict`, Bedrock
 * `CountTokens`): one token per whitespace-separated word of the system prompt and every
 * message's text, plus 10 per tool — so a count shows the whole body arrived.
 */
export function fakeInputTokenCount(body: Record<string, unknown>): number {
  const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;
  let count = words(textOf(body.system));
  for (const message of arrayOf(body.messages)) {
    if (isObject(message)) count += words(textOf(message.content));
  }
  return count + 10 * arrayOf(body.tools).length;
}

/** Why a `count_tokens` body is refused (`undefined` when it is fine). */
export function anthropicCountProblem(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return 'messages: at least one message is required';
  }
  return undefined;
}
