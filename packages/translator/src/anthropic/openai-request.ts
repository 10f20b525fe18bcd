/**
 * OpenAI chat completions request → Anthropic Messages parameters (shared by the Anthropic,
 * GCP Anthropic and AWS Anthropic backends; each adds its own envelope).
 *
 * Error policy: a parameter the Anthropic API cannot honour is rejected with a
 * {@link MalformedRequestError} (400) naming it, never dropped; a value of the wrong JSON type is
 * a 400 too; a well-typed value Anthropic cannot accept (temperature above 1, an image media type
 * it does not read, tool arguments that are not JSON) is an {@link InvalidRequestBodyError} (422),
 * as upstream's `ErrInvalidRequestBody`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_helper.go
 */
import { InvalidRequestBodyError, MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { openAIMessagesToAnthropic } from './openai-messages.js';

/**
 * `max_tokens` sent when the client gives neither `max_completion_tokens` nor `max_tokens`.
 * Anthropic requires the field; upstream sends 0 and lets Anthropic reject the request, which
 * breaks every OpenAI client that relies on the optional field, so the gateway sends a default.
 */
export const defaultAnthropicMaxTokens = 4096;

/** OpenAI fields that are translated (or consumed by the gateway) below. */
const handledFields = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  'thinking',
  'user',
  'store',
  'n',
  'logprobs',
  'presence_penalty',
  'frequency_penalty',
]);

/** Fields that pass when they ask for the default behaviour, i.e. nothing Anthropic lacks. */
function checkDefaults(body: Readonly<JsonObject>): void {
  const nonDefault: [string, boolean][] = [
    ['n', body.n !== undefined && body.n !== null && body.n !== 1],
    ['logprobs', body.logprobs === true],
    ['presence_penalty', isNonZero(body.presence_penalty)],
    ['frequency_penalty', isNonZero(body.frequency_penalty)],
    ['store', body.store === true],
  ];
  for (const [name, isSet] of nonDefault) {
    if (isSet) {
      throw unsupported(name);
    }
  }
}

function isNonZero(value: unknown): boolean {
  return value !== undefined && value !== null && value !== 0;
}

/** The 400 for a parameter the backend cannot honour. */
export function unsupported(name: string, detail = ''): MalformedRequestError {
  return new MalformedRequestError(
    `parameter "${name}" is not supported by Anthropic backends${detail === '' ? '' : `: ${detail}`}`,
  );
}

/** Rejects every top-level field the translation does not know (never silently dropped). */
function checkUnknownFields(body: Readonly<JsonObject>): void {
  for (const [key, value] of Object.entries(body)) {
    if (!handledFields.has(key) && value !== null && value !== undefined) {
      throw unsupported(key);
    }
  }
}

/** A number field, or `undefined`; 400 for another type. */
function numberField(body: Readonly<JsonObject>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MalformedRequestError(`field "${name}" must be a number`);
  }
  return value;
}

/**
 * `max_tokens` from `max_completion_tokens`, else `max_tokens`, else the default — plus the
 * thinking budget when thinking is enabled, since Anthropic requires `max_tokens` above it.
 */
function maxTokens(body: Readonly<JsonObject>): number {
  const value = numberField(body, 'max_completion_tokens') ?? numberField(body, 'max_tokens');
  if (value === undefined) {
    const thinking = body.thinking;
    const budget =
      isJsonObject(thinking) && thinking.type === 'enabled' ? thinking.budget_tokens : undefined;
    const extra = typeof budget === 'number' && Number.isInteger(budget) && budget > 0 ? budget : 0;
    return defaultAnthropicMaxTokens + extra;
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidRequestBodyError(`max tokens must be a positive integer, got ${value}`);
  }
  return value;
}

/** `stop` (a string or an array of strings) as `stop_sequences`. */
function stopSequences(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) {
    return undefined;
  }
  if (typeof stop === 'string') {
    return [stop];
  }
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) {
    return stop.length === 0 ? undefined : stop;
  }
  throw new MalformedRequestError('field "stop" must be a string or an array of strings');
}

/** Converts one OpenAI function tool. */
function toolToAnthropic(tool: unknown, index: number): JsonObject {
  if (!isJsonObject(tool) || tool.type !== 'function' || !isJsonObject(tool.function)) {
    const type = isJsonObject(tool) ? String(tool.type) : typeof tool;
    throw new MalformedRequestError(
      `tools[${index}]: only function tools are supported by Anthropic backends, got "${type}"`,
    );
  }
  const fn = tool.function;
  if (typeof fn.name !== 'string' || fn.name === '') {
    throw new MalformedRequestError(`tools[${index}].function.name must be a non-empty string`);
  }
  const parameters = fn.parameters ?? { type: 'object', properties: {} };
  if (!isJsonObject(parameters)) {
    throw new MalformedRequestError(`tools[${index}].function.parameters must be an object`);
  }
  const out: JsonObject = { name: fn.name };
  if (typeof fn.description === 'string') {
    out.description = fn.description;
  }
  out.input_schema = { type: 'object', ...parameters };
  if (fn.strict === true) {
    out.strict = true;
  }
  if (isJsonObject(tool.cache_control)) {
    out.cache_control = tool.cache_control;
  }
  return out;
}

/** `tool_choice` (+ `parallel_tool_calls`) in Anthropic terms. */
function toolChoice(choice: unknown, parallel: unknown): JsonObject | undefined {
  const disable = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) {
    return parallel === false ? { type: 'auto', ...disable } : undefined;
  }
  if (choice === 'auto') {
    return { type: 'auto', ...disable };
  }
  if (choice === 'required') {
    return { type: 'any', ...disable };
  }
  if (choice === 'none') {
    return { type: 'none' };
  }
  if (isJsonObject(choice) && isJsonObject(choice.function)) {
    const name = choice.function.name;
    if (typeof name === 'string' && name !== '') {
      return { type: 'tool', name, ...disable };
    }
  }
  throw new MalformedRequestError(
    'field "tool_choice" must be "auto", "required", "none" or {"type":"function","function":{"name"}}',
  );
}

/** Adds `tools` and `tool_choice`. */
function addTools(body: Readonly<JsonObject>, out: JsonObject): void {
  const tools = body.tools;
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) {
      throw new MalformedRequestError('field "tools" must be an array');
    }
    if (tools.length > 0) {
      out.tools = tools.map((tool, i) => toolToAnthropic(tool, i));
    }
  }
  const choice = toolChoice(body.tool_choice, body.parallel_tool_calls);
  if (choice === undefined) {
    return;
  }
  if (out.tools !== undefined) {
    out.tool_choice = choice;
    return;
  }
  // Without tools, "auto"/"none" and parallel_tool_calls change nothing (Anthropic would reject
  // a tool_choice without tools); forcing a tool that does not exist is an error, as on OpenAI.
  if (choice.type === 'any' || choice.type === 'tool') {
    throw new MalformedRequestError('field "tool_choice" requires "tools"');
  }
}

/** `response_format`: `json_schema` → `output_config.format`; `json_object` is not supported. */
function addResponseFormat(format: unknown, outputConfig: JsonObject): void {
  if (format === undefined || format === null) {
    return;
  }
  if (!isJsonObject(format) || typeof format.type !== 'string') {
    throw new MalformedRequestError('field "response_format" must be an object with a "type"');
  }
  if (format.type === 'text') {
    return;
  }
  if (format.type !== 'json_schema') {
    throw unsupported(
      'response_format',
      `type "${format.type}" (only "text" and "json_schema" can be honoured)`,
    );
  }
  const schema = isJsonObject(format.json_schema) ? format.json_schema.schema : undefined;
  if (!isJsonObject(schema)) {
    throw new MalformedRequestError('response_format.json_schema.schema must be an object');
  }
  outputConfig.format = { type: 'json_schema', schema };
}

const efforts = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

/** `reasoning_effort` → `output_config.effort`. */
function addEffort(effort: unknown, outputConfig: JsonObject): void {
  if (effort === undefined || effort === null) {
    return;
  }
  if (typeof effort !== 'string' || !efforts.has(effort)) {
    throw unsupported(
      'reasoning_effort',
      `${JSON.stringify(effort)} (supported: low, medium, high, xhigh, max)`,
    );
  }
  outputConfig.effort = effort;
}

/** `thinking` (the Anthropic vendor field upstream accepts on OpenAI requests). */
function thinkingConfig(thinking: unknown): JsonObject | undefined {
  if (thinking === undefined || thinking === null) {
    return undefined;
  }
  if (!isJsonObject(thinking) || typeof thinking.type !== 'string') {
    throw new MalformedRequestError('field "thinking" must be an object with a "type"');
  }
  if (thinking.type === 'enabled' && typeof thinking.budget_tokens !== 'number') {
    throw new MalformedRequestError('thinking.budget_tokens must be a number when enabled');
  }
  return thinking;
}

/** Sampling parameters: temperature (0..1 on Anthropic), top_p, top_k. */
function addSampling(body: Readonly<JsonObject>, out: JsonObject): void {
  const temperature = numberField(body, 'temperature');
  if (temperature !== undefined) {
    if (temperature < 0 || temperature > 1) {
      throw new InvalidRequestBodyError(
        `temperature ${temperature} is not supported by Anthropic (must be between 0.0 and 1.0)`,
      );
    }
    out.temperature = temperature;
  }
  const topP = numberField(body, 'top_p');
  if (topP !== undefined) {
    out.top_p = topP;
  }
  const topK = numberField(body, 'top_k');
  if (topK !== undefined) {
    out.top_k = topK;
  }
}

/** Adds `output_config`, `thinking`, `metadata.user_id`. */
function addExtras(body: Readonly<JsonObject>, out: JsonObject): void {
  const outputConfig: JsonObject = {};
  addResponseFormat(body.response_format, outputConfig);
  addEffort(body.reasoning_effort, outputConfig);
  if (Object.keys(outputConfig).length > 0) {
    out.output_config = outputConfig;
  }
  const thinking = thinkingConfig(body.thinking);
  if (thinking !== undefined) {
    out.thinking = thinking;
  }
  if (typeof body.user === 'string' && body.user !== '') {
    out.metadata = { user_id: body.user };
  }
}

/**
 * Builds the Anthropic Messages body (without envelope fields: no `model`, `stream`,
 * `anthropic_version`) from an OpenAI chat completions body. Throws only
 * {@link MalformedRequestError} and {@link InvalidRequestBodyError}.
 */
export function anthropicParamsFromOpenAI(body: Readonly<JsonObject>): JsonObject {
  checkUnknownFields(body);
  checkDefaults(body);
  const { system, messages } = openAIMessagesToAnthropic(body.messages);
  const out: JsonObject = { max_tokens: maxTokens(body), messages };
  if (system.length > 0) {
    out.system = system;
  }
  addSampling(body, out);
  const stop = stopSequences(body.stop);
  if (stop !== undefined) {
    out.stop_sequences = stop;
  }
  addTools(body, out);
  addExtras(body, out);
  return out;
}
