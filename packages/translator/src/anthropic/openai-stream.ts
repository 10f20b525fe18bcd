/**
 * Anthropic stream events → OpenAI `chat.completion.chunk` SSE frames, incrementally.
 *
 * Mapping: `message_start` → a first chunk with the assistant role; `text_delta` → `content`;
 * `thinking_delta` → `reasoning_content`; `signature_delta` → a `thinking_blocks` entry carrying
 * the whole thinking text and its signature (for the round trip); `tool_use` block start → a tool
 * call with id and name; `input_json_delta` → argument fragments; `message_delta` → stop reason
 * and output usage; `message_stop` → the chunk with `finish_reason`, then (when the client asked
 * with `stream_options.include_usage`) the usage chunk, then `data: [DONE]`. An `error` event
 * becomes an OpenAI error frame (`data: {"error":{...}}`, which the OpenAI SDKs raise) and ends
 * the translated stream. `ping` becomes an SSE comment so idle connections stay alive. A stream
 * that ends without `message_stop` (cut by the provider) ends with one truncation error frame,
 * never a finish reason or `[DONE]`.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/translator/anthropic_helper.go
 */
import { isJsonObject, type JsonObject } from '../shared/json.js';
import { StreamIntegrity } from '../shared/stream-integrity.js';
import { openAIErrorType } from './error.js';
import { openAIFinishReason } from './openai-response.js';
import { AnthropicUsageTracker } from './usage.js';

/** Input of {@link AnthropicToOpenAIStream}'s constructor. */
export interface AnthropicToOpenAIStreamOptions {
  /** The model to report until the stream names one. */
  readonly model: string;
  /** `created` of every chunk (Unix seconds). */
  readonly created: number;
  /** Whether the client asked for the usage chunk. */
  readonly includeUsage: boolean;
}

const doneFrame = 'data: [DONE]\n\n';

/** State of one translated stream. */
export class AnthropicToOpenAIStream {
  readonly usage = new AnthropicUsageTracker();
  #id = '';
  #model: string;
  /** The model named by `message_start`, if any. */
  responseModel: string | undefined = undefined;
  readonly #created: number;
  readonly #includeUsage: boolean;
  #stopReason: unknown = undefined;
  /** Anthropic content block index → OpenAI tool call index. */
  readonly #toolIndex = new Map<number, number>();
  /** Anthropic content block index → thinking text so far (sent with its signature). */
  readonly #thinking = new Map<number, string>();
  /** `message_stop` (finished) or an `error` event (failed) seen. */
  readonly #integrity = new StreamIntegrity();

  constructor(options: AnthropicToOpenAIStreamOptions) {
    this.#model = options.model;
    this.#created = options.created;
    this.#includeUsage = options.includeUsage;
  }

  /** Whether the stream reached `message_stop` or an error (later events are ignored). */
  get isFinished(): boolean {
    return !this.#integrity.isOpen;
  }

  /** Translates one event to zero or more SSE frames. */
  event(event: JsonObject): string {
    if (!this.#integrity.isOpen) {
      return '';
    }
    switch (event.type) {
      case 'message_start':
        return this.#messageStart(event.message);
      case 'content_block_start':
        return this.#blockStart(event);
      case 'content_block_delta':
        return this.#blockDelta(event);
      case 'message_delta':
        this.usage.add(event.usage);
        if (isJsonObject(event.delta) && typeof event.delta.stop_reason === 'string') {
          this.#stopReason = event.delta.stop_reason;
        }
        return '';
      case 'message_stop':
        return this.#finish();
      case 'error':
        return this.#error(event.error);
      case 'ping':
        return ': ping\n\n';
      default:
        return '';
    }
  }

  /**
   * At end of stream: `''` after `message_stop` or an error; for a stream that lacked both (cut
   * by the provider), one truncation error frame.
   */
  end(): string {
    return this.#integrity.end('openai');
  }

  #messageStart(message: unknown): string {
    if (isJsonObject(message)) {
      this.#id = typeof message.id === 'string' ? message.id : this.#id;
      if (typeof message.model === 'string' && message.model !== '') {
        this.#model = message.model;
        this.responseModel = message.model;
      }
      this.usage.add(message.usage);
    }
    return this.#chunk({ role: 'assistant', content: '' });
  }

  #blockStart(event: JsonObject): string {
    const block = event.content_block;
    const index = typeof event.index === 'number' ? event.index : -1;
    if (!isJsonObject(block)) {
      return '';
    }
    if (block.type === 'tool_use' || block.type === 'server_tool_use') {
      const toolIndex = this.#toolIndex.size;
      this.#toolIndex.set(index, toolIndex);
      const input = isJsonObject(block.input) && Object.keys(block.input).length > 0;
      const call = {
        index: toolIndex,
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: input ? JSON.stringify(block.input) : '' },
      };
      return this.#chunk({ tool_calls: [call] });
    }
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
      return this.#chunk({ content: block.text });
    }
    if (block.type === 'thinking') {
      this.#thinking.set(index, '');
    }
    if (block.type === 'redacted_thinking') {
      return this.#chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: block.data }] });
    }
    return '';
  }

  #blockDelta(event: JsonObject): string {
    const delta = event.delta;
    const index = typeof event.index === 'number' ? event.index : -1;
    if (!isJsonObject(delta)) {
      return '';
    }
    switch (delta.type) {
      case 'text_delta':
        return this.#chunk({ content: delta.text });
      case 'thinking_delta':
        this.#thinking.set(index, (this.#thinking.get(index) ?? '') + String(delta.thinking));
        return this.#chunk({ reasoning_content: delta.thinking });
      case 'signature_delta': {
        const thinking = this.#thinking.get(index) ?? '';
        const block = { type: 'thinking', thinking, signature: delta.signature };
        return this.#chunk({ thinking_blocks: [block] });
      }
      case 'input_json_delta': {
        const toolIndex = this.#toolIndex.get(index);
        if (
          toolIndex === undefined ||
          typeof delta.partial_json !== 'string' ||
          delta.partial_json === ''
        ) {
          return '';
        }
        const call = { index: toolIndex, function: { arguments: delta.partial_json } };
        return this.#chunk({ tool_calls: [call] });
      }
      default:
        return '';
    }
  }

  #finish(): string {
    this.#integrity.finish();
    const finish = this.#chunk({}, openAIFinishReason(this.#stopReason ?? 'end_turn'));
    if (!this.#includeUsage) {
      return finish + doneFrame;
    }
    const usage = {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: [],
      usage: this.usage.toOpenAI(),
    };
    return `${finish}data: ${JSON.stringify(usage)}\n\n${doneFrame}`;
  }

  #error(error: unknown): string {
    this.#integrity.fail();
    const type = isJsonObject(error) && typeof error.type === 'string' ? error.type : 'api_error';
    const message =
      isJsonObject(error) && typeof error.message === 'string' ? error.message : 'upstream error';
    const body = { error: { message, type: openAIErrorType(type, 500), param: null, code: null } };
    return `data: ${JSON.stringify(body)}\n\n`;
  }

  #chunk(delta: JsonObject, finishReason: string | null = null): string {
    const chunk = {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}
