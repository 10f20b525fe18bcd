/**
 * The Gemini ingress codec for the conformance suite: writes neutral cases as Google's native
 * `generateContent` requests (the model and streaming in the path, as Google's SDKs send them)
 * and reads `GenerateContentResponse` JSON and `streamGenerateContent?alt=sse` streams — including
 * the bare `{"error":…}` line a failed stream ends with — back into the neutral view.
 */
import { utf8Decoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import type { IngressCodec } from './conformance.js';
import type {
  ClientView,
  NeutralFinish,
  NeutralMessage,
  NeutralRequest,
  NeutralToolCall,
  NeutralToolChoice,
  NeutralUsage,
} from './neutral.js';

/** The path Google's SDKs call for a model and a method. */
export function geminiIngressPath(model: string, stream: boolean): string {
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return `/v1beta/models/${encodeURIComponent(model)}:${method}`;
}

function userParts(message: NeutralMessage): JsonObject[] {
  const parts: JsonObject[] = message.text === undefined ? [] : [{ text: message.text }];
  for (const image of message.images ?? []) {
    if (image.url !== undefined) {
      parts.push({ fileData: { mimeType: 'image/png', fileUri: image.url } });
    } else if (image.base64 !== undefined) {
      parts.push({ inlineData: { mimeType: image.base64.mediaType, data: image.base64.data } });
    }
  }
  return parts;
}

function modelParts(message: NeutralMessage): JsonObject[] {
  const parts: JsonObject[] = [];
  const reasoning = message.reasoning;
  if (reasoning !== undefined) {
    parts.push({
      text: reasoning.text,
      thought: true,
      ...(reasoning.signature === undefined ? {} : { thoughtSignature: reasoning.signature }),
    });
  }
  if (message.text !== undefined) parts.push({ text: message.text });
  for (const call of message.toolCalls ?? []) {
    parts.push({ functionCall: { id: call.id, name: call.name, args: call.arguments } });
  }
  return parts;
}

/** The conversation as Gemini contents; consecutive tool results share one user turn. */
function contentsOf(messages: readonly NeutralMessage[]): JsonObject[] {
  const names = new Map<string, string>();
  const contents: { role: string; parts: JsonObject[] }[] = [];
  let isResultTurn = false;
  for (const message of messages) {
    for (const call of message.toolCalls ?? []) names.set(call.id, call.name);
    if (message.role === 'tool') {
      const id = message.toolCallId ?? '';
      const part = {
        functionResponse: { id, name: names.get(id) ?? id, response: { output: message.text } },
      };
      const last = contents.at(-1);
      if (isResultTurn && last !== undefined) last.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      isResultTurn = true;
      continue;
    }
    isResultTurn = false;
    const isModel = message.role === 'assistant';
    contents.push({
      role: isModel ? 'model' : 'user',
      parts: isModel ? modelParts(message) : userParts(message),
    });
  }
  return contents;
}

function toolConfigOf(choice: NeutralToolChoice): JsonObject {
  if (typeof choice === 'object') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  }
  const mode = choice === 'auto' ? 'AUTO' : choice === 'none' ? 'NONE' : 'ANY';
  return { functionCallingConfig: { mode } };
}

function generationConfigOf(request: NeutralRequest): JsonObject {
  const config: JsonObject = {};
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.stop !== undefined) config.stopSequences = request.stop;
  if (request.responseSchema !== undefined) {
    config.responseMimeType = 'application/json';
    config.responseJsonSchema = request.responseSchema.schema;
  }
  return config;
}

/** A neutral request as a Gemini `generateContent` body (the model goes in the path). */
export function geminiRequestBody(request: NeutralRequest): Record<string, unknown> {
  const body: JsonObject = { contents: contentsOf(request.messages) };
  if (request.system !== undefined) body.systemInstruction = { parts: [{ text: request.system }] };
  if (request.tools !== undefined) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((t) => ({
          name: t.name,
          description: t.description,
          parametersJsonSchema: t.parameters,
        })),
      },
    ];
  }
  if (request.toolChoice !== undefined) body.toolConfig = toolConfigOf(request.toolChoice);
  const config = generationConfigOf(request);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  // The case's "parameter the backend cannot honour", in Gemini terms: a cached context.
  if (request.extra !== undefined) body.cachedContent = 'cachedContents/c-1';
  return body;
}

/** What a client gathers from the response (or every frame of a stream). */
class Gathered {
  text = '';
  thoughts = '';
  signature: string | undefined = undefined;
  readonly toolCalls: NeutralToolCall[] = [];
  finishReason: string | undefined = undefined;
  usage: NeutralUsage | undefined = undefined;
  errors: string[] = [];

  add(json: JsonObject): void {
    if (isJsonObject(json.error)) {
      this.errors.push(String(json.error.message));
      return;
    }
    const candidates: unknown[] = Array.isArray(json.candidates) ? json.candidates : [];
    const candidate = candidates[0];
    if (isJsonObject(candidate)) this.#candidate(candidate);
    const meta = json.usageMetadata;
    if (isJsonObject(meta)) {
      const count = (v: unknown): number => (typeof v === 'number' ? v : 0);
      this.usage = {
        input: count(meta.promptTokenCount),
        output: count(meta.candidatesTokenCount) + count(meta.thoughtsTokenCount),
        cached: count(meta.cachedContentTokenCount),
      };
    }
  }

  #candidate(candidate: JsonObject): void {
    if (typeof candidate.finishReason === 'string') this.finishReason = candidate.finishReason;
    const content = isJsonObject(candidate.content) ? candidate.content : {};
    const parts = Array.isArray(content.parts) ? content.parts.filter(isJsonObject) : [];
    for (const part of parts) {
      if (typeof part.thoughtSignature === 'string') this.signature ??= part.thoughtSignature;
      if (typeof part.text === 'string') {
        if (part.thought === true) this.thoughts += part.text;
        else this.text += part.text;
      }
      const fc = part.functionCall;
      if (isJsonObject(fc)) {
        this.toolCalls.push({
          id: typeof fc.id === 'string' ? fc.id : String(fc.name),
          name: String(fc.name),
          arguments: isJsonObject(fc.args) ? fc.args : {},
        });
      }
    }
  }

  view(stream: boolean): ClientView {
    const finish: NeutralFinish | undefined =
      this.finishReason === undefined
        ? undefined
        : this.finishReason === 'MAX_TOKENS'
          ? 'length'
          : this.toolCalls.length > 0
            ? 'tool_calls'
            : 'stop';
    const hasReasoning = this.thoughts !== '' || this.signature !== undefined;
    return {
      text: this.text,
      toolCalls: this.toolCalls,
      finish,
      usage: this.usage,
      error: this.errors[0],
      ...(stream ? { errorCount: this.errors.length } : {}),
      ...(hasReasoning ? { reasoning: { text: this.thoughts, signature: this.signature } } : {}),
    };
  }
}

/**
 * A Gemini SSE stream: `data:` frames (CRLF or LF separated) and bare JSON error lines (what
 * `@google/genai` raises on).
 */
function readStream(text: string): ClientView {
  const gathered = new Gathered();
  for (const line of text.split(/\r?\n/)) {
    const payload = line.startsWith('data:') ? line.slice(5).trim() : line.trim();
    if (payload === '' || payload.startsWith(':')) continue;
    const json = parseJsonObject(payload);
    if (json !== undefined) gathered.add(json);
  }
  return gathered.view(true);
}

/** The Gemini (Google native API) ingress codec. */
export const geminiIngress: IngressCodec = {
  endpoint: 'gemini-generate-content',
  path: geminiIngressPath('test-model', false),
  pathFor: (request) => geminiIngressPath(request.model, request.stream),
  encodeRequest: geminiRequestBody,
  readResponse: (body, stream) => {
    const text = utf8Decoder.decode(body);
    if (stream) return readStream(text);
    const gathered = new Gathered();
    gathered.add(parseJsonObject(text) ?? {});
    return gathered.view(false);
  },
  readError: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    return isJsonObject(json?.error) ? String(json.error.message) : '';
  },
};
