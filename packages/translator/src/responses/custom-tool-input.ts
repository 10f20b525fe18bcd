/**
 * A Responses `custom` tool (free-form input, e.g. Codex CLI's `apply_patch`) is offered to a chat
 * backend as a function tool with one string parameter, `input` (see `to-chat-request.ts`). The
 * model answers with JSON arguments such as `{"input":"*** Begin Patch\n…"}`; this reads the
 * `input` string back out of them, incrementally, so a stream can forward the decoded text as
 * `response.custom_tool_call_input.delta` events while the arguments are still arriving.
 *
 * The rule, the same whole or streamed: when the arguments are a JSON object whose top-level
 * `input` member is a string, the input is that string (as far as it got, if the arguments were
 * cut short, as by a length stop); otherwise (another shape, a non-string `input`, not JSON) the
 * input is the raw arguments text. Deltas returned by {@link CustomToolInput.feed} are therefore
 * always a prefix of {@link CustomToolInput.finish}'s input.
 */

/** The chat function parameter that carries a custom tool's free-form input. */
export const customToolInputParameter = 'input';

type State =
  | 'start'
  | 'key-or-end'
  | 'key'
  | 'colon'
  | 'value'
  | 'skip-string'
  | 'skip-nested'
  | 'skip-scalar'
  | 'after-value'
  | 'input'
  | 'done'
  | 'failed';

/** Which reader a state's characters go to. */
type Mode = 'input' | 'string' | 'nested' | 'value' | 'structural' | 'ignore';

const modeOf: Readonly<Record<State, Mode>> = {
  start: 'structural',
  'key-or-end': 'structural',
  key: 'string',
  colon: 'structural',
  value: 'value',
  'skip-string': 'string',
  'skip-nested': 'nested',
  'skip-scalar': 'structural',
  'after-value': 'structural',
  input: 'input',
  done: 'ignore',
  failed: 'ignore',
};

const simpleEscapes: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t';
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Reads a custom tool's `input` out of chat function-call arguments, fragment by fragment. */
export class CustomToolInput {
  #state: State = 'start';
  #raw = '';
  /** The key being read, or the last key read. */
  #key = '';
  /** Inside a skipped or key string: the previous character was a backslash. */
  #isEscaped = false;
  /** Nesting depth of a skipped object or array value, and whether inside a string there. */
  #depth = 0;
  #isInNestedString = false;
  /** A backslash escape of the input string not complete yet (`\`, `\u00`, …). */
  #escape = '';
  #decoded = '';
  #emitted = 0;

  /** Feeds one arguments fragment; returns the input text decoded from it ('' when none). */
  feed(fragment: string): string {
    this.#raw += fragment;
    for (const ch of fragment) {
      if (this.#state === 'done' || this.#state === 'failed') break;
      this.#step(ch);
    }
    let end = this.#decoded.length;
    // A high surrogate waits for its pair, so no delta carries half a character.
    if (end > this.#emitted && isHighSurrogate(this.#decoded.charCodeAt(end - 1))) end -= 1;
    const delta = this.#decoded.slice(this.#emitted, end);
    this.#emitted = end;
    return delta;
  }

  /** The whole input, and the part of it {@link feed} has not returned yet. */
  finish(): { readonly input: string; readonly rest: string } {
    if (this.#state === 'input' || this.#state === 'done') {
      return { input: this.#decoded, rest: this.#decoded.slice(this.#emitted) };
    }
    // Not `{"input": "…"}`: nothing was returned by feed, and the input is the raw text.
    return { input: this.#raw, rest: this.#raw };
  }

  #step(ch: string): void {
    switch (modeOf[this.#state]) {
      case 'input':
        this.#inputChar(ch);
        return;
      case 'string':
        this.#stringChar(ch);
        return;
      case 'nested':
        this.#nestedChar(ch);
        return;
      case 'value':
        this.#valueStart(ch);
        return;
      case 'structural':
        if (!isWhitespace(ch)) this.#structural(ch);
        else if (this.#state === 'skip-scalar') this.#state = 'after-value';
        return;
      case 'ignore':
        return;
    }
  }

  /** Between tokens (not whitespace): the object's opening brace, keys, colons, commas. */
  #structural(ch: string): void {
    const state = this.#state;
    // A closing brace anywhere here ends the object without an `input` string: 'failed'.
    let next: State;
    if (state === 'start') next = ch === '{' ? 'key-or-end' : 'failed';
    else if (state === 'key-or-end') next = ch === '"' ? 'key' : 'failed';
    else if (state === 'colon') next = ch === ':' ? 'value' : 'failed';
    else if (ch === ',') next = 'key-or-end';
    else next = state === 'skip-scalar' && ch !== '}' ? state : 'failed';
    if (next === 'key') this.#key = '';
    this.#state = next;
  }

  #valueStart(ch: string): void {
    if (isWhitespace(ch)) return;
    if (this.#key === customToolInputParameter) {
      this.#state = ch === '"' ? 'input' : 'failed';
    } else if (ch === '"') {
      this.#state = 'skip-string';
    } else if (ch === '{' || ch === '[') {
      this.#state = 'skip-nested';
      this.#depth = 1;
      this.#isInNestedString = false;
    } else {
      this.#state = 'skip-scalar';
    }
  }

  /** A key (collected, escapes kept raw) or a skipped string value. */
  #stringChar(ch: string): void {
    if (this.#isEscaped) this.#isEscaped = false;
    else if (ch === '\\') this.#isEscaped = true;
    else if (ch === '"') {
      this.#state = this.#state === 'key' ? 'colon' : 'after-value';
      return;
    }
    if (this.#state === 'key') this.#key += ch;
  }

  #nestedChar(ch: string): void {
    if (this.#isInNestedString) {
      if (this.#isEscaped) this.#isEscaped = false;
      else if (ch === '\\') this.#isEscaped = true;
      else if (ch === '"') this.#isInNestedString = false;
      return;
    }
    if (ch === '"') this.#isInNestedString = true;
    else if (ch === '{' || ch === '[') this.#depth += 1;
    else if (ch === '}' || ch === ']') {
      this.#depth -= 1;
      if (this.#depth === 0) this.#state = 'after-value';
    }
  }

  /** A character of the `input` string value: decoded into {@link #decoded}. */
  #inputChar(ch: string): void {
    if (this.#escape !== '') {
      this.#escape += ch;
      this.#escapeStep();
      return;
    }
    if (ch === '\\') this.#escape = ch;
    else if (ch === '"') this.#state = 'done';
    else this.#decoded += ch;
  }

  #escapeStep(): void {
    const escape = this.#escape;
    const kind = escape[1] ?? '';
    if (kind !== 'u') {
      this.#decoded += simpleEscapes[kind] ?? kind;
      this.#escape = '';
      return;
    }
    if (escape.length < 6) return;
    const code = Number.parseInt(escape.slice(2), 16);
    this.#decoded += Number.isNaN(code) ? '' : String.fromCharCode(code);
    this.#escape = '';
  }
}

/** The input of a custom tool call from its whole chat arguments text. */
export function customToolInputOf(args: string): string {
  const reader = new CustomToolInput();
  reader.feed(args);
  return reader.finish().input;
}
