/** Anthropic Messages codecs for the conformance suite: client side and the three backends. */
import { encodeEventStreamMessage } from '../shared/aws-eventstream.js';
import { concatBytes, utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { SseParser } from '../shared/sse.js';
import type { BackendCodec, IngressCodec, WireResponse } from './conformance.js';
import {
  ConformanceError,
  type ClientView,
  type NeutralFinish,
  type NeutralMessage,
  type NeutralRequest,
  type NeutralResponse,
  type NeutralToolCall,
  type NeutralToolChoice,
  type UpstreamView,
} from './neutral.js';

function userBlocks(message: NeutralMessage): JsonObject[] {
  const blocks: JsonObject[] = [];
  if (message.text !== undefined) blocks.push({ type: 'text', text: message.text });
  for (const image of message.images ?? []) {
    const source =
      image.url === undefined
        ? { type: 'base64', media_type: image.base64?.mediaType, data: image.base64?.data }
        : { type: 'url', url: image.url };
    blocks.push({ type: 'image', source });
  }
  return blocks;
}

function pushToolResult(out: JsonObject[], m: NeutralMessage): void {
  const block = { type: 'tool_result', tool_use_id: m.toolCallId, content: m.text ?? '' };
  const last = out.at(-1);
  const first: unknown = Array.isArray(last?.content) ? last.content[0] : undefined;
  if (last?.role === 'user' && isJsonObject(first) && first.type === 'tool_result') {
    (last.content as unknown[]).push(block);
    return;
  }
  out.push({ role: 'user', content: [block] });
}

function assistantBlocks(m: NeutralMessage): JsonObject[] {
  const blocks: JsonObject[] = [];
  if (m.reasoning !== undefined) {
    const { text, signature } = m.reasoning;
    blocks.push({ type: 'thinking', thinking: text, signature });
  }
  if (m.text !== undefined) blocks.push({ type: 'text', text: m.text });
  for (const c of m.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
  }
  return blocks;
}

function encodeMessages(messages: readonly NeutralMessage[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      pushToolResult(out, m);
    } else if (m.role === 'assistant') {
      out.push({ role: 'assistant', content: assistantBlocks(m) });
    } else {
      out.push({ role: 'user', content: m.images === undefined ? (m.text ?? '') : userBlocks(m) });
    }
  }
  return out;
}

function encodeToolChoice(choice: NeutralToolChoice): JsonObject {
  if (typeof choice !== 'string') return { type: 'tool', name: choice.name };
  return { type: choice === 'required' ? 'any' : choice };
}

/** Encodes a neutral request as an Anthropic Messages body. */
export function anthropicRequestBody(request: NeutralRequest): JsonObject {
  const body: JsonObject = { model: request.model, max_tokens: request.maxTokens ?? 1024 };
  if (request.system !== undefined) body.system = request.system;
  body.messages = encodeMessages(request.messages);
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.stop !== undefined) body.stop_sequences = request.stop;
  if (request.tools !== undefined) {
    body.tools = request.tools.map((t) => ({
      name: t.name,
      description: t.description,
      input_schema: t.parameters,
    }));
  }
  if (request.toolChoice !== undefined) body.tool_choice = encodeToolChoice(request.toolChoice);
  if (request.responseSchema !== undefined) {
    body.output_config = { format: { type: 'json_schema', schema: request.responseSchema.schema } };
  }
  if (request.stream) body.stream = true;
  return { ...body, ...request.extra?.anthropic };
}

const finishByStop: Readonly<Record<string, NeutralFinish>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
};

function usageOf(u: unknown): ClientView['usage'] {
  if (!isJsonObject(u)) return undefined;
  const cached = Number(u.cache_read_input_tokens ?? 0);
  const input = Number(u.input_tokens ?? 0) + cached + Number(u.cache_creation_input_tokens ?? 0);
  return { input, output: Number(u.output_tokens ?? 0), cached };
}

function messageView(json: JsonObject): ClientView {
  const blocks = Array.isArray(json.content) ? json.content.filter(isJsonObject) : [];
  return {
    text: blocks
      .filter((b) => b.type === 'text')
      .map((b) => String(b.text))
      .join(''),
    toolCalls: blocks
      .filter((b) => b.type === 'tool_use')
      .map((b) => ({
        id: String(b.id),
        name: String(b.name),
        arguments: isJsonObject(b.input) ? b.input : {},
      })),
    finish: finishByStop[String(json.stop_reason)],
    usage: usageOf(json.usage),
    error: undefined,
    reasoning: thinkingOf(blocks),
  };
}

function thinkingOf(blocks: readonly JsonObject[]): ClientView['reasoning'] {
  const block = blocks.find((b) => b.type === 'thinking');
  if (block === undefined) return undefined;
  const signature = typeof block.signature === 'string' ? block.signature : undefined;
  return { text: String(block.thinking), signature };
}

interface StreamState {
  reasoning: string | undefined;
  signature: string | undefined;
  text: string;
  calls: Map<number, { id: string; name: string; args: string }>;
  finish: NeutralFinish | undefined;
  usage: JsonObject;
  error: string | undefined;
  errorCount: number;
}

function applyDelta(state: StreamState, event: JsonObject): void {
  const d = isJsonObject(event.delta) ? event.delta : {};
  if (d.type === 'text_delta') {
    state.text += String(d.text);
  }
  if (d.type === 'thinking_delta') {
    state.reasoning = (state.reasoning ?? '') + String(d.thinking);
  }
  if (d.type === 'signature_delta') {
    state.signature = String(d.signature);
  }
  const call = state.calls.get(Number(event.index));
  if (d.type === 'input_json_delta' && call !== undefined) {
    call.args += String(d.partial_json);
  }
}

function applyBlockStart(state: StreamState, event: JsonObject): void {
  const block = event.content_block;
  if (isJsonObject(block) && block.type === 'tool_use') {
    state.calls.set(Number(event.index), {
      id: String(block.id),
      name: String(block.name),
      args: '',
    });
  }
}

function applyEvent(state: StreamState, event: JsonObject): void {
  switch (event.type) {
    case 'message_start':
      if (isJsonObject(event.message) && isJsonObject(event.message.usage)) {
        Object.assign(state.usage, event.message.usage);
      }
      break;
    case 'content_block_start':
      applyBlockStart(state, event);
      break;
    case 'content_block_delta':
      applyDelta(state, event);
      break;
    case 'message_delta':
      if (isJsonObject(event.delta) && typeof event.delta.stop_reason === 'string') {
        state.finish = finishByStop[event.delta.stop_reason];
      }
      if (isJsonObject(event.usage)) {
        Object.assign(state.usage, event.usage);
      }
      break;
    case 'error':
      state.error = isJsonObject(event.error) ? String(event.error.message) : 'error';
      state.errorCount++;
      break;
    default:
      break;
  }
}

function streamView(body: Uint8Array): ClientView {
  const parser = new SseParser();
  const frames = parser.feed(body);
  const last = parser.end();
  if (last !== undefined) frames.push(last);
  const state: StreamState = {
    reasoning: undefined,
    signature: undefined,
    text: '',
    calls: new Map(),
    finish: undefined,
    usage: {},
    error: undefined,
    errorCount: 0,
  };
  for (const frame of frames) {
    const json = frame.data === undefined ? undefined : parseJsonObject(frame.data);
    if (json !== undefined) {
      if (frame.event !== undefined && frame.event !== json.type) {
        throw new ConformanceError(
          `SSE event name ${frame.event} differs from data type ${String(json.type)}`,
        );
      }
      applyEvent(state, json);
    }
  }
  return {
    text: state.text,
    toolCalls: [...state.calls.values()].map((c): NeutralToolCall => {
      const args: unknown = JSON.parse(c.args === '' ? '{}' : c.args);
      return { id: c.id, name: c.name, arguments: isJsonObject(args) ? args : {} };
    }),
    finish: state.finish,
    usage: Object.keys(state.usage).length === 0 ? undefined : usageOf(state.usage),
    error: state.error,
    errorCount: state.errorCount,
    reasoning:
      state.reasoning === undefined
        ? undefined
        : { text: state.reasoning, signature: state.signature },
  };
}

/** The Anthropic Messages client. */
export const anthropicIngress: IngressCodec = {
  endpoint: 'messages',
  path: '/v1/messages',
  encodeRequest: anthropicRequestBody,
  readResponse: (body, stream) => {
    if (stream) return streamView(body);
    return messageView(parseJsonObject(utf8Decoder.decode(body)) ?? {});
  },
  readError: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    if (json?.type !== 'error' || !isJsonObject(json.error)) return '';
    return String(json.error.message);
  },
};

// Backend side.

function blocksOf(content: unknown): JsonObject[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isJsonObject) : [];
}

function textOf(blocks: readonly JsonObject[]): string | undefined {
  const texts = blocks.filter((b) => b.type === 'text').map((b) => String(b.text));
  return texts.length === 0 ? undefined : texts.join('');
}

function readImage(block: JsonObject): NonNullable<NeutralMessage['images']>[number] {
  const source = isJsonObject(block.source) ? block.source : {};
  return source.type === 'url'
    ? { url: String(source.url) }
    : { base64: { mediaType: String(source.media_type), data: String(source.data) } };
}

function readMessages(messages: readonly JsonObject[]): NeutralMessage[] {
  const out: NeutralMessage[] = [];
  for (const m of messages) {
    const blocks = blocksOf(m.content);
    const text = textOf(blocks);
    const base = text === undefined ? {} : { text };
    if (m.role === 'assistant') {
      const thinking = blocks.find((b) => b.type === 'thinking');
      const reasoning =
        thinking === undefined
          ? {}
          : {
              reasoning: { text: String(thinking.thinking), signature: String(thinking.signature) },
            };
      const calls = blocks.filter((b) => b.type === 'tool_use');
      const toolCalls = calls.map((b) => ({
        id: String(b.id),
        name: String(b.name),
        arguments: isJsonObject(b.input) ? b.input : {},
      }));
      out.push({
        role: 'assistant',
        ...base,
        ...(toolCalls.length === 0 ? {} : { toolCalls }),
        ...reasoning,
      });
      continue;
    }
    const results = blocks.filter((b) => b.type === 'tool_result');
    for (const r of results) {
      const t = textOf(blocksOf(r.content));
      out.push({
        role: 'tool',
        toolCallId: String(r.tool_use_id),
        ...(t === undefined ? {} : { text: t }),
      });
    }
    if (results.length === 0) {
      const images = blocks.filter((b) => b.type === 'image').map(readImage);
      out.push({ role: 'user', ...base, ...(images.length === 0 ? {} : { images }) });
    }
  }
  return out;
}

function readToolChoice(value: unknown): NeutralToolChoice | undefined {
  if (!isJsonObject(value)) return undefined;
  if (value.type === 'tool') return { name: String(value.name) };
  if (value.type === 'any') return 'required';
  return value.type === 'auto' || value.type === 'none' ? value.type : undefined;
}

/** Reads an Anthropic Messages body sent upstream (model and stream given by the envelope). */
export function readAnthropicRequest(
  json: JsonObject,
  target: { model: string; stream: boolean },
): UpstreamView {
  const system = json.system === undefined ? undefined : textOf(blocksOf(json.system));
  const tools = Array.isArray(json.tools)
    ? json.tools.filter(isJsonObject).map((t) => ({
        name: String(t.name),
        description: String(t.description),
        parameters: isJsonObject(t.input_schema) ? t.input_schema : {},
      }))
    : undefined;
  return {
    model: target.model,
    system,
    messages: readMessages(Array.isArray(json.messages) ? json.messages.filter(isJsonObject) : []),
    maxTokens: typeof json.max_tokens === 'number' ? json.max_tokens : undefined,
    temperature: typeof json.temperature === 'number' ? json.temperature : undefined,
    stop: Array.isArray(json.stop_sequences) ? (json.stop_sequences as string[]) : undefined,
    tools,
    toolChoice: readToolChoice(json.tool_choice),
    stream: target.stream,
    responseSchema: outputSchemaOf(json),
  };
}

/** `output_config.format.schema` (or the older `output_format.schema`), if any. */
function outputSchemaOf(json: JsonObject): UpstreamView['responseSchema'] {
  const config = isJsonObject(json.output_config) ? json.output_config.format : undefined;
  const format = config ?? json.output_format;
  return isJsonObject(format) && isJsonObject(format.schema) ? format.schema : undefined;
}

function anthropicUsage(response: NeutralResponse): JsonObject {
  const { input, output, cached } = response.usage;
  return {
    input_tokens: input - cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: output,
  };
}

const stopByFinish: Readonly<Record<NeutralFinish, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
};

function message(response: NeutralResponse): JsonObject {
  const content: JsonObject[] = [];
  if (response.reasoning !== undefined) {
    const { text, signature } = response.reasoning;
    content.push({ type: 'thinking', thinking: text, signature: signature ?? '' });
  }
  if (response.text !== undefined) content.push({ type: 'text', text: response.text });
  for (const c of response.toolCalls ?? [])
    content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
  return {
    id: response.id,
    type: 'message',
    role: 'assistant',
    model: response.model,
    content,
    stop_reason: stopByFinish[response.finish],
    stop_sequence: null,
    usage: anthropicUsage(response),
  };
}

function halves(text: string): [string, string] {
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

/** The event sequence Anthropic streams for a response. */
export function anthropicEvents(response: NeutralResponse): JsonObject[] {
  const start = {
    ...message(response),
    content: [],
    stop_reason: null,
    usage: { ...anthropicUsage(response), output_tokens: 1 },
  };
  const events: JsonObject[] = [{ type: 'message_start', message: start }, { type: 'ping' }];
  let index = 0;
  if (response.reasoning !== undefined) {
    const { text, signature } = response.reasoning;
    events.push({
      type: 'content_block_start',
      index,
      content_block: { type: 'thinking', thinking: '', signature: '' },
    });
    for (const part of halves(text)) {
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'thinking_delta', thinking: part },
      });
    }
    events.push({
      type: 'content_block_delta',
      index,
      delta: { type: 'signature_delta', signature: signature ?? '' },
    });
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  if (response.text !== undefined) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const part of halves(response.text))
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'text_delta', text: part },
      });
    if (response.streamCut === true) {
      return events;
    }
    if (response.streamError !== undefined) {
      events.push({
        type: 'error',
        error: { type: 'overloaded_error', message: response.streamError.message },
      });
      return events;
    }
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  for (const c of response.toolCalls ?? []) {
    events.push({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} },
    });
    for (const part of halves(JSON.stringify(c.arguments)))
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: part },
      });
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  events.push({
    type: 'message_delta',
    delta: { stop_reason: stopByFinish[response.finish], stop_sequence: null },
    usage: { output_tokens: response.usage.output },
  });
  events.push({ type: 'message_stop' });
  return events;
}

/** Anthropic SSE text for events. */
export function anthropicSse(events: readonly JsonObject[]): string {
  return events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Bedrock eventstream bytes for events (an `error` event becomes an exception frame). */
export function bedrockEventStream(events: readonly JsonObject[]): Uint8Array {
  return concatBytes([
    new Uint8Array(0),
    ...events.map((e) => {
      if (e.type === 'error') {
        const message = isJsonObject(e.error) ? String(e.error.message) : '';
        return encodeEventStreamMessage({
          headers: {
            ':message-type': 'exception',
            ':exception-type': 'throttlingException',
            ':content-type': 'application/json',
          },
          payload: utf8Encoder.encode(JSON.stringify({ message })),
        });
      }
      const payload = JSON.stringify({
        bytes: base64(utf8Encoder.encode(JSON.stringify(e))),
        p: 'abcd',
      });
      return encodeEventStreamMessage({
        headers: {
          ':event-type': 'chunk',
          ':content-type': 'application/json',
          ':message-type': 'event',
        },
        payload: utf8Encoder.encode(payload),
      });
    }),
  ]);
}

/** Which Anthropic platform a backend codec stands for. */
export type AnthropicPlatform = 'anthropic' | 'gcp' | 'aws';

function targetOf(
  platform: AnthropicPlatform,
  path: string,
  json: JsonObject,
): { model: string; stream: boolean } {
  if (platform === 'anthropic') return { model: String(json.model), stream: json.stream === true };
  const match =
    platform === 'gcp'
      ? /models\/([^/:]+):(rawPredict|streamRawPredict)$/.exec(path)
      : /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/.exec(path);
  if (match === null) throw new ConformanceError(`unexpected ${platform} path ${path}`);
  if ('model' in json) throw new ConformanceError(`${platform} body must not carry "model"`);
  const version = platform === 'gcp' ? 'vertex-2023-10-16' : 'bedrock-2023-05-31';
  if (json.anthropic_version !== version)
    throw new ConformanceError(`anthropic_version ${String(json.anthropic_version)}`);
  const stream = match[2] === 'streamRawPredict' || match[2] === 'invoke-with-response-stream';
  return { model: decodeURIComponent(match[1] ?? ''), stream };
}

/** An Anthropic-family backend codec. */
export function anthropicBackend(platform: AnthropicPlatform): BackendCodec {
  return {
    readRequest: (translated, original) => {
      const json = parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {};
      return readAnthropicRequest(json, targetOf(platform, translated.path, json));
    },
    encodeResponse: (response, stream): WireResponse => {
      if (!stream)
        return {
          contentType: 'application/json',
          body: utf8Encoder.encode(JSON.stringify(message(response))),
        };
      const events = anthropicEvents(response);
      return platform === 'aws'
        ? { contentType: 'application/vnd.amazon.eventstream', body: bedrockEventStream(events) }
        : { contentType: 'text/event-stream', body: utf8Encoder.encode(anthropicSse(events)) };
    },
    encodeError: (error) => {
      if (platform === 'aws') return utf8Encoder.encode(JSON.stringify({ message: error.message }));
      if (platform === 'gcp' && error.status !== 429) {
        return utf8Encoder.encode(
          JSON.stringify({
            error: { code: error.status, message: error.message, status: 'UNAVAILABLE' },
          }),
        );
      }
      return utf8Encoder.encode(
        JSON.stringify({
          type: 'error',
          error: { type: 'rate_limit_error', message: error.message },
        }),
      );
    },
  };
}
