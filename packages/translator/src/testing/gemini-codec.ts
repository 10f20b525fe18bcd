/**
 * The GCP Vertex AI Gemini backend codec for the conformance suite: reads `generateContent`
 * requests into the neutral view, and writes Gemini responses and `streamGenerateContent` SSE.
 */
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import type { BackendCodec, WireResponse } from './conformance.js';
import {
  ConformanceError,
  type NeutralImage,
  type NeutralMessage,
  type NeutralReasoning,
  type NeutralResponse,
  type NeutralToolChoice,
  type UpstreamView,
} from './neutral.js';

function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function image(part: JsonObject): NeutralImage[] {
  if (isJsonObject(part.inlineData))
    return [
      {
        base64: {
          mediaType: String(part.inlineData.mimeType),
          data: String(part.inlineData.data),
        },
      },
    ];
  return isJsonObject(part.fileData) ? [{ url: String(part.fileData.fileUri) }] : [];
}

/**
 * A model turn's reasoning: its thought parts' text, and the first `thoughtSignature` of the turn
 * (Gemini signs the thought, or the turn's first function call).
 */
function reasoningOf(parts: readonly JsonObject[]): NeutralReasoning | undefined {
  const thoughts = parts.filter((p) => p.thought === true && typeof p.text === 'string');
  const signature = parts.find((p) => typeof p.thoughtSignature === 'string')?.thoughtSignature;
  if (thoughts.length === 0 && signature === undefined) return undefined;
  return {
    text: thoughts.map((p) => String(p.text)).join(''),
    signature: typeof signature === 'string' ? signature : undefined,
  };
}

/**
 * One Gemini turn as neutral messages. Gemini has no call ids: function calls and responses are
 * read with the function name as the id (see {@link geminiBackend}'s `toolCallIds`).
 */
function neutralMessages(content: JsonObject): NeutralMessage[] {
  const parts = list(content.parts);
  const texts = parts.flatMap((p) =>
    typeof p.text === 'string' && p.thought !== true ? [p.text] : [],
  );
  const images = parts.flatMap(image);
  const toolCalls = parts.flatMap((p) =>
    isJsonObject(p.functionCall)
      ? [
          {
            id: String(p.functionCall.name),
            name: String(p.functionCall.name),
            arguments: isJsonObject(p.functionCall.args) ? p.functionCall.args : {},
          },
        ]
      : [],
  );
  const results: NeutralMessage[] = parts.flatMap((p) =>
    isJsonObject(p.functionResponse)
      ? [
          {
            role: 'tool',
            toolCallId: String(p.functionResponse.name),
            text: isJsonObject(p.functionResponse.response)
              ? String(p.functionResponse.response.output)
              : '',
          },
        ]
      : [],
  );
  const isModel = content.role === 'model';
  const reasoning = isModel ? reasoningOf(parts) : undefined;
  const out: NeutralMessage[] = [];
  if (texts.length > 0 || images.length > 0 || toolCalls.length > 0 || reasoning !== undefined) {
    out.push({
      role: isModel ? 'assistant' : 'user',
      ...(texts.length > 0 ? { text: texts.join('') } : {}),
      ...(images.length > 0 ? { images } : {}),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(reasoning === undefined ? {} : { reasoning }),
    });
  }
  return [...out, ...results];
}

function toolChoiceOf(json: JsonObject): NeutralToolChoice | undefined {
  const config = isJsonObject(json.toolConfig) ? json.toolConfig.functionCallingConfig : undefined;
  if (!isJsonObject(config)) return undefined;
  if (config.mode === 'AUTO') return 'auto';
  if (config.mode === 'NONE') return 'none';
  const names = Array.isArray(config.allowedFunctionNames) ? config.allowedFunctionNames : [];
  return names.length === 1 ? { name: String(names[0]) } : 'required';
}

function readRequest(path: string, json: JsonObject): UpstreamView {
  const match =
    /\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)/.exec(path);
  if (match === null) throw new ConformanceError(`unexpected Vertex AI path ${path}`);
  const config = isJsonObject(json.generationConfig) ? json.generationConfig : {};
  const system = isJsonObject(json.systemInstruction)
    ? list(json.systemInstruction.parts).map((p) => String(p.text))
    : [];
  const declarations = list(json.tools).flatMap((t) => list(t.functionDeclarations));
  return {
    model: decodeURIComponent(match[1] ?? ''),
    system: system.length === 0 ? undefined : system.join('\n'),
    messages: list(json.contents).flatMap(neutralMessages),
    maxTokens: typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : undefined,
    temperature: typeof config.temperature === 'number' ? config.temperature : undefined,
    stop: Array.isArray(config.stopSequences) ? config.stopSequences.map(String) : undefined,
    tools:
      json.tools === undefined
        ? undefined
        : declarations.map((d) => {
            const schema = d.parametersJsonSchema ?? d.parameters;
            return {
              name: String(d.name),
              description: String(d.description),
              parameters: isJsonObject(schema) ? schema : {},
            };
          }),
    toolChoice: toolChoiceOf(json),
    stream: match[2] === 'streamGenerateContent' && path.endsWith('?alt=sse'),
    responseSchema: responseSchemaOf(config),
  };
}

/** `responseJsonSchema` (Gemini 2.5+) or `responseSchema`, when JSON output is asked for. */
function responseSchemaOf(config: JsonObject): UpstreamView['responseSchema'] {
  if (config.responseMimeType !== 'application/json') return undefined;
  const schema = config.responseJsonSchema ?? config.responseSchema;
  return isJsonObject(schema) ? schema : undefined;
}

function usageMetadata(response: NeutralResponse): JsonObject {
  const { input, output, cached } = response.usage;
  return {
    promptTokenCount: input,
    candidatesTokenCount: output,
    totalTokenCount: input + output,
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
  };
}

function frame(response: NeutralResponse, parts: JsonObject[], last: boolean): JsonObject {
  const candidate: JsonObject = { content: { role: 'model', parts }, index: 0 };
  if (last) candidate.finishReason = response.finish === 'length' ? 'MAX_TOKENS' : 'STOP';
  return {
    candidates: [candidate],
    ...(last ? { usageMetadata: usageMetadata(response) } : {}),
    modelVersion: response.model,
    responseId: response.id,
  };
}

function calls(response: NeutralResponse): JsonObject[] {
  return (response.toolCalls ?? []).map((c) => ({
    functionCall: { name: c.name, args: c.arguments },
  }));
}

function halves(text: string): [string, string] {
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

/** Thought parts (`thought: true`), as Gemini sends them when asked to include thoughts. */
function thoughtParts(response: NeutralResponse, stream: boolean): JsonObject[] {
  const text = response.reasoning?.text;
  if (text === undefined) return [];
  return (stream ? halves(text) : [text]).map((t) => ({ text: t, thought: true }));
}

/**
 * The non-streamed answer's parts: thoughts, the text (carrying the thought signature, which
 * Gemini attaches to a part after the thoughts), then function calls.
 */
function wholeParts(response: NeutralResponse): JsonObject[] {
  const signature = response.reasoning?.signature;
  const answer: JsonObject = { text: response.text ?? '' };
  if (signature !== undefined) answer.thoughtSignature = signature;
  const hasAnswer = response.text !== undefined || signature !== undefined;
  return [...thoughtParts(response, false), ...(hasAnswer ? [answer] : []), ...calls(response)];
}

function sseText(frames: readonly JsonObject[]): string {
  return frames.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join('');
}

/**
 * The `streamGenerateContent?alt=sse` transcript for a response: one frame per thought half,
 * then the text in two frames; the thought signature arrives in the last frame on an empty text
 * part, as Gemini streams it.
 */
function geminiSse(response: NeutralResponse): string {
  const frames = thoughtParts(response, true).map((p) => frame(response, [p], false));
  const signature = response.reasoning?.signature;
  const signed = signature === undefined ? [] : [{ text: '', thoughtSignature: signature }];
  if (response.text === undefined) {
    frames.push(frame(response, [...signed, ...calls(response)], true));
    return sseText(frames);
  }
  const [first, second] = halves(response.text);
  frames.push(frame(response, [{ text: first }], false));
  if (response.streamCut === true) {
    frames.push(frame(response, [{ text: second }], false));
    return sseText(frames);
  }
  if (response.streamError !== undefined) {
    frames.push(frame(response, [{ text: second }], false));
    frames.push({
      error: { code: 503, message: response.streamError.message, status: 'UNAVAILABLE' },
    });
    return sseText(frames);
  }
  frames.push(frame(response, [{ text: second }, ...signed, ...calls(response)], true));
  return sseText(frames);
}

/** The GCP Vertex AI Gemini backend codec. */
export const geminiBackend: BackendCodec = {
  toolCallIds: 'by-name',
  readRequest: (translated, original) =>
    readRequest(
      translated.path,
      parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {},
    ),
  encodeResponse: (response, stream): WireResponse =>
    stream
      ? { contentType: 'text/event-stream', body: utf8Encoder.encode(geminiSse(response)) }
      : {
          contentType: 'application/json',
          body: utf8Encoder.encode(JSON.stringify(frame(response, wholeParts(response), true))),
        },
  encodeError: (error) =>
    utf8Encoder.encode(
      JSON.stringify({
        error: { code: error.status, message: error.message, status: 'RESOURCE_EXHAUSTED' },
      }),
    ),
};
