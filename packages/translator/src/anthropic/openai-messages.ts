/**
 * OpenAI chat messages → Anthropic `system` blocks and `messages`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_helper.go
 */
import { InvalidRequestBodyError, MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';

/** Output of {@link openAIMessagesToAnthropic}. */
export interface AnthropicConversation {
  /** System text blocks from `system` and `developer` messages, in order. */
  readonly system: JsonObject[];
  /** Anthropic messages (user/assistant). */
  readonly messages: JsonObject[];
}

const imageMediaTypes = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** A text block, keeping an Anthropic `cache_control` marker if the part has one. */
function textBlock(text: string, part?: JsonObject): JsonObject {
  const block: JsonObject = { type: 'text', text };
  if (part !== undefined && isJsonObject(part.cache_control)) {
    block.cache_control = part.cache_control;
  }
  return block;
}

/** `data:<media type>;base64,<data>` split, or `undefined` when `url` is not a base64 data URL. */
function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
  if (match === null) {
    return undefined;
  }
  return { mediaType: (match[1] ?? '').toLowerCase(), data: match[3] ?? '' };
}

/** An `image_url` part as an Anthropic image (or PDF document) block. */
function imageBlock(part: JsonObject, where: string): JsonObject {
  const imageUrl = part.image_url;
  const url = isJsonObject(imageUrl) ? imageUrl.url : imageUrl;
  if (typeof url !== 'string' || url === '') {
    throw new MalformedRequestError(`${where}.image_url.url must be a non-empty string`);
  }
  let block: JsonObject;
  if (url.startsWith('data:')) {
    const parsed = parseDataUrl(url);
    if (parsed === undefined) {
      throw new InvalidRequestBodyError(`${where}: image data URLs must be base64-encoded`);
    }
    if (parsed.mediaType === 'application/pdf') {
      block = {
        type: 'document',
        source: { type: 'base64', media_type: parsed.mediaType, data: parsed.data },
      };
    } else if (imageMediaTypes.has(parsed.mediaType)) {
      block = {
        type: 'image',
        source: { type: 'base64', media_type: parsed.mediaType, data: parsed.data },
      };
    } else {
      throw new InvalidRequestBodyError(
        `${where}: invalid media_type for image '${parsed.mediaType}'`,
      );
    }
  } else if (url.toLowerCase().endsWith('.pdf')) {
    block = { type: 'document', source: { type: 'url', url } };
  } else {
    block = { type: 'image', source: { type: 'url', url } };
  }
  if (isJsonObject(part.cache_control)) {
    block.cache_control = part.cache_control;
  }
  return block;
}

/** One user content part. */
function userPart(part: unknown, where: string): JsonObject {
  if (!isJsonObject(part) || typeof part.type !== 'string') {
    throw new MalformedRequestError(`${where} must be an object with a "type"`);
  }
  switch (part.type) {
    case 'text':
      if (typeof part.text !== 'string') {
        throw new MalformedRequestError(`${where}.text must be a string`);
      }
      return textBlock(part.text, part);
    case 'image_url':
      return imageBlock(part, where);
    default:
      throw new MalformedRequestError(
        `${where}: content part type "${part.type}" is not supported by Anthropic backends`,
      );
  }
}

/** User (or tool) content: a string or an array of parts. */
function userContent(content: unknown, where: string): JsonObject[] {
  if (typeof content === 'string') {
    return content === '' ? [] : [textBlock(content)];
  }
  if (content === null || content === undefined) {
    return [];
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array`);
  }
  return content.map((part, i) => userPart(part, `${where}.content[${i}]`));
}

/** System/developer content flattened to one text block (parts concatenated). */
function systemBlock(message: JsonObject, where: string): JsonObject {
  const content = message.content;
  if (typeof content === 'string') {
    return textBlock(content);
  }
  if (!Array.isArray(content)) {
    throw new MalformedRequestError(`${where}.content must be a string or an array of text parts`);
  }
  let text = '';
  let marked: JsonObject | undefined;
  content.forEach((part, i) => {
    if (!isJsonObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw new MalformedRequestError(`${where}.content[${i}] must be a text part`);
    }
    text += part.text;
    marked = isJsonObject(part.cache_control) ? part : marked;
  });
  return textBlock(text, marked);
}

/** One assistant content part (text, refusal, thinking with signature, redacted thinking). */
function assistantPart(part: unknown, where: string): JsonObject | undefined {
  if (!isJsonObject(part)) {
    throw new MalformedRequestError(`${where} must be an object`);
  }
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' && part.text !== ''
        ? textBlock(part.text, part)
        : undefined;
    case 'refusal':
      return typeof part.refusal === 'string' ? textBlock(part.refusal) : undefined;
    case 'thinking':
      return thinkingBlock(part, where);
    case 'redacted_thinking': {
      const data = part.data ?? part.redacted_content;
      if (typeof data !== 'string') {
        throw new MalformedRequestError(`${where}.data must be a string`);
      }
      return { type: 'redacted_thinking', data };
    }
    default:
      throw new MalformedRequestError(
        `${where}: assistant content part type ${JSON.stringify(part.type)} is not supported`,
      );
  }
}

/** A thinking block: `thinking` (or `text`) plus the `signature` Anthropic requires back. */
function thinkingBlock(part: JsonObject, where: string): JsonObject {
  const thinking = part.thinking ?? part.text;
  if (typeof thinking !== 'string' || typeof part.signature !== 'string') {
    throw new MalformedRequestError(
      `${where}: thinking blocks need "thinking" and "signature" strings`,
    );
  }
  return { type: 'thinking', thinking, signature: part.signature };
}

/** A tool call as a `tool_use` block; its `arguments` must be a JSON object text. */
function toolUseBlock(call: unknown, where: string): JsonObject {
  if (!isJsonObject(call) || typeof call.id !== 'string' || !isJsonObject(call.function)) {
    throw new MalformedRequestError(`${where} must have an "id" and a "function"`);
  }
  const { name, arguments: args } = call.function;
  if (typeof name !== 'string') {
    throw new MalformedRequestError(`${where}.function.name must be a string`);
  }
  let input: unknown = {};
  if (typeof args === 'string' && args.trim() !== '') {
    try {
      input = JSON.parse(args);
    } catch {
      throw new InvalidRequestBodyError(`${where}.function.arguments is not valid JSON`);
    }
  }
  if (!isJsonObject(input)) {
    throw new InvalidRequestBodyError(`${where}.function.arguments must be a JSON object`);
  }
  return { type: 'tool_use', id: call.id, name, input };
}

/** An assistant message: thinking blocks first (Anthropic requires it), then text, then tool calls. */
function assistantMessage(message: JsonObject, where: string): JsonObject {
  const blocks: JsonObject[] = [];
  if (Array.isArray(message.thinking_blocks)) {
    message.thinking_blocks.forEach((part: unknown, i) => {
      const block = assistantPart(part, `${where}.thinking_blocks[${i}]`);
      if (block !== undefined) {
        blocks.push(block);
      }
    });
  }
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') {
      blocks.push(textBlock(content));
    }
  } else if (Array.isArray(content)) {
    content.forEach((part: unknown, i) => {
      const block = assistantPart(part, `${where}.content[${i}]`);
      if (block !== undefined) {
        blocks.push(block);
      }
    });
  } else if (content !== null && content !== undefined) {
    throw new MalformedRequestError(`${where}.content must be a string, an array or null`);
  }
  const calls = message.tool_calls ?? [];
  if (!Array.isArray(calls)) {
    throw new MalformedRequestError(`${where}.tool_calls must be an array`);
  }
  calls.forEach((call: unknown, i) => blocks.push(toolUseBlock(call, `${where}.tool_calls[${i}]`)));
  return { role: 'assistant', content: blocks };
}

/** One `tool` message as a `tool_result` block. */
function toolResultBlock(message: JsonObject, where: string): JsonObject {
  if (typeof message.tool_call_id !== 'string') {
    throw new MalformedRequestError(`${where}.tool_call_id must be a string`);
  }
  const block: JsonObject = {
    type: 'tool_result',
    tool_use_id: message.tool_call_id,
    content: userContent(message.content, where),
  };
  if (isJsonObject(message.cache_control)) {
    block.cache_control = message.cache_control;
  }
  return block;
}

/** Appends `blocks` as a user turn, merging into a previous user turn of tool results. */
function pushToolResult(messages: JsonObject[], block: JsonObject): void {
  const last = messages.at(-1);
  if (last?.role === 'user' && last.isToolResults === true && Array.isArray(last.content)) {
    last.content.push(block);
    return;
  }
  messages.push({ role: 'user', content: [block], isToolResults: true });
}

/**
 * Converts the OpenAI `messages` array. Consecutive `tool` messages become one user message of
 * `tool_result` blocks (parallel tool use).
 */
export function openAIMessagesToAnthropic(value: unknown): AnthropicConversation {
  if (!Array.isArray(value)) {
    throw new MalformedRequestError('field "messages" must be an array');
  }
  const system: JsonObject[] = [];
  const messages: JsonObject[] = [];
  value.forEach((message: unknown, i) => {
    const where = `messages[${i}]`;
    if (!isJsonObject(message)) {
      throw new MalformedRequestError(`${where} must be an object`);
    }
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(systemBlock(message, where));
        break;
      case 'user':
        messages.push({ role: 'user', content: userContent(message.content, where) });
        break;
      case 'assistant':
        messages.push(assistantMessage(message, where));
        break;
      case 'tool':
        pushToolResult(messages, toolResultBlock(message, where));
        break;
      default:
        throw new MalformedRequestError(`${where}.role "${String(message.role)}" is not supported`);
    }
  });
  for (const message of messages) {
    delete message.isToolResults;
  }
  return { system, messages };
}
