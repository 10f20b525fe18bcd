/**
 * Readers for OpenAI chat completion request fields, shared by the translators that rebuild the
 * body for another provider (Bedrock Converse, Gemini). Each reader validates what it reads and
 * throws {@link MalformedRequestError} (400) with the field's path, so a body that cannot be
 * translated faithfully is refused rather than silently changed.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import { MalformedRequestError } from '../../errors.js';
import { isJsonObject, type JsonObject } from '../../shared/json.js';

/** Input of {@link rejectUnsupported}. */
export interface RejectUnsupportedOptions {
  /** Fields the translator reads (or may ignore because they never change the output). */
  readonly supported: ReadonlySet<string>;
  /** The backend's display name, for the error message. */
  readonly backend: string;
}

/**
 * Values of unsupported fields that mean "the default", so sending them asks for nothing the
 * backend cannot do (SDKs and frameworks often send these explicitly), compared as JSON.
 */
const harmlessValues: ReadonlyMap<string, string> = new Map([
  ['n', '1'],
  ['logprobs', 'false'],
  ['parallel_tool_calls', 'true'],
  ['store', 'false'],
  ['presence_penalty', '0'],
  ['frequency_penalty', '0'],
  ['logit_bias', '{}'],
  ['modalities', '["text"]'],
]);

/**
 * Throws a 400 naming the first field the backend cannot honour: any field outside `supported`
 * whose value is not `null` and not the field's default.
 */
export function rejectUnsupported(body: JsonObject, options: RejectUnsupportedOptions): void {
  for (const [key, value] of Object.entries(body)) {
    if (value === null || options.supported.has(key)) {
      continue;
    }
    const harmless = harmlessValues.get(key);
    if (harmless !== undefined && harmless === JSON.stringify(value)) {
      continue;
    }
    throw new MalformedRequestError(`parameter "${key}" is not supported by ${options.backend}`);
  }
}

/** The `messages` array, each element an object with a string `role`. */
export function chatMessages(body: JsonObject): JsonObject[] {
  const messages = body.messages;
  if (!Array.isArray(messages)) {
    throw new MalformedRequestError('field "messages" must be an array');
  }
  return messages.map((message: unknown, i) => {
    if (!isJsonObject(message) || typeof message.role !== 'string') {
      throw new MalformedRequestError(`messages[${i}] must be an object with a string "role"`);
    }
    return message;
  });
}

/** An optional finite number field (`null` counts as absent). */
export function optionalNumber(body: JsonObject, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MalformedRequestError(`field "${key}" must be a number`);
  }
  return value;
}

/** An optional non-negative integer field. */
export function optionalInteger(body: JsonObject, key: string): number | undefined {
  const value = optionalNumber(body, key);
  if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
    throw new MalformedRequestError(`field "${key}" must be a non-negative integer`);
  }
  return value;
}

/** An optional string field. */
export function optionalString(body: JsonObject, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new MalformedRequestError(`field "${key}" must be a string`);
  }
  return value;
}

/** `max_completion_tokens`, else the deprecated `max_tokens` (OpenAI's precedence). */
export function maxTokensOf(body: JsonObject): number | undefined {
  return optionalInteger(body, 'max_completion_tokens') ?? optionalInteger(body, 'max_tokens');
}

/** `stop` as a list: a string becomes one sequence; `undefined` when absent. */
export function stopSequencesOf(body: JsonObject): string[] | undefined {
  const stop = body.stop;
  if (stop === undefined || stop === null) {
    return undefined;
  }
  if (typeof stop === 'string') {
    return [stop];
  }
  if (Array.isArray(stop) && stop.every((s): s is string => typeof s === 'string')) {
    return stop;
  }
  throw new MalformedRequestError('field "stop" must be a string or an array of strings');
}

/** Whether the client asked for a usage chunk with `stream_options.include_usage: true`. */
export function includesUsage(body: JsonObject): boolean {
  const options = body.stream_options;
  return isJsonObject(options) && options.include_usage === true;
}

/**
 * The texts of a system, developer or tool message: a string, or an array of `text` parts.
 * `where` names the message in errors (e.g. `messages[2]`).
 */
export function textsOf(content: unknown, where: string): string[] {
  if (typeof content === 'string') {
    return [content];
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array of text parts`);
  }
  return content.map((part: unknown, i) => {
    if (!isJsonObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw new MalformedRequestError(`${where}.content[${i}] must be a text part`);
    }
    return part.text;
  });
}

/**
 * Whether a content part or tool definition asks for prompt caching with Anthropic's
 * `cache_control: {"type": "ephemeral"}` extension (which the Go gateway accepts on OpenAI bodies).
 */
export function hasCacheControl(value: JsonObject): boolean {
  return isJsonObject(value.cache_control) && value.cache_control.type === 'ephemeral';
}

/** A text of a system, developer or tool message, with its cache marker. */
export interface TextPart {
  readonly text: string;
  readonly isCached: boolean;
}

/** As {@link textsOf}, keeping each part's `cache_control` marker. */
export function textPartsOf(content: unknown, where: string): TextPart[] {
  if (typeof content === 'string') {
    return [{ text: content, isCached: false }];
  }
  const texts = textsOf(content, where);
  return texts.map((text, i) => {
    const part: unknown = Array.isArray(content) ? content[i] : undefined;
    return { text, isCached: isJsonObject(part) && hasCacheControl(part) };
  });
}

/** One part of a user message, as the translators consume it. */
export type UserPart = (
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'image'; readonly url: string; readonly detail: string | undefined }
) & {
  /** The part carries `cache_control` (a prompt-cache breakpoint after it). */
  readonly isCached: boolean;
};

/** One user content part: text or image_url; audio and files are refused (no translator maps them). */
function userPart(part: unknown, where: string): UserPart {
  if (!isJsonObject(part)) {
    throw new MalformedRequestError(`${where} must be an object`);
  }
  const isCached = hasCacheControl(part);
  if (part.type === 'text' && typeof part.text === 'string') {
    return { kind: 'text', text: part.text, isCached };
  }
  if (part.type === 'image_url' && isJsonObject(part.image_url)) {
    const { url, detail } = part.image_url;
    if (typeof url !== 'string') {
      throw new MalformedRequestError(`${where}.image_url.url must be a string`);
    }
    return {
      kind: 'image',
      url,
      detail: typeof detail === 'string' ? detail : undefined,
      isCached,
    };
  }
  const type = typeof part.type === 'string' ? part.type : 'unknown';
  throw new MalformedRequestError(`${where}: content part type "${type}" is not supported`);
}

/** The parts of a user message: a string is one text part. */
export function userParts(content: unknown, where: string): UserPart[] {
  if (typeof content === 'string') {
    return [{ kind: 'text', text: content, isCached: false }];
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array of parts`);
  }
  return content.map((part: unknown, i) => userPart(part, `${where}.content[${i}]`));
}

/** One part of an assistant message's content. */
export type AssistantPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'thinking'; readonly text: string; readonly signature: string | undefined }
  | { readonly kind: 'redacted-thinking'; readonly data: string };

/** A thinking part's text: `thinking` (as `thinking_blocks` carry it) or `text` (content parts). */
function thinkingText(part: JsonObject): string | undefined {
  const text = part.thinking ?? part.text;
  return typeof text === 'string' ? text : undefined;
}

/** A redacted thinking part's base64 data: `data` (`thinking_blocks`) or `redacted_content`. */
function redactedData(part: JsonObject): string | undefined {
  const data = part.data ?? part.redacted_content;
  return typeof data === 'string' ? data : undefined;
}

/**
 * One assistant content part: text, refusal (as text), or the gateway's thinking extensions
 * (`{type: 'thinking', thinking | text, signature}`, `{type: 'redacted_thinking', data |
 * redacted_content}`).
 */
function assistantPart(part: unknown, where: string): AssistantPart {
  if (!isJsonObject(part)) {
    throw new MalformedRequestError(`${where} must be an object`);
  }
  if (part.type === 'text' && typeof part.text === 'string') {
    return { kind: 'text', text: part.text };
  }
  if (part.type === 'refusal' && typeof part.refusal === 'string') {
    return { kind: 'text', text: part.refusal };
  }
  const thinking = part.type === 'thinking' ? thinkingText(part) : undefined;
  if (thinking !== undefined) {
    const signature = typeof part.signature === 'string' ? part.signature : undefined;
    return { kind: 'thinking', text: thinking, signature };
  }
  const data = part.type === 'redacted_thinking' ? redactedData(part) : undefined;
  if (data !== undefined) {
    return { kind: 'redacted-thinking', data };
  }
  const type = typeof part.type === 'string' ? part.type : 'unknown';
  throw new MalformedRequestError(`${where}: content part type "${type}" is not supported`);
}

/** The content parts of an assistant message; absent, `null` or `""` content gives none. */
export function assistantParts(content: unknown, where: string): AssistantPart[] {
  if (content === undefined || content === null || content === '') {
    return [];
  }
  if (typeof content === 'string') {
    return [{ kind: 'text', text: content }];
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array of parts`);
  }
  return content.map((part: unknown, i) => assistantPart(part, `${where}.content[${i}]`));
}

/** An assistant message's `thinking_blocks` (thinking and redacted thinking only). */
function thinkingBlocks(message: JsonObject, where: string): AssistantPart[] {
  const blocks = message.thinking_blocks;
  if (blocks === undefined || blocks === null) {
    return [];
  }
  if (!Array.isArray(blocks)) {
    throw new MalformedRequestError(`${where}.thinking_blocks must be an array`);
  }
  return blocks.map((block: unknown, i) => {
    const at = `${where}.thinking_blocks[${i}]`;
    const part = assistantPart(block, at);
    if (part.kind === 'text') {
      throw new MalformedRequestError(`${at} must be a thinking or redacted_thinking block`);
    }
    return part;
  });
}

/**
 * An assistant message's parts in model order: its `thinking_blocks` (what the gateway returns
 * with Bedrock and Gemini reasoning, so a client that sends the message back keeps the thinking
 * and its signature), then its content parts.
 */
export function assistantMessageParts(message: JsonObject, where: string): AssistantPart[] {
  return [...thinkingBlocks(message, where), ...assistantParts(message.content, where)];
}

/** A tool call of an assistant message, its arguments parsed. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The parsed `function.arguments` (a JSON object). */
  readonly arguments: JsonObject;
}

/** Parses `function.arguments`: a JSON object in a string (`""` is `{}`). */
function toolArguments(value: unknown, where: string): JsonObject {
  if (value === '' || value === undefined) {
    return {};
  }
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isJsonObject(parsed)) {
        return parsed;
      }
    } catch {
      // Reported below.
    }
  }
  throw new MalformedRequestError(`${where}.function.arguments must be a JSON object string`);
}

/** The `tool_calls` of an assistant message. */
export function assistantToolCalls(message: JsonObject, where: string): ToolCall[] {
  const calls = message.tool_calls;
  if (calls === undefined || calls === null) {
    return [];
  }
  if (!Array.isArray(calls)) {
    throw new MalformedRequestError(`${where}.tool_calls must be an array`);
  }
  return calls.map((call: unknown, i) => {
    const at = `${where}.tool_calls[${i}]`;
    if (!isJsonObject(call) || typeof call.id !== 'string' || call.id === '') {
      throw new MalformedRequestError(`${at} is missing required field "id"`);
    }
    const fn = call.function;
    if (!isJsonObject(fn) || typeof fn.name !== 'string') {
      throw new MalformedRequestError(`${at}.function.name must be a string`);
    }
    return { id: call.id, name: fn.name, arguments: toolArguments(fn.arguments, at) };
  });
}

/** The `tool_call_id` of a tool message. */
export function toolCallIdOf(message: JsonObject, where: string): string {
  if (typeof message.tool_call_id !== 'string') {
    throw new MalformedRequestError(`${where}.tool_call_id must be a string`);
  }
  return message.tool_call_id;
}

/** A function tool declaration. */
export interface FunctionTool {
  /** The definition carries `cache_control` (a prompt-cache breakpoint after it). */
  readonly isCached: boolean;
  readonly name: string;
  readonly description: string | undefined;
  /** The JSON schema, `undefined` when the client sent none. */
  readonly parameters: JsonObject | undefined;
}

/** `function.parameters`: an object or absent. */
function schemaOf(parameters: unknown, where: string): JsonObject | undefined {
  if (parameters === undefined || parameters === null) {
    return undefined;
  }
  if (!isJsonObject(parameters)) {
    throw new MalformedRequestError(`${where}.function.parameters must be an object`);
  }
  return parameters;
}

/** One `tools` entry: a function tool. */
function functionTool(tool: unknown, where: string): FunctionTool {
  if (!isJsonObject(tool) || tool.type !== 'function' || !isJsonObject(tool.function)) {
    throw new MalformedRequestError(`${where}: only function tools are supported`);
  }
  const { name, description, parameters } = tool.function;
  if (typeof name !== 'string' || name === '') {
    throw new MalformedRequestError(`${where}.function.name must be a non-empty string`);
  }
  return {
    isCached: hasCacheControl(tool.function) || hasCacheControl(tool),
    name,
    description: typeof description === 'string' && description !== '' ? description : undefined,
    parameters: schemaOf(parameters, where),
  };
}

/** The `tools` array: function tools only (other tool types are refused). */
export function functionToolsOf(body: JsonObject): FunctionTool[] {
  const tools = body.tools;
  if (tools === undefined || tools === null) {
    return [];
  }
  if (!Array.isArray(tools)) {
    throw new MalformedRequestError('field "tools" must be an array');
  }
  return tools.map((tool: unknown, i) => functionTool(tool, `tools[${i}]`));
}

/** `tool_choice`, normalised. */
export type ToolChoice =
  | { readonly mode: 'auto' | 'none' | 'required' }
  | { readonly mode: 'function'; readonly name: string };

/** The `tool_choice` field, or `undefined` when absent. */
export function toolChoiceOf(body: JsonObject): ToolChoice | undefined {
  const choice = body.tool_choice;
  if (choice === undefined || choice === null) {
    return undefined;
  }
  if (choice === 'auto' || choice === 'none' || choice === 'required') {
    return { mode: choice };
  }
  if (
    isJsonObject(choice) &&
    choice.type === 'function' &&
    isJsonObject(choice.function) &&
    typeof choice.function.name === 'string'
  ) {
    return { mode: 'function', name: choice.function.name };
  }
  throw new MalformedRequestError(
    'field "tool_choice" must be "auto", "none", "required" or a function choice',
  );
}

/** `reasoning_effort` values OpenAI defines. */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';

const reasoningEfforts: ReadonlySet<string> = new Set(['none', 'minimal', 'low', 'medium', 'high']);

/** The `reasoning_effort` field, or `undefined` when absent. */
export function reasoningEffortOf(body: JsonObject): ReasoningEffort | undefined {
  const effort = optionalString(body, 'reasoning_effort');
  if (effort === undefined || effort === '') {
    return undefined;
  }
  if (!reasoningEfforts.has(effort)) {
    throw new MalformedRequestError(
      'field "reasoning_effort" must be one of none, minimal, low, medium, high',
    );
  }
  return effort as ReasoningEffort;
}

/** A base64 `data:` URI split into its media type and base64 payload. */
export interface DataUri {
  readonly mimeType: string;
  readonly base64: string;
}

const dataUriPattern = /^data:([^;,]+)(?:;[^;,=]+=[^;,]*)*;base64,([A-Za-z0-9+/]*={0,2})$/;

/** Parses a base64 `data:` URI; `undefined` for anything else (http(s) URLs included). */
export function parseDataUri(url: string): DataUri | undefined {
  const match = dataUriPattern.exec(url);
  if (match?.[1] === undefined || match[2] === undefined) {
    return undefined;
  }
  return { mimeType: match[1].toLowerCase(), base64: match[2] };
}
