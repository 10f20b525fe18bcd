/**
 * The OpenAI Responses (`/v1/responses`) client codec for the conformance suite: writes neutral
 * requests as Responses bodies and reads `Response` objects and Responses event streams back.
 * The stream reader is strict as the SDKs are: every frame's `event:` names its data's `type`,
 * `sequence_number`s increase by one from 0, and the terminal response's output must hold the
 * streamed text.
 */
import { utf8Decoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import { SseParser, type SseFrame } from '../shared/sse.js';
import type { IngressCodec } from './conformance.js';
import {
  ConformanceError,
  type ClientView,
  type NeutralFinish,
  type NeutralMessage,
  type NeutralRequest,
  type NeutralToolCall,
} from './neutral.js';

function userContent(message: NeutralMessage): unknown {
  if (message.images === undefined) return message.text ?? '';
  const parts: JsonObject[] = [{ type: 'input_text', text: message.text ?? '' }];
  for (const image of message.images) {
    const url =
      image.url ?? `data:${image.base64?.mediaType ?? ''};base64,${image.base64?.data ?? ''}`;
    parts.push({ type: 'input_image', image_url: url, detail: 'auto' });
  }
  return parts;
}

function encodeItems(message: NeutralMessage): JsonObject[] {
  switch (message.role) {
    case 'user':
      return [{ type: 'message', role: 'user', content: userContent(message) }];
    case 'assistant': {
      const items: JsonObject[] = [];
      if (message.reasoning !== undefined) {
        items.push({
          type: 'reasoning',
          id: 'rs_1',
          summary: [],
          content: [{ type: 'reasoning_text', text: message.reasoning.text }],
          encrypted_content: message.reasoning.signature ?? null,
        });
      }
      if (message.text !== undefined) {
        items.push({
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: message.text, annotations: [] }],
        });
      }
      for (const call of message.toolCalls ?? []) {
        items.push({
          type: 'function_call',
          call_id: call.id,
          name: call.name,
          arguments: JSON.stringify(call.arguments),
        });
      }
      return items;
    }
    case 'tool':
      return [
        { type: 'function_call_output', call_id: message.toolCallId, output: message.text ?? '' },
      ];
  }
}

/**
 * Encodes a neutral request as a Responses body, the way Codex sends one (`store: false`,
 * `include`, `prompt_cache_key`, `text.verbosity`). Stop sequences have no Responses field.
 */
export function responsesRequestBody(request: NeutralRequest): JsonObject {
  const body: JsonObject = {
    model: request.model,
    input: request.messages.flatMap(encodeItems),
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'conformance-thread',
  };
  if (request.system !== undefined) body.instructions = request.system;
  if (request.maxTokens !== undefined) body.max_output_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.tools !== undefined) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description,
      parameters: t.parameters,
      strict: false,
    }));
  }
  const choice = request.toolChoice;
  if (choice !== undefined) {
    body.tool_choice =
      typeof choice === 'string' ? choice : { type: 'function', name: choice.name };
  }
  const text: JsonObject = { verbosity: 'medium' };
  if (request.responseSchema !== undefined) {
    const { name, schema } = request.responseSchema;
    text.format = { type: 'json_schema', name, schema, strict: true };
  }
  body.text = text;
  if (request.stream) body.stream = true;
  return { ...body, ...request.extra?.openai };
}

function parseArgs(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text === '' ? '{}' : text);
  return isJsonObject(value) ? value : {};
}

function usageOf(value: unknown): ClientView['usage'] {
  if (!isJsonObject(value)) return undefined;
  const details = value.input_tokens_details;
  const input = Number(value.input_tokens);
  const output = Number(value.output_tokens);
  if (Number(value.total_tokens) !== input + output) {
    throw new ConformanceError(`usage total is not input + output: ${JSON.stringify(value)}`);
  }
  return { input, output, cached: isJsonObject(details) ? Number(details.cached_tokens) : 0 };
}

function items(response: JsonObject, type: string): JsonObject[] {
  const output = Array.isArray(response.output) ? response.output.filter(isJsonObject) : [];
  return output.filter((item) => item.type === type);
}

function textOf(response: JsonObject): string {
  return items(response, 'message')
    .flatMap((m) => (Array.isArray(m.content) ? m.content.filter(isJsonObject) : []))
    .filter((part) => part.type === 'output_text')
    .map((part) => String(part.text))
    .join('');
}

function toolCallsOf(response: JsonObject): NeutralToolCall[] {
  return items(response, 'function_call').map((c) => ({
    id: String(c.call_id),
    name: String(c.name),
    arguments: parseArgs(String(c.arguments)),
  }));
}

function reasoningOf(response: JsonObject): ClientView['reasoning'] {
  const parts = items(response, 'reasoning').flatMap((r) =>
    Array.isArray(r.content) ? r.content.filter(isJsonObject) : [],
  );
  if (parts.length === 0) return undefined;
  return { text: parts.map((p) => String(p.text)).join(''), signature: undefined };
}

function finishOf(response: JsonObject): NeutralFinish | undefined {
  if (response.status === 'incomplete') {
    const details = response.incomplete_details;
    return isJsonObject(details) && details.reason === 'max_output_tokens' ? 'length' : undefined;
  }
  if (response.status !== 'completed') return undefined;
  return items(response, 'function_call').length > 0 ? 'tool_calls' : 'stop';
}

function responseView(response: JsonObject): ClientView {
  if (response.object !== 'response' || typeof response.id !== 'string') {
    throw new ConformanceError(`not a Response object: ${JSON.stringify(response)}`);
  }
  return {
    text: textOf(response),
    toolCalls: toolCallsOf(response),
    finish: finishOf(response),
    usage: usageOf(response.usage),
    error: undefined,
    reasoning: reasoningOf(response),
  };
}

interface StreamState {
  text: string;
  reasoning: string | undefined;
  calls: Map<string, { id: string; name: string; args: string }>;
  final: JsonObject | undefined;
  error: string | undefined;
  errorCount: number;
}

type EventHandler = (state: StreamState, event: JsonObject) => void;

function finalOf(state: StreamState, event: JsonObject): void {
  state.final = isJsonObject(event.response) ? event.response : {};
}

const eventHandlers: Readonly<Record<string, EventHandler>> = {
  'response.output_text.delta': (state, event) => {
    state.text += String(event.delta);
  },
  'response.reasoning_text.delta': (state, event) => {
    state.reasoning = (state.reasoning ?? '') + String(event.delta);
  },
  'response.output_item.added': (state, event) => {
    const item = isJsonObject(event.item) ? event.item : {};
    if (item.type === 'function_call') {
      const call = { id: String(item.call_id), name: String(item.name), args: '' };
      state.calls.set(String(item.id), call);
    }
  },
  'response.function_call_arguments.delta': (state, event) => {
    const call = state.calls.get(String(event.item_id));
    if (call === undefined) throw new ConformanceError('arguments delta for an unknown item');
    call.args += String(event.delta);
  },
  'response.completed': finalOf,
  'response.incomplete': finalOf,
  'response.failed': (state, event) => {
    const response = isJsonObject(event.response) ? event.response : {};
    state.error = isJsonObject(response.error) ? String(response.error.message) : 'failed';
    state.errorCount++;
  },
  error: (state, event) => {
    state.error = String(event.message);
    state.errorCount++;
  },
};

/** Checks one frame as a strict client would and returns its event. */
function checkedEvent(frame: SseFrame, sequence: number, state: StreamState): JsonObject {
  const json = frame.data === undefined ? undefined : parseJsonObject(frame.data);
  if (json === undefined) throw new ConformanceError(`not a JSON event: ${String(frame.data)}`);
  if (frame.event !== json.type) {
    throw new ConformanceError(`event: ${String(frame.event)} carries type ${String(json.type)}`);
  }
  if (json.sequence_number !== sequence) {
    throw new ConformanceError(`sequence_number ${String(json.sequence_number)} out of order`);
  }
  if (state.final !== undefined || state.errorCount > 0) {
    throw new ConformanceError(`event ${String(json.type)} after the terminal event`);
  }
  return json;
}

function streamView(body: Uint8Array): ClientView {
  const parser = new SseParser();
  const frames = parser.feed(body);
  const last = parser.end();
  if (last !== undefined) frames.push(last);
  const state: StreamState = {
    text: '',
    reasoning: undefined,
    calls: new Map(),
    final: undefined,
    error: undefined,
    errorCount: 0,
  };
  frames.forEach((frame, sequence) => {
    const event = checkedEvent(frame, sequence, state);
    eventHandlers[String(event.type)]?.(state, event);
  });
  const final = state.final;
  if (final !== undefined && textOf(final) !== state.text) {
    throw new ConformanceError('the terminal response’s text differs from the streamed text');
  }
  return {
    text: state.text,
    toolCalls: [...state.calls.values()].map((c) => ({
      id: c.id,
      name: c.name,
      arguments: parseArgs(c.args),
    })),
    finish: final === undefined ? undefined : finishOf(final),
    usage: final === undefined ? undefined : usageOf(final.usage),
    error: state.error,
    errorCount: state.errorCount,
    reasoning:
      state.reasoning === undefined ? undefined : { text: state.reasoning, signature: undefined },
  };
}

/** The OpenAI Responses client. */
export const responsesIngress: IngressCodec = {
  endpoint: 'responses',
  path: '/v1/responses',
  encodeRequest: responsesRequestBody,
  readResponse: (body, stream) => {
    if (stream) return streamView(body);
    const json = parseJsonObject(utf8Decoder.decode(body)) ?? {};
    return responseView(json);
  },
  readError: (body) => {
    const json = parseJsonObject(utf8Decoder.decode(body));
    return isJsonObject(json?.error) ? String(json.error.message) : '';
  },
};
