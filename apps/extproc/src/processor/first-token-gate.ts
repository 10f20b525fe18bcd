import {
  EventStreamDecoder,
  EventStreamError,
  type BackendSchemaName,
  type EventStreamMessage,
} from '@aigw/translator';

/**
 * First-token gate: reads the start of a provider's streamed answer, in the provider's wire
 * format, until the first event that decides whether the attempt is good (docs/resilience.md,
 * First-token gate). Only the start is read: once decided, the stream is no longer looked at.
 */

/**
 * What the events seen so far say:
 * - `pending`: nothing meaningful yet (OpenAI's role-only chunk, Anthropic's `message_start`,
 *   `ping`, a content block's start, Bedrock's `messageStart`);
 * - `content`: a content, reasoning or tool delta, or a clean finish (a legitimate empty answer):
 *   the attempt is good, let it through;
 * - `error`: the provider's error event came first: retry elsewhere.
 */
export type GateVerdict = 'pending' | 'content' | 'error';

/** Reads the start of one streamed answer; `feed` each body chunk until it is not `pending`. */
export interface FirstEventDetector {
  feed(chunk: Uint8Array): GateVerdict;
}

type JsonObject = Record<string, unknown>;

function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasText(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

/** One SSE frame: its `event:` field and its `data:` lines joined. */
export interface Frame {
  readonly event: string | undefined;
  readonly data: string | undefined;
}

/**
 * A minimal incremental SSE frame splitter for the start of a stream: text is decoded with a
 * streaming decoder (a chunk may end inside a character) and only the unfinished frame is kept.
 */
class SseFrames {
  readonly #decoder = new TextDecoder();
  #pending = '';

  feed(chunk: Uint8Array): Frame[] {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const frames: Frame[] = [];
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.#pending);
      if (!match) return frames;
      const block = this.#pending.slice(0, match.index);
      this.#pending = this.#pending.slice(match.index + match[0].length);
      frames.push(parseFrame(block));
    }
  }
}

function parseFrame(block: string): Frame {
  let event: string | undefined;
  let data: string | undefined;
  for (const line of block.split(/\r\n|\n|\r/)) {
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
  }
  return { event, data };
}

function hasDeltaContent(delta: JsonObject): boolean {
  return (
    hasText(delta.content) ||
    hasText(delta.reasoning_content) ||
    hasText(delta.refusal) ||
    (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) ||
    (delta.function_call !== undefined && delta.function_call !== null)
  );
}

function openAIChoiceVerdict(choice: unknown): GateVerdict {
  if (!isObject(choice)) return 'pending';
  if (choice.finish_reason !== null && choice.finish_reason !== undefined) return 'content';
  if (hasText(choice.text)) return 'content'; // completions
  return isObject(choice.delta) && hasDeltaContent(choice.delta) ? 'content' : 'pending';
}

/**
 * OpenAI Responses events (`/v1/responses` passed through): any `*.delta` (text, reasoning,
 * function-call arguments) or a function call's item, or the terminal event, decides for the
 * attempt; `error` and `response.failed` against it; `response.created`, a message item's start
 * and the like are pending.
 */
function responsesVerdict(event: JsonObject, type: string): GateVerdict {
  if (type === 'error' || type === 'response.failed') return 'error';
  if (type === 'response.completed' || type === 'response.incomplete') return 'content';
  if (type.endsWith('.delta')) return 'content';
  const item = type === 'response.output_item.added' ? event.item : undefined;
  return isObject(item) && item.type !== 'message' && item.type !== 'reasoning'
    ? 'content'
    : 'pending';
}

/**
 * OpenAI chat/completions chunks (OpenAI, Azure OpenAI, OpenAI-compatible servers), and the
 * Responses events of a passthrough (they carry a `type`, chat chunks do not).
 */
export function openAIVerdict(frame: Frame): GateVerdict {
  if (frame.data === undefined) return 'pending';
  if (frame.data.trim() === '[DONE]') return 'content';
  const chunk = parseObject(frame.data);
  if (!chunk) return 'pending';
  if (chunk.error !== undefined) return 'error';
  if (typeof chunk.type === 'string') return responsesVerdict(chunk, chunk.type);
  const choices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
  return choices.some((choice) => openAIChoiceVerdict(choice) === 'content')
    ? 'content'
    : 'pending';
}

/** Anthropic Messages events (Anthropic, Claude on Vertex AI; and inside Bedrock's frames). */
export function anthropicEventVerdict(event: JsonObject): GateVerdict {
  switch (event.type) {
    case 'error':
      return 'error';
    case 'content_block_delta':
    case 'message_delta':
    case 'message_stop':
      return 'content';
    case 'content_block_start': {
      // A tool_use block names its tool at its start: that is already the answer's content.
      const block = event.content_block;
      return isObject(block) && block.type !== 'text' && block.type !== 'thinking'
        ? 'content'
        : 'pending';
    }
    default:
      return 'pending';
  }
}

function anthropicSseVerdict(frame: Frame): GateVerdict {
  if (frame.event === 'error') return 'error';
  if (frame.data === undefined) return 'pending';
  const event = parseObject(frame.data);
  return event ? anthropicEventVerdict(event) : 'pending';
}

/** Gemini / Vertex AI `streamGenerateContent?alt=sse` chunks. */
function geminiVerdict(frame: Frame): GateVerdict {
  if (frame.data === undefined) return 'pending';
  const chunk = parseObject(frame.data);
  if (!chunk) return 'pending';
  if (chunk.error !== undefined) return 'error';
  const candidates = Array.isArray(chunk.candidates) ? (chunk.candidates as unknown[]) : [];
  for (const candidate of candidates) {
    if (!isObject(candidate)) continue;
    if (candidate.finishReason !== undefined) return 'content';
    const content = candidate.content;
    if (isObject(content) && Array.isArray(content.parts) && content.parts.length > 0) {
      return 'content';
    }
  }
  return 'pending';
}

class SseDetector implements FirstEventDetector {
  readonly #frames = new SseFrames();
  readonly #verdict: (frame: Frame) => GateVerdict;

  constructor(verdict: (frame: Frame) => GateVerdict) {
    this.#verdict = verdict;
  }

  feed(chunk: Uint8Array): GateVerdict {
    for (const frame of this.#frames.feed(chunk)) {
      const verdict = this.#verdict(frame);
      if (verdict !== 'pending') return verdict;
    }
    return 'pending';
  }
}

const utf8 = new TextDecoder();

/** ConverseStream event types that carry the answer or end it cleanly. */
const converseContentEvents = new Set(['contentBlockDelta', 'contentBlockStart', 'messageStop']);

/**
 * AWS eventstream: Bedrock ConverseStream (`:event-type` per message) or Claude on Bedrock
 * (`chunk` messages whose JSON payload holds an Anthropic event, base64 in `bytes`). An
 * `exception` or `error` message, or framing that does not decode, is an error.
 */
class EventStreamDetector implements FirstEventDetector {
  readonly #decoder = new EventStreamDecoder();

  feed(chunk: Uint8Array): GateVerdict {
    let messages;
    try {
      messages = this.#decoder.feed(chunk);
    } catch (err) {
      if (err instanceof EventStreamError) return 'error';
      throw err;
    }
    for (const message of messages) {
      const verdict = eventStreamVerdict(message);
      if (verdict !== 'pending') return verdict;
    }
    return 'pending';
  }
}

function eventStreamVerdict(message: EventStreamMessage): GateVerdict {
  const type = message.headers.get(':message-type');
  if (type === 'exception' || type === 'error') return 'error';
  const eventType = message.headers.get(':event-type');
  if (typeof eventType === 'string' && converseContentEvents.has(eventType)) return 'content';
  if (eventType !== 'chunk') return 'pending';
  const payload = parseObject(utf8.decode(message.payload));
  if (!payload || typeof payload.bytes !== 'string') return 'pending';
  const event = parseObject(Buffer.from(payload.bytes, 'base64').toString('utf8'));
  return event ? anthropicEventVerdict(event) : 'pending';
}

/**
 * The detector for a backend's streamed answers, by the backend's schema; undefined for a schema
 * whose streams the gate does not read (the attempt is then not gated).
 */
export function firstEventDetector(schema: BackendSchemaName): FirstEventDetector | undefined {
  switch (schema) {
    case 'OpenAI':
    case 'AzureOpenAI':
      return new SseDetector(openAIVerdict);
    case 'Anthropic':
    case 'GCPAnthropic':
      return new SseDetector(anthropicSseVerdict);
    case 'GCPVertexAI':
      return new SseDetector(geminiVerdict);
    case 'AWSBedrock':
    case 'AWSAnthropic':
      return new EventStreamDetector();
    case 'Cohere':
      return undefined;
  }
}
