/**
 * Splits a child's output into lines and writes each one with a prefix (`[envoy] `), so the
 * output of several processes interleaves line by line and every line says where it came from.
 * A partial line is held until its newline arrives or {@link LinePrefixer.flush} is called.
 */
export class LinePrefixer {
  readonly #prefix: string;
  readonly #write: (line: string) => void;
  #pending = '';

  constructor(prefix: string, write: (text: string) => void) {
    this.#prefix = prefix;
    this.#write = write;
  }

  /** Adds a chunk of output; complete lines are written at once. */
  push(chunk: string): void {
    const text = this.#pending + chunk;
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      this.#pending = text;
      return;
    }
    this.#pending = text.slice(end + 1);
    const lines = text.slice(0, end).split('\n');
    this.#write(lines.map((line) => `${this.#prefix}${line.replace(/\r$/, '')}\n`).join(''));
  }

  /** Writes a held partial line (the child exited without a final newline). */
  flush(): void {
    if (this.#pending === '') return;
    const line = this.#pending;
    this.#pending = '';
    this.#write(`${this.#prefix}${line}\n`);
  }
}
