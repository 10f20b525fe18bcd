/**
 * OpenAI `chat.completion.chunk` SSE → the Responses event sequence: `response.created`,
 * `response.in_progress`, then per output item `response.output_item.added`, its content
 * (`response.content_part.added`, `response.output_text.delta` / `response.refusal.delta` /
 * `response.reasoning_text.delta`, their `.done`, `response.content_part.done`; for function
 * calls `response.function_call_arguments.delta` / `.done`, for calls of the request's custom
 * tools `response.custom_tool_call_input.delta` / `.done`) and `response.output_item.done`, and
 * last `response.completed` (or `response.incomplete` for a length or content-filter stop) with
 * the usage. Every frame is `event: <type>` + `data: <json>` with a monotonic `sequence_number`.
 *
 * Chat reports usage in a chunk after the finish reason, so the terminal event is sent at
 * `data: [DONE]` (or at the end of a stream that had a finish reason but no `[DONE]`). An error
 * frame, or a stream that ends with neither (cut by the provider), ends in `response.failed`
 * with the error: never `response.completed`.
 *
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { usageFromOpenAI } from '../shared/openai-usage.js';
import { StreamIntegrity, truncatedStreamMessage } from '../shared/stream-integrity.js';
import type { Usage } from '../usage.js';
import { CustomToolInput } from './custom-tool-input.js';
import {
  customToolCallItem,
  customToolCallItemId,
  declaredToolName,
  functionCallItem,
  functionCallItemId,
  messageItem,
  outputText,
  reasoningItem,
  responseIds,
  responseObject,
  responsesUsage,
  statusOf,
  type ResponseContext,
  type ResponseIds,
} from './from-chat-response.js';

/** A content part of the open message item. */
interface OpenPart {
  readonly kind: 'output_text' | 'refusal';
  text: string;
}

/** The reasoning or message item being streamed (at most one at a time). */
interface OpenTextItem {
  readonly kind: 'reasoning' | 'message';
  readonly id: string;
  readonly outputIndex: number;
  /** Message: finished parts; reasoning: unused. */
  readonly parts: JsonObject[];
  /** The part receiving deltas (reasoning: always one `reasoning_text` part). */
  part: OpenPart | undefined;
  /** Reasoning text so far. */
  text: string;
}

/** A function call being streamed; calls stay open until the finish reason. */
interface OpenCall {
  readonly outputIndex: number;
  readonly callId: string;
  /** The tool's name as the client declared it (without its namespace). */
  readonly name: string;
  readonly namespace?: string | undefined;
  args: string;
  /** For a call of a custom tool: reads its free-form input out of the arguments as they come. */
  readonly custom: CustomToolInput | undefined;
}

/** The Responses `error.code` for a provider error object. */
function errorCode(error: JsonObject): string {
  const { code, type } = error;
  if (code === 429 || code === 'rate_limit_exceeded' || type === 'rate_limit_error') {
    return 'rate_limit_exceeded';
  }
  return 'server_error';
}

/** State of one translated stream. */
export class ChatToResponsesStream {
  readonly #context: ResponseContext;
  readonly #integrity = new StreamIntegrity();
  #sequence = 0;
  #ids: ResponseIds | undefined = undefined;
  #createdAt = 0;
  #model: string;
  #responseModel: string | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #finishReason: unknown = undefined;
  #nextOutputIndex = 0;
  /** Finished output items by output index. */
  readonly #done: JsonObject[] = [];
  #text: OpenTextItem | undefined = undefined;
  readonly #calls = new Map<number, OpenCall>();
  /** How many reasoning / message items were opened (later ones get a suffixed id). */
  #reasoningCount = 0;
  #messageCount = 0;

  constructor(context: ResponseContext) {
    this.#context = context;
    this.#model = context.model;
  }

  /** Usage reported so far. */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The model the provider named. */
  get responseModel(): string | undefined {
    return this.#responseModel;
  }

  /** Translates one SSE `data` payload (a chunk JSON text or `[DONE]`). */
  data(data: string, json: JsonObject | undefined): string {
    if (!this.#integrity.isOpen) return '';
    if (data === '[DONE]') return this.#finish();
    if (json === undefined) return '';
    if (isJsonObject(json.error)) return this.#fail(json.error);
    let out = this.#start(json);
    this.#usage = usageFromOpenAI(json.usage) ?? this.#usage;
    const choice: unknown = Array.isArray(json.choices) ? json.choices[0] : undefined;
    if (isJsonObject(choice)) {
      out += this.#delta(isJsonObject(choice.delta) ? choice.delta : {});
      if (typeof choice.finish_reason === 'string') {
        this.#finishReason = choice.finish_reason;
        out += this.#closeAll();
      }
    }
    return out;
  }

  /**
   * At the end of the provider's body: finishes a stream that had a finish reason but no
   * `[DONE]`; a stream with neither was cut and ends in `response.failed`.
   */
  end(): string {
    if (!this.#integrity.isOpen) return '';
    if (this.#finishReason !== undefined) return this.#finish();
    return this.#fail({ message: truncatedStreamMessage });
  }

  #event(type: string, fields: JsonObject): string {
    const event = { type, ...fields, sequence_number: this.#sequence++ };
    return `event: ${type}\ndata: ${JSON.stringify(event)}\n\n`;
  }

  #snapshot(status: string, extra?: JsonObject): JsonObject {
    return responseObject({
      context: this.#context,
      ids: this.#idsOf({}),
      createdAt: this.#createdAt,
      model: this.#model,
      status,
      output: this.#done.filter((item) => isJsonObject(item)),
      ...(extra === undefined ? {} : { extra }),
    });
  }

  #idsOf(json: JsonObject): ResponseIds {
    return (this.#ids ??= responseIds(json.id));
  }

  #start(json: JsonObject): string {
    if (this.#ids !== undefined) return '';
    this.#idsOf(json);
    this.#createdAt = typeof json.created === 'number' ? json.created : this.#context.now();
    if (typeof json.model === 'string' && json.model !== '') {
      this.#responseModel = json.model;
      this.#model = json.model;
    }
    const response = this.#snapshot('in_progress');
    return (
      this.#event('response.created', { response }) +
      this.#event('response.in_progress', { response })
    );
  }

  #delta(delta: JsonObject): string {
    let out = '';
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '') out += this.#reasoning(reasoning);
    if (typeof delta.content === 'string' && delta.content !== '') {
      out += this.#messageText('output_text', delta.content);
    }
    if (typeof delta.refusal === 'string' && delta.refusal !== '') {
      out += this.#messageText('refusal', delta.refusal);
    }
    const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    for (const call of calls) {
      if (isJsonObject(call)) out += this.#toolCall(call);
    }
    return out;
  }

  #openText(kind: 'reasoning' | 'message'): { out: string; item: OpenTextItem } {
    const open = this.#text;
    if (open?.kind === kind) return { out: '', item: open };
    const out = this.#closeText();
    const ids = this.#idsOf({});
    const count = kind === 'reasoning' ? this.#reasoningCount++ : this.#messageCount++;
    const base = kind === 'reasoning' ? ids.reasoning : ids.message;
    const item: OpenTextItem = {
      kind,
      id: count === 0 ? base : `${base}_${String(count)}`,
      outputIndex: this.#nextOutputIndex++,
      parts: [],
      part: undefined,
      text: '',
    };
    this.#text = item;
    const added =
      kind === 'reasoning'
        ? { type: 'reasoning', id: item.id, summary: [], content: [] }
        : messageItem(item.id, [], 'in_progress');
    return {
      out:
        out +
        this.#event('response.output_item.added', { output_index: item.outputIndex, item: added }),
      item,
    };
  }

  #reasoning(delta: string): string {
    const { out, item } = this.#openText('reasoning');
    const at = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
    let events = out;
    if (item.part === undefined) {
      item.part = { kind: 'output_text', text: '' };
      events += this.#event('response.content_part.added', {
        ...at,
        part: { type: 'reasoning_text', text: '' },
      });
    }
    item.text += delta;
    return events + this.#event('response.reasoning_text.delta', { ...at, delta });
  }

  #messageText(kind: OpenPart['kind'], delta: string): string {
    const opened = this.#openText('message');
    const item = opened.item;
    let out = opened.out;
    if (item.part?.kind !== kind) {
      out += this.#closePart(item);
      item.part = { kind, text: '' };
      const part = kind === 'output_text' ? outputText('') : { type: 'refusal', refusal: '' };
      out += this.#event('response.content_part.added', { ...this.#at(item), part });
    }
    item.part.text += delta;
    return (
      out +
      (kind === 'output_text'
        ? this.#event('response.output_text.delta', { ...this.#at(item), delta, logprobs: [] })
        : this.#event('response.refusal.delta', { ...this.#at(item), delta }))
    );
  }

  /** Where the open part of a message item is. */
  #at(item: OpenTextItem): JsonObject {
    return { item_id: item.id, output_index: item.outputIndex, content_index: item.parts.length };
  }

  #closePart(item: OpenTextItem): string {
    const part = item.part;
    if (part === undefined) return '';
    const at = this.#at(item);
    item.part = undefined;
    if (part.kind === 'output_text') {
      const full = outputText(part.text);
      item.parts.push(full);
      return (
        this.#event('response.output_text.done', { ...at, text: part.text, logprobs: [] }) +
        this.#event('response.content_part.done', { ...at, part: full })
      );
    }
    const full = { type: 'refusal', refusal: part.text };
    item.parts.push(full);
    return (
      this.#event('response.refusal.done', { ...at, refusal: part.text }) +
      this.#event('response.content_part.done', { ...at, part: full })
    );
  }

  #closeText(): string {
    const item = this.#text;
    if (item === undefined) return '';
    this.#text = undefined;
    let out = '';
    let done: JsonObject;
    if (item.kind === 'reasoning') {
      const at = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
      const part = { type: 'reasoning_text', text: item.text };
      out += this.#event('response.reasoning_text.done', { ...at, text: item.text });
      out += this.#event('response.content_part.done', { ...at, part });
      done = reasoningItem(item.id, item.text);
    } else {
      out += this.#closePart(item);
      done = messageItem(item.id, item.parts, 'completed');
    }
    this.#done[item.outputIndex] = done;
    return (
      out + this.#event('response.output_item.done', { output_index: item.outputIndex, item: done })
    );
  }

  #toolCall(call: JsonObject): string {
    const index = typeof call.index === 'number' ? call.index : 0;
    const fn = isJsonObject(call.function) ? call.function : {};
    let out = '';
    let open = this.#calls.get(index);
    if (open === undefined) {
      out += this.#closeText();
      const name = typeof fn.name === 'string' ? fn.name : '';
      open = {
        outputIndex: this.#nextOutputIndex++,
        callId: typeof call.id === 'string' && call.id !== '' ? call.id : `call_${String(index)}`,
        ...declaredToolName(this.#context, name),
        args: '',
        custom: this.#context.customTools.has(name) ? new CustomToolInput() : undefined,
      };
      this.#calls.set(index, open);
      const item =
        open.custom === undefined
          ? functionCallItem({ ...open, status: 'in_progress' })
          : customToolCallItem({ ...open, input: '', status: 'in_progress' });
      out += this.#event('response.output_item.added', { output_index: open.outputIndex, item });
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      open.args += fn.arguments;
      out += this.#argumentsDelta(open, fn.arguments);
    }
    return out;
  }

  #argumentsDelta(open: OpenCall, delta: string): string {
    if (open.custom === undefined) {
      return this.#event('response.function_call_arguments.delta', {
        item_id: functionCallItemId(open.callId),
        output_index: open.outputIndex,
        delta,
      });
    }
    const input = open.custom.feed(delta);
    return input === '' ? '' : this.#customInputDelta(open, input);
  }

  #customInputDelta(open: OpenCall, delta: string): string {
    return this.#event('response.custom_tool_call_input.delta', {
      item_id: customToolCallItemId(open.callId),
      output_index: open.outputIndex,
      delta,
    });
  }

  #closeAll(): string {
    let out = this.#closeText();
    const calls = [...this.#calls.values()].sort((a, b) => a.outputIndex - b.outputIndex);
    this.#calls.clear();
    for (const call of calls) out += this.#closeCall(call);
    return out;
  }

  #closeCall(call: OpenCall): string {
    let out = '';
    let item: JsonObject;
    if (call.custom === undefined) {
      item = functionCallItem({ ...call, status: 'completed' });
      out += this.#event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: call.outputIndex,
        name: call.name,
        arguments: call.args,
      });
    } else {
      // What feed held back (a raw-text fallback, a trailing half surrogate pair) comes now.
      const { input, rest } = call.custom.finish();
      if (rest !== '') out += this.#customInputDelta(call, rest);
      item = customToolCallItem({ ...call, input, status: 'completed' });
      out += this.#event('response.custom_tool_call_input.done', {
        item_id: item.id,
        output_index: call.outputIndex,
        input,
      });
    }
    this.#done[call.outputIndex] = item;
    return out + this.#event('response.output_item.done', { output_index: call.outputIndex, item });
  }

  #finish(): string {
    this.#integrity.finish();
    let out = this.#start({});
    out += this.#closeAll();
    const { status, incomplete_details } = statusOf(this.#finishReason);
    const response = this.#snapshot(status, {
      incomplete_details,
      usage: responsesUsage(this.#usage),
    });
    const type = status === 'completed' ? 'response.completed' : 'response.incomplete';
    return out + this.#event(type, { response });
  }

  #fail(error: JsonObject): string {
    this.#integrity.fail();
    const out = this.#start({});
    const message =
      typeof error.message === 'string' && error.message !== '' ? error.message : 'upstream error';
    const response = this.#snapshot('failed', {
      error: { code: errorCode(error), message },
      usage: responsesUsage(this.#usage),
    });
    return out + this.#event('response.failed', { response });
  }
}
