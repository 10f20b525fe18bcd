/**
 * Reads Anthropic stream events from either wire format the Anthropic family uses: SSE
 * (Anthropic API, Vertex streamRawPredict) or AWS eventstream frames whose payload is
 * `{"bytes":"<base64 of the event JSON>"}` (Bedrock InvokeModelWithResponseStream).
 */
import {
  EventStreamDecoder,
  EventStreamError,
  type EventStreamMessage,
} from '../shared/aws-eventstream.js';
import { utf8Decoder } from '../shared/bytes.js';
import { parseJsonObject, type JsonObject } from '../shared/json.js';
import { SseParser, type SseFrame } from '../shared/sse.js';
import { anthropicErrorEventFromBedrock } from './error.js';

/** The wire format of an Anthropic-family stream. */
export type AnthropicStreamFormat = 'sse' | 'eventstream';

/** Incremental source of Anthropic stream events (each a parsed JSON object with a `type`). */
export interface AnthropicEventSource {
  /** Consumes a chunk; returns the events it completes. At `isEnd`, flushes what is left. */
  feed(chunk: Uint8Array, isEnd: boolean): JsonObject[];
  /** After the last chunk: whether the raw bytes ended inside an SSE frame (no blank line). */
  readonly hasEndedMidFrame: boolean;
}

/** An event from an SSE frame: its data parsed, the `event:` name filling a missing `type`. */
function eventFromFrame(frame: SseFrame): JsonObject | undefined {
  if (frame.data === undefined) {
    return undefined;
  }
  const json = parseJsonObject(frame.data);
  if (json === undefined) {
    return undefined;
  }
  if (typeof json.type !== 'string' && frame.event !== undefined) {
    return { ...json, type: frame.event };
  }
  return json;
}

/** SSE-framed events. */
class SseEventSource implements AnthropicEventSource {
  readonly #parser = new SseParser();
  hasEndedMidFrame = false;

  feed(chunk: Uint8Array, isEnd: boolean): JsonObject[] {
    const frames = this.#parser.feed(chunk);
    this.hasEndedMidFrame = isEnd && this.#parser.frameStart !== undefined;
    const last = isEnd ? this.#parser.end() : undefined;
    if (last !== undefined) {
      frames.push(last);
    }
    const events: JsonObject[] = [];
    for (const frame of frames) {
      const event = eventFromFrame(frame);
      if (event !== undefined) {
        events.push(event);
      }
    }
    return events;
  }
}

/** Decodes standard base64 into bytes without Node built-ins. */
export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    out[i] = binary.charCodeAt(i);
  }
  return out;
}

/** The Anthropic event inside one Bedrock eventstream message, if any. */
export function eventFromBedrockMessage(message: EventStreamMessage): JsonObject | undefined {
  const payload = utf8Decoder.decode(message.payload);
  const messageType = message.headers.get(':message-type');
  if (messageType === 'exception' || messageType === 'error') {
    const kind =
      message.headers.get(':exception-type') ?? message.headers.get(':error-code') ?? 'exception';
    return anthropicErrorEventFromBedrock(String(kind), payload);
  }
  const json = parseJsonObject(payload);
  if (json === undefined || typeof json.bytes !== 'string') {
    return undefined;
  }
  let inner: string;
  try {
    inner = utf8Decoder.decode(base64ToBytes(json.bytes));
  } catch {
    return undefined;
  }
  return parseJsonObject(inner);
}

/**
 * Bedrock eventstream-framed events. Corrupt framing (a CRC mismatch, an impossible length)
 * cannot be resynchronised, so it becomes one `error` event and the rest of the stream is ignored.
 */
class BedrockEventSource implements AnthropicEventSource {
  readonly #decoder = new EventStreamDecoder();
  #isBroken = false;
  /** Re-framed as whole SSE events: never mid-frame. */
  readonly hasEndedMidFrame = false;

  feed(chunk: Uint8Array): JsonObject[] {
    if (this.#isBroken) {
      return [];
    }
    let messages: EventStreamMessage[];
    try {
      messages = this.#decoder.feed(chunk);
    } catch (err) {
      if (!(err instanceof EventStreamError)) {
        throw err;
      }
      this.#isBroken = true;
      const message = `malformed AWS eventstream from the upstream: ${err.message}`;
      return [{ type: 'error', error: { type: 'api_error', message } }];
    }
    const events: JsonObject[] = [];
    for (const message of messages) {
      const event = eventFromBedrockMessage(message);
      if (event !== undefined) {
        events.push(event);
      }
    }
    return events;
  }
}

/** Creates an event source for a stream format. */
export function createAnthropicEventSource(format: AnthropicStreamFormat): AnthropicEventSource {
  return format === 'sse' ? new SseEventSource() : new BedrockEventSource();
}
