/** OpenAI chat completions codecs for the conformance suite: client side and backend side. */
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { SseParser } from '../shared/sse.js';
import type { BackendCodec, IngressCodec, WireResponse } from './conformance.js';
import type {
  ClientView,
  NeutralFinish,
  NeutralMessage,
  NeutralRequest,
  NeutralResponse,
  NeutralToolCall,
  NeutralToolChoice,
  UpstreamView,
} from './neutral.js';

function userContent(message: NeutralMessage): unknown {
  if (message.images === undefined) {
    return message.text ?? '';
  }
  const parts: JsonObject[] = [{ type: 'text', text: message.text ?? '' }];
  for (const image of message.images) {
    const url =
      image.url ?? `data:${image.base64?.mediaType ?? ''};base64,${image.base64?.data ?? ''}`;
    parts.push({ type: 'image_url', image_url: { url } });
  }
  return parts;
}

function encodeMessage(message: NeutralMessage): JsonObject {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: userContent(message) };
    case 'assistant': {
      const out: JsonObject = { role: 'assistant', content: message.text ?? null };
      if (message.reasoning !== undefined) {
        const { text, signature } = message.reasoning;
        out.thinking_blocks = [{ type: 'thinking', thinking: text, signature }];
      }
      if (message.toolCalls !== undefined) {
        out.tool_calls = message.toolCalls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.arguments) },
        }));
      }
      return out;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.text ?? '' };
  }
}

function encodeToolChoice(choice: NeutralToolChoice): unknown {
  return typeof choice === 'string'
    ? choice
    : { type: 'function', function: { name: choice.name } };
}

/** Encodes a neutral request as an OpenAI chat completions body. */
export function openAIRequestBody(request: NeutralRequest): JsonObject {
  const messages: JsonObject[] = [];
  if (request.system !== undefined) {
    messages.push({ role: 'system', content: request.system });
  }
  messages.push(...request.messages.map(encodeMessage));
  const body: JsonObject = { model: request.model, messages };
  if (request.maxTokens !== undefined) body.max_completion_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.tools !== undefined) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
  }
  if (request.toolChoice !== undefined) body.tool_choice = encodeToolChoice(request.toolChoice);
  if (request.responseSchema !== undefined) {
    const { name, schema } = request.responseSchema;
    body.response_format = { type: 'json_schema', json_schema: { name, schema, strict: true } };
  }
  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return { ...body, ...request.extra?.openai };
}

const finishByOpenAI: Readonly<Record<string, NeutralFinish>> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
};

function usageOf(value: unknown): ClientView['usage'] {
  if (!isJsonObject(value)) {
    return undefined;
  }
  const details = value.prompt_tokens_details;
  return {
    input: Number(value.prompt_tokens),
    output: Number(value.completion_tokens),
    cached: isJsonObject(details) ? Number(details.cached_tokens ?? 0) : 0,
  };
}

function parseArgs(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text === '' ? '{}' : text);
  return isJsonObject(value) ? value : {};
}

function messageView(json: JsonObject): ClientView {
  const choice = Array.isArray(json.choices) ? (json.choices[0] as unknown) : undefined;
  const message = isJsonObject(choice) && isJsonObject(choice.message) ? choice.message : {};
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  return {
    text: typeof message.content === 'string' ? message.content : '',
    toolCalls: calls.filter(isJsonObject).map((c) => {
      const fn = isJsonObject(c.function) ? c.function : {};
      return {
        id: String(c.id),
        name: String(fn.name),
        arguments: parseArgs(String(fn.arguments)),
      };
    }),
    finish: isJsonObject(choice) ? finishByOpenAI[String(choice.finish_reason)] : undefined,
    usage: usageOf(json.usage),
    error: undefined,
    reasoning: reasoningOf(message),
  };
}

/** Signature of the first `thinking_blocks` entry, if any. */
function signatureOf(blocks: unknown): string | undefined {
  const first: unknown = Array.isArray(blocks) ? blocks[0] : undefined;
  return isJsonObject(first) && typeof first.signature === 'string' ? first.signature : undefined;
}

function reasoningOf(message: JsonObject): ClientView['reasoning'] {
  const text = message.reasoning_content;
  if (typeof text !== 'string') {
    return undefined;
  }
  return { text, signature: signatureOf(message.thinking_blocks) };
}

interface StreamState {
  reasoning: string | undefined;
  signature: string | undefined;
  text: string;
  calls: { id: string; name: string; args: string }[];
  finish: NeutralFinish | undefined;
  usage: ClientView['usage'];
  error: string | undefined;
  errorCount: number;
}

function applyDelta(state: StreamState, choice: JsonObject): void {
  const delta = isJsonObject(choice.delta) ? choice.delta : {};
  if (typeof delta.content === 'string') state.text += delta.content;
  if (typeof delta.reasoning_content === 'string') {
    state.reasoning = (state.reasoning ?? '') + delta.reasoning_content;
  }
  state.signature = signatureOf(delta.thinking_blocks) ?? state.signature;
  const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
  for (const call of calls.filter(isJsonObject)) {
    applyToolCall(state, call);
  }
  if (typeof choice.finish_reason === 'string') state.finish = finishByOpenAI[choice.finish_reason];
}

function applyToolCall(state: StreamState, call: JsonObject): void {
  const slot = (state.calls[Number(call.index)] ??= { id: '', name: '', args: '' });
  const fn = isJsonObject(call.function) ? call.function : {};
  if (typeof call.id === 'string') slot.id = call.id;
  if (typeof fn.name === 'string') slot.name = fn.name;
  if (typeof fn.arguments === 'string') slot.args += fn.arguments;
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
    calls: [],
    finish: undefined,
    usage: undefined,
    error: undefined,
    errorCount: 0,
  };
  for (const frame of frames) {
    const json = frame.data === undefined ? undefined : parseJsonObject(frame.data);
    if (json === undefined) continue;
    if (isJsonObject(json.error)) {
      state.error = String(json.error.message);
      state.errorCount++;
      continue;
    }
    const choice = Array.isArray(json.choices) ? (json.choices[0] as unknown) : undefined;
    if (isJsonObject(choice)) applyDelta(state, choice);
    state.usage = usageOf(json.usage) ?? state.usage;
  }
  return {
    text: state.text,
    toolCalls: state.calls.map((c) => ({ id: c.id, name: c.name, arguments: parseArgs(c.args) })),
    finish: state.finish,
    usage: state.usage,
    error: state.error,
    errorCount: state.errorCount,
    reasoning:
      state.reasoning === undefined
        ? undefined
        : { text: state.reasoning, signature: state.signature },
  };
}

/** The OpenAI chat completions client. */
export const openAIIngress: IngressCodec = {
  endpoint: 'chat-completions',
  path: '/v1/chat/completions',
  encodeRequest: openAIRequestBody,
  readResponse: (body, stream) => {
    if (stream) return streamView(body);
    const json = parseJsonObject(utf8Decoder.decode(body)) ?? {};
    if (isJsonObject(json.error)) {
      return {
        text: '',
        toolCalls: [],
        finish: undefined,
        usage: undefined,
        error: String(json.error.message),
      };
    }
    return messageView(json);
  },
  readError: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    return isJsonObject(json?.error) ? String(json.error.message) : '';
  },
};

// Backend side.

function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  return content
    .filter(isJsonObject)
    .filter((p) => p.type === 'text')
    .map((p) => String(p.text))
    .join('');
}

function imagesOf(content: unknown): NeutralMessage['images'] {
  if (!Array.isArray(content)) return undefined;
  const images = content
    .filter(isJsonObject)
    .filter((p) => p.type === 'image_url' && isJsonObject(p.image_url))
    .map((p) => {
      const url = String((p.image_url as JsonObject).url);
      const match = /^data:([^;]+);base64,(.*)$/.exec(url);
      return match === null
        ? { url }
        : { base64: { mediaType: match[1] ?? '', data: match[2] ?? '' } };
    });
  return images.length === 0 ? undefined : images;
}

function readToolCalls(value: unknown): NeutralToolCall[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isJsonObject).map((c) => {
    const fn = isJsonObject(c.function) ? c.function : {};
    return { id: String(c.id), name: String(fn.name), arguments: parseArgs(String(fn.arguments)) };
  });
}

function readMessage(m: JsonObject): NeutralMessage {
  const text = textOf(m.content);
  const base = { ...(text === undefined || text === '' ? {} : { text }) };
  if (m.role === 'tool') return { role: 'tool', toolCallId: String(m.tool_call_id), ...base };
  if (m.role === 'assistant') {
    const toolCalls = readToolCalls(m.tool_calls);
    const first: unknown = Array.isArray(m.thinking_blocks) ? m.thinking_blocks[0] : undefined;
    const reasoning = isJsonObject(first)
      ? { text: String(first.thinking), signature: String(first.signature) }
      : undefined;
    return {
      role: 'assistant',
      ...base,
      ...(toolCalls === undefined ? {} : { toolCalls }),
      ...(reasoning === undefined ? {} : { reasoning }),
    };
  }
  const images = imagesOf(m.content);
  return { role: 'user', ...base, ...(images === undefined ? {} : { images }) };
}

function readToolChoice(value: unknown): NeutralToolChoice | undefined {
  if (value === 'auto' || value === 'required' || value === 'none') return value;
  if (isJsonObject(value) && isJsonObject(value.function))
    return { name: String(value.function.name) };
  return undefined;
}

/** Reads an OpenAI chat completions body sent upstream. */
export function readOpenAIRequest(json: JsonObject, model: string): UpstreamView {
  const messages = Array.isArray(json.messages) ? json.messages.filter(isJsonObject) : [];
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer');
  const tools = Array.isArray(json.tools)
    ? json.tools.filter(isJsonObject).map((t) => {
        const fn = isJsonObject(t.function) ? t.function : {};
        return {
          name: String(fn.name),
          description: String(fn.description),
          parameters: isJsonObject(fn.parameters) ? fn.parameters : {},
        };
      })
    : undefined;
  const maxTokens = json.max_completion_tokens ?? json.max_tokens;
  return {
    model,
    system: system.length === 0 ? undefined : system.map((m) => textOf(m.content)).join('\n'),
    messages: messages.filter((m) => !system.includes(m)).map(readMessage),
    maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    temperature: typeof json.temperature === 'number' ? json.temperature : undefined,
    stop: typeof json.stop === 'string' ? [json.stop] : (json.stop as string[] | undefined),
    tools,
    toolChoice: readToolChoice(json.tool_choice),
    stream: json.stream === true,
    responseSchema: readResponseSchema(json.response_format),
  };
}

/** `response_format.json_schema.schema`, if any. */
function readResponseSchema(format: unknown): UpstreamView['responseSchema'] {
  const spec = isJsonObject(format) ? format.json_schema : undefined;
  return isJsonObject(spec) && isJsonObject(spec.schema) ? spec.schema : undefined;
}

function completion(response: NeutralResponse): JsonObject {
  const message: JsonObject = { role: 'assistant', content: response.text ?? null };
  if (response.reasoning !== undefined) {
    // OpenAI-compatible reasoning servers (vLLM, DeepSeek) use `reasoning_content`; no signature.
    message.reasoning_content = response.reasoning.text;
  }
  if (response.toolCalls !== undefined) {
    message.tool_calls = response.toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    }));
  }
  return {
    id: response.id,
    object: 'chat.completion',
    created: 1700000000,
    model: response.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: response.finish }],
    usage: openAIUsage(response),
  };
}

function openAIUsage(response: NeutralResponse): JsonObject {
  const { input, output, cached } = response.usage;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** Half-way split of a string (so deltas really are fragments). */
function halves(text: string): [string, string] {
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

function chunkFrames(response: NeutralResponse): string[] {
  const base = {
    id: response.id,
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: response.model,
  };
  const frame = (delta: JsonObject, finish: string | null = null): string =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const frames = [frame({ role: 'assistant', content: '' })];
  for (const part of halves(response.reasoning?.text ?? '')) {
    if (part !== '') frames.push(frame({ reasoning_content: part }));
  }
  for (const part of halves(response.text ?? '')) {
    if (part !== '') frames.push(frame({ content: part }));
  }
  if (response.streamCut === true) {
    return frames;
  }
  if (response.streamError !== undefined) {
    const error = {
      message: response.streamError.message,
      type: 'server_error',
      param: null,
      code: null,
    };
    frames.push(`data: ${JSON.stringify({ error })}\n\n`);
    return frames;
  }
  (response.toolCalls ?? []).forEach((call, index) => {
    frames.push(
      frame({
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
        ],
      }),
    );
    for (const part of halves(JSON.stringify(call.arguments))) {
      frames.push(frame({ tool_calls: [{ index, function: { arguments: part } }] }));
    }
  });
  frames.push(frame({}, response.finish));
  frames.push(
    `data: ${JSON.stringify({ ...base, choices: [], usage: openAIUsage(response) })}\n\n`,
  );
  frames.push('data: [DONE]\n\n');
  return frames;
}

/** The OpenAI chat completions backend. */
export const openAIBackend: BackendCodec = {
  readRequest: (translated, original) => {
    const json = parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {};
    return readOpenAIRequest(json, String(json.model));
  },
  encodeResponse: (response, stream): WireResponse =>
    stream
      ? {
          contentType: 'text/event-stream',
          body: utf8Encoder.encode(chunkFrames(response).join('')),
        }
      : {
          contentType: 'application/json',
          body: utf8Encoder.encode(JSON.stringify(completion(response))),
        },
  encodeError: (error) =>
    utf8Encoder.encode(
      JSON.stringify({
        error: { message: error.message, type: 'rate_limit_error', param: null, code: null },
      }),
    ),
};
