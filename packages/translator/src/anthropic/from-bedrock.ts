/**
 * AWS Bedrock Converse responses and ConverseStream events → Anthropic Messages JSON and
 * Anthropic SSE events (Anthropic ingress, `AWSBedrock` backend).
 *
 * Converse's `reasoningContent` becomes `thinking` (with its `signature`) or `redacted_thinking`,
 * `toolUse` becomes `tool_use` with Bedrock's id unchanged, usage keeps cache reads and writes
 * apart as Anthropic does. ConverseStream sends no `contentBlockStart` for text and reasoning
 * blocks, so a block is opened by its first delta; its kind is known then. The stop reason comes
 * in `messageStop` and the usage in the `metadata` event after it, so `message_delta` and
 * `message_stop` are sent at `metadata` (or at the end of the body when it never comes).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_awsbedrock.go
 */
import { MalformedResponseError } from '../errors.js';
import type { EventStreamMessage } from '../shared/aws-eventstream.js';
import { utf8Decoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { StreamIntegrity } from '../shared/stream-integrity.js';
import type { Usage } from '../usage.js';
import { usageFromBedrock } from '../openai/awsbedrock-response.js';
import { anthropicErrorEventFromBedrock } from './error.js';
import { anthropicUsageOf } from './from-openai-response.js';

/** Converse `stopReason` → Anthropic `stop_reason`. */
export function anthropicStopReasonFromBedrock(stopReason: unknown): string {
  switch (stopReason) {
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
    case 'model_context_window_exceeded':
      return stopReason;
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** One Converse content block as an Anthropic content block (`undefined` for unknown kinds). */
function contentBlockOf(block: JsonObject): JsonObject | undefined {
  if (typeof block.text === 'string') return { type: 'text', text: block.text };
  if (isJsonObject(block.toolUse)) {
    const { toolUseId, name, input } = block.toolUse;
    return { type: 'tool_use', id: toolUseId, name, input: input ?? {} };
  }
  const reasoning = block.reasoningContent;
  if (!isJsonObject(reasoning)) return undefined;
  if (isJsonObject(reasoning.reasoningText)) {
    const { text, signature } = reasoning.reasoningText;
    return {
      type: 'thinking',
      thinking: typeof text === 'string' ? text : '',
      signature: typeof signature === 'string' ? signature : '',
    };
  }
  return typeof reasoning.redactedContent === 'string'
    ? { type: 'redacted_thinking', data: reasoning.redactedContent }
    : undefined;
}

/** Identity of the message being built: Bedrock names neither id nor model. */
export interface BedrockMessageIdentity {
  /** `msg_` + the `x-amzn-requestid` header (or a generated id). */
  readonly id: string;
  /** The model sent upstream. */
  readonly model: string;
}

/** Result of {@link anthropicMessageFromConverse}. */
export interface ConvertedMessage {
  readonly body: JsonObject;
  readonly usage: Usage | undefined;
}

/**
 * Converts a Converse response to an Anthropic message. Throws a {@link MalformedResponseError}
 * (502) when the body has no `output.message`.
 */
export function anthropicMessageFromConverse(
  json: JsonObject,
  identity: BedrockMessageIdentity,
): ConvertedMessage {
  const output = json.output;
  if (!isJsonObject(output) || !isJsonObject(output.message)) {
    throw new MalformedResponseError('AWS Bedrock response has no "output.message"');
  }
  const blocks = Array.isArray(output.message.content) ? output.message.content : [];
  const content = blocks.flatMap((b: unknown) => {
    const block = isJsonObject(b) ? contentBlockOf(b) : undefined;
    return block === undefined ? [] : [block];
  });
  const usage = usageFromBedrock(json.usage);
  const body: JsonObject = {
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: identity.model,
    content,
    stop_reason: anthropicStopReasonFromBedrock(json.stopReason),
    stop_sequence: null,
    usage: anthropicUsageOf(usage),
  };
  return { body, usage };
}

/** One SSE event in Anthropic's format. */
function sse(event: JsonObject): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

function header(message: EventStreamMessage, name: string): string | undefined {
  const value = message.headers.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** The kind of an open Anthropic content block. */
type BlockKind = 'text' | 'thinking' | 'redacted_thinking' | 'tool_use';

/**
 * Converts ConverseStream eventstream messages to Anthropic SSE, one message at a time.
 * Anthropic block indexes count from 0 in the order blocks open, whatever Bedrock numbers them.
 */
export class ConverseToAnthropicStream {
  readonly #identity: BedrockMessageIdentity;
  /** Bedrock `contentBlockIndex` → the open Anthropic block. */
  readonly #open = new Map<number, { index: number; kind: BlockKind }>();
  #nextIndex = 0;
  #hasStarted = false;
  #stopReason: string | undefined = undefined;
  #usage: Usage | undefined = undefined;
  /** `message_stop` sent (finished) or an `error` event sent (failed). */
  readonly integrity = new StreamIntegrity();

  constructor(identity: BedrockMessageIdentity) {
    this.#identity = identity;
  }

  /** Usage from the `metadata` event, once seen. */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The SSE text for one eventstream message (`''` when it says nothing to the client). */
  convert(message: EventStreamMessage): string {
    if (!this.integrity.isOpen) return '';
    const messageType = header(message, ':message-type') ?? 'event';
    const payload = utf8Decoder.decode(message.payload);
    if (messageType === 'exception' || messageType === 'error') {
      this.integrity.fail();
      const kind =
        header(message, ':exception-type') ?? header(message, ':error-code') ?? 'exception';
      return sse(anthropicErrorEventFromBedrock(kind, payload));
    }
    return this.#event(header(message, ':event-type') ?? '', parseJsonObject(payload) ?? {});
  }

  /** At the end of the body: the closing events when `metadata` never came, else nothing. */
  end(): string {
    if (this.#stopReason !== undefined && this.integrity.isOpen) return this.#finish();
    return this.integrity.isOpen ? this.integrity.end('anthropic') : '';
  }

  #event(eventType: string, payload: JsonObject): string {
    switch (eventType) {
      case 'messageStart':
        return this.#start();
      case 'contentBlockStart':
        return this.#blockStart(payload);
      case 'contentBlockDelta':
        return this.#blockDelta(payload);
      case 'contentBlockStop':
        return this.#blockStop(payload.contentBlockIndex);
      case 'messageStop':
        this.#stopReason = anthropicStopReasonFromBedrock(payload.stopReason);
        return this.#closeAll();
      case 'metadata':
        this.#usage = usageFromBedrock(payload.usage) ?? this.#usage;
        return this.#stopReason === undefined ? '' : this.#finish();
      default:
        return '';
    }
  }

  #start(): string {
    if (this.#hasStarted) return '';
    this.#hasStarted = true;
    const { id, model } = this.#identity;
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsageOf(undefined),
    };
    return sse({ type: 'message_start', message });
  }

  /** Opens an Anthropic block for a Bedrock block index (the message starts first if need be). */
  #openBlock(bedrockIndex: number, kind: BlockKind, contentBlock: JsonObject): string {
    const index = this.#nextIndex++;
    this.#open.set(bedrockIndex, { index, kind });
    return this.#start() + sse({ type: 'content_block_start', index, content_block: contentBlock });
  }

  #blockStart(payload: JsonObject): string {
    const start = payload.start;
    if (!isJsonObject(start) || !isJsonObject(start.toolUse)) return '';
    const { toolUseId, name } = start.toolUse;
    return this.#openBlock(indexOf(payload.contentBlockIndex), 'tool_use', {
      type: 'tool_use',
      id: toolUseId,
      name,
      input: {},
    });
  }

  #blockDelta(payload: JsonObject): string {
    const delta = payload.delta;
    if (!isJsonObject(delta)) return '';
    const bedrockIndex = indexOf(payload.contentBlockIndex);
    if (typeof delta.text === 'string') {
      return this.#delta(bedrockIndex, 'text', { type: 'text_delta', text: delta.text });
    }
    if (isJsonObject(delta.toolUse) && typeof delta.toolUse.input === 'string') {
      const partial = { type: 'input_json_delta', partial_json: delta.toolUse.input };
      return this.#delta(bedrockIndex, 'tool_use', partial);
    }
    const reasoning = delta.reasoningContent;
    if (!isJsonObject(reasoning)) return '';
    if (typeof reasoning.text === 'string') {
      return this.#delta(bedrockIndex, 'thinking', {
        type: 'thinking_delta',
        thinking: reasoning.text,
      });
    }
    if (typeof reasoning.signature === 'string') {
      const signature = { type: 'signature_delta', signature: reasoning.signature };
      return this.#delta(bedrockIndex, 'thinking', signature);
    }
    if (typeof reasoning.redactedContent === 'string' && !this.#open.has(bedrockIndex)) {
      // Anthropic sends a redacted block whole, in its start event.
      return this.#openBlock(bedrockIndex, 'redacted_thinking', {
        type: 'redacted_thinking',
        data: reasoning.redactedContent,
      });
    }
    return '';
  }

  /** A delta for a block, opening it first when this is its first delta. */
  #delta(bedrockIndex: number, kind: BlockKind, delta: JsonObject): string {
    let out = '';
    let open = this.#open.get(bedrockIndex);
    if (open === undefined) {
      const contentBlock =
        kind === 'thinking'
          ? { type: 'thinking', thinking: '', signature: '' }
          : kind === 'text'
            ? { type: 'text', text: '' }
            : { type: kind };
      out += this.#openBlock(bedrockIndex, kind, contentBlock);
      open = this.#open.get(bedrockIndex);
    }
    return out + sse({ type: 'content_block_delta', index: open?.index ?? 0, delta });
  }

  #blockStop(contentBlockIndex: unknown): string {
    const bedrockIndex = indexOf(contentBlockIndex);
    const open = this.#open.get(bedrockIndex);
    if (open === undefined) return '';
    this.#open.delete(bedrockIndex);
    return sse({ type: 'content_block_stop', index: open.index });
  }

  /** Stops every block Bedrock left open (a `messageStop` without their `contentBlockStop`). */
  #closeAll(): string {
    let out = '';
    for (const bedrockIndex of [...this.#open.keys()]) out += this.#blockStop(bedrockIndex);
    return out;
  }

  #finish(): string {
    this.integrity.finish();
    const delta = { stop_reason: this.#stopReason ?? 'end_turn', stop_sequence: null };
    return (
      this.#start() +
      this.#closeAll() +
      sse({ type: 'message_delta', delta, usage: anthropicUsageOf(this.#usage) }) +
      sse({ type: 'message_stop' })
    );
  }
}

function indexOf(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}
