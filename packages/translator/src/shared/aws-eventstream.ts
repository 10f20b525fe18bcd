/**
 * AWS event stream (`application/vnd.amazon.eventstream`) framing: an incremental decoder for the
 * binary frames Bedrock streams (ConverseStream, InvokeModelWithResponseStream) and an encoder for
 * tests and fake providers.
 *
 * Frame layout (all integers big-endian):
 * `total length u32 | headers length u32 | prelude CRC32 u32 | headers | payload | message CRC32 u32`,
 * where the prelude CRC covers the first 8 bytes and the message CRC every byte before it. A
 * header is `name length u8 | name | value type u8 | value`.
 *
 * @see https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream
 */
import { concatBytes, utf8Decoder, utf8Encoder } from './bytes.js';

/** A decoded header value (timestamps as epoch milliseconds, longs as bigint). */
export type EventStreamHeaderValue = boolean | number | bigint | string | Uint8Array;

/** One decoded event stream message. */
export interface EventStreamMessage {
  /** Headers by name, e.g. `:message-type`, `:event-type`, `:exception-type`. */
  readonly headers: ReadonlyMap<string, EventStreamHeaderValue>;
  /** The payload bytes (a copy, owned by the message). */
  readonly payload: Uint8Array;
}

/** The upstream sent bytes that are not a valid event stream (internal: never shown to clients). */
export class EventStreamError extends Error {
  override readonly name = 'EventStreamError';
}

const preludeLength = 12;
const crcLength = 4;
const minMessageLength = preludeLength + crcLength;
/** AWS limits a message to 16 MiB; anything larger is corrupt framing, not a big event. */
const maxMessageLength = 16 * 1024 * 1024;

/**
 * Slicing-by-8 CRC-32 tables: `crcTables[k * 256 + b]` is the CRC of byte `b` followed by `k`
 * zero bytes, so eight input bytes are folded per step (several times faster than byte-wise).
 */
const crcTables: Int32Array = (() => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = tables[(k - 1) * 256 + n] as number;
      tables[k * 256 + n] = (tables[prev & 0xff] as number) ^ (prev >>> 8);
    }
  }
  return tables;
})();

/** Table lookup (the index is always in range). */
function t(index: number): number {
  return crcTables[index] as number;
}

/** CRC-32 (IEEE 802.3, as zlib) of `bytes[from, to)`. */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let crc = -1;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const a =
      crc ^
      ((bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24));
    crc =
      t(1792 + (a & 0xff)) ^
      t(1536 + ((a >>> 8) & 0xff)) ^
      t(1280 + ((a >>> 16) & 0xff)) ^
      t(1024 + (a >>> 24)) ^
      t(768 + (bytes[i + 4] as number)) ^
      t(512 + (bytes[i + 5] as number)) ^
      t(256 + (bytes[i + 6] as number)) ^
      t(bytes[i + 7] as number);
  }
  for (; i < to; i++) {
    crc = t((crc ^ (bytes[i] as number)) & 0xff) ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

/** Decodes header names and string values: ASCII (all Bedrock sends) without a TextDecoder call. */
function decodeText(bytes: Uint8Array): string {
  let ascii = '';
  for (const byte of bytes) {
    if (byte >= 0x80) {
      return utf8Decoder.decode(bytes);
    }
    ascii += String.fromCharCode(byte);
  }
  return ascii;
}

/** Reads one header value of `type` at `at`; returns the value and the offset after it. */
function readValue(
  view: DataView,
  bytes: Uint8Array,
  at: { pos: number; type: number },
): [EventStreamHeaderValue, number] {
  const pos = at.pos;
  switch (at.type) {
    case 0:
      return [true, pos];
    case 1:
      return [false, pos];
    case 2:
      return [view.getInt8(pos), pos + 1];
    case 3:
      return [view.getInt16(pos), pos + 2];
    case 4:
      return [view.getInt32(pos), pos + 4];
    case 5:
      return [view.getBigInt64(pos), pos + 8];
    case 6:
    case 7: {
      const length = view.getUint16(pos);
      const value = bytes.slice(pos + 2, pos + 2 + length);
      return [at.type === 7 ? decodeText(value) : value, pos + 2 + length];
    }
    case 8:
      return [Number(view.getBigInt64(pos)), pos + 8];
    case 9:
      return [bytes.slice(pos, pos + 16), pos + 16];
    default:
      throw new EventStreamError(`unknown event stream header type ${at.type}`);
  }
}

/** Decodes the header block `bytes[from, to)`. */
function readHeaders(
  bytes: Uint8Array,
  range: { from: number; to: number },
): Map<string, EventStreamHeaderValue> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers = new Map<string, EventStreamHeaderValue>();
  let pos = range.from;
  try {
    while (pos < range.to) {
      const nameLength = view.getUint8(pos);
      const name = decodeText(bytes.subarray(pos + 1, pos + 1 + nameLength));
      const type = view.getUint8(pos + 1 + nameLength);
      const [value, next] = readValue(view, bytes, { pos: pos + 2 + nameLength, type });
      headers.set(name, value);
      pos = next;
    }
  } catch (err) {
    if (err instanceof EventStreamError) {
      throw err;
    }
    throw new EventStreamError('event stream headers overrun their block', { cause: err });
  }
  if (pos !== range.to) {
    throw new EventStreamError('event stream headers overrun their block');
  }
  return headers;
}

/** Decodes one complete message (`bytes` holds exactly one frame) after checking both CRCs. */
function decodeMessage(bytes: Uint8Array): EventStreamMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headersLength = view.getUint32(4);
  if (view.getUint32(8) !== crc32(bytes, 0, 8)) {
    throw new EventStreamError('event stream prelude CRC mismatch');
  }
  const end = bytes.length - crcLength;
  if (view.getUint32(end) !== crc32(bytes, 0, end)) {
    throw new EventStreamError('event stream message CRC mismatch');
  }
  const headersEnd = preludeLength + headersLength;
  if (headersEnd > end) {
    throw new EventStreamError('event stream headers longer than the message');
  }
  return {
    headers: readHeaders(bytes, { from: preludeLength, to: headersEnd }),
    payload: bytes.slice(headersEnd, end),
  };
}

/**
 * Incremental event stream decoder: {@link EventStreamDecoder.feed} each chunk as it arrives; it
 * returns the messages that chunk completes. Frames may be split anywhere across chunks; only
 * the bytes of the unfinished frame are kept between calls. Throws {@link EventStreamError} on a
 * CRC mismatch or impossible lengths.
 */
export class EventStreamDecoder {
  #pending: Uint8Array = new Uint8Array(0);

  /** Whether bytes of an unfinished frame are buffered (a truncated stream at its end). */
  get hasPartialMessage(): boolean {
    return this.#pending.length > 0;
  }

  /** Consumes one chunk and returns the messages it completes, in order. */
  feed(chunk: Uint8Array): EventStreamMessage[] {
    const messages: EventStreamMessage[] = [];
    let bytes = this.#pending.length === 0 ? chunk : concatBytes([this.#pending, chunk]);
    let pos = 0;
    while (bytes.length - pos >= preludeLength) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + pos, preludeLength);
      const total = view.getUint32(0);
      if (total < minMessageLength || total > maxMessageLength) {
        throw new EventStreamError(`invalid event stream message length ${total}`);
      }
      if (bytes.length - pos < total) {
        break;
      }
      messages.push(decodeMessage(bytes.subarray(pos, pos + total)));
      pos += total;
    }
    // Copy the tail: the caller may reuse the chunk's memory after this call.
    bytes = bytes.slice(pos);
    this.#pending = bytes;
    return messages;
  }
}

/** Input of {@link encodeEventStreamMessage}: string headers only (all Bedrock uses). */
export interface EventStreamMessageInit {
  /** Header name → string value (encoded as type 7). */
  readonly headers: Readonly<Record<string, string>>;
  /** The payload. */
  readonly payload: Uint8Array;
}

/** Encodes one event stream message (for tests and fake providers). */
export function encodeEventStreamMessage(init: EventStreamMessageInit): Uint8Array {
  const headerParts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(init.headers)) {
    const nameBytes = utf8Encoder.encode(name);
    const valueBytes = utf8Encoder.encode(value);
    const part = new Uint8Array(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    part[0] = nameBytes.length;
    part.set(nameBytes, 1);
    part[1 + nameBytes.length] = 7;
    new DataView(part.buffer).setUint16(2 + nameBytes.length, valueBytes.length);
    part.set(valueBytes, 4 + nameBytes.length);
    headerParts.push(part);
  }
  const headers = concatBytes([new Uint8Array(0), ...headerParts]);
  const total = preludeLength + headers.length + init.payload.length + crcLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headers.length);
  view.setUint32(8, crc32(out, 0, 8));
  out.set(headers, preludeLength);
  out.set(init.payload, preludeLength + headers.length);
  view.setUint32(total - crcLength, crc32(out, 0, total - crcLength));
  return out;
}

/** Whether a content-type is AWS event stream framing (`application/vnd.amazon.eventstream`). */
export function isAwsEventStream(contentType: string | undefined): boolean {
  return (
    contentType?.trim().toLowerCase().startsWith('application/vnd.amazon.eventstream') === true
  );
}
