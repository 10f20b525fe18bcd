/**
 * OpenAI chat completion request → Vertex AI Gemini `generateContent` request body.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/openai_gcpvertexai.go
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/gemini_helper.go
 */
import type {
  GeminiContent,
  GeminiFunctionCallingConfig,
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiThinkingConfig,
} from '../apischema/gcp/gemini.js';
import { MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';
import {
  assistantMessageParts,
  assistantToolCalls,
  chatMessages,
  functionToolsOf,
  maxTokensOf,
  optionalInteger,
  optionalNumber,
  parseDataUri,
  reasoningEffortOf,
  rejectUnsupported,
  stopSequencesOf,
  textsOf,
  toolCallIdOf,
  toolChoiceOf,
  userParts,
  type ReasoningEffort,
  type UserPart,
} from './shared/chat-request.js';

const backend = 'GCP Vertex AI (Gemini)';

/**
 * Request fields the translator reads. `user` is accepted and not forwarded (an abuse-monitoring
 * hint that changes no output); anything else Gemini cannot honour (`logit_bias`, audio output,
 * `prediction`, `web_search_options`, ...) is refused.
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
  'n',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'logprobs',
  'top_logprobs',
  'response_format',
  'tools',
  'tool_choice',
  'reasoning_effort',
  'thinking',
  'user',
]);

/** Whether the model accepts full JSON Schema (`parametersJsonSchema`, `responseJsonSchema`). */
function hasJsonSchemaSupport(model: string): boolean {
  return model.includes('gemini') && (model.includes('2.5') || model.includes('gemini-3'));
}

const mimeByExtension: ReadonlyMap<string, string> = new Map([
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['heic', 'image/heic'],
  ['heif', 'image/heif'],
  ['pdf', 'application/pdf'],
]);

/** The media type of a file URL from its extension (query ignored); JPEG when unknown. */
function mimeTypeOfUrl(url: string): string {
  const path = url.split(/[?#]/, 1)[0] ?? '';
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return mimeByExtension.get(extension) ?? 'image/jpeg';
}

/** OpenAI image `detail` → Gemini 3 part media resolution (`auto` leaves Gemini's default). */
const resolutionByDetail: ReadonlyMap<string, string | undefined> = new Map([
  ['auto', undefined],
  ['low', 'MEDIA_RESOLUTION_LOW'],
  ['medium', 'MEDIA_RESOLUTION_MEDIUM'],
  ['high', 'MEDIA_RESOLUTION_HIGH'],
]);

/**
 * Sets an image part's media resolution from `detail`: honoured by Gemini 3 models only (earlier
 * models have no per-part resolution; the hint is ignored there, as the Go gateway does).
 */
function applyDetail(
  part: GeminiPart,
  options: { detail: string | undefined; where: string; model: string },
): void {
  const { detail, where, model } = options;
  if (detail === undefined) {
    return;
  }
  if (!resolutionByDetail.has(detail)) {
    throw new MalformedRequestError(`${where}.image_url.detail must be auto, low, medium or high`);
  }
  const level = resolutionByDetail.get(detail);
  if (level !== undefined && model.includes('gemini-3')) {
    part.mediaResolution = { level };
  }
}

/** A user part: text, inline base64 data, or a file URI (https:// or gs://) Vertex fetches. */
function userPart(part: UserPart, context: { where: string; model: string }): GeminiPart {
  const { where, model } = context;
  if (part.kind === 'text') {
    return { text: part.text };
  }
  const data = parseDataUri(part.url);
  let converted: GeminiPart;
  if (data !== undefined) {
    converted = { inlineData: { mimeType: data.mimeType, data: data.base64 } };
  } else if (/^(https?|gs):\/\//i.test(part.url)) {
    converted = { fileData: { mimeType: mimeTypeOfUrl(part.url), fileUri: part.url } };
  } else {
    throw new MalformedRequestError(
      `${where}: image_url.url must be a base64 data URI or an https:// or gs:// URL`,
    );
  }
  applyDetail(converted, { detail: part.detail, where, model });
  return converted;
}

/** An assistant turn; records its tool call names for the tool results that follow. */
function modelContent(
  message: JsonObject,
  context: { where: string; toolNames: Map<string, string> },
): GeminiContent {
  const parts: GeminiPart[] = [];
  const content = assistantMessageParts(message, context.where);
  const calls = assistantToolCalls(message, context.where);
  // Model order: thoughts and text, then function calls. Gemini signs the first function call
  // of a turn (the signature comes back in a thinking part); without calls, the thought.
  let signature: string | undefined;
  for (const part of content) {
    if (part.kind === 'redacted-thinking') {
      throw new MalformedRequestError(
        `${context.where}: redacted_thinking is not supported by ${backend}`,
      );
    }
    if (part.kind === 'thinking') {
      signature ??= part.signature;
    }
    if (part.text === '') {
      continue;
    }
    const converted: GeminiPart =
      part.kind === 'thinking' ? { text: part.text, thought: true } : { text: part.text };
    if (part.kind === 'thinking' && calls.length === 0 && part.signature !== undefined) {
      converted.thoughtSignature = part.signature;
    }
    parts.push(converted);
  }
  calls.forEach((call, i) => {
    context.toolNames.set(call.id, call.name);
    const part: GeminiPart = { functionCall: { name: call.name, args: call.arguments } };
    if (i === 0 && signature !== undefined) {
      part.thoughtSignature = signature;
    }
    parts.push(part);
  });
  return { role: 'model', parts };
}

/** A tool result as a `functionResponse` part (Gemini matches results by function name). */
function functionResponsePart(
  message: JsonObject,
  context: { where: string; toolNames: ReadonlyMap<string, string> },
): GeminiPart {
  const id = toolCallIdOf(message, context.where);
  const name = context.toolNames.get(id);
  if (name === undefined) {
    throw new MalformedRequestError(
      `${context.where}: tool_call_id "${id}" matches no earlier assistant tool call`,
    );
  }
  const output = textsOf(message.content, context.where).join('');
  return { functionResponse: { name, response: { output } } };
}

/** Converts `messages`: user and tool messages gather into user turns, assistants into model turns. */
function convertMessages(
  body: JsonObject,
  model: string,
): Pick<GeminiGenerateContentRequest, 'contents' | 'systemInstruction'> {
  const contents: GeminiContent[] = [];
  const system: GeminiPart[] = [];
  const toolNames = new Map<string, string>();
  let userTurn: GeminiPart[] = [];
  chatMessages(body).forEach((message, i) => {
    const where = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const text of textsOf(message.content, where)) {
          if (text !== '') {
            system.push({ text });
          }
        }
        break;
      case 'user':
        userTurn.push(
          ...userParts(message.content, where).map((p, j) =>
            userPart(p, { where: `${where}.content[${j}]`, model }),
          ),
        );
        break;
      case 'tool':
        userTurn.push(functionResponsePart(message, { where, toolNames }));
        break;
      case 'assistant':
        if (userTurn.length > 0) {
          contents.push({ role: 'user', parts: userTurn });
          userTurn = [];
        }
        contents.push(modelContent(message, { where, toolNames }));
        break;
      default:
        throw new MalformedRequestError(
          `${where}: role "${String(message.role)}" is not supported by ${backend}`,
        );
    }
  });
  if (userTurn.length > 0) {
    contents.push({ role: 'user', parts: userTurn });
  }
  return system.length === 0 ? { contents } : { contents, systemInstruction: { parts: system } };
}

/** `tools` as one Gemini tool holding every function declaration (some models take only one tool). */
function toolsOf(body: JsonObject, model: string): GeminiGenerateContentRequest['tools'] {
  const useJsonSchema = hasJsonSchemaSupport(model);
  const declarations = functionToolsOf(body).map((tool) => ({
    name: tool.name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    ...(tool.parameters === undefined
      ? {}
      : useJsonSchema
        ? { parametersJsonSchema: tool.parameters }
        : { parameters: tool.parameters }),
  }));
  return declarations.length === 0 ? undefined : [{ functionDeclarations: declarations }];
}

/** `tool_choice` as `functionCallingConfig`. */
function functionCallingConfig(body: JsonObject): GeminiFunctionCallingConfig | undefined {
  const choice = toolChoiceOf(body);
  switch (choice?.mode) {
    case undefined:
      return undefined;
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'function':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

/** `response_format` into `generationConfig` (MIME type and schema). */
function applyResponseFormat(
  config: GeminiGenerationConfig,
  options: { format: unknown; model: string },
): void {
  const { format, model } = options;
  if (format === undefined || format === null) {
    return;
  }
  if (!isJsonObject(format)) {
    throw new MalformedRequestError('field "response_format" must be an object');
  }
  if (format.type === 'text') {
    config.responseMimeType = 'text/plain';
  } else if (format.type === 'json_object') {
    config.responseMimeType = 'application/json';
  } else if (format.type === 'json_schema' && isJsonObject(format.json_schema)) {
    const schema = format.json_schema.schema;
    if (!isJsonObject(schema)) {
      throw new MalformedRequestError(
        'field "response_format.json_schema.schema" must be an object',
      );
    }
    config.responseMimeType = 'application/json';
    if (hasJsonSchemaSupport(model)) {
      config.responseJsonSchema = schema;
    } else {
      config.responseSchema = schema;
    }
  } else {
    throw new MalformedRequestError(
      'field "response_format.type" must be text, json_object or json_schema',
    );
  }
}

/** Thinking budgets for `reasoning_effort` on Gemini 2.x (Google's OpenAI-compatibility mapping). */
const budgetByEffort: Readonly<Record<ReasoningEffort, number>> = {
  none: 0,
  minimal: 1024,
  low: 1024,
  medium: 8192,
  high: 24576,
};

/**
 * `reasoning_effort` as `thinkingConfig`: Gemini 3 takes a thinking level (Pro cannot turn
 * thinking off, so `none` is refused there), earlier models a token budget.
 */
function thinkingFromEffort(effort: ReasoningEffort, model: string): GeminiThinkingConfig {
  if (!model.includes('gemini-3')) {
    return { thinkingBudget: budgetByEffort[effort] };
  }
  const isFlash = model.toLowerCase().includes('flash');
  switch (effort) {
    case 'none':
    case 'minimal':
      if (!isFlash) {
        throw new MalformedRequestError(
          `reasoning_effort "${effort}" is only supported by Gemini Flash models`,
        );
      }
      return { thinkingLevel: 'MINIMAL' };
    case 'low':
      return { thinkingLevel: 'LOW' };
    case 'medium':
      return { thinkingLevel: isFlash ? 'MEDIUM' : 'HIGH' };
    case 'high':
      return { thinkingLevel: 'HIGH' };
  }
}

/** The gateway's `thinking` extension: `{type: enabled, budget_tokens, include_thoughts}` or disabled. */
function thinkingFromExtension(value: unknown): GeminiThinkingConfig | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isJsonObject(value) || (value.type !== 'enabled' && value.type !== 'disabled')) {
    throw new MalformedRequestError('field "thinking.type" must be enabled or disabled');
  }
  if (value.type === 'disabled') {
    return { thinkingBudget: 0 };
  }
  const config: GeminiThinkingConfig = { includeThoughts: value.include_thoughts !== false };
  const budget = optionalInteger(value, 'budget_tokens');
  if (budget !== undefined) {
    config.thinkingBudget = budget;
  }
  return config;
}

/** Copies optional numeric fields from the OpenAI body into `config`. */
function applySampling(config: GeminiGenerationConfig, body: JsonObject): void {
  const fields: readonly (readonly [keyof GeminiGenerationConfig, number | undefined])[] = [
    ['temperature', optionalNumber(body, 'temperature')],
    ['topP', optionalNumber(body, 'top_p')],
    ['candidateCount', optionalInteger(body, 'n')],
    ['maxOutputTokens', maxTokensOf(body)],
    ['presencePenalty', optionalNumber(body, 'presence_penalty')],
    ['frequencyPenalty', optionalNumber(body, 'frequency_penalty')],
    ['seed', optionalInteger(body, 'seed')],
    ['logprobs', optionalInteger(body, 'top_logprobs')],
  ];
  for (const [key, value] of fields) {
    if (value !== undefined) {
      Object.assign(config, { [key]: value });
    }
  }
}

/** `generationConfig` from sampling parameters, stop sequences, response format and thinking. */
function generationConfig(body: JsonObject, model: string): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  applySampling(config, body);
  const stop = stopSequencesOf(body);
  if (stop !== undefined) {
    config.stopSequences = stop;
  }
  if (body.logprobs === true) {
    config.responseLogprobs = true;
  }
  applyResponseFormat(config, { format: body.response_format, model });
  const effort = reasoningEffortOf(body);
  const thinking =
    thinkingFromExtension(body.thinking) ??
    (effort === undefined ? undefined : thinkingFromEffort(effort, model));
  if (thinking !== undefined) {
    config.thinkingConfig = thinking;
  }
  return config;
}

/** Translates an OpenAI chat completion body to a Gemini request; throws 400 for what cannot map. */
export function toGenerateContentRequest(
  body: JsonObject,
  model: string,
): GeminiGenerateContentRequest {
  rejectUnsupported(body, { supported: supportedFields, backend });
  const { contents, systemInstruction } = convertMessages(body, model);
  const request: GeminiGenerateContentRequest = {
    contents,
    generationConfig: generationConfig(body, model),
  };
  if (systemInstruction !== undefined) {
    request.systemInstruction = systemInstruction;
  }
  const tools = toolsOf(body, model);
  if (tools !== undefined) {
    request.tools = tools;
  }
  const calling = functionCallingConfig(body);
  if (calling !== undefined) {
    request.toolConfig = { functionCallingConfig: calling };
  }
  return request;
}
