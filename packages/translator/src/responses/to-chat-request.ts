/**
 * OpenAI Responses request (`POST /v1/responses`) → OpenAI chat completions request, for backends
 * that only speak chat. Every field is either mapped, dropped on purpose because it is advisory
 * (it cannot change the answer: {@link advisoryFields}), or refused with a 400 naming it: nothing
 * that would change the answer is silently lost.
 *
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */
import { MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { customToolInputParameter } from './custom-tool-input.js';

/** Fields copied to the chat body under the same name and meaning. */
const sameNameFields = [
  'temperature',
  'top_p',
  'parallel_tool_calls',
  'user',
  'safety_identifier',
  'service_tier',
] as const;

/**
 * Fields dropped on purpose: they steer storage, caching, telemetry or output detail, not what the
 * model is asked. `store` (nothing is stored either way), `include` (e.g.
 * `reasoning.encrypted_content`: chat backends have no encrypted reasoning to return),
 * `prompt_cache_key` / `prompt_cache_retention` (cache routing hints), `truncation` (a context
 * overflow fails instead of being truncated), `metadata` / `client_metadata` (tags for stored
 * responses and telemetry), `stream_options` (`include_obfuscation`), `background: false`.
 */
export const advisoryFields: ReadonlySet<string> = new Set([
  'store',
  'include',
  'prompt_cache_key',
  'prompt_cache_retention',
  'truncation',
  'metadata',
  'client_metadata',
  'stream_options',
]);

/** Fields mapped by {@link chatRequestFromResponses} itself. */
const mappedFields: ReadonlySet<string> = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'reasoning',
  'max_output_tokens',
  'text',
  'stream',
  'background',
  'previous_response_id',
  ...sameNameFields,
]);

/** Why a known Responses field cannot be served by a chat backend. */
const refusedFields: Readonly<Record<string, string>> = {
  conversation: 'needs conversation state stored by the server; send the whole history in "input"',
  prompt: 'needs prompt templates stored by the server; send the prompt in "input"',
  max_tool_calls: 'has no chat completions equivalent',
  top_logprobs: 'is not translated to chat completions',
};

function fail(message: string): MalformedRequestError {
  return new MalformedRequestError(message);
}

/** The `type` of an item or part, for messages. */
function typeOf(value: JsonObject): string {
  return typeof value.type === 'string' ? value.type : '';
}

/** Checks the top-level fields: every one is mapped, advisory, or refused here. */
function checkFields(body: Readonly<JsonObject>): void {
  for (const [key, value] of Object.entries(body)) {
    if (value === null || mappedFields.has(key) || advisoryFields.has(key)) continue;
    const reason = refusedFields[key];
    throw fail(
      reason === undefined
        ? `field "${key}" is not supported: this gateway serves /v1/responses by translating it to chat completions, and "${key}" has no translation`
        : `field "${key}" is not supported: it ${reason}`,
    );
  }
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    throw fail(
      'field "previous_response_id" is not supported: this gateway stores no responses ' +
        '(no response store is configured); send the whole conversation in "input" instead',
    );
  }
  if (body.background === true) {
    throw fail('field "background" is not supported: background responses need a response store');
  }
}

/** A user/system/developer content part → a chat content part. */
function chatPart(part: unknown, where: string): JsonObject {
  if (!isJsonObject(part)) throw fail(`${where} must be an object`);
  switch (typeOf(part)) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: textOf(part, where) };
    case 'input_image': {
      if (typeof part.image_url !== 'string') {
        throw fail(`${where}: images by file_id are not supported; send image_url`);
      }
      const image: JsonObject = { url: part.image_url };
      if (typeof part.detail === 'string' && part.detail !== 'auto') image.detail = part.detail;
      return { type: 'image_url', image_url: image };
    }
    case 'input_file': {
      const file: JsonObject = {};
      if (typeof part.file_data === 'string') file.file_data = part.file_data;
      else if (typeof part.file_id === 'string') file.file_id = part.file_id;
      else throw fail(`${where}: files are supported as file_data or file_id, not file_url`);
      if (typeof part.filename === 'string') file.filename = part.filename;
      return { type: 'file', file };
    }
    default:
      throw fail(`${where}: content part type ${JSON.stringify(part.type)} is not supported`);
  }
}

function textOf(part: JsonObject, where: string): string {
  if (typeof part.text !== 'string') throw fail(`${where}.text must be a string`);
  return part.text;
}

/** Text-only content (system, developer, assistant): parts joined. */
function plainText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw fail(`${where}.content must be a string or an array`);
  return content
    .map((part, i) => {
      const at = `${where}.content[${String(i)}]`;
      if (!isJsonObject(part)) throw fail(`${at} must be an object`);
      const type = typeOf(part);
      if (type === 'input_text' || type === 'output_text') return textOf(part, at);
      if (type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
      throw fail(`${at}: only text parts are supported in this message (got ${type})`);
    })
    .join('');
}

/** A `message` item (or an easy input message) → one chat message. */
function chatMessage(item: JsonObject, where: string): JsonObject {
  const { role, content } = item;
  switch (role) {
    case 'system':
    case 'developer':
      return { role, content: plainText(content, where) };
    case 'assistant':
      return { role, content: plainText(content, where) };
    case 'user': {
      if (typeof content === 'string') return { role, content };
      if (!Array.isArray(content)) throw fail(`${where}.content must be a string or an array`);
      const parts = content.map((p, i) => chatPart(p, `${where}.content[${String(i)}]`));
      return { role, content: parts };
    }
    default:
      throw fail(`${where}.role must be user, assistant, system or developer`);
  }
}

/** `function_call_output.output` / `custom_tool_call_output.output`: a string, or text parts. */
function toolOutput(output: unknown, where: string): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw fail(`${where}.output must be a string or an array`);
  return output
    .map((part, i) => {
      const at = `${where}.output[${String(i)}]`;
      if (isJsonObject(part) && typeOf(part) === 'input_text') return textOf(part, at);
      throw fail(`${at}: only text is supported in a tool call output sent to chat`);
    })
    .join('');
}

function requiredString(item: JsonObject, key: string, where: string): string {
  const value = item[key];
  if (typeof value !== 'string' || value === '') {
    throw fail(`${where}.${key} must be a non-empty string`);
  }
  return value;
}

const unsupportedItemReason: Readonly<Record<string, string>> = {
  item_reference: 'refers to a stored item, and this gateway stores none',
};

/** Builds the chat messages from `instructions` and `input`. */
class MessageBuilder {
  readonly messages: JsonObject[] = [];

  instructions(value: unknown): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'string') throw fail('field "instructions" must be a string');
    if (value !== '') this.messages.push({ role: 'system', content: value });
  }

  input(value: unknown): void {
    if (typeof value === 'string') {
      this.messages.push({ role: 'user', content: value });
      return;
    }
    if (!Array.isArray(value)) throw fail('field "input" must be a string or an array of items');
    value.forEach((item, i) => {
      this.#item(item, `input[${String(i)}]`);
    });
  }

  #item(item: unknown, where: string): void {
    if (!isJsonObject(item)) throw fail(`${where} must be an object`);
    const type =
      item.type === undefined ? 'message' : typeof item.type === 'string' ? item.type : '';
    switch (type) {
      case 'message':
        this.messages.push(chatMessage(item, where));
        return;
      case 'function_call':
        this.#toolCall(item, where, typeof item.arguments === 'string' ? item.arguments : '{}');
        return;
      case 'custom_tool_call':
        this.#toolCall(item, where, customToolArguments(item, where));
        return;
      case 'function_call_output':
      case 'custom_tool_call_output':
        this.messages.push({
          role: 'tool',
          tool_call_id: requiredString(item, 'call_id', where),
          content: toolOutput(item.output, where),
        });
        return;
      case 'reasoning':
        // An earlier turn's reasoning: chat completions cannot take it back (see the README).
        return;
      default: {
        const reason = unsupportedItemReason[type] ?? 'has no chat completions equivalent';
        throw fail(
          `${where}: input item type ${JSON.stringify(type)} is not supported: it ${reason}`,
        );
      }
    }
  }

  /**
   * A `function_call` or `custom_tool_call` joins the assistant turn it belongs to (chat keeps
   * calls on the message); the call id is kept, so the tool message that answers it matches.
   */
  #toolCall(item: JsonObject, where: string, args: string): void {
    const name = requiredString(item, 'name', where);
    const namespace = typeof item.namespace === 'string' ? item.namespace : undefined;
    const call = {
      id: requiredString(item, 'call_id', where),
      type: 'function',
      function: { name: chatToolName(namespace, name), arguments: args },
    };
    const last = this.messages.at(-1);
    if (last?.role === 'assistant') {
      const calls = Array.isArray(last.tool_calls) ? (last.tool_calls as unknown[]) : [];
      last.tool_calls = [...calls, call];
      if (last.content === '') last.content = null;
      return;
    }
    this.messages.push({ role: 'assistant', content: null, tool_calls: [call] });
  }
}

/** A `custom_tool_call`'s free-form `input` as the arguments of its function tool. */
function customToolArguments(item: JsonObject, where: string): string {
  if (typeof item.input !== 'string') throw fail(`${where}.input must be a string`);
  return JSON.stringify({ [customToolInputParameter]: item.input });
}

/**
 * Hosted tools a chat backend cannot run but whose absence only narrows what the model can look
 * up: dropped, so that a client that always offers them (Codex CLI offers `web_search`) still
 * works; the model answers without searching. docs/translation-matrix.md lists them.
 */
const droppedHostedToolTypes = new Set(['web_search', 'web_search_preview', 'tool_search']);

const hostedToolTypes = new Set([
  'file_search',
  'code_interpreter',
  'computer_use',
  'computer_use_preview',
  'image_generation',
  'local_shell',
  'shell',
  'mcp',
  'apply_patch',
]);

/** Separates a namespace's tools from their names on the chat side (`crm__lookup`). */
const namespaceSeparator = '__';

/**
 * The chat function name of a Responses tool: its own name, or `<namespace>__<name>` for a tool
 * of a `namespace` tool (chat tools have no namespaces; the calls' namespace is restored on the
 * way back, `namespacedToolNames`).
 */
export function chatToolName(namespace: string | undefined, name: string): string {
  return namespace === undefined ? name : `${namespace}${namespaceSeparator}${name}`;
}

/** What the `input` parameter of a custom tool's function says about the free-form input. */
function customInputDescription(format: unknown, where: string): string {
  const plain = 'The free-form input of the tool, as plain text (not JSON).';
  if (format === undefined || format === null) return plain;
  if (!isJsonObject(format)) throw fail(`${where}.format must be an object`);
  if (format.type === 'text') return plain;
  if (format.type !== 'grammar') {
    throw fail(`${where}.format.type ${JSON.stringify(format.type)} is not supported`);
  }
  const syntax = requiredString(format, 'syntax', `${where}.format`);
  const definition = requiredString(format, 'definition', `${where}.format`);
  return (
    `The free-form input of the tool, as plain text (not JSON). It must follow this ${syntax} ` +
    `grammar exactly:\n${definition}`
  );
}

/**
 * A `custom` tool (free-form text input, e.g. Codex CLI's `apply_patch`) → a chat function tool
 * with one required string parameter, `input`, described by the tool's format (a grammar is
 * quoted in full: a chat backend cannot constrain sampling to it, so the model is told instead).
 */
function customTool(tool: JsonObject, where: string): JsonObject {
  const fn: JsonObject = { name: requiredString(tool, 'name', where) };
  if (typeof tool.description === 'string') fn.description = tool.description;
  fn.parameters = {
    type: 'object',
    properties: {
      [customToolInputParameter]: {
        type: 'string',
        description: customInputDescription(tool.format, where),
      },
    },
    required: [customToolInputParameter],
    additionalProperties: false,
  };
  return { type: 'function', function: fn };
}

/** A Responses function tool (flat) → a chat function tool (nested). */
function functionTool(tool: JsonObject, where: string): JsonObject {
  const fn: JsonObject = { name: requiredString(tool, 'name', where) };
  if (typeof tool.description === 'string') fn.description = tool.description;
  if (isJsonObject(tool.parameters)) fn.parameters = tool.parameters;
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

/** A function or custom tool (of a namespace, when given) → a chat function tool. */
function oneChatTool(tool: JsonObject, where: string, namespace?: string): JsonObject {
  const type = typeOf(tool);
  const chat =
    type === 'function'
      ? functionTool(tool, where)
      : type === 'custom'
        ? customTool(tool, where)
        : undefined;
  if (chat === undefined) throw fail(unsupportedTool(tool, where));
  if (namespace === undefined) return chat;
  const fn = chat.function as JsonObject;
  return { ...chat, function: { ...fn, name: chatToolName(namespace, fn.name as string) } };
}

/** A `namespace` tool's function and custom tools, flattened under their namespace's name. */
function namespaceTools(tool: JsonObject, where: string): JsonObject[] {
  const namespace = requiredString(tool, 'name', where);
  if (!Array.isArray(tool.tools)) throw fail(`${where}.tools must be an array`);
  return tool.tools.map((inner, j) => {
    const at = `${where}.tools[${String(j)}]`;
    if (!isJsonObject(inner)) throw fail(`${at} must be an object`);
    return oneChatTool(inner, at, namespace);
  });
}

/**
 * Responses function and custom tools (also inside `namespace` tools) → chat function tools;
 * the hosted tools of {@link droppedHostedToolTypes} are dropped, other hosted tools refused.
 */
function chatTools(tools: unknown): JsonObject[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw fail('field "tools" must be an array');
  const chat = tools.flatMap((tool, i) => {
    const where = `tools[${String(i)}]`;
    if (!isJsonObject(tool)) throw fail(`${where} must be an object`);
    const type = typeOf(tool);
    if (droppedHostedToolTypes.has(type)) return [];
    if (type === 'namespace') return namespaceTools(tool, where);
    return [oneChatTool(tool, where)];
  });
  // Chat tool calls name their tool only: a custom tool's calls must be recognisable by name.
  const custom = customToolNames({ tools });
  const seen = new Set<string>();
  for (const tool of chat) {
    const name = (tool.function as JsonObject).name as string;
    if (seen.has(name) && custom.has(name)) {
      throw fail(`field "tools": custom tool name ${JSON.stringify(name)} is used by another tool`);
    }
    seen.add(name);
  }
  return chat.length === 0 ? undefined : chat;
}

/** The 400 message for a tool that is neither a function nor a custom tool. */
function unsupportedTool(tool: JsonObject, where: string): string {
  const type = JSON.stringify(tool.type);
  if (hostedToolTypes.has(typeOf(tool))) {
    return (
      `${where}: tool type ${type} is not supported: it is a hosted (built-in) tool that the ` +
      'provider runs, and hosted tools are not available through a chat completions backend ' +
      '(this gateway serves /v1/responses by translating it to chat completions); ' +
      'use function or custom tools'
    );
  }
  return `${where}: tool type ${type} is not supported: only function and custom tools are`;
}

/** The request's function and custom tools with their namespace (undefined at the top level). */
function* declaredTools(
  body: Readonly<JsonObject>,
): Generator<{ tool: JsonObject; namespace: string | undefined }> {
  if (!Array.isArray(body.tools)) return;
  for (const tool of body.tools) {
    if (!isJsonObject(tool)) continue;
    const isNamespace =
      tool.type === 'namespace' && typeof tool.name === 'string' && Array.isArray(tool.tools);
    if (!isNamespace) {
      yield { tool, namespace: undefined };
      continue;
    }
    const namespace = tool.name as string;
    const inner = (tool.tools as unknown[]).filter(isJsonObject);
    yield* inner.map((t) => ({ tool: t, namespace }));
  }
}

/**
 * The chat names of the request's `custom` tools (a namespace's too), whose chat calls become
 * `custom_tool_call`s.
 */
export function customToolNames(body: Readonly<JsonObject>): ReadonlySet<string> {
  const names = new Set<string>();
  for (const { tool, namespace } of declaredTools(body)) {
    if (tool.type === 'custom' && typeof tool.name === 'string') {
      names.add(chatToolName(namespace, tool.name));
    }
  }
  return names;
}

/** A tool of a `namespace` tool, as its calls name it. */
export interface NamespacedTool {
  readonly namespace: string;
  readonly name: string;
}

/** The chat names of the request's namespaced tools → their namespace and own name. */
export function namespacedToolNames(
  body: Readonly<JsonObject>,
): ReadonlyMap<string, NamespacedTool> {
  const names = new Map<string, NamespacedTool>();
  for (const { tool, namespace } of declaredTools(body)) {
    if (namespace !== undefined && typeof tool.name === 'string') {
      names.set(chatToolName(namespace, tool.name), { namespace, name: tool.name });
    }
  }
  return names;
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  const isNamed =
    isJsonObject(choice) &&
    (choice.type === 'function' || choice.type === 'custom') &&
    typeof choice.name === 'string';
  // A custom tool is a function tool on the chat side, so it is chosen as one.
  if (isNamed) return { type: 'function', function: { name: choice.name } };
  throw fail(
    `field "tool_choice" ${JSON.stringify(choice)} is not supported: use auto, none, required, {"type":"function","name":…} or {"type":"custom","name":…}`,
  );
}

/** A `text.format` of type `json_schema` → chat's `response_format.json_schema`. */
function jsonSchemaSpec(format: JsonObject): JsonObject {
  const spec: JsonObject = { name: requiredString(format, 'name', 'text.format') };
  if (!isJsonObject(format.schema)) throw fail('field "text.format.schema" must be an object');
  spec.schema = format.schema;
  if (typeof format.description === 'string') spec.description = format.description;
  if (typeof format.strict === 'boolean') spec.strict = format.strict;
  return spec;
}

/** `text.format` → `response_format` (`text` needs none). */
function responseFormat(text: unknown): JsonObject | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isJsonObject(text)) throw fail('field "text" must be an object');
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (!isJsonObject(format)) throw fail('field "text.format" must be an object');
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      return { type: 'json_schema', json_schema: jsonSchemaSpec(format) };
    default:
      throw fail(`field "text.format.type" ${JSON.stringify(format.type)} is not supported`);
  }
}

/**
 * Translates a Responses body to a chat completions body for `model` (the client's model; the
 * chat translator applies any override). Throws {@link MalformedRequestError} (400) for what a
 * chat backend cannot do.
 */
export function chatRequestFromResponses(body: Readonly<JsonObject>, model: string): JsonObject {
  checkFields(body);
  const builder = new MessageBuilder();
  builder.instructions(body.instructions);
  if (body.input === undefined || body.input === null) {
    throw fail('missing required field "input"');
  }
  builder.input(body.input);
  const chat: JsonObject = { model, messages: builder.messages };
  for (const key of sameNameFields) {
    if (body[key] !== undefined && body[key] !== null) chat[key] = body[key];
  }
  mapOptions(body, chat);
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

/** The fields mapped to a chat field of another name or shape. */
function mapOptions(body: Readonly<JsonObject>, chat: JsonObject): void {
  const maxTokens = body.max_output_tokens;
  if (typeof maxTokens === 'number') chat.max_completion_tokens = maxTokens;
  else if (maxTokens !== undefined && maxTokens !== null) {
    throw fail('field "max_output_tokens" must be an integer');
  }
  const tools = chatTools(body.tools);
  if (tools !== undefined) chat.tools = tools;
  if (body.tool_choice !== undefined && body.tool_choice !== null) {
    chat.tool_choice = chatToolChoice(body.tool_choice);
  }
  const reasoning = body.reasoning;
  if (isJsonObject(reasoning) && typeof reasoning.effort === 'string') {
    chat.reasoning_effort = reasoning.effort;
  }
  const format = responseFormat(body.text);
  if (format !== undefined) chat.response_format = format;
}
