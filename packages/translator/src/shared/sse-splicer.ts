/**
 * Removes chosen SSE frames from a byte stream while forwarding every other byte unchanged and in
 * order.
 *
 * Design: a frame can span chunks, and whether it must go is known only once it is complete. So
 * while splicing is active, the bytes of the unfinished trailing frame are held back until the
 * frame completes (then forwarded or dropped) or the stream ends (then forwarded). This delays
 * nothing an SSE client could use: clients dispatch an event only at the blank line that ends its
 * frame. Bytes outside frames (extra blank lines) are never held. When a chunk has nothing held
 * before it, nothing dropped and nothing held after it (the common case of chunks aligned with
 * frames) the caller forwards it untouched, so bytes are copied only for chunks that change.
 */
import type { SseFrame } from './sse.js';

/** Input of {@link SseSplicer.splice}. */
export interface SpliceOptions {
  /** The chunk just fed to the {@link SseParser}. */
  readonly chunk: Uint8Array;
  /** Absolute stream offset of the chunk's first byte. */
  readonly chunkStart: number;
  /** Complete frames to remove, in stream order, none starting before an earlier `safeEnd`. */
  readonly drop: readonly SseFrame[];
  /**
   * Bytes before this absolute offset are decided and may be forwarded; later bytes (an
   * unfinished frame) are held. The parser's `frameStart`, or the chunk end at end of stream.
   */
  readonly safeEnd: number;
}

/** Copies stream range [from, to) out of `parts` (contiguous, starting at `partsStart`) into `out`. */
function copyRange(
  parts: readonly Uint8Array[],
  range: { partsStart: number; from: number; to: number },
  out: { bytes: Uint8Array; at: number },
): void {
  let partStart = range.partsStart;
  for (const part of parts) {
    const partEnd = partStart + part.length;
    const from = Math.max(range.from, partStart);
    const to = Math.min(range.to, partEnd);
    if (from < to) {
      out.bytes.set(part.subarray(from - partStart, to - partStart), out.at);
      out.at += to - from;
    }
    partStart = partEnd;
  }
}

/** Stateful splicer for one stream; see the module comment for the holding rule. */
export class SseSplicer {
  /** Owned copies of undecided bytes from earlier chunks, covering [#start, chunkStart). */
  #held: Uint8Array[] = [];
  #heldLength = 0;
  /** Absolute offset of the first undecided byte. */
  #start = 0;

  /**
   * Returns `undefined` when the chunk is to be forwarded unchanged, otherwise the bytes to
   * forward in its place (possibly empty).
   */
  splice(options: SpliceOptions): Uint8Array | undefined {
    const { chunk, chunkStart, drop, safeEnd } = options;
    const chunkEnd = chunkStart + chunk.length;
    if (this.#heldLength === 0 && drop.length === 0 && safeEnd === chunkEnd) {
      this.#start = chunkEnd;
      return undefined;
    }
    const parts = this.#held;
    parts.push(chunk);
    let length = safeEnd - this.#start;
    for (const frame of drop) {
      length -= frame.end - frame.start;
    }
    const out = { bytes: new Uint8Array(length), at: 0 };
    let from = this.#start;
    for (const frame of drop) {
      copyRange(parts, { partsStart: this.#start, from, to: frame.start }, out);
      from = frame.end;
    }
    copyRange(parts, { partsStart: this.#start, from, to: safeEnd }, out);
    this.#retain({ parts, chunk, from: safeEnd });
    return out.bytes;
  }

  /** Keeps [from, end of parts) as owned bytes: the caller may reuse `chunk` after the call. */
  #retain(options: { parts: readonly Uint8Array[]; chunk: Uint8Array; from: number }): void {
    const kept: Uint8Array[] = [];
    let partStart = this.#start;
    let length = 0;
    for (const part of options.parts) {
      const skip = Math.max(options.from - partStart, 0);
      if (skip < part.length) {
        kept.push(part === options.chunk ? part.slice(skip) : part.subarray(skip));
        length += part.length - skip;
      }
      partStart += part.length;
    }
    this.#held = kept;
    this.#heldLength = length;
    this.#start = options.from;
  }
}
