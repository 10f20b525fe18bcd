/** One UTF-8 encoder for the package: `encode` keeps no state between calls. */
export const utf8Encoder = new TextEncoder();

/**
 * One lenient UTF-8 decoder for the package: without `{ stream: true }` `decode` keeps no state
 * between calls; invalid sequences become U+FFFD (as Go's encoding/json does).
 */
export const utf8Decoder = new TextDecoder();

/** Concatenates byte arrays into one new array (returns the only element when there is one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) {
    return parts[0];
  }
  let length = 0;
  for (const part of parts) {
    length += part.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Collects a response body that arrives in chunks, for translators that need it whole. */
export class BodyCollector {
  #parts: Uint8Array[] = [];

  /**
   * Keeps `chunk` (a copy: the caller may reuse its memory once the call returns) and returns
   * the whole body at end of stream, or undefined before it.
   */
  add(chunk: Uint8Array, endOfStream: boolean): Uint8Array | undefined {
    if (!endOfStream) {
      this.#parts.push(chunk.slice());
      return undefined;
    }
    const whole = this.#parts.length === 0 ? chunk : concatBytes([...this.#parts, chunk]);
    this.#parts = [];
    return whole;
  }
}

/** Result of {@link truncatedText}. */
export interface TruncatedText {
  /** The decoded text, cut at a character boundary. */
  readonly text: string;
  /** Whether bytes were dropped. */
  readonly isTruncated: boolean;
}

/** Decodes at most `maxBytes` bytes of UTF-8, never cutting a multibyte character in half. */
export function truncatedText(bytes: Uint8Array, maxBytes: number): TruncatedText {
  if (bytes.length <= maxBytes) {
    return { text: utf8Decoder.decode(bytes), isTruncated: false };
  }
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character start.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) {
    end--;
  }
  return { text: utf8Decoder.decode(bytes.subarray(0, end)), isTruncated: true };
}
