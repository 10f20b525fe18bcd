import type { ServerResponse } from 'node:http';
import {
  answer,
  argumentPieces,
  arrayOf,
  isObject,
  pieces,
  textOf,
  type Answer,
  type FakeTokenUsage,
} from './conversation.js';
import { sendJson, sendStream, sseHeaders } from './http.js';

/**
 * OpenAI's Responses API (`POST /v1/responses`, Azure's `POST /openai/responses?api-version=`) as
 * the fake OpenAI serves it: the shared fake model (conversation.ts) read from Responses input
 * items, answered as a `Response` object or as OpenAI's event stream — `response.created`,
 * `response.in_progress`, per output item `response.output_item.added`, its content
 * (`response.content_part.added`, `response.output_text.delta`/`.done`,
 * `response.content_part.done`; for a function call `response.function_call_arguments.delta` /
 * `.done`; for a custom tool `response.custom_tool_call_input.delta` / `.done`),
 * `response.output_item.done`, and `response.completed` with the usage — every frame
 * `event: <type>` with a `sequence_number` counting from 0. A user text with `[[cut]]` ends the
 * stream after the text deltas, before any terminal event (a stream cut short).
 *
 * Server-side state as OpenAI keeps it: each response gets a new id and, unless `store: false`, is
 * remembered, so a `previous_response_id` naming an unknown response is OpenAI's 400
 * `previous_response_not_found`. Hosted tools (`web_search`, …) are accepted and not run.
 */

/** The id every fake tool call carries (as the chat fake's). */
const toolCallId = 'call_FakeToolCall0001';

/** What one fake OpenAI remembers between requests. */
export interface ResponsesState {
  /** Ids of the stored responses. */
  readonly stored: Set<string>;
  /** How many responses were made (for their ids). */
  count: number;
}

/** A fresh state for one fake OpenAI. */
export function responsesState(): ResponsesState {
  return { stored: new Set(), count: 0 };
}

interface ResponsesConversation {
  readonly userText: string;
  readonly toolResult: string | undefined;
  readonly toolResultId: string | undefined;
  readonly toolNames: readonly string[];
  readonly customTools: ReadonlySet<string>;
}

/** Reads the input items (a string is one user message) and the offered tools. */
function responsesConversation(body: Record<string, unknown>): ResponsesConversation {
  let userText = typeof body.input === 'string' ? body.input : '';
  let toolResult: string | undefined;
  let toolResultId: string | undefined;
  for (const item of arrayOf(body.input)) {
    if (!isObject(item)) continue;
    if (item.role === 'user') userText = textOf(item.content) || userText;
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      toolResult = typeof item.output === 'string' ? item.output : textOf(item.output);
      toolResultId = String(item.call_id);
    }
  }
  const tools = arrayOf(body.tools).filter(isObject);
  const named = (type: string): string[] =>
    tools.filter((t) => t.type === type && typeof t.name === 'string').map((t) => String(t.name));
  return {
    userText,
    toolResult,
    toolResultId,
    toolNames: tools
      .filter((t) => (t.type === 'function' || t.type === 'custom') && typeof t.name === 'string')
      .map((t) => String(t.name)),
    customTools: new Set(named('custom')),
  };
}

function usageOf(usage: FakeTokenUsage): object {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.input + usage.output,
  };
}

/** The output item of an answer, finished. */
function outputItem(a: Answer, customTools: ReadonlySet<string>): Record<string, unknown> {
  if (a.kind === 'text') {
    return {
      id: 'msg_fake0001',
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: a.text }],
    };
  }
  const args = JSON.stringify(a.arguments);
  if (customTools.has(a.name)) {
    const input = typeof a.arguments.input === 'string' ? a.arguments.input : args;
    const item = { id: 'ctc_fake0001', type: 'custom_tool_call', status: 'completed' };
    return { ...item, call_id: toolCallId, name: a.name, input };
  }
  const item = { id: 'fc_fake0001', type: 'function_call', status: 'completed' };
  return { ...item, call_id: toolCallId, name: a.name, arguments: args };
}

interface Reply {
  readonly id: string;
  readonly body: Record<string, unknown>;
  readonly model: string;
  readonly usage: FakeTokenUsage;
}

/** The `Response` object: in progress (no output, no usage) or completed. */
function responseObject(reply: Reply, output: readonly object[] | undefined): object {
  const { body } = reply;
  return {
    id: reply.id,
    object: 'response',
    created_at: 1_700_000_000,
    status: output === undefined ? 'in_progress' : 'completed',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: reply.model,
    output: output ?? [],
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store !== false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: output === undefined ? null : usageOf(reply.usage),
    user: null,
    metadata: {},
  };
}

/** Numbers the events of one stream. */
class Events {
  readonly frames: string[] = [];
  #sequence = 0;

  add(type: string, fields: Record<string, unknown>): void {
    const data = { type, ...fields, sequence_number: this.#sequence++ };
    this.frames.push(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}

/** The content events of a finished item (between its `added` and its `done`). */
function contentEvents(events: Events, item: Record<string, unknown>): void {
  const at = { item_id: item.id, output_index: 0 };
  if (item.type === 'message') {
    const text = textOf(item.content);
    const part = (t: string) => ({ type: 'output_text', annotations: [], logprobs: [], text: t });
    events.add('response.content_part.added', { ...at, content_index: 0, part: part('') });
    for (const delta of pieces(text, 6)) {
      events.add('response.output_text.delta', { ...at, content_index: 0, delta, logprobs: [] });
    }
    events.add('response.output_text.done', { ...at, content_index: 0, text, logprobs: [] });
    events.add('response.content_part.done', { ...at, content_index: 0, part: part(text) });
    return;
  }
  if (item.type === 'custom_tool_call') {
    const input = String(item.input);
    for (const delta of pieces(input, 8)) {
      events.add('response.custom_tool_call_input.delta', { ...at, delta });
    }
    events.add('response.custom_tool_call_input.done', { ...at, input });
    return;
  }
  const args = String(item.arguments);
  for (const delta of argumentPieces(JSON.parse(args) as Record<string, unknown>)) {
    events.add('response.function_call_arguments.delta', { ...at, delta });
  }
  events.add('response.function_call_arguments.done', { ...at, arguments: args });
}

/** In the user text: the stream ends (cleanly, at the HTTP level) right after the text deltas. */
export const cutStreamMarker = '[[cut]]';

/** The frames of a stream cut before its terminal event: up to the last text delta. */
function cutFrames(frames: readonly string[]): string[] {
  const last = frames.findLastIndex((frame) =>
    frame.startsWith('event: response.output_text.delta'),
  );
  return frames.slice(0, last + 1);
}

function streamFrames(reply: Reply, item: Record<string, unknown>): string[] {
  const events = new Events();
  events.add('response.created', { response: responseObject(reply, undefined) });
  events.add('response.in_progress', { response: responseObject(reply, undefined) });
  const started =
    item.type === 'message'
      ? { ...item, status: 'in_progress', content: [] }
      : {
          ...item,
          status: 'in_progress',
          ...(item.type === 'function_call' ? { arguments: '' } : { input: '' }),
        };
  events.add('response.output_item.added', { output_index: 0, item: started });
  contentEvents(events, item);
  events.add('response.output_item.done', { output_index: 0, item });
  events.add('response.completed', { response: responseObject(reply, [item]) });
  return events.frames;
}

function invalidRequest(
  res: ServerResponse,
  error: { readonly message: string; readonly param: string; readonly code: string },
): void {
  sendJson(res, 400, { error: { ...error, type: 'invalid_request_error' } });
}

/** Answers one authenticated `POST /v1/responses` (or Azure's) with a parsed body. */
export function serveResponses(
  body: Record<string, unknown>,
  res: ServerResponse,
  options: { readonly state: ResponsesState; readonly usage: FakeTokenUsage },
): void | Promise<void> {
  const { state } = options;
  const previous = body.previous_response_id;
  if (typeof previous === 'string' && !state.stored.has(previous)) {
    const message = `Previous response with id '${previous}' not found.`;
    invalidRequest(res, {
      message,
      param: 'previous_response_id',
      code: 'previous_response_not_found',
    });
    return;
  }
  const conversation = responsesConversation(body);
  if (conversation.toolResultId !== undefined && conversation.toolResultId !== toolCallId) {
    const message = `No tool call found for function call output with call_id ${conversation.toolResultId}.`;
    invalidRequest(res, { message, param: 'input', code: 'invalid_value' });
    return;
  }
  const id = `resp_fake${String(++state.count).padStart(4, '0')}`;
  if (body.store !== false) state.stored.add(id);
  const reply: Reply = { id, body, model: String(body.model), usage: options.usage };
  const item = outputItem(answer(conversation), conversation.customTools);
  if (body.stream !== true) {
    sendJson(res, 200, responseObject(reply, [item]));
    return;
  }
  const frames = streamFrames(reply, item);
  const isCut = conversation.userText.includes(cutStreamMarker);
  return sendStream(res, isCut ? cutFrames(frames) : frames, sseHeaders);
}
