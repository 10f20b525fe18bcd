/**
 * The deterministic "model" behind every fake provider. Each fake reads its own wire format into
 * a {@link Conversation} and renders the {@link Answer} back in that format, so one rule drives
 * every provider:
 *
 * - a tool result in the history → text that quotes it;
 * - a scripted call `[[call <tool> <JSON arguments>]]` in the user text and no tool result yet →
 *   a call of that tool with those arguments (text saying so when the tool is not offered): how
 *   the e2e tests make a real agent CLI run one of its own tools;
 * - tools offered and no tool result yet → a call of the first tool with `{ query: <user text> }`;
 * - otherwise → text that echoes the last user message.
 */

/** What the fake needs to know about a request, whatever the provider. */
export interface Conversation {
  /** The text of the last user message ('' when there is none). */
  readonly userText: string;
  /** The text of the last tool result in the history, if any. */
  readonly toolResult: string | undefined;
  /** Names of the tools offered, in order. */
  readonly toolNames: readonly string[];
}

/** What the fake model answers. */
export type Answer =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'tool';
      readonly name: string;
      readonly arguments: Readonly<Record<string, unknown>>;
    };

/** Token counts a fake reports for every answer. */
export interface FakeTokenUsage {
  readonly input: number;
  readonly output: number;
}

/** `[[call <tool> <JSON arguments>]]`: see the module comment. */
const scriptedCall = /\[\[call (\S+) (\{.*?\})\]\]/s;

/** The fake model: see the module comment. */
export function answer(conversation: Conversation): Answer {
  if (conversation.toolResult !== undefined) {
    return { kind: 'text', text: `The tool answered: ${conversation.toolResult}` };
  }
  const scripted = scriptedCall.exec(conversation.userText);
  if (scripted?.[1] !== undefined && scripted[2] !== undefined) {
    const name = scripted[1];
    return conversation.toolNames.includes(name)
      ? { kind: 'tool', name, arguments: JSON.parse(scripted[2]) as Record<string, unknown> }
      : { kind: 'text', text: `The scripted tool ${name} was not offered` };
  }
  const tool = conversation.toolNames[0];
  if (tool !== undefined) {
    return { kind: 'tool', name: tool, arguments: { query: conversation.userText } };
  }
  return { kind: 'text', text: `You said: ${conversation.userText}` };
}

/** Splits text into pieces of `size` code points (never inside a surrogate pair). */
export function pieces(text: string, size: number): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(''));
  return out.length > 0 ? out : [''];
}

/** The tool call arguments as JSON, split in three so streamed partial JSON must be joined. */
export function argumentPieces(args: Readonly<Record<string, unknown>>): string[] {
  const json = JSON.stringify(args);
  const third = Math.ceil(json.length / 3);
  return [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)];
}

/** Narrows unknown JSON to an object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The elements of a JSON array (or none). */
export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** The text of a content that is a string or a list of `{ text }` / `{ type: 'text', text }` parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  return arrayOf(content)
    .map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

/** A deterministic embedding of a text: four numbers derived from its characters. */
export function embeddingOf(text: string): number[] {
  let sum = 0;
  for (const c of text) sum += c.codePointAt(0) ?? 0;
  return [text.length / 100, (sum % 997) / 997, 0.5, -0.25];
}
