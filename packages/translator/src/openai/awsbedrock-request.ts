/**
 * OpenAI chat completion request → AWS Bedrock Converse request body.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_awsbedrock.go
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
import type {
  BedrockCachePoint,
  BedrockContentBlock,
  BedrockConverseRequest,
  BedrockImageBlock,
  BedrockInferenceConfig,
  BedrockJson,
  BedrockMessage,
  BedrockOutputConfig,
  BedrockSystemBlock,
  BedrockToolChoice,
  BedrockToolConfig,
} from '../apischema/awsbedrock/converse.js';
import { MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';
import {
  assistantMessageParts,
  assistantToolCalls,
  chatMessages,
  functionToolsOf,
  maxTokensOf,
  optionalNumber,
  optionalString,
  parseDataUri,
  reasoningEffortOf,
  rejectUnsupported,
  stopSequencesOf,
  textPartsOf,
  textsOf,
  toolCallIdOf,
  toolChoiceOf,
  userParts,
  type UserPart,
} from './shared/chat-request.js';

const backend = 'AWS Bedrock';

/**
 * Request fields the translator reads. `user` is accepted and not forwarded: it is an abuse
 * monitoring hint for OpenAI and changes no output. Everything else (`n` > 1, `logprobs`,
 * penalties, `seed`, audio, ...) has no Converse equivalent and is refused.
 */
const supportedFields: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'tools',
  'tool_choice',
  'response_format',
  'reasoning_effort',
  'thinking',
  'service_tier',
  'user',
]);

const imageFormats: ReadonlyMap<string, BedrockImageBlock['format']> = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpeg'],
  ['image/jpg', 'jpeg'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
]);

/** A user content part as a Converse block; images must be base64 data URIs. */
function userContentBlock(part: UserPart, where: string): BedrockContentBlock {
  if (part.kind === 'text') {
    return { text: part.text };
  }
  const data = parseDataUri(part.url);
  if (data === undefined) {
    throw new MalformedRequestError(
      `${where}: AWS Bedrock needs image bytes; send the image as a base64 data URI, not a URL`,
    );
  }
  const format = imageFormats.get(data.mimeType);
  if (format === undefined) {
    throw new MalformedRequestError(
      `${where}: image type "${data.mimeType}" is not supported by AWS Bedrock (png, jpeg, gif, webp)`,
    );
  }
  // Converse's JSON carries blob fields as base64: the client's base64 passes through undecoded.
  return { image: { format, source: { bytes: data.base64 } } };
}

const cachePoint: BedrockCachePoint = { cachePoint: { type: 'default' } };

/** A user content part's blocks: the block, then a cache point when it carries `cache_control`. */
function userBlocks(part: UserPart, where: string): BedrockContentBlock[] {
  const block = userContentBlock(part, where);
  return part.isCached ? [block, cachePoint] : [block];
}

/** An assistant message; `undefined` when it has neither content nor tool calls. */
function assistantMessage(message: JsonObject, where: string): BedrockMessage | undefined {
  const content: BedrockContentBlock[] = [];
  for (const part of assistantMessageParts(message, where)) {
    if (part.kind === 'text') {
      content.push({ text: part.text });
    } else if (part.kind === 'thinking') {
      const reasoningText =
        part.signature === undefined
          ? { text: part.text }
          : { text: part.text, signature: part.signature };
      content.push({ reasoningContent: { reasoningText } });
    } else {
      content.push({ reasoningContent: { redactedContent: part.data } });
    }
  }
  for (const call of assistantToolCalls(message, where)) {
    content.push({ toolUse: { toolUseId: call.id, name: call.name, input: call.arguments } });
  }
  // Bedrock rejects empty content arrays (clients such as OpenCode send empty assistant turns).
  return content.length === 0 ? undefined : { role: 'assistant', content };
}

/** A tool message as a `toolResult` block. */
function toolResultBlock(message: JsonObject, where: string): BedrockContentBlock {
  return {
    toolResult: {
      toolUseId: toolCallIdOf(message, where),
      content: textsOf(message.content, where).map((text) => ({ text })),
    },
  };
}

/** Converts `messages`: system/developer → `system`, tool results → user `toolResult` blocks. */
function convertMessages(body: JsonObject): Pick<BedrockConverseRequest, 'messages' | 'system'> {
  const messages: BedrockMessage[] = [];
  const system: BedrockSystemBlock[] = [];
  let previousWasTool = false;
  chatMessages(body).forEach((message, i) => {
    const where = `messages[${i}]`;
    const isTool = message.role === 'tool';
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const part of textPartsOf(message.content, where)) {
          system.push({ text: part.text });
          if (part.isCached) {
            system.push(cachePoint);
          }
        }
        break;
      case 'user':
        messages.push({
          role: 'user',
          content: userParts(message.content, where).flatMap((part, j) =>
            userBlocks(part, `${where}.content[${j}]`),
          ),
        });
        break;
      case 'assistant': {
        const converted = assistantMessage(message, where);
        if (converted !== undefined) {
          messages.push(converted);
        }
        break;
      }
      case 'tool': {
        // Bedrock has no tool role: results go in a user message, consecutive ones coalesced.
        const block = toolResultBlock(message, where);
        const last = messages.at(-1);
        if (previousWasTool && last !== undefined) {
          last.content.push(block);
        } else {
          messages.push({ role: 'user', content: [block] });
        }
        break;
      }
      default:
        throw new MalformedRequestError(
          `${where}: role "${String(message.role)}" is not supported by ${backend}`,
        );
    }
    previousWasTool = isTool;
  });
  return system.length === 0 ? { messages } : { messages, system };
}

/** `inferenceConfig`: always present (as the Go gateway sends it), fields only when set. */
function inferenceConfig(body: JsonObject): BedrockInferenceConfig {
  const config: BedrockInferenceConfig = {};
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) {
    config.maxTokens = maxTokens;
  }
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) {
    config.temperature = temperature;
  }
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) {
    config.topP = topP;
  }
  const stop = stopSequencesOf(body);
  if (stop !== undefined) {
    config.stopSequences = stop;
  }
  return config;
}

/** Whether any message carries tool calls or results (Converse then requires `toolConfig`). */
function hasToolHistory(messages: readonly BedrockMessage[]): boolean {
  return messages.some((m) => m.content.some((b) => 'toolUse' in b || 'toolResult' in b));
}

/** `toolConfig` from `tools` and `tool_choice`; `undefined` when no tools are declared. */
function toolConfig(
  body: JsonObject,
  messages: readonly BedrockMessage[],
): BedrockToolConfig | undefined {
  const tools = functionToolsOf(body).flatMap((tool) => {
    const spec = {
      toolSpec: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        inputSchema: { json: tool.parameters ?? { type: 'object', properties: {} } },
      },
    };
    return tool.isCached ? [spec, cachePoint] : [spec];
  });
  const choice = toolChoiceOf(body);
  if (tools.length === 0) {
    return undefined;
  }
  if (choice?.mode === 'none') {
    // Converse has no "none" choice; leaving the tools out honours it, unless the history
    // holds tool blocks (Converse then requires the tool configuration).
    if (hasToolHistory(messages)) {
      throw new MalformedRequestError(
        'tool_choice "none" is not supported by AWS Bedrock when the conversation has tool calls',
      );
    }
    return undefined;
  }
  let toolChoice: BedrockToolChoice | undefined;
  if (choice?.mode === 'auto') {
    toolChoice = { auto: {} };
  } else if (choice?.mode === 'required') {
    toolChoice = { any: {} };
  } else if (choice?.mode === 'function') {
    toolChoice = { tool: { name: choice.name } };
  }
  return toolChoice === undefined ? { tools } : { tools, toolChoice };
}

/**
 * `response_format` as Converse structured output (`outputConfig.textFormat`): `json_schema` maps
 * to a JSON-schema text format (the schema travels as a string), `text` is the default and adds
 * nothing. `json_object` is refused: Converse constrains output to a schema only, and an
 * unconstrained "any JSON" has no equivalent (the upstream Go gateway drops `response_format`
 * for Converse silently; a 400 tells the client instead).
 */
function outputConfig(format: unknown): BedrockOutputConfig | undefined {
  if (format === undefined || format === null) {
    return undefined;
  }
  if (!isJsonObject(format)) {
    throw new MalformedRequestError('field "response_format" must be an object');
  }
  if (format.type === 'text') {
    return undefined;
  }
  if (format.type === 'json_object') {
    throw new MalformedRequestError(
      `response_format "json_object" is not supported by ${backend}: send "json_schema" with a schema`,
    );
  }
  const spec = format.json_schema;
  if (format.type !== 'json_schema' || !isJsonObject(spec)) {
    throw new MalformedRequestError(
      'field "response_format" must be {"type":"json_schema","json_schema":{...}} or {"type":"text"}',
    );
  }
  if (!isJsonObject(spec.schema)) {
    throw new MalformedRequestError('field "response_format.json_schema.schema" must be an object');
  }
  const jsonSchema = {
    schema: JSON.stringify(spec.schema),
    ...nonEmpty('name', spec.name),
    ...nonEmpty('description', spec.description),
  };
  return { textFormat: { type: 'json_schema', structure: { jsonSchema } } };
}

/** `{[key]: value}` when `value` is a non-empty string, else `{}` (for optional wire fields). */
function nonEmpty<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' && value !== ''
    ? ({ [key]: value } as Partial<Record<K, string>>)
    : {};
}

/** `thinking.budget_tokens`: a non-negative integer. */
function budgetTokens(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new MalformedRequestError('field "thinking.budget_tokens" must be an integer');
  }
  return value;
}

/** The gateway's `thinking` extension (Anthropic's shape), forwarded for Claude on Bedrock. */
function thinkingField(value: unknown): BedrockJson | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isJsonObject(value)) {
    throw new MalformedRequestError('field "thinking" must be an object');
  }
  const { type, budget_tokens: budget, display } = value;
  if (type === 'disabled') {
    return { type };
  }
  if (type !== 'enabled' && type !== 'adaptive') {
    throw new MalformedRequestError('field "thinking.type" must be enabled, disabled or adaptive');
  }
  const thinking: BedrockJson = { type };
  if (type === 'enabled') {
    thinking.budget_tokens = budgetTokens(budget);
  }
  if (typeof display === 'string' && display !== '') {
    thinking.display = display;
  }
  return thinking;
}

/**
 * `additionalModelRequestFields`: `thinking` as sent, and `reasoning_effort` as
 * `reasoning_config` (the field GLM, Nova and other Bedrock models read), as the Go gateway does.
 */
function additionalFields(body: JsonObject): BedrockJson | undefined {
  const fields: BedrockJson = {};
  const thinking = thinkingField(body.thinking);
  if (thinking !== undefined) {
    fields.thinking = thinking;
  }
  const effort = reasoningEffortOf(body);
  if (effort !== undefined) {
    fields.reasoning_config = effort;
  }
  return Object.keys(fields).length === 0 ? undefined : fields;
}

/** Translates an OpenAI chat completion body to a Converse body; throws 400 for what cannot map. */
export function toConverseRequest(body: JsonObject): BedrockConverseRequest {
  rejectUnsupported(body, { supported: supportedFields, backend });
  const { messages, system } = convertMessages(body);
  const request: BedrockConverseRequest = { inferenceConfig: inferenceConfig(body), messages };
  if (system !== undefined) {
    request.system = system;
  }
  const tools = toolConfig(body, messages);
  if (tools !== undefined) {
    request.toolConfig = tools;
  }
  const output = outputConfig(body.response_format);
  if (output !== undefined) {
    request.outputConfig = output;
  }
  const additional = additionalFields(body);
  if (additional !== undefined) {
    request.additionalModelRequestFields = additional;
  }
  const serviceTier = optionalString(body, 'service_tier');
  if (serviceTier !== undefined && serviceTier !== '') {
    request.serviceTier = { type: serviceTier };
  }
  return request;
}
