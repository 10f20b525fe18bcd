/** The Bedrock Converse / ConverseStream and Titan embeddings wire formats. */
import {
  answer,
  argumentPieces,
  arrayOf,
  embeddingOf,
  isObject,
  pieces,
  textOf,
  type Answer,
  type Conversation,
  type FakeTokenUsage,
} from './conversation.js';
import { eventStreamEvent } from './eventstream.js';

/** The id every fake Converse tool call carries; a toolResult must name it. */
export const bedrockToolUseId = 'tooluse_FakeToolUse0001';

/** Bedrock pads stream events with a `p` field of random length; the fake sends a fixed one. */
const padding = 'abcdefghijklmnopqrstuvwxyzABCDEFGH';

function toolResultText(content: unknown): string {
  return arrayOf(content)
    .map((part) => {
      if (!isObject(part)) return '';
      if (typeof part.text === 'string') return part.text;
      return part.json === undefined ? '' : JSON.stringify(part.json);
    })
    .join('');
}

/** Reads a Converse request into a {@link Conversation}, plus the tool result's toolUseId. */
export function converseConversation(
  body: Record<string, unknown>,
): Conversation & { readonly toolResultId: string | undefined } {
  let userText = '';
  let toolResult: string | undefined;
  let toolResultId: string | undefined;
  for (const message of arrayOf(body.messages)) {
    if (!isObject(message) || message.role !== 'user') continue;
    const blocks = arrayOf(message.content).filter(isObject);
    const text = textOf(blocks.filter((b) => typeof b.text === 'string'));
    if (text) userText = text;
    for (const block of blocks) {
      if (!isObject(block.toolResult)) continue;
      toolResult = toolResultText(block.toolResult.content);
      toolResultId = String(block.toolResult.toolUseId);
    }
  }
  const tools = isObject(body.toolConfig) ? arrayOf(body.toolConfig.tools) : [];
  const toolNames = tools.flatMap((tool) =>
    isObject(tool) && isObject(tool.toolSpec) && typeof tool.toolSpec.name === 'string'
      ? [tool.toolSpec.name]
      : [],
  );
  return { userText, toolResult, toolResultId, toolNames };
}

/** Why a Converse request is refused (`undefined` when it is fine). */
export function converseRequestProblem(body: Record<string, unknown>): string | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  }
  const { toolResultId } = converseConversation(body);
  if (toolResultId !== undefined && toolResultId !== bedrockToolUseId) {
    return `The toolUseId ${toolResultId} in toolResult blocks does not match a toolUse block.`;
  }
  return undefined;
}

const stopReason = (a: Answer): string => (a.kind === 'text' ? 'end_turn' : 'tool_use');

function usageOf(usage: FakeTokenUsage): object {
  return {
    inputTokens: usage.input,
    outputTokens: usage.output,
    totalTokens: usage.input + usage.output,
  };
}

/** The Converse response. */
export function converseResponse(body: Record<string, unknown>, usage: FakeTokenUsage): object {
  const a = answer(converseConversation(body));
  const block =
    a.kind === 'text'
      ? { text: a.text }
      : { toolUse: { toolUseId: bedrockToolUseId, name: a.name, input: a.arguments } };
  return {
    output: { message: { role: 'assistant', content: [block] } },
    stopReason: stopReason(a),
    usage: usageOf(usage),
    metrics: { latencyMs: 42 },
  };
}

/** The ConverseStream body: eventstream messages, concatenated. */
export function converseStreamBody(body: Record<string, unknown>, usage: FakeTokenUsage): Buffer {
  const a = answer(converseConversation(body));
  const events: [string, object][] = [['messageStart', { role: 'assistant' }]];
  if (a.kind === 'text') {
    for (const text of pieces(a.text, 5)) {
      events.push(['contentBlockDelta', { contentBlockIndex: 0, delta: { text } }]);
    }
  } else {
    events.push([
      'contentBlockStart',
      { contentBlockIndex: 0, start: { toolUse: { toolUseId: bedrockToolUseId, name: a.name } } },
    ]);
    for (const input of argumentPieces(a.arguments)) {
      events.push(['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input } } }]);
    }
  }
  events.push(
    ['contentBlockStop', { contentBlockIndex: 0 }],
    ['messageStop', { stopReason: stopReason(a) }],
    ['metadata', { usage: usageOf(usage), metrics: { latencyMs: 42 } }],
  );
  return Buffer.concat(
    events.map(([type, payload]) => eventStreamEvent(type, { ...payload, p: padding })),
  );
}

/**
 * InvokeModelWithResponseStream for Claude: each Anthropic event becomes a `chunk` event whose
 * `bytes` is the event JSON in base64; the last carries Bedrock's invocation metrics.
 */
export function invokeStreamBody(
  events: readonly Record<string, unknown>[],
  usage: FakeTokenUsage,
): Buffer {
  return Buffer.concat(
    events.map((event) => {
      const withMetrics =
        event.type === 'message_stop'
          ? {
              ...event,
              'amazon-bedrock-invocationMetrics': {
                inputTokenCount: usage.input,
                outputTokenCount: usage.output,
                invocationLatency: 42,
                firstByteLatency: 7,
              },
            }
          : event;
      const bytes = Buffer.from(JSON.stringify(withMetrics), 'utf8').toString('base64');
      return eventStreamEvent('chunk', { bytes, p: padding });
    }),
  );
}

/** The Titan text embeddings InvokeModel response. */
export function titanEmbeddingResponse(body: Record<string, unknown>): object {
  const text = typeof body.inputText === 'string' ? body.inputText : '';
  return {
    embedding: embeddingOf(text),
    inputTextTokenCount: text.split(/\s+/).filter(Boolean).length,
  };
}
