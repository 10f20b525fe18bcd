/**
 * The AWS Bedrock Converse backend codec for the conformance suite: reads Converse requests into
 * the neutral view, and writes Converse responses and ConverseStream eventstream transcripts.
 */
import { encodeEventStreamMessage } from '../shared/aws-eventstream.js';
import { concatBytes, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import type { BackendCodec, WireResponse } from './conformance.js';
import {
  ConformanceError,
  type NeutralImage,
  type NeutralMessage,
  type NeutralReasoning,
  type NeutralResponse,
  type NeutralToolCall,
  type NeutralToolChoice,
  type UpstreamView,
} from './neutral.js';

const stopByFinish = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' } as const;

function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

/** The first `reasoningContent.reasoningText` block of a message, if any. */
function reasoningOf(blocks: readonly JsonObject[]): NeutralReasoning | undefined {
  for (const b of blocks) {
    const reasoning = isJsonObject(b.reasoningContent)
      ? b.reasoningContent.reasoningText
      : undefined;
    if (isJsonObject(reasoning)) {
      const signature = typeof reasoning.signature === 'string' ? reasoning.signature : undefined;
      return { text: String(reasoning.text), signature };
    }
  }
  return undefined;
}

/** One Converse message as neutral messages (tool results become `tool` messages). */
function neutralMessages(message: JsonObject): NeutralMessage[] {
  const blocks = list(message.content);
  const reasoning = reasoningOf(blocks);
  const texts = blocks.flatMap((b) => (typeof b.text === 'string' ? [b.text] : []));
  const images: NeutralImage[] = blocks.flatMap((b) =>
    isJsonObject(b.image) && isJsonObject(b.image.source)
      ? [
          {
            base64: {
              mediaType: `image/${String(b.image.format)}`,
              data: String(b.image.source.bytes),
            },
          },
        ]
      : [],
  );
  const toolCalls: NeutralToolCall[] = blocks.flatMap((b) =>
    isJsonObject(b.toolUse)
      ? [
          {
            id: String(b.toolUse.toolUseId),
            name: String(b.toolUse.name),
            arguments: isJsonObject(b.toolUse.input) ? b.toolUse.input : {},
          },
        ]
      : [],
  );
  const results: NeutralMessage[] = blocks.flatMap((b) =>
    isJsonObject(b.toolResult)
      ? [
          {
            role: 'tool',
            toolCallId: String(b.toolResult.toolUseId),
            text: list(b.toolResult.content)
              .map((c) => String(c.text))
              .join(''),
          },
        ]
      : [],
  );
  const out: NeutralMessage[] = [];
  if (texts.length > 0 || images.length > 0 || toolCalls.length > 0 || reasoning !== undefined) {
    out.push({
      role: message.role === 'assistant' ? 'assistant' : 'user',
      ...(texts.length > 0 ? { text: texts.join('') } : {}),
      ...(images.length > 0 ? { images } : {}),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(reasoning === undefined ? {} : { reasoning }),
    });
  }
  return [...out, ...results];
}

function toolChoiceOf(config: JsonObject | undefined): NeutralToolChoice | undefined {
  const choice = config?.toolChoice;
  if (!isJsonObject(choice)) return undefined;
  if ('auto' in choice) return 'auto';
  if ('any' in choice) return 'required';
  return isJsonObject(choice.tool) ? { name: String(choice.tool.name) } : undefined;
}

function readRequest(path: string, json: JsonObject): UpstreamView {
  const match = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(path);
  if (match === null) throw new ConformanceError(`unexpected Bedrock path ${path}`);
  const config = isJsonObject(json.inferenceConfig) ? json.inferenceConfig : {};
  const toolConfig = isJsonObject(json.toolConfig) ? json.toolConfig : undefined;
  const system = list(json.system).map((b) => String(b.text));
  const tools = list(toolConfig?.tools).map((t) => {
    const spec = isJsonObject(t.toolSpec) ? t.toolSpec : {};
    const schema = isJsonObject(spec.inputSchema) ? spec.inputSchema.json : undefined;
    return {
      name: String(spec.name),
      description: String(spec.description),
      parameters: isJsonObject(schema) ? schema : {},
    };
  });
  return {
    model: decodeURIComponent(match[1] ?? ''),
    system: system.length === 0 ? undefined : system.join('\n'),
    messages: list(json.messages).flatMap(neutralMessages),
    maxTokens: typeof config.maxTokens === 'number' ? config.maxTokens : undefined,
    temperature: typeof config.temperature === 'number' ? config.temperature : undefined,
    stop: Array.isArray(config.stopSequences) ? config.stopSequences.map(String) : undefined,
    tools: toolConfig === undefined ? undefined : tools,
    toolChoice: toolChoiceOf(toolConfig),
    stream: match[2] === 'converse-stream',
    responseSchema: outputSchemaOf(json),
  };
}

/** `outputConfig.textFormat.structure.jsonSchema.schema` (a JSON string on the wire), parsed. */
function outputSchemaOf(json: JsonObject): UpstreamView['responseSchema'] {
  const format = isJsonObject(json.outputConfig) ? json.outputConfig.textFormat : undefined;
  const structure = isJsonObject(format) ? format.structure : undefined;
  const spec = isJsonObject(structure) ? structure.jsonSchema : undefined;
  return isJsonObject(spec) && typeof spec.schema === 'string'
    ? parseJsonObject(spec.schema)
    : undefined;
}

/** Bedrock usage: `inputTokens` excludes cache reads. */
function bedrockUsage(response: NeutralResponse): JsonObject {
  const { input, output, cached } = response.usage;
  return {
    inputTokens: input - cached,
    outputTokens: output,
    totalTokens: input + output,
    ...(cached > 0 ? { cacheReadInputTokens: cached } : {}),
  };
}

/** A `reasoningContent` block as Converse returns it (Claude on Bedrock signs its reasoning). */
function reasoningBlock(reasoning: NeutralReasoning): JsonObject {
  const { text, signature } = reasoning;
  return {
    reasoningContent: { reasoningText: signature === undefined ? { text } : { text, signature } },
  };
}

function converseResponse(response: NeutralResponse): JsonObject {
  const content: JsonObject[] = [];
  if (response.reasoning !== undefined) content.push(reasoningBlock(response.reasoning));
  if (response.text !== undefined) content.push({ text: response.text });
  for (const c of response.toolCalls ?? [])
    content.push({ toolUse: { toolUseId: c.id, name: c.name, input: c.arguments } });
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: stopByFinish[response.finish],
    usage: bedrockUsage(response),
    metrics: { latencyMs: 42 },
  };
}

function event(type: string, payload: JsonObject): Uint8Array {
  return encodeEventStreamMessage({
    headers: { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    payload: utf8Encoder.encode(JSON.stringify({ ...payload, p: 'abcdefgh' })),
  });
}

function halves(text: string): [string, string] {
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

/**
 * Reasoning as ConverseStream sends it: `reasoningContent.text` deltas, then one delta carrying
 * the `signature`, then the block's stop.
 */
function reasoningFrames(reasoning: NeutralReasoning, index: number): Uint8Array[] {
  const frames = halves(reasoning.text).map((text) =>
    event('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { text } } }),
  );
  if (reasoning.signature !== undefined) {
    const delta = { reasoningContent: { signature: reasoning.signature } };
    frames.push(event('contentBlockDelta', { contentBlockIndex: index, delta }));
  }
  frames.push(event('contentBlockStop', { contentBlockIndex: index }));
  return frames;
}

/** The ConverseStream eventstream transcript for a response. */
function converseStream(response: NeutralResponse): Uint8Array {
  const frames: Uint8Array[] = [event('messageStart', { role: 'assistant' })];
  let index = 0;
  if (response.reasoning !== undefined)
    frames.push(...reasoningFrames(response.reasoning, index++));
  if (response.text !== undefined) {
    for (const text of halves(response.text))
      frames.push(event('contentBlockDelta', { contentBlockIndex: index, delta: { text } }));
    if (response.streamCut === true) {
      return concatBytes(frames);
    }
    if (response.streamError !== undefined) {
      frames.push(
        encodeEventStreamMessage({
          headers: {
            ':message-type': 'exception',
            ':exception-type': 'serviceUnavailableException',
            ':content-type': 'application/json',
          },
          payload: utf8Encoder.encode(JSON.stringify({ message: response.streamError.message })),
        }),
      );
      return concatBytes(frames);
    }
    frames.push(event('contentBlockStop', { contentBlockIndex: index++ }));
  }
  for (const c of response.toolCalls ?? []) {
    const start = { toolUse: { toolUseId: c.id, name: c.name } };
    frames.push(event('contentBlockStart', { contentBlockIndex: index, start }));
    for (const input of halves(JSON.stringify(c.arguments)))
      frames.push(
        event('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input } } }),
      );
    frames.push(event('contentBlockStop', { contentBlockIndex: index++ }));
  }
  frames.push(event('messageStop', { stopReason: stopByFinish[response.finish] }));
  frames.push(event('metadata', { usage: bedrockUsage(response), metrics: { latencyMs: 42 } }));
  return concatBytes(frames);
}

/** The AWS Bedrock Converse backend codec. */
export const bedrockBackend: BackendCodec = {
  readRequest: (translated, original) =>
    readRequest(
      translated.path,
      parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {},
    ),
  encodeResponse: (response, stream): WireResponse =>
    stream
      ? { contentType: 'application/vnd.amazon.eventstream', body: converseStream(response) }
      : {
          contentType: 'application/json',
          body: utf8Encoder.encode(JSON.stringify(converseResponse(response))),
        },
  encodeError: (error) => utf8Encoder.encode(JSON.stringify({ message: error.message })),
};
