/** Default number of characters a {@link LogBuffer} keeps. */
export const defaultLogLimit = 512 * 1024;

/**
 * A bounded buffer of text output that keeps the most recent `limit` characters, so a chatty
 * child (Envoy at debug level) cannot grow the test process without bound.
 */
export class LogBuffer {
  readonly #limit: number;
  #chunks: string[] = [];
  #size = 0;
  #dropped = 0;

  constructor(limit: number = defaultLogLimit) {
    this.#limit = Math.max(1, limit);
  }

  /** Appends `text`, discarding the oldest characters beyond the limit. */
  append(text: string): void {
    this.#chunks.push(text);
    this.#size += text.length;
    if (this.#size > this.#limit) {
      this.#trim();
    }
  }

  /** Everything kept, prefixed by a marker when older output was discarded. */
  text(): string {
    const body = this.#chunks.join('');
    return this.#dropped === 0
      ? body
      : `[… ${String(this.#dropped)} earlier characters dropped]\n${body}`;
  }

  /** The last `lines` lines kept. */
  tail(lines: number): string {
    return tailLines(this.text(), lines);
  }

  #trim(): void {
    const joined = this.#chunks.join('');
    const excess = joined.length - this.#limit;
    this.#chunks = [joined.slice(excess)];
    this.#size = this.#limit;
    this.#dropped += excess;
  }
}

/** The last `count` lines of `text` (a trailing newline does not count as an empty line). */
export function tailLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.slice(Math.max(0, lines.length - count)).join('\n');
}
