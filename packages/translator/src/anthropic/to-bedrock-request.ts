/**
 * Anthropic Messages request → AWS Bedrock Converse request (Anthropic ingress, `AWSBedrock`
 * backend).
 *
 * What maps: text, base64 images and PDF documents, tool use and tool results (ids kept as they
 * are), thinking blocks of earlier turns with their signatures (`reasoningContent`), redacted
 * thinking, `cache_control` markers (a Converse `cachePoint` after the marked block, system block
 * or tool), sampling, stop sequences, `top_k` / `thinking` / `output_config.effort` (as
 * `additionalModelRequestFields`, which Claude on Bedrock reads), JSON-schema output
 * (`outputConfig.textFormat`). A `system` message in the middle of `messages` (Claude Code sends
 * them) joins the system prompt: Converse has no system turn. Consecutive messages of one role are
 * merged (Converse requires turns to alternate; Anthropic merges them itself).
 *
 * Dropped on purpose (advisory, they do not change the answer): `context_management` (the
 * backend is sent the whole history), `metadata`, `service_tier`, and the `anthropic-beta`
 * header (Converse has no field for it; the AWSBedrock schema also serves non-Claude models).
 * Refused with a 400: image URLs (Converse takes bytes only), server tools,
 * `disable_parallel_tool_use`, `tool_choice: none` with tool blocks in the history, and any field
 * not listed here.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_awsbedrock.go
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
import { MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';

/** Fields read below; `context_management`, `metadata` and `service_tier` are dropped. */
const handledFields = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'output_format',
  'output_config',
  'metadata',
  'service_tier',
  'context_management',
]);

function unsupported(name: string, detail = ''): MalformedRequestError {
  return new MalformedRequestError(
    `parameter "${name}" is not supported by AWS Bedrock backends${detail === '' ? '' : `: ${detail}`}`,
  );
}

const cachePoint: JsonObject = { cachePoint: { type: 'default' } };

/** The block, then a cache point when the client marked it with `cache_control`. */
function withCachePoint(block: JsonObject, source: JsonObject): JsonObject[] {
  return isJsonObject(source.cache_control) ? [block, cachePoint] : [block];
}

const imageFormats: ReadonlyMap<string, string> = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpeg'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
]);

/** An image or document block; Converse takes bytes (base64 in JSON), never URLs. */
function mediaBlock(block: JsonObject, where: string, documentIndex: number): JsonObject {
  const source = block.source;
  if (!isJsonObject(source) || source.type !== 'base64' || typeof source.data !== 'string') {
    const kind = isJsonObject(source) ? String(source.type) : typeof source;
    throw unsupported(
      where,
      `${String(block.type)} source "${kind}" (Converse takes base64 bytes)`,
    );
  }
  const mediaType = String(source.media_type);
  if (block.type === 'image') {
    const format = imageFormats.get(mediaType);
    if (format === undefined) throw unsupported(where, `image type "${mediaType}"`);
    return { image: { format, source: { bytes: source.data } } };
  }
  if (mediaType !== 'application/pdf') throw unsupported(where, `document type "${mediaType}"`);
  // Converse requires a document name (letters, digits, spaces, hyphens, parentheses, brackets).
  const name = `document-${documentIndex}`;
  return { document: { format: 'pdf', name, source: { bytes: source.data } } };
}

/** A `tool_result` content (a string or text/image blocks) as Converse tool result content. */
function toolResultContent(content: unknown, where: string): JsonObject[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where} must be a string or an array`);
  }
  return content.map((part: unknown, i) => {
    const at = `${where}[${i}]`;
    if (isJsonObject(part) && part.type === 'text' && typeof part.text === 'string') {
      return { text: part.text };
    }
    if (isJsonObject(part) && part.type === 'image') return mediaBlock(part, at, 0);
    throw unsupported(at, 'tool results carry text and images only');
  });
}

/** A `tool_result` block as a Converse `toolResult` (`status: error` for `is_error`). */
function toolResultBlock(block: JsonObject, where: string): JsonObject {
  if (typeof block.tool_use_id !== 'string') {
    throw new MalformedRequestError(`${where}.tool_use_id must be a string`);
  }
  const content = toolResultContent(block.content, `${where}.content`);
  const toolResult: JsonObject = {
    toolUseId: block.tool_use_id,
    content: content.length === 0 && block.is_error === true ? [{ text: 'error' }] : content,
  };
  if (block.is_error === true) toolResult.status = 'error';
  return { toolResult };
}

/** Counts documents across the request so each gets a distinct name. */
interface MessageContext {
  documents: number;
}

/** One user-turn block as Converse blocks. */
function userBlocks(block: JsonObject, where: string, context: MessageContext): JsonObject[] {
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') {
        throw new MalformedRequestError(`${where}.text must be a string`);
      }
      return withCachePoint({ text: block.text }, block);
    case 'image':
      return withCachePoint(mediaBlock(block, where, 0), block);
    case 'document':
      context.documents += 1;
      return withCachePoint(mediaBlock(block, where, context.documents), block);
    case 'tool_result':
      return withCachePoint(toolResultBlock(block, where), block);
    default:
      throw unsupported(where, `content block type "${String(block.type)}"`);
  }
}

/** A string field, or `''`. */
function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** An earlier turn's thinking, signature kept (Claude checks it when thinking is on). */
function reasoningBlock(block: JsonObject): JsonObject {
  const reasoningText: JsonObject = { text: stringOf(block.thinking) };
  const signature = stringOf(block.signature);
  if (signature !== '') reasoningText.signature = signature;
  return { reasoningContent: { reasoningText } };
}

/** A `tool_use` block as a Converse `toolUse`, its id unchanged. */
function toolUseBlock(block: JsonObject, where: string): JsonObject {
  if (typeof block.id !== 'string' || typeof block.name !== 'string') {
    throw new MalformedRequestError(`${where} must have a string "id" and "name"`);
  }
  return { toolUse: { toolUseId: block.id, name: block.name, input: block.input ?? {} } };
}

/** One assistant-turn block as Converse blocks (thinking keeps its signature). */
function assistantBlocks(block: JsonObject, where: string): JsonObject[] {
  switch (block.type) {
    case 'text':
      return stringOf(block.text) === '' ? [] : withCachePoint({ text: block.text }, block);
    case 'thinking':
      return [reasoningBlock(block)];
    case 'redacted_thinking':
      return [{ reasoningContent: { redactedContent: stringOf(block.data) } }];
    case 'tool_use':
      return withCachePoint(toolUseBlock(block, where), block);
    default:
      throw unsupported(where, `assistant content block type "${String(block.type)}"`);
  }
}

/** Text of a string or text-block content (system prompts). */
function systemBlocks(content: unknown, where: string): JsonObject[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where} must be a string or an array of text blocks`);
  }
  return content.flatMap((block: unknown, i) => {
    if (!isJsonObject(block) || block.type !== 'text' || typeof block.text !== 'string') {
      throw unsupported(`${where}[${i}]`, 'only text blocks can be a system prompt');
    }
    return withCachePoint({ text: block.text }, block);
  });
}

/** A turn's content blocks. */
function turnBlocks(message: JsonObject, where: string, context: MessageContext): JsonObject[] {
  const content = message.content;
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array`);
  }
  return content.flatMap((block: unknown, i) => {
    const at = `${where}.content[${i}]`;
    if (!isJsonObject(block)) throw new MalformedRequestError(`${at} must be an object`);
    return message.role === 'user' ? userBlocks(block, at, context) : assistantBlocks(block, at);
  });
}

/** `messages` and `system`: system turns join the system prompt, same-role turns merge. */
function conversation(body: Readonly<JsonObject>): {
  messages: JsonObject[];
  system: JsonObject[];
} {
  const system =
    body.system === undefined || body.system === null ? [] : systemBlocks(body.system, 'system');
  if (!Array.isArray(body.messages)) {
    throw new MalformedRequestError('field "messages" must be an array');
  }
  const messages: { role: string; content: JsonObject[] }[] = [];
  const context: MessageContext = { documents: 0 };
  body.messages.forEach((message: unknown, i) => {
    const where = `messages[${i}]`;
    if (!isJsonObject(message)) throw new MalformedRequestError(`${where} must be an object`);
    if (message.role === 'system') {
      system.push(...systemBlocks(message.content, `${where}.content`));
      return;
    }
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw new MalformedRequestError(`${where}.role must be "user", "assistant" or "system"`);
    }
    const content = turnBlocks(message, where, context);
    if (content.length === 0) return; // Converse rejects empty turns.
    const last = messages.at(-1);
    if (last?.role === message.role) last.content.push(...content);
    else messages.push({ role: message.role, content });
  });
  return { messages, system };
}

function numberOf(body: Readonly<JsonObject>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MalformedRequestError(`field "${name}" must be a number`);
  }
  return value;
}

/** `inferenceConfig`: max tokens, temperature, top_p, stop sequences. */
function inferenceConfig(body: Readonly<JsonObject>): JsonObject {
  const config: JsonObject = {};
  const maxTokens = numberOf(body, 'max_tokens');
  if (maxTokens !== undefined) config.maxTokens = maxTokens;
  const temperature = numberOf(body, 'temperature');
  if (temperature !== undefined) config.temperature = temperature;
  const topP = numberOf(body, 'top_p');
  if (topP !== undefined) config.topP = topP;
  const stop = body.stop_sequences;
  if (Array.isArray(stop) && stop.length > 0) {
    if (!stop.every((s) => typeof s === 'string')) {
      throw new MalformedRequestError('field "stop_sequences" must be an array of strings');
    }
    config.stopSequences = stop;
  }
  return config;
}

/** A custom tool as a Converse `toolSpec`; server tools cannot run on Converse. */
function toolSpecs(tool: unknown, index: number): JsonObject[] {
  if (!isJsonObject(tool) || typeof tool.name !== 'string') {
    throw new MalformedRequestError(`tools[${index}] must be an object with a "name"`);
  }
  if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
    throw unsupported(`tools[${index}]`, `server tool type ${JSON.stringify(tool.type)}`);
  }
  const toolSpec: JsonObject = { name: tool.name };
  if (typeof tool.description === 'string' && tool.description !== '') {
    toolSpec.description = tool.description;
  }
  toolSpec.inputSchema = {
    json: isJsonObject(tool.input_schema) ? tool.input_schema : { type: 'object' },
  };
  return withCachePoint({ toolSpec }, tool);
}

function hasToolHistory(messages: readonly JsonObject[]): boolean {
  return messages.some(
    (m) =>
      Array.isArray(m.content) &&
      m.content.some((b) => isJsonObject(b) && ('toolUse' in b || 'toolResult' in b)),
  );
}

/** `tool_choice` as an object (or `{}`); 400 for what Converse cannot honour. */
function toolChoiceOf(body: Readonly<JsonObject>): JsonObject {
  const choice = body.tool_choice;
  if (choice === undefined || choice === null) return {};
  if (!isJsonObject(choice)) {
    throw new MalformedRequestError('field "tool_choice" must be an object');
  }
  if (choice.disable_parallel_tool_use === true) {
    throw unsupported(
      'tool_choice.disable_parallel_tool_use',
      'Converse cannot limit a turn to one tool call',
    );
  }
  return choice;
}

/** `toolConfig` from `tools` and `tool_choice`; `undefined` when no tools are declared. */
function toolConfig(
  body: Readonly<JsonObject>,
  messages: readonly JsonObject[],
): JsonObject | undefined {
  const tools = Array.isArray(body.tools)
    ? body.tools.flatMap((t: unknown, i) => toolSpecs(t, i))
    : [];
  const choice = toolChoiceOf(body);
  if (tools.length === 0) return undefined;
  const type = stringOf(choice.type);
  if (type === 'none') {
    // Converse has no "none": leaving the tools out honours it, unless the history holds tool
    // blocks (Converse then requires the tool configuration).
    if (hasToolHistory(messages)) {
      throw unsupported('tool_choice', '"none" when the conversation has tool calls');
    }
    return undefined;
  }
  const byType: Record<string, JsonObject> = {
    auto: { auto: {} },
    any: { any: {} },
    tool: { tool: { name: choice.name } },
  };
  if (choice.type === undefined) return { tools };
  const toolChoice = Object.hasOwn(byType, type) ? byType[type] : undefined;
  if (toolChoice === undefined)
    throw unsupported('tool_choice', `type ${JSON.stringify(choice.type)}`);
  return { tools, toolChoice };
}

/** `output_config` as an object (or `{}`); only `format` and `effort` can be honoured. */
function outputConfigOf(body: Readonly<JsonObject>): JsonObject {
  const config = body.output_config;
  if (config === undefined || config === null) return {};
  if (!isJsonObject(config)) {
    throw new MalformedRequestError('field "output_config" must be an object');
  }
  const unknown = Object.keys(config).find((k) => k !== 'format' && k !== 'effort');
  if (unknown !== undefined) throw unsupported(`output_config.${unknown}`);
  return config;
}

/** `output_format` / `output_config.format` (JSON schema) → `outputConfig.textFormat`. */
function outputConfig(body: Readonly<JsonObject>): JsonObject | undefined {
  const format = body.output_format ?? outputConfigOf(body).format;
  if (format === undefined || format === null) return undefined;
  if (!isJsonObject(format) || format.type !== 'json_schema' || !isJsonObject(format.schema)) {
    throw unsupported('output_format', 'only {"type":"json_schema","schema":{…}} can be honoured');
  }
  const jsonSchema = { schema: JSON.stringify(format.schema), name: 'output' };
  return { textFormat: { type: 'json_schema', structure: { jsonSchema } } };
}

/** `top_k`, `thinking` and `output_config.effort`: Claude's own fields, read by Claude on Bedrock. */
function additionalFields(body: Readonly<JsonObject>): JsonObject | undefined {
  const fields: JsonObject = {};
  const topK = numberOf(body, 'top_k');
  if (topK !== undefined) fields.top_k = topK;
  if (body.thinking !== undefined && body.thinking !== null) {
    if (!isJsonObject(body.thinking) || typeof body.thinking.type !== 'string') {
      throw new MalformedRequestError('field "thinking" must be an object with a "type"');
    }
    fields.thinking = body.thinking;
  }
  const config = body.output_config;
  if (isJsonObject(config) && config.effort !== undefined && config.effort !== null) {
    fields.output_config = { effort: config.effort };
  }
  return Object.keys(fields).length === 0 ? undefined : fields;
}

/**
 * Builds the Converse body for an Anthropic Messages body (the model travels in the path).
 * Throws {@link MalformedRequestError} (400) for what Converse cannot carry.
 */
export function converseFromAnthropicRequest(body: Readonly<JsonObject>): JsonObject {
  for (const [key, value] of Object.entries(body)) {
    if (!handledFields.has(key) && value !== null && value !== undefined) throw unsupported(key);
  }
  const { messages, system } = conversation(body);
  const out: JsonObject = { messages, inferenceConfig: inferenceConfig(body) };
  if (system.length > 0) out.system = system;
  const tools = toolConfig(body, messages);
  if (tools !== undefined) out.toolConfig = tools;
  const output = outputConfig(body);
  if (output !== undefined) out.outputConfig = output;
  const additional = additionalFields(body);
  if (additional !== undefined) out.additionalModelRequestFields = additional;
  return out;
}
