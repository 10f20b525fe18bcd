/**
 * OpenAI `chat.completion.chunk` SSE → the Anthropic event sequence: `message_start`, then per
 * content block `content_block_start` / `content_block_delta` (`text_delta`, `thinking_delta`,
 * `input_json_delta`) / `content_block_stop`, then `message_delta` (stop reason and usage) and
 * `message_stop`. OpenAI reports usage in a last chunk after the finish reason, so
 * `message_delta` is sent at `data: [DONE]` (or at the end of a stream that had a finish reason
 * but no `[DONE]`, which some OpenAI-compatible servers omit). An OpenAI error frame becomes an
 * `event: error`, which ends the stream. A stream that ends with neither a finish reason nor
 * `[DONE]` (cut by the provider) ends with one truncation `event: error`, never `message_stop`.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
import { errorTypeForStatus } from '../error-body.js';
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { usageFromOpenAI } from '../shared/openai-usage.js';
import { StreamIntegrity } from '../shared/stream-integrity.js';
import type { Usage } from '../usage.js';
import { anthropicStopReason, anthropicUsageOf } from './from-openai-response.js';

/** The kind of content block currently open. */
type OpenBlock =
  | { readonly kind: 'text' | 'thinking'; readonly index: number }
  | { readonly kind: 'tool'; readonly index: number; readonly toolIndex: number };

/** One SSE event in Anthropic's format. */
function sse(event: JsonObject): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** State of one translated stream. */
export class OpenAIToAnthropicStream {
  readonly #model: string;
  #responseModel: string | undefined = undefined;
  #usage: Usage | undefined = undefined;
  #hasStarted = false;
  /** `message_stop` sent (finished) or an error event sent (failed). */
  readonly #integrity = new StreamIntegrity();
  #open: OpenBlock | undefined = undefined;
  #nextIndex = 0;
  #finishReason: unknown = undefined;

  constructor(model: string) {
    this.#model = model;
  }

  /** Usage reported so far. */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The model the upstream named. */
  get responseModel(): string | undefined {
    return this.#responseModel;
  }

  /** Translates one SSE `data` payload (a chunk JSON text or `[DONE]`). */
  data(data: string, json: JsonObject | undefined): string {
    if (!this.#integrity.isOpen) {
      return '';
    }
    if (data === '[DONE]') {
      return this.#finish();
    }
    if (json === undefined) {
      return '';
    }
    if (isJsonObject(json.error)) {
      return this.#error(json.error);
    }
    let out = this.#start(json);
    this.#usage = usageFromOpenAI(json.usage) ?? this.#usage;
    const choice: unknown = Array.isArray(json.choices) ? json.choices[0] : undefined;
    if (isJsonObject(choice)) {
      out += this.#delta(isJsonObject(choice.delta) ? choice.delta : {});
      if (typeof choice.finish_reason === 'string') {
        this.#finishReason = choice.finish_reason;
        out += this.#close();
      }
    }
    return out;
  }

  /**
   * At the end of the stream: finishes a stream that had a finish reason but no `[DONE]`; a
   * stream with neither was cut by the provider and gets one truncation error event.
   */
  end(): string {
    if (this.#integrity.isOpen && this.#finishReason !== undefined) {
      return this.#finish();
    }
    return this.#integrity.end('anthropic');
  }

  #start(json: JsonObject): string {
    if (this.#hasStarted) {
      return '';
    }
    this.#hasStarted = true;
    if (typeof json.model === 'string' && json.model !== '') {
      this.#responseModel = json.model;
    }
    const message = {
      id: json.id,
      type: 'message',
      role: 'assistant',
      model: this.#responseModel ?? this.#model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsageOf(undefined),
    };
    return sse({ type: 'message_start', message });
  }

  #delta(delta: JsonObject): string {
    let out = '';
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '') {
      out += this.#openBlock('thinking', { type: 'thinking', thinking: '', signature: '' });
      out += this.#blockDelta({ type: 'thinking_delta', thinking: reasoning });
    }
    if (typeof delta.content === 'string' && delta.content !== '') {
      out += this.#openBlock('text', { type: 'text', text: '' });
      out += this.#blockDelta({ type: 'text_delta', text: delta.content });
    }
    const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    for (const call of calls) {
      if (isJsonObject(call)) {
        out += this.#toolCall(call);
      }
    }
    return out;
  }

  #toolCall(call: JsonObject): string {
    const toolIndex = typeof call.index === 'number' ? call.index : 0;
    const fn = isJsonObject(call.function) ? call.function : {};
    let out = '';
    const open = this.#open;
    if (open?.kind !== 'tool' || open.toolIndex !== toolIndex) {
      out += this.#close();
      const index = this.#nextIndex++;
      this.#open = { kind: 'tool', index, toolIndex };
      const block = { type: 'tool_use', id: call.id, name: fn.name, input: {} };
      out += sse({ type: 'content_block_start', index, content_block: block });
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      out += this.#blockDelta({ type: 'input_json_delta', partial_json: fn.arguments });
    }
    return out;
  }

  #openBlock(kind: 'text' | 'thinking', block: JsonObject): string {
    if (this.#open?.kind === kind) {
      return '';
    }
    const out = this.#close();
    const index = this.#nextIndex++;
    this.#open = { kind, index };
    return out + sse({ type: 'content_block_start', index, content_block: block });
  }

  #blockDelta(delta: JsonObject): string {
    return sse({ type: 'content_block_delta', index: this.#open?.index ?? 0, delta });
  }

  #close(): string {
    const open = this.#open;
    if (open === undefined) {
      return '';
    }
    this.#open = undefined;
    return sse({ type: 'content_block_stop', index: open.index });
  }

  #finish(): string {
    this.#integrity.finish();
    let out = this.#start({});
    out += this.#close();
    const delta = { stop_reason: anthropicStopReason(this.#finishReason), stop_sequence: null };
    out += sse({ type: 'message_delta', delta, usage: anthropicUsageOf(this.#usage) });
    return out + sse({ type: 'message_stop' });
  }

  #error(error: JsonObject): string {
    this.#integrity.fail();
    const status = typeof error.code === 'number' ? error.code : 500;
    const message = typeof error.message === 'string' ? error.message : 'upstream error';
    return sse({
      type: 'error',
      error: { type: errorTypeForStatus('anthropic', status), message },
    });
  }
}
