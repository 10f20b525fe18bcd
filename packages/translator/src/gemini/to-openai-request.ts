/**
 * A Gemini `GenerateContentRequest` → an OpenAI chat completions body.
 *
 * - `systemInstruction` → a `system` message; `contents` → messages (`user` → `user`, `model` →
 *   `assistant`; `functionCall` parts → assistant `tool_calls`, `functionResponse` parts → `tool`
 *   messages). Gemini's call ids (`functionCall.id`, `functionResponse.id`) are used when given;
 *   without them a result is paired with the latest unanswered call of its function name and the
 *   ids are minted (`call_<turn>_<n>`), so each result answers the call it belongs to.
 * - `inlineData` images → `image_url` data URLs, PDFs → `file` parts; `fileData` images →
 *   `image_url` URLs. Other media are refused (400).
 * - `tools[].functionDeclarations` → function tools (`parametersJsonSchema` as is, OpenAPI-style
 *   `parameters` with their upper-case `type`s lowered); `toolConfig.functionCallingConfig` →
 *   `tool_choice`.
 * - `generationConfig`: temperature, topP, maxOutputTokens (`max_completion_tokens`),
 *   stopSequences, candidateCount (`n`), presence/frequency penalties, seed,
 *   responseMimeType/responseSchema/responseJsonSchema (`response_format`).
 *
 * Dropped, as hints OpenAI has no field for (the Gemini CLI sends them on every request):
 * `generationConfig.topK`, `thinkingConfig`, `safetySettings`, `labels`. Refused with a 400, as
 * they would change the answer: `cachedContent`, tools other than function declarations, output
 * modalities other than text, `responseLogprobs`.
 *
 * @see https://ai.google.dev/api/generate-content#request-body
 */
import { MalformedRequestError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';

/** Refused: what an OpenAI backend cannot do. */
function unsupported(what: string): MalformedRequestError {
  return new MalformedRequestError(`${what} is not supported by OpenAI-compatible backends`);
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedRequestError(`field "${where}" must be an array`);
  return value;
}

function objects(value: unknown, where: string): JsonObject[] {
  return list(value, where).map((item, i) => {
    if (!isJsonObject(item)) throw new MalformedRequestError(`${where}[${i}] must be an object`);
    return item;
  });
}

/** A media part: images (and PDFs inline) as OpenAI content parts. */
function mediaPart(part: JsonObject, where: string): JsonObject {
  const inline = part.inlineData;
  if (isJsonObject(inline)) {
    const mimeType = typeof inline.mimeType === 'string' ? inline.mimeType : '';
    const data = typeof inline.data === 'string' ? inline.data : '';
    const url = `data:${mimeType};base64,${data}`;
    if (mimeType.startsWith('image/')) return { type: 'image_url', image_url: { url } };
    if (mimeType === 'application/pdf') {
      return { type: 'file', file: { filename: 'document.pdf', file_data: url } };
    }
    throw unsupported(`${where}.inlineData of type ${JSON.stringify(mimeType)}`);
  }
  const file = part.fileData;
  const fileMime = isJsonObject(file) && typeof file.mimeType === 'string' ? file.mimeType : '';
  if (isJsonObject(file) && (fileMime === '' || fileMime.startsWith('image/'))) {
    return { type: 'image_url', image_url: { url: String(file.fileUri) } };
  }
  throw unsupported(`${where}.fileData that is not an image`);
}

/** The content of a user turn: plain text when it is text only, else content parts. */
function userContent(parts: readonly JsonObject[], where: string): unknown {
  const out: JsonObject[] = [];
  parts.forEach((part, i) => {
    if (typeof part.text === 'string') out.push({ type: 'text', text: part.text });
    else out.push(mediaPart(part, `${where}.parts[${i}]`));
  });
  return out.every((p) => p.type === 'text') ? out.map((p) => String(p.text)).join('') : out;
}

/** Pairs function results with calls: by Gemini id when given, else by function name. */
class CallIds {
  /** Unanswered call ids per function name, oldest first. */
  readonly #pending = new Map<string, string[]>();

  /** The id of a call: its own, else minted. */
  call(fc: JsonObject, minted: string): string {
    const id = typeof fc.id === 'string' && fc.id !== '' ? fc.id : minted;
    const name = String(fc.name);
    this.#pending.set(name, [...(this.#pending.get(name) ?? []), id]);
    return id;
  }

  /** The call id a result answers: its own id, else the oldest unanswered call of its name. */
  result(fr: JsonObject, where: string): string {
    const name = String(fr.name);
    const pending = this.#pending.get(name) ?? [];
    if (typeof fr.id === 'string' && fr.id !== '') {
      this.#pending.set(
        name,
        pending.filter((id) => id !== fr.id),
      );
      return fr.id;
    }
    const id = pending.shift();
    if (id === undefined) {
      throw new MalformedRequestError(`${where}: no earlier functionCall of "${name}" to answer`);
    }
    return id;
  }
}

/** A function result as a tool message's text: a lone `output` string as is, else JSON. */
function resultText(response: unknown): string {
  if (isJsonObject(response)) {
    const keys = Object.keys(response);
    if (keys.length === 1 && typeof response.output === 'string') return response.output;
  }
  return JSON.stringify(response ?? {});
}

function functionCallOf(part: JsonObject, where: string): JsonObject {
  const fc = part.functionCall;
  if (!isJsonObject(fc) || typeof fc.name !== 'string' || fc.name === '') {
    throw new MalformedRequestError(`${where}.functionCall must have a string "name"`);
  }
  return fc;
}

/** A model turn: text (thought parts dropped: chat completions cannot carry them back). */
function modelMessage(
  parts: readonly JsonObject[],
  context: { readonly where: string; readonly turn: number; readonly ids: CallIds },
): JsonObject {
  const { where, turn, ids } = context;
  let text = '';
  const toolCalls: JsonObject[] = [];
  parts.forEach((part, i) => {
    if (part.thought === true) return;
    if (typeof part.text === 'string') text += part.text;
    else if (part.functionCall !== undefined) {
      const fc = functionCallOf(part, `${where}.parts[${i}]`);
      const id = ids.call(fc, `call_${turn}_${toolCalls.length}`);
      const args = JSON.stringify(isJsonObject(fc.args) ? fc.args : {});
      toolCalls.push({ id, type: 'function', function: { name: fc.name, arguments: args } });
    } else if (part.inlineData !== undefined || part.fileData !== undefined) {
      throw unsupported(`${where}.parts[${i}]: media in a model turn`);
    }
  });
  return {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
}

/** A user (or function) turn: tool messages for its results, then the user's own content. */
function userMessages(
  parts: readonly JsonObject[],
  context: { readonly where: string; readonly ids: CallIds },
): JsonObject[] {
  const { where, ids } = context;
  const tools: JsonObject[] = [];
  const rest: JsonObject[] = [];
  parts.forEach((part, i) => {
    const fr = part.functionResponse;
    if (fr === undefined) {
      rest.push(part);
      return;
    }
    if (!isJsonObject(fr) || typeof fr.name !== 'string') {
      throw new MalformedRequestError(`${where}.parts[${i}].functionResponse needs a "name"`);
    }
    const id = ids.result(fr, `${where}.parts[${i}]`);
    tools.push({ role: 'tool', tool_call_id: id, content: resultText(fr.response) });
  });
  if (rest.length === 0) return tools;
  return [...tools, { role: 'user', content: userContent(rest, where) }];
}

/** `systemInstruction` as text: a Content (its text parts) or a bare string. */
function systemText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (!isJsonObject(value)) {
    throw new MalformedRequestError('field "systemInstruction" must be a Content object');
  }
  const parts = objects(value.parts, 'systemInstruction.parts');
  return parts.map((p) => (typeof p.text === 'string' ? p.text : '')).join('\n');
}

function messagesOf(body: Readonly<JsonObject>): JsonObject[] {
  const contents = objects(body.contents, 'contents');
  if (contents.length === 0) {
    throw new MalformedRequestError('field "contents" must have at least one Content');
  }
  const ids = new CallIds();
  const system = systemText(body.systemInstruction);
  const out: JsonObject[] = system === undefined ? [] : [{ role: 'system', content: system }];
  contents.forEach((content, turn) => {
    const where = `contents[${turn}]`;
    const parts = objects(content.parts, `${where}.parts`);
    if (content.role === 'model') out.push(modelMessage(parts, { where, turn, ids }));
    else out.push(...userMessages(parts, { where, ids }));
  });
  return out;
}

/** An OpenAPI-subset schema (Gemini `Schema`) as JSON Schema: upper-case types lowered. */
export function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (!isJsonObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'type' && typeof value === 'string') out.type = value.toLowerCase();
    else if (key === 'nullable') continue;
    else out[key] = jsonSchemaOf(value);
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function functionTool(declaration: JsonObject, where: string): JsonObject {
  if (typeof declaration.name !== 'string' || declaration.name === '') {
    throw new MalformedRequestError(`${where} must have a string "name"`);
  }
  const parameters =
    declaration.parametersJsonSchema ??
    (declaration.parameters === undefined ? undefined : jsonSchemaOf(declaration.parameters));
  return {
    type: 'function',
    function: {
      name: declaration.name,
      ...(typeof declaration.description === 'string'
        ? { description: declaration.description }
        : {}),
      parameters: parameters ?? { type: 'object', properties: {} },
    },
  };
}

function toolsOf(body: Readonly<JsonObject>): JsonObject[] {
  return objects(body.tools, 'tools').flatMap((tool, t) => {
    const other = Object.keys(tool).find((k) => k !== 'functionDeclarations');
    if (other !== undefined) throw unsupported(`the "${other}" tool (tools[${t}])`);
    return objects(tool.functionDeclarations, `tools[${t}].functionDeclarations`).map((d, i) =>
      functionTool(d, `tools[${t}].functionDeclarations[${i}]`),
    );
  });
}

function toolChoiceOf(body: Readonly<JsonObject>): unknown {
  const config = isJsonObject(body.toolConfig) ? body.toolConfig.functionCallingConfig : undefined;
  if (!isJsonObject(config)) return undefined;
  const names = list(config.allowedFunctionNames, 'allowedFunctionNames');
  switch (config.mode) {
    case undefined:
    case 'MODE_UNSPECIFIED':
    case 'AUTO':
      return undefined;
    case 'NONE':
      return 'none';
    case 'ANY':
    case 'VALIDATED':
      return names.length === 1
        ? { type: 'function', function: { name: String(names[0]) } }
        : 'required';
    default:
      throw new MalformedRequestError(
        `toolConfig.functionCallingConfig.mode ${JSON.stringify(config.mode)} is not valid`,
      );
  }
}

function responseFormatOf(config: JsonObject): JsonObject | undefined {
  const mime = config.responseMimeType;
  if (mime === undefined || mime === 'text/plain') return undefined;
  if (mime !== 'application/json') throw unsupported(`responseMimeType ${JSON.stringify(mime)}`);
  const schema =
    config.responseJsonSchema ??
    (config.responseSchema === undefined ? undefined : jsonSchemaOf(config.responseSchema));
  if (!isJsonObject(schema)) return { type: 'json_object' };
  return { type: 'json_schema', json_schema: { name: 'response', schema } };
}

/** `generationConfig` fields and the OpenAI fields they become. */
const sameValue: readonly (readonly [string, string])[] = [
  ['temperature', 'temperature'],
  ['topP', 'top_p'],
  ['maxOutputTokens', 'max_completion_tokens'],
  ['candidateCount', 'n'],
  ['presencePenalty', 'presence_penalty'],
  ['frequencyPenalty', 'frequency_penalty'],
  ['seed', 'seed'],
];

function addGenerationConfig(body: Readonly<JsonObject>, out: JsonObject): void {
  const config = body.generationConfig;
  if (config === undefined || config === null) return;
  if (!isJsonObject(config)) {
    throw new MalformedRequestError('field "generationConfig" must be an object');
  }
  for (const [from, to] of sameValue) {
    const value = config[from];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number') {
      throw new MalformedRequestError(`generationConfig.${from} must be a number`);
    }
    out[to] = value;
  }
  const stop = list(config.stopSequences, 'generationConfig.stopSequences');
  if (stop.length > 0) out.stop = stop.map(String);
  const format = responseFormatOf(config);
  if (format !== undefined) out.response_format = format;
  const modalities = list(config.responseModalities, 'generationConfig.responseModalities');
  if (modalities.some((m) => String(m).toUpperCase() !== 'TEXT')) {
    throw unsupported(`responseModalities ${JSON.stringify(modalities)}`);
  }
  if (config.responseLogprobs === true) throw unsupported('responseLogprobs');
}

/**
 * The OpenAI chat completions body for a Gemini `generateContent` body, for `model`; streams ask
 * for the usage chunk (`stream_options.include_usage`), which Gemini's answer needs.
 *
 * @throws MalformedRequestError (400) for a body that cannot be translated faithfully.
 */
export function openAIChatFromGeminiRequest(
  body: Readonly<JsonObject>,
  options: { readonly model: string; readonly stream: boolean },
): JsonObject {
  if (body.cachedContent !== undefined && body.cachedContent !== null) {
    throw unsupported('cachedContent');
  }
  const out: JsonObject = { model: options.model, messages: messagesOf(body) };
  const tools = toolsOf(body);
  if (tools.length > 0) out.tools = tools;
  const choice = toolChoiceOf(body);
  if (choice !== undefined) out.tool_choice = choice;
  addGenerationConfig(body, out);
  if (options.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}
