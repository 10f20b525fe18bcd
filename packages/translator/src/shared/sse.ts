/**
 * Incremental server-sent events parser that reports every frame with its byte range in the
 * stream, so callers can both read events and splice frames out of the original bytes.
 *
 * It works on bytes, not text: CR and LF never occur inside a UTF-8 multibyte sequence, so lines
 * are found without decoding, and only complete lines are decoded. A chunk boundary inside a
 * character, a line or a CRLF pair is therefore harmless.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
import { concatBytes, utf8Decoder } from './bytes.js';

const lf = 0x0a;
const cr = 0x0d;
const colon = 0x3a;
const space = 0x20;
const dataField = Uint8Array.of(0x64, 0x61, 0x74, 0x61); // "data"
const eventField = Uint8Array.of(0x65, 0x76, 0x65, 0x6e, 0x74); // "event"
/** Scan position meaning "not searched yet in this chunk" (below any real index). */
const unknown = -2;

/** One frame: the lines up to and including the blank line that ends it. */
export interface SseFrame {
  /** The `event:` field, if the frame has one. */
  readonly event: string | undefined;
  /** The `data:` lines joined with "\n"; `undefined` when the frame has no data line (comments only). */
  readonly data: string | undefined;
  /** Absolute stream offset of the frame's first byte (its first non-blank line). */
  readonly start: number;
  /** Absolute stream offset just past the blank line that ended the frame (or the end of stream). */
  readonly end: number;
}

/**
 * Where the `field` line starts its value: the index after `name:` (and one optional space), the
 * line end for a bare `name`, or -1 when the line is another field.
 */
function valueStart(
  line: Uint8Array,
  range: { from: number; to: number },
  name: Uint8Array,
): number {
  const nameEnd = range.from + name.length;
  if (nameEnd > range.to) {
    return -1;
  }
  for (let i = 0; i < name.length; i++) {
    if (line[range.from + i] !== name[i]) {
      return -1;
    }
  }
  if (nameEnd === range.to) {
    return range.to;
  }
  if (line[nameEnd] !== colon) {
    return -1;
  }
  return nameEnd + 1 < range.to && line[nameEnd + 1] === space ? nameEnd + 2 : nameEnd + 1;
}

/**
 * Incremental SSE parser: {@link SseParser.feed} each chunk as it arrives; it returns the frames
 * completed by that chunk. Every byte is scanned once: the unfinished line is carried over as
 * bytes and completed by later chunks, never re-read from an accumulated buffer.
 */
export class SseParser {
  /** Absolute offset of the next byte to be fed (= bytes fed so far). */
  #offset = 0;
  #frameStart: number | undefined = undefined;
  #event: string | undefined = undefined;
  #data: string | undefined = undefined;
  /** Copies of the current line's bytes from earlier chunks (its terminator not seen yet). */
  readonly #carry: Uint8Array[] = [];
  /** The last chunk ended with CR: a leading LF in the next chunk belongs to the same terminator. */
  #hasPendingCr = false;
  /** ...and that CR ended the blank line of a frame: dispatch once the terminator's end is known. */
  #hasPendingDispatch = false;
  // Index of the next LF / CR in the current chunk (-1: none left): each byte is searched once.
  #nextLf = unknown;
  #nextCr = unknown;

  /** Number of bytes fed so far: the absolute offset of the next chunk's first byte. */
  get offset(): number {
    return this.#offset;
  }

  /** Absolute offset where the unfinished frame starts, or `undefined` when none is in progress. */
  get frameStart(): number | undefined {
    return this.#frameStart;
  }

  /** Consumes one chunk and returns the frames it completes, in stream order. */
  feed(chunk: Uint8Array): SseFrame[] {
    const frames: SseFrame[] = [];
    if (chunk.length === 0) {
      return frames;
    }
    const base = this.#offset;
    this.#offset = base + chunk.length;
    this.#nextLf = unknown;
    this.#nextCr = unknown;
    let pos = this.#resumeAfterCr(chunk, base, frames);
    while (pos < chunk.length) {
      const t = this.#nextTerminator(chunk, pos);
      if (t === -1) {
        this.#frameStart ??= base + pos;
        this.#carry.push(chunk.slice(pos));
        break;
      }
      const isBlank = this.#line(chunk, { from: pos, to: t }, base);
      if (chunk[t] === cr && t + 1 === chunk.length) {
        // CR as the last byte: whether an LF follows is known only with the next chunk.
        this.#hasPendingCr = true;
        this.#hasPendingDispatch = isBlank && this.#frameStart !== undefined;
        break;
      }
      pos = chunk[t] === cr && chunk[t + 1] === lf ? t + 2 : t + 1;
      if (isBlank) {
        this.#dispatch(base + pos, frames);
      }
    }
    return frames;
  }

  /**
   * Ends the stream and returns the unfinished frame, if any. Unlike a browser's EventSource, which
   * discards it, the gateway reports it: a truncated stream may still carry usage.
   */
  end(): SseFrame | undefined {
    const frames: SseFrame[] = [];
    if (this.#hasPendingCr) {
      this.#hasPendingCr = false;
      if (this.#hasPendingDispatch) {
        this.#hasPendingDispatch = false;
        this.#dispatch(this.#offset, frames);
      }
    }
    if (this.#carry.length > 0) {
      const line = concatBytes(this.#carry);
      this.#carry.length = 0;
      this.#field(line, { from: 0, to: line.length });
    }
    this.#dispatch(this.#offset, frames);
    return frames[0];
  }

  /** Completes a CR left pending by the previous chunk; returns where scanning resumes. */
  #resumeAfterCr(chunk: Uint8Array, base: number, frames: SseFrame[]): number {
    if (!this.#hasPendingCr) {
      return 0;
    }
    this.#hasPendingCr = false;
    const pos = chunk[0] === lf ? 1 : 0;
    if (this.#hasPendingDispatch) {
      this.#hasPendingDispatch = false;
      this.#dispatch(base + pos, frames);
    }
    return pos;
  }

  /** Index of the next CR or LF at or after `pos`, or -1. */
  #nextTerminator(chunk: Uint8Array, pos: number): number {
    if (this.#nextLf !== -1 && this.#nextLf < pos) {
      this.#nextLf = chunk.indexOf(lf, pos);
    }
    if (this.#nextCr !== -1 && this.#nextCr < pos) {
      this.#nextCr = chunk.indexOf(cr, pos);
    }
    if (this.#nextLf === -1 || this.#nextCr === -1) {
      return Math.max(this.#nextLf, this.#nextCr);
    }
    return Math.min(this.#nextLf, this.#nextCr);
  }

  /** Processes the line ending at `range.to` (joined with any carried bytes); returns whether it is blank. */
  #line(chunk: Uint8Array, range: { from: number; to: number }, base: number): boolean {
    if (this.#carry.length > 0) {
      this.#carry.push(chunk.subarray(range.from, range.to));
      const line = concatBytes(this.#carry);
      this.#carry.length = 0;
      this.#field(line, { from: 0, to: line.length });
      return false;
    }
    if (range.from === range.to) {
      return true;
    }
    this.#frameStart ??= base + range.from;
    this.#field(chunk, range);
    return false;
  }

  /** Applies one non-blank line: `data` and `event` are kept, comments and other fields ignored. */
  #field(line: Uint8Array, range: { from: number; to: number }): void {
    if (line[range.from] === colon) {
      return;
    }
    const dataAt = valueStart(line, range, dataField);
    if (dataAt !== -1) {
      const value = utf8Decoder.decode(line.subarray(dataAt, range.to));
      this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
      return;
    }
    const eventAt = valueStart(line, range, eventField);
    if (eventAt !== -1) {
      this.#event = utf8Decoder.decode(line.subarray(eventAt, range.to));
    }
  }

  /** Ends the current frame at `end` (a blank line with no frame in progress dispatches nothing). */
  #dispatch(end: number, frames: SseFrame[]): void {
    if (this.#frameStart !== undefined) {
      frames.push({ event: this.#event, data: this.#data, start: this.#frameStart, end });
    }
    this.#frameStart = undefined;
    this.#event = undefined;
    this.#data = undefined;
  }
}

/** Whether a content-type is `text/event-stream` (parameters and case ignored). */
export function isEventStream(contentType: string | undefined): boolean {
  return contentType?.trimStart().toLowerCase().startsWith('text/event-stream') === true;
}
