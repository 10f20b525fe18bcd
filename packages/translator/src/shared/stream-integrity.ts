/**
 * Stream integrity: whether a provider's stream reached its terminal event before its body ended.
 *
 * A provider stream can end cleanly at the HTTP level (the chunked terminator arrives) and still
 * be cut short: no `finish_reason` / `[DONE]` (OpenAI), no `message_stop` (Anthropic), no
 * `messageStop` (Bedrock ConverseStream), no `finishReason` (Gemini). Forwarded as it is, such a
 * stream looks finished to the client. Every streaming translator therefore notes the provider's
 * terminal event (or an error event, which the client gets in its dialect already) and, at the
 * end of the body without either, appends one error frame in the client's dialect instead of a
 * clean finish, so the SDKs raise after the text they got.
 */
import { geminiStreamErrorFrame } from '../gemini/error.js';
import type { Dialect } from '../translator.js';
import { concatBytes, utf8Encoder } from './bytes.js';
import { isJsonObject, type JsonObject } from './json.js';

/** What the client is told when the provider's stream ends before its terminal event. */
export const truncatedStreamMessage =
  "the provider's stream ended before it finished (no terminal event): the response is incomplete";

/** The `code` of the OpenAI error frame for a truncated stream. */
export const truncatedStreamCode = 'stream_truncated';

/**
 * The error frame for a truncated stream in the client's dialect: OpenAI's
 * `data: {"error":{…,"code":"stream_truncated"}}` (the OpenAI SDKs raise an APIError for it) or
 * Anthropic's `event: error` with an `api_error` (the Anthropic SDKs raise on it).
 */
export function truncatedStreamFrame(dialect: Dialect): string {
  if (dialect === 'gemini') {
    return geminiStreamErrorFrame({ status: 502, message: truncatedStreamMessage });
  }
  if (dialect === 'openai') {
    const error = {
      message: truncatedStreamMessage,
      type: 'server_error',
      param: null,
      code: truncatedStreamCode,
    };
    return `data: ${JSON.stringify({ error })}\n\n`;
  }
  const event = { type: 'error', error: { type: 'api_error', message: truncatedStreamMessage } };
  return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * For passthroughs: the provider's last `bytes` followed by the truncation `frame`, after a blank
 * line when the bytes stopped inside an SSE frame (so the error frame stands on its own).
 */
export function appendFrame(
  bytes: Uint8Array,
  options: { readonly frame: string; readonly isMidFrame: boolean },
): Uint8Array {
  const text = options.isMidFrame ? `\n\n${options.frame}` : options.frame;
  return concatBytes([bytes, utf8Encoder.encode(text)]);
}

/** Where a provider stream stands: still open, finished by its terminal event, or failed. */
export type StreamState = 'open' | 'finished' | 'failed';

/**
 * Tracks one provider stream's terminal event. The first of {@link finish} / {@link fail} wins;
 * {@link end} at the end of the body turns a still-open stream into one truncation error frame.
 */
export class StreamIntegrity {
  #state: StreamState = 'open';

  /** The stream's state so far. */
  get state(): StreamState {
    return this.#state;
  }

  /** Whether neither the terminal event nor an error has been seen yet. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** The provider's terminal event arrived. */
  finish(): void {
    if (this.#state === 'open') this.#state = 'finished';
  }

  /** The provider reported an error in the stream (the client gets it as an error already). */
  fail(): void {
    if (this.#state === 'open') this.#state = 'failed';
  }

  /**
   * At the end of the provider's body: `''` when the stream finished or failed, otherwise the
   * truncation error frame in `dialect` (once; the stream then counts as failed).
   */
  end(dialect: Dialect): string {
    if (this.#state !== 'open') return '';
    this.#state = 'failed';
    return truncatedStreamFrame(dialect);
  }
}

/**
 * A cheap test on an OpenAI SSE `data` payload (no parse): whether it may carry a `finish_reason`
 * value or an `error` key, so only those frames are parsed. A key inside a JSON string is escaped
 * (`\"finish_reason\"`), so text content never matches.
 */
const openAIEndPattern = /"finish_reason"\s*:\s*"|"error"\s*:/;

/** Whether an OpenAI `data` payload may end the stream (see {@link noteOpenAIChunk}). */
export function mayEndOpenAIStream(data: string): boolean {
  return openAIEndPattern.test(data);
}

/**
 * Notes what an OpenAI stream chunk says about the stream's end: a top-level `error` object
 * fails it; a `finish_reason` on any choice finishes it. `data: [DONE]` finishes it too (the
 * caller notes that), but is not required: some OpenAI-compatible servers omit it.
 */
export function noteOpenAIChunk(integrity: StreamIntegrity, json: JsonObject): void {
  if (isJsonObject(json.error)) {
    integrity.fail();
    return;
  }
  const choices = Array.isArray(json.choices) ? json.choices : [];
  for (const choice of choices) {
    if (isJsonObject(choice) && typeof choice.finish_reason === 'string') {
      integrity.finish();
      return;
    }
  }
}
