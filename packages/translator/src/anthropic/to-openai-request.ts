/**
 * Anthropic Messages request → OpenAI chat completions request (Anthropic ingress, OpenAI
 * backend).
 *
 * Error policy as for the other direction: a parameter OpenAI cannot honour (`top_k`, server
 * tools, URL documents, images inside tool results, …) is a {@link MalformedRequestError} (400)
 * naming it; wrong JSON types are 400 too. Hints with no OpenAI meaning are dropped on purpose:
 * `cache_control` markers (OpenAI caches prompts automatically), thinking blocks of earlier
 * turns (their signatures only mean something to Anthropic) and `context_management` (Anthropic
 * editing the context server-side, e.g. clearing old tool results: the OpenAI backend is sent the
 * whole history, which changes what it may read, not what it is asked). A `system` message in the
 * middle of `messages` (Claude Code sends them) stays a system message where it is, and
 * `output_config.effort` becomes `reasoning_effort`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_openai.go
 */
import { MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';

/** Anthropic fields translated below. */
const handledFields = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'temperature',
  'top_p',
  'stop_sequences',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'metadata',
  'output_format',
  'output_config',
  // Advisory (see above): accepted and dropped.
  'context_management',
]);

function unsupported(name: string, detail = ''): MalformedRequestError {
  return new MalformedRequestError(
    `parameter "${name}" is not supported by OpenAI backends${detail === '' ? '' : `: ${detail}`}`,
  );
}

/** Text of a string or text-block content. */
function textOf(content: unknown, where: string): string {
  if (typeof content === 'string') {
    return content;
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where} must be a string or an array of text blocks`);
  }
  return content
    .map((block: unknown, i) => {
      if (!isJsonObject(block) || block.type !== 'text' || typeof block.text !== 'string') {
        throw unsupported(`${where}[${i}]`, 'only text blocks can be sent to OpenAI here');
      }
      return block.text;
    })
    .join('');
}

/** An Anthropic image/document source as an OpenAI content part. */
function mediaPart(block: JsonObject, where: string): JsonObject {
  const source = block.source;
  if (!isJsonObject(source)) {
    throw new MalformedRequestError(`${where}.source must be an object`);
  }
  if (block.type === 'image' && source.type === 'url' && typeof source.url === 'string') {
    return { type: 'image_url', image_url: { url: source.url } };
  }
  if (source.type === 'base64' && typeof source.data === 'string') {
    const url = `data:${String(source.media_type)};base64,${source.data}`;
    if (block.type === 'image') {
      return { type: 'image_url', image_url: { url } };
    }
    if (source.media_type === 'application/pdf') {
      return { type: 'file', file: { filename: 'document.pdf', file_data: url } };
    }
  }
  throw unsupported(where, `${String(block.type)} source "${String(source.type)}"`);
}

/** One user block as an OpenAI user content part. */
function userPart(block: JsonObject, where: string): JsonObject {
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') {
        throw new MalformedRequestError(`${where}.text must be a string`);
      }
      return { type: 'text', text: block.text };
    case 'image':
    case 'document':
      return mediaPart(block, where);
    default:
      throw unsupported(where, `content block type "${String(block.type)}"`);
  }
}

/** A `tool_result` block as an OpenAI `tool` message. */
function toolMessage(block: JsonObject, where: string): JsonObject {
  if (typeof block.tool_use_id !== 'string') {
    throw new MalformedRequestError(`${where}.tool_use_id must be a string`);
  }
  const content = block.content === undefined ? '' : textOf(block.content, `${where}.content`);
  const text = block.is_error === true && content === '' ? 'error' : content;
  return { role: 'tool', tool_call_id: block.tool_use_id, content: text };
}

/** A user turn: tool results first (they answer the previous assistant turn), then the rest. */
function userMessages(content: unknown, where: string): JsonObject[] {
  if (typeof content === 'string') {
    return [{ role: 'user', content }];
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array`);
  }
  const tools: JsonObject[] = [];
  const parts: JsonObject[] = [];
  content.forEach((block: unknown, i) => {
    const at = `${where}.content[${i}]`;
    if (!isJsonObject(block)) {
      throw new MalformedRequestError(`${at} must be an object`);
    }
    if (block.type === 'tool_result') {
      tools.push(toolMessage(block, at));
    } else {
      parts.push(userPart(block, at));
    }
  });
  return parts.length === 0 ? tools : [...tools, { role: 'user', content: parts }];
}

/** An assistant turn: text blocks joined, `tool_use` blocks as tool calls. */
function assistantMessage(content: unknown, where: string): JsonObject {
  if (typeof content === 'string') {
    return { role: 'assistant', content };
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array`);
  }
  let text: string | null = null;
  const toolCalls: JsonObject[] = [];
  content.forEach((block: unknown, i) => {
    const at = `${where}.content[${i}]`;
    if (!isJsonObject(block)) {
      throw new MalformedRequestError(`${at} must be an object`);
    }
    if (block.type === 'text' && typeof block.text === 'string') {
      text = (text ?? '') + block.text;
    } else if (block.type === 'tool_use' && typeof block.id === 'string') {
      const args = JSON.stringify(block.input ?? {});
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: args },
      });
    } else if (block.type !== 'thinking' && block.type !== 'redacted_thinking') {
      throw unsupported(at, `assistant content block type "${String(block.type)}"`);
    }
  });
  const message: JsonObject = { role: 'assistant', content: text };
  if (toolCalls.length > 0) {
    message.tool_calls = toolCalls;
  }
  return message;
}

/** The OpenAI `messages`: system first, then every turn. */
function messagesOf(body: Readonly<JsonObject>): JsonObject[] {
  const out: JsonObject[] = [];
  if (body.system !== undefined && body.system !== null) {
    out.push({ role: 'system', content: textOf(body.system, 'system') });
  }
  if (!Array.isArray(body.messages)) {
    throw new MalformedRequestError('field "messages" must be an array');
  }
  body.messages.forEach((message: unknown, i) => {
    const where = `messages[${i}]`;
    if (!isJsonObject(message)) {
      throw new MalformedRequestError(`${where} must be an object`);
    }
    if (message.role === 'user') {
      out.push(...userMessages(message.content, where));
    } else if (message.role === 'assistant') {
      out.push(assistantMessage(message.content, where));
    } else if (message.role === 'system') {
      out.push({ role: 'system', content: textOf(message.content, `${where}.content`) });
    } else {
      throw new MalformedRequestError(`${where}.role must be "user", "assistant" or "system"`);
    }
  });
  return out;
}

/** A custom tool as an OpenAI function tool; server tools cannot run on OpenAI. */
function functionTool(tool: unknown, index: number): JsonObject {
  if (!isJsonObject(tool) || typeof tool.name !== 'string') {
    throw new MalformedRequestError(`tools[${index}] must be an object with a "name"`);
  }
  if (tool.type !== undefined && tool.type !== 'custom') {
    throw unsupported(`tools[${index}]`, `server tool type ${JSON.stringify(tool.type)}`);
  }
  const fn: JsonObject = { name: tool.name };
  if (typeof tool.description === 'string') {
    fn.description = tool.description;
  }
  fn.parameters = isJsonObject(tool.input_schema) ? tool.input_schema : { type: 'object' };
  return { type: 'function', function: fn };
}

/** `tool_choice` → OpenAI `tool_choice` and `parallel_tool_calls`. */
function addToolChoice(choice: unknown, out: JsonObject): void {
  if (choice === undefined || choice === null) {
    return;
  }
  if (!isJsonObject(choice)) {
    throw new MalformedRequestError('field "tool_choice" must be an object');
  }
  const byType: Record<string, unknown> = {
    auto: 'auto',
    any: 'required',
    none: 'none',
    tool: { type: 'function', function: { name: choice.name } },
  };
  const mapped = byType[String(choice.type)];
  if (mapped === undefined) {
    throw unsupported('tool_choice', `type "${String(choice.type)}"`);
  }
  out.tool_choice = mapped;
  if (choice.disable_parallel_tool_use === true) {
    out.parallel_tool_calls = false;
  }
}

/**
 * `thinking` → `reasoning_effort`: OpenAI takes an effort level, not a budget, so budgets map to
 * levels (< 4096 low, < 16384 medium, else high); `adaptive` → medium; `disabled` → nothing.
 */
function reasoningEffort(thinking: unknown): string | undefined {
  if (thinking === undefined || thinking === null) {
    return undefined;
  }
  if (!isJsonObject(thinking)) {
    throw new MalformedRequestError('field "thinking" must be an object');
  }
  if (thinking.type === 'disabled') {
    return undefined;
  }
  if (thinking.type === 'adaptive') {
    return 'medium';
  }
  const budget = typeof thinking.budget_tokens === 'number' ? thinking.budget_tokens : 0;
  if (budget < 4096) {
    return 'low';
  }
  return budget < 16384 ? 'medium' : 'high';
}

/** The `output_config` fields OpenAI can honour. */
const outputConfigKeys = new Set(['format', 'effort']);

/** `output_config.effort` → `reasoning_effort` (OpenAI has no level above `high`). */
function configuredEffort(config: unknown): string | undefined {
  if (!isJsonObject(config) || config.effort === undefined || config.effort === null) {
    return undefined;
  }
  const byEffort: Record<string, string> = {
    low: 'low',
    medium: 'medium',
    high: 'high',
    max: 'high',
  };
  const effort =
    typeof config.effort === 'string' && Object.hasOwn(byEffort, config.effort)
      ? byEffort[config.effort]
      : undefined;
  if (effort === undefined) {
    throw unsupported('output_config.effort', `value ${JSON.stringify(config.effort)}`);
  }
  return effort;
}

/** `output_format` / `output_config.format` (JSON schema) → `response_format`. */
function responseFormat(body: Readonly<JsonObject>): JsonObject | undefined {
  const config = body.output_config;
  const format = body.output_format ?? (isJsonObject(config) ? config.format : undefined);
  if (isJsonObject(config) && Object.keys(config).some((key) => !outputConfigKeys.has(key))) {
    throw unsupported('output_config', 'only "format" and "effort" can be honoured');
  }
  if (format === undefined || format === null) {
    return undefined;
  }
  if (!isJsonObject(format) || format.type !== 'json_schema' || !isJsonObject(format.schema)) {
    throw unsupported('output_format', 'only {"type":"json_schema","schema":{…}} can be honoured');
  }
  return {
    type: 'json_schema',
    json_schema: { name: 'output', schema: format.schema, strict: true },
  };
}

function numberOf(body: Readonly<JsonObject>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number') {
    throw new MalformedRequestError(`field "${name}" must be a number`);
  }
  return value;
}

function addSimple(body: Readonly<JsonObject>, out: JsonObject): void {
  const maxTokens = numberOf(body, 'max_tokens');
  if (maxTokens !== undefined) {
    out.max_completion_tokens = maxTokens;
  }
  for (const name of ['temperature', 'top_p']) {
    const value = numberOf(body, name);
    if (value !== undefined) {
      out[name] = value;
    }
  }
  const stop = body.stop_sequences;
  if (Array.isArray(stop) && stop.length > 0) {
    out.stop = stop;
  }
  const metadata = body.metadata;
  if (isJsonObject(metadata) && typeof metadata.user_id === 'string') {
    out.user = metadata.user_id;
  }
}

/**
 * Builds the OpenAI chat completions body for an Anthropic Messages body, `model` set to the
 * (overridden) model. Streams ask for `include_usage` so usage can be reported.
 */
export function openAIChatFromAnthropicRequest(
  body: Readonly<JsonObject>,
  model: string,
): JsonObject {
  for (const [key, value] of Object.entries(body)) {
    if (!handledFields.has(key) && value !== null && value !== undefined) {
      throw unsupported(key);
    }
  }
  const out: JsonObject = { model, messages: messagesOf(body) };
  addSimple(body, out);
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    out.tools = body.tools.map((tool: unknown, i) => functionTool(tool, i));
  }
  addToolChoice(body.tool_choice, out);
  // A thinking budget says how hard to think; an explicit effort says it too, and wins.
  const effort = configuredEffort(body.output_config) ?? reasoningEffort(body.thinking);
  if (effort !== undefined) {
    out.reasoning_effort = effort;
  }
  const format = responseFormat(body);
  if (format !== undefined) {
    out.response_format = format;
  }
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}
