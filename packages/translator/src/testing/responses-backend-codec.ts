/**
 * The OpenAI Responses (`/v1/responses`) backend codec for the conformance suite: reads the
 * Responses body a passthrough sends upstream, and answers as OpenAI does — a `Response` object,
 * or the Responses event stream (`response.created` … `response.completed`, each frame
 * `event: <type>` with a `sequence_number` counting from 0).
 */
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import { isJsonObject, parseJsonObject, type JsonObject } from '../shared/json.js';
import type { BackendCodec, WireResponse } from './conformance.js';
import type {
  NeutralImage,
  NeutralMessage,
  NeutralResponse,
  NeutralToolChoice,
  UpstreamView,
} from './neutral.js';

const objects = (value: unknown): JsonObject[] =>
  Array.isArray(value) ? value.filter(isJsonObject) : [];

function parseArgs(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text === '' ? '{}' : text);
  return isJsonObject(value) ? value : {};
}

function imageOf(part: JsonObject): NeutralImage {
  const url = String(part.image_url);
  const match = /^data:([^;]+);base64,(.*)$/.exec(url);
  return match === null ? { url } : { base64: { mediaType: match[1] ?? '', data: match[2] ?? '' } };
}

/** A `message` input item as a neutral message (its text parts joined, its images). */
function messageOf(item: JsonObject): NeutralMessage {
  const role = item.role === 'assistant' ? 'assistant' : 'user';
  if (typeof item.content === 'string') return { role, text: item.content };
  const parts = objects(item.content);
  const text = parts
    .filter((p) => typeof p.text === 'string')
    .map((p) => String(p.text))
    .join('');
  const images = parts.filter((p) => p.type === 'input_image').map(imageOf);
  return {
    role,
    ...(text === '' ? {} : { text }),
    ...(images.length === 0 ? {} : { images }),
  };
}

/** Folds Responses input items into turns: reasoning, text and calls of one assistant turn join. */
function readMessages(input: unknown): NeutralMessage[] {
  if (typeof input === 'string') return [{ role: 'user', text: input }];
  const out: NeutralMessage[] = [];
  let assistant: Record<string, unknown> | undefined;
  const turn = (): Record<string, unknown> => {
    if (assistant === undefined) {
      assistant = { role: 'assistant' };
      out.push(assistant as unknown as NeutralMessage);
    }
    return assistant;
  };
  for (const item of objects(input)) {
    if (item.type === 'reasoning') {
      const text = objects(item.content)
        .map((p) => String(p.text))
        .join('');
      const signature = typeof item.encrypted_content === 'string' ? item.encrypted_content : '';
      turn().reasoning = { text, ...(signature === '' ? {} : { signature }) };
    } else if (item.type === 'function_call') {
      const call = {
        id: String(item.call_id),
        name: String(item.name),
        arguments: parseArgs(String(item.arguments)),
      };
      const current = turn();
      current.toolCalls = [...((current.toolCalls as unknown[] | undefined) ?? []), call];
    } else if (item.type === 'function_call_output') {
      assistant = undefined;
      out.push({ role: 'tool', toolCallId: String(item.call_id), text: String(item.output) });
    } else if (item.role === 'assistant') {
      Object.assign(turn(), messageOf(item));
    } else {
      assistant = undefined;
      out.push(messageOf(item));
    }
  }
  return out;
}

function readToolChoice(value: unknown): NeutralToolChoice | undefined {
  if (value === 'auto' || value === 'required' || value === 'none') return value;
  return isJsonObject(value) && value.type === 'function'
    ? { name: String(value.name) }
    : undefined;
}

/** Reads a Responses body sent upstream. */
export function readResponsesRequest(json: JsonObject): UpstreamView {
  const tools = Array.isArray(json.tools)
    ? objects(json.tools)
        .filter((t) => t.type === 'function')
        .map((t) => ({
          name: String(t.name),
          description: String(t.description),
          parameters: isJsonObject(t.parameters) ? t.parameters : {},
        }))
    : undefined;
  const format = isJsonObject(json.text) ? json.text.format : undefined;
  return {
    model: String(json.model),
    system: typeof json.instructions === 'string' ? json.instructions : undefined,
    messages: readMessages(json.input),
    maxTokens: typeof json.max_output_tokens === 'number' ? json.max_output_tokens : undefined,
    temperature: typeof json.temperature === 'number' ? json.temperature : undefined,
    stop: undefined,
    tools,
    toolChoice: readToolChoice(json.tool_choice),
    stream: json.stream === true,
    responseSchema: isJsonObject(format) && isJsonObject(format.schema) ? format.schema : undefined,
  };
}

function usageOf(response: NeutralResponse): JsonObject {
  const { input, output, cached } = response.usage;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

function reasoningItem(response: NeutralResponse, text: string): JsonObject {
  return {
    type: 'reasoning',
    id: 'rs_1',
    summary: [],
    content: [{ type: 'reasoning_text', text }],
    encrypted_content: response.reasoning?.signature ?? null,
  };
}

function messageItem(text: string, status: string): JsonObject {
  return {
    type: 'message',
    id: 'msg_1',
    role: 'assistant',
    status,
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

function callItem(call: NonNullable<NeutralResponse['toolCalls']>[number], index: number) {
  return {
    type: 'function_call',
    id: `fc_${String(index)}`,
    call_id: call.id,
    name: call.name,
    arguments: JSON.stringify(call.arguments),
    status: 'completed',
  };
}

/** The output items of a finished response. */
function outputOf(response: NeutralResponse): JsonObject[] {
  const items: JsonObject[] = [];
  if (response.reasoning !== undefined)
    items.push(reasoningItem(response, response.reasoning.text));
  if (response.text !== undefined) items.push(messageItem(response.text, 'completed'));
  (response.toolCalls ?? []).forEach((call, i) => items.push(callItem(call, i)));
  return items;
}

function responseObject(response: NeutralResponse, status: string): JsonObject {
  const isDone = status === 'completed' || status === 'incomplete';
  return {
    id: response.id,
    object: 'response',
    created_at: 1700000000,
    status,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    model: response.model,
    output: isDone ? outputOf(response) : [],
    usage: isDone ? usageOf(response) : null,
  };
}

/** Half-way split of a string (so deltas really are fragments). */
function halves(text: string): string[] {
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)].filter((part) => part !== '');
}

/** Writes the event stream of one response, numbering the events. */
class EventWriter {
  readonly frames: string[] = [];
  #sequence = 0;

  event(type: string, fields: JsonObject): void {
    const data = { type, ...fields, sequence_number: this.#sequence++ };
    this.frames.push(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  item(index: number, item: JsonObject, body: () => void): void {
    this.event('response.output_item.added', { output_index: index, item });
    body();
    this.event('response.output_item.done', { output_index: index, item });
  }
}

function streamReasoning(w: EventWriter, response: NeutralResponse, index: number): void {
  const text = response.reasoning?.text ?? '';
  const item = reasoningItem(response, text);
  w.item(index, item, () => {
    const at = { item_id: 'rs_1', output_index: index, content_index: 0 };
    for (const delta of halves(text)) w.event('response.reasoning_text.delta', { ...at, delta });
    w.event('response.reasoning_text.done', { ...at, text });
  });
}

/** The message item's events; false when the stream is cut or fails after its text. */
function streamMessage(w: EventWriter, response: NeutralResponse, index: number): boolean {
  const text = response.text ?? '';
  const at = { item_id: 'msg_1', output_index: index, content_index: 0 };
  w.event('response.output_item.added', {
    output_index: index,
    item: messageItem('', 'in_progress'),
  });
  w.event('response.content_part.added', { ...at, part: { type: 'output_text', text: '' } });
  for (const delta of halves(text)) w.event('response.output_text.delta', { ...at, delta });
  if (response.streamCut === true) return false;
  if (response.streamError !== undefined) {
    const { message } = response.streamError;
    w.event('error', { code: 'server_error', message, param: null });
    return false;
  }
  w.event('response.output_text.done', { ...at, text });
  w.event('response.content_part.done', { ...at, part: { type: 'output_text', text } });
  const item = messageItem(text, 'completed');
  w.event('response.output_item.done', { output_index: index, item });
  return true;
}

function streamEvents(response: NeutralResponse): string[] {
  const w = new EventWriter();
  w.event('response.created', { response: responseObject(response, 'in_progress') });
  w.event('response.in_progress', { response: responseObject(response, 'in_progress') });
  let index = 0;
  if (response.reasoning !== undefined) streamReasoning(w, response, index++);
  if (response.text !== undefined && !streamMessage(w, response, index++)) return w.frames;
  (response.toolCalls ?? []).forEach((call, i) => {
    const done = callItem(call, i);
    const outputIndex = index++;
    w.item(outputIndex, { ...done, arguments: '', status: 'in_progress' }, () => {
      const at = { item_id: done.id, output_index: outputIndex };
      for (const delta of halves(done.arguments)) {
        w.event('response.function_call_arguments.delta', { ...at, delta });
      }
      w.event('response.function_call_arguments.done', { ...at, arguments: done.arguments });
    });
  });
  const status = response.finish === 'length' ? 'incomplete' : 'completed';
  w.event(`response.${status}`, { response: responseObject(response, status) });
  return w.frames;
}

/** The OpenAI Responses backend (OpenAI and Azure OpenAI `/responses`). */
export const responsesBackend: BackendCodec = {
  readRequest: (translated, original) =>
    readResponsesRequest(
      parseJsonObject(utf8Decoder.decode(translated.body ?? original.raw)) ?? {},
    ),
  encodeResponse: (response, stream): WireResponse => {
    if (stream) {
      const body = utf8Encoder.encode(streamEvents(response).join(''));
      return { contentType: 'text/event-stream', body };
    }
    const status = response.finish === 'length' ? 'incomplete' : 'completed';
    const body = utf8Encoder.encode(JSON.stringify(responseObject(response, status)));
    return { contentType: 'application/json', body };
  },
  encodeError: (error) =>
    utf8Encoder.encode(
      JSON.stringify({
        error: { message: error.message, type: 'rate_limit_error', param: null, code: null },
      }),
    ),
};
