/**
 * The bench's provider stream transcripts, one per wire format (OpenAI chat, completions and
 * Responses SSE, Anthropic SSE and its AWS eventstream, Bedrock Converse, Gemini), each
 * {@link streamFrames} frames, and the deterministic text they carry.
 */
import { encodeEventStreamMessage } from '../src/shared/aws-eventstream.js';
import { anthropicSse, bedrockEventStream } from '../src/testing/anthropic-codec.js';

/** A provider response as it arrives: its content type and body chunks (one per frame for streams). */
export interface WireBody {
  /** `content-type` of the provider's response. */
  readonly contentType: string;
  /** The body, in the chunks the translator is fed (a whole JSON body is one chunk). */
  readonly chunks: readonly Uint8Array[];
}

/** Frames in each stream transcript. */
export const streamFrames = 1000;

const encoder = new TextEncoder();

/** Deterministic text of about `chars` characters: words, punctuation, some non-ASCII. */
export function prose(chars: number, seed = 1): string {
  const words = [
    'the',
    'gateway',
    'routes',
    'each',
    'request',
    'to',
    'a',
    'backend',
    'model',
    'and',
    'translates',
    'its',
    'body',
    'streams',
    'tokens',
    'back',
    'with',
    'usage',
    'café',
    '日本語',
    'latency',
    'of',
    'every',
    'frame',
    'matters',
    'when',
    'clients',
    'wait',
    'for',
    'answers',
  ];
  let state = seed;
  let out = '';
  while (out.length < chars) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += words[state % words.length] ?? 'x';
    out += state % 11 === 0 ? '. ' : ' ';
  }
  return out.slice(0, chars);
}

/** Short token-like deltas for stream frame `i`. */
function delta(i: number): string {
  return prose(6, i + 3).trimEnd() + ' ';
}

// Stream transcripts, one per wire format.

export function sse(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

/** OpenAI `chat.completion.chunk` SSE: role, deltas, finish, usage, `[DONE]`. */
export function openAIChatStream(model: string): WireBody {
  const base = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model,
  };
  const chunk = (d: Record<string, unknown>, finish: string | null = null): Uint8Array =>
    sse({ ...base, choices: [{ index: 0, delta: d, logprobs: null, finish_reason: finish }] });
  const chunks = [chunk({ role: 'assistant', content: '' })];
  for (let i = 0; i < streamFrames - 4; i++) chunks.push(chunk({ content: delta(i) }));
  chunks.push(chunk({}, 'stop'));
  const usage = { prompt_tokens: 50_000, completion_tokens: 2000, total_tokens: 52_000 };
  chunks.push(sse({ ...base, choices: [], usage }));
  chunks.push(encoder.encode('data: [DONE]\n\n'));
  return { contentType: 'text/event-stream', chunks };
}

/**
 * OpenAI Responses SSE (`/v1/responses` passed through): `event:` lines, `sequence_number`s,
 * text deltas, then `response.completed` with the usage.
 */
export function openAIResponsesStream(model: string): WireBody {
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>): Uint8Array =>
    encoder.encode(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`,
    );
  const response = { id: 'resp_bench', object: 'response', created_at: 1700000000, model };
  const item = { id: 'msg_bench', type: 'message', role: 'assistant' };
  const at = { item_id: 'msg_bench', output_index: 0, content_index: 0 };
  const chunks = [
    event('response.created', { response: { ...response, status: 'in_progress', usage: null } }),
    event('response.output_item.added', { output_index: 0, item: { ...item, content: [] } }),
  ];
  for (let i = 0; i < streamFrames - 4; i++) {
    chunks.push(event('response.output_text.delta', { ...at, delta: delta(i) }));
  }
  chunks.push(event('response.output_item.done', { output_index: 0, item }));
  const usage = { input_tokens: 50_000, output_tokens: 2000, total_tokens: 52_000 };
  chunks.push(
    event('response.completed', { response: { ...response, status: 'completed', usage } }),
  );
  return { contentType: 'text/event-stream', chunks };
}

/** OpenAI legacy completions SSE: text chunks, then `[DONE]`. */
export function openAICompletionsStream(model: string): WireBody {
  const base = { id: 'cmpl-bench', object: 'text_completion', created: 1700000000, model };
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < streamFrames - 2; i++) {
    chunks.push(sse({ ...base, choices: [{ index: 0, text: delta(i), finish_reason: null }] }));
  }
  const usage = { prompt_tokens: 500, completion_tokens: 998, total_tokens: 1498 };
  chunks.push(sse({ ...base, choices: [{ index: 0, text: '', finish_reason: 'stop' }], usage }));
  chunks.push(encoder.encode('data: [DONE]\n\n'));
  return { contentType: 'text/event-stream', chunks };
}

/** The Anthropic Messages event sequence of a 1,000-event text stream. */
function anthropicStreamEvents(model: string): Record<string, unknown>[] {
  const usage = { input_tokens: 50_000, output_tokens: 1, cache_read_input_tokens: 1024 };
  const message = { id: 'msg_bench', type: 'message', role: 'assistant', model, content: [] };
  const events: Record<string, unknown>[] = [
    { type: 'message_start', message: { ...message, stop_reason: null, usage } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ];
  for (let i = 0; i < streamFrames - 5; i++) {
    events.push({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: delta(i) },
    });
  }
  events.push({ type: 'content_block_stop', index: 0 });
  events.push({
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 2000 },
  });
  events.push({ type: 'message_stop' });
  return events;
}

/** Anthropic SSE (Anthropic, GCP Vertex `streamRawPredict`). */
export function anthropicStream(model: string): WireBody {
  const chunks = anthropicStreamEvents(model).map((e) => encoder.encode(anthropicSse([e])));
  return { contentType: 'text/event-stream', chunks };
}

/** AWS Bedrock `invoke-with-response-stream`: each Anthropic event in an eventstream `chunk`. */
export function awsAnthropicStream(model: string): WireBody {
  const chunks = anthropicStreamEvents(model).map((e) => bedrockEventStream([e]));
  return { contentType: 'application/vnd.amazon.eventstream', chunks };
}

function converseEvent(type: string, payload: Record<string, unknown>): Uint8Array {
  return encodeEventStreamMessage({
    headers: { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    payload: encoder.encode(JSON.stringify({ ...payload, p: 'abcdefghijkl' })),
  });
}

/** AWS Bedrock ConverseStream: messageStart, text deltas, stops, metadata (usage). */
export function converseStream(): WireBody {
  const chunks = [converseEvent('messageStart', { role: 'assistant' })];
  for (let i = 0; i < streamFrames - 4; i++) {
    chunks.push(
      converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: delta(i) } }),
    );
  }
  chunks.push(converseEvent('contentBlockStop', { contentBlockIndex: 0 }));
  chunks.push(converseEvent('messageStop', { stopReason: 'end_turn' }));
  const usage = {
    inputTokens: 48_976,
    outputTokens: 2000,
    totalTokens: 52_000,
    cacheReadInputTokens: 1024,
  };
  chunks.push(converseEvent('metadata', { usage, metrics: { latencyMs: 900 } }));
  return { contentType: 'application/vnd.amazon.eventstream', chunks };
}

/** Vertex AI Gemini `streamGenerateContent?alt=sse`: one text part per frame, usage on the last. */
export function geminiStream(model: string): WireBody {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < streamFrames; i++) {
    const isLast = i === streamFrames - 1;
    const candidate = {
      content: { role: 'model', parts: [{ text: delta(i) }] },
      index: 0,
      ...(isLast ? { finishReason: 'STOP' } : {}),
    };
    const usage = { promptTokenCount: 50_000, candidatesTokenCount: 2000, totalTokenCount: 52_000 };
    chunks.push(
      encoder.encode(
        `data: ${JSON.stringify({
          candidates: [candidate],
          ...(isLast ? { usageMetadata: usage } : {}),
          modelVersion: model,
          responseId: 'resp-bench',
        })}\r\n\r\n`,
      ),
    );
  }
  return { contentType: 'text/event-stream', chunks };
}
